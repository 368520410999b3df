import type Database from 'better-sqlite3';
import type { WrappedVoteCount, WrappedVoteStorage } from '../wrapped-vote-storage.ts';
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
      this.#q('DELETE FROM channel_wrapped_votes WHERE community_id = ? AND seq = ? AND user_id = ?').run(communityId, seq, userId);
      for (const token of new Set(tokens)) this.#q('INSERT INTO channel_wrapped_votes (community_id, seq, user_id, token) VALUES (?, ?, ?, ?)').run(communityId, seq, userId, token);
    }).immediate();
  }

  async voteCounts(communityId: string, seqs: readonly number[]): Promise<WrappedVoteCount[]> {
    if (seqs.length === 0) return [];
    const rows = this.#db.prepare(`SELECT seq, token, COUNT(*) AS n FROM channel_wrapped_votes WHERE community_id = ? AND seq IN (${marks(seqs.length)})
      GROUP BY seq, token ORDER BY seq, token`).all(communityId, ...seqs) as Row[];
    return rows.map((r) => ({ seq: Number(r['seq']), token: String(r['token']), count: Number(r['n']) }));
  }

  async voters(communityId: string, seqs: readonly number[]): Promise<Map<number, number>> {
    const out = new Map(seqs.map((s) => [s, 0]));
    if (seqs.length === 0) return out;
    const rows = this.#db.prepare(`SELECT seq, COUNT(DISTINCT user_id) AS n FROM channel_wrapped_votes WHERE community_id = ? AND seq IN (${marks(seqs.length)}) GROUP BY seq`)
      .all(communityId, ...seqs) as Row[];
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
    return this.#q('DELETE FROM channel_wrapped_votes WHERE community_id = ? AND user_id = ?').run(communityId, userId).changes;
  }
}
