import type Database from 'better-sqlite3';
import { countChanges, VOTERS, type WrappedVoteCount, type WrappedVoteStorage } from '../wrapped-vote-storage.ts';
import { statementCache } from './statement-cache.ts';

type Row = Record<string, unknown>;
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** R185 in the single node's SQLite database. */
export class SqliteWrappedVotes implements WrappedVoteStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  async setVotes(communityId: string, seq: number, userId: string, tokens: readonly string[]): Promise<void> {
    this.#db.transaction(() => {
      const old = (this.#q('SELECT token FROM channel_wrapped_votes WHERE community_id = ? AND seq = ? AND user_id = ?').all(communityId, seq, userId) as Row[]).map((r) => String(r['token']));
      this.#q('DELETE FROM channel_wrapped_votes WHERE community_id = ? AND seq = ? AND user_id = ?').run(communityId, seq, userId);
      for (const token of new Set(tokens)) this.#q('INSERT INTO channel_wrapped_votes (community_id, seq, user_id, token) VALUES (?, ?, ?, ?)').run(communityId, seq, userId, token);
      const { drop, add } = countChanges(old, tokens);
      for (const token of drop) this.#down(communityId, seq, token);
      for (const token of add) {
        this.#q(`INSERT INTO channel_wrapped_vote_counts (community_id, seq, token, n) VALUES (?, ?, ?, 1)
          ON CONFLICT (community_id, seq, token) DO UPDATE SET n = n + 1`).run(communityId, seq, token);
      }
    }).immediate();
  }

  #down(communityId: string, seq: unknown, token: unknown): void {
    const down = this.#q('UPDATE channel_wrapped_vote_counts SET n = n - 1 WHERE community_id = ? AND seq = ? AND token = ? AND n > 1').run(communityId, seq, token);
    if (down.changes === 0) this.#q('DELETE FROM channel_wrapped_vote_counts WHERE community_id = ? AND seq = ? AND token = ?').run(communityId, seq, token);
  }

  async voteCounts(communityId: string, seqs: readonly number[]): Promise<WrappedVoteCount[]> {
    if (seqs.length === 0) return [];
    const rows = this.#db.prepare(`SELECT seq, token, n FROM channel_wrapped_vote_counts WHERE community_id = ? AND seq IN (${marks(seqs.length)}) AND token <> ?
      ORDER BY seq, token`).all(communityId, ...seqs, VOTERS) as Row[];
    return rows.map((r) => ({ seq: Number(r['seq']), token: String(r['token']), count: Number(r['n']) }));
  }

  async voters(communityId: string, seqs: readonly number[]): Promise<Map<number, number>> {
    const out = new Map(seqs.map((s) => [s, 0]));
    if (seqs.length === 0) return out;
    const rows = this.#db.prepare(`SELECT seq, n FROM channel_wrapped_vote_counts WHERE community_id = ? AND seq IN (${marks(seqs.length)}) AND token = ?`)
      .all(communityId, ...seqs, VOTERS) as Row[];
    for (const r of rows) out.set(Number(r['seq']), Number(r['n']));
    return out;
  }

  async myVotes(communityId: string, userId: string, seqs: readonly number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    if (seqs.length === 0) return out;
    const rows = this.#db.prepare(`SELECT seq, token FROM channel_wrapped_votes WHERE community_id = ? AND user_id = ? AND seq IN (${marks(seqs.length)}) ORDER BY seq, token`)
      .all(communityId, userId, ...seqs) as Row[];
    for (const r of rows) out.set(Number(r['seq']), [...(out.get(Number(r['seq'])) ?? []), String(r['token'])]);
    return out;
  }

  async dropVotes(communityId: string, userId: string): Promise<number> {
    return this.#db.transaction(() => {
      const mine = this.#q('SELECT seq, token FROM channel_wrapped_votes WHERE community_id = ? AND user_id = ?').all(communityId, userId) as Row[];
      for (const r of mine) this.#down(communityId, r['seq'], r['token']);
      for (const seq of new Set(mine.map((r) => Number(r['seq'])))) this.#down(communityId, seq, VOTERS);
      this.#q('DELETE FROM channel_wrapped_votes WHERE community_id = ? AND user_id = ?').run(communityId, userId);
      return mine.length;
    }).immediate();
  }
}
