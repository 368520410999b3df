import type Database from 'better-sqlite3';
import { countChanges, VOTERS, WRAPPED_VOTE_TABLES, type VoteTables, type WrappedVoteCount, type WrappedVoteStorage } from '../wrapped-vote-storage.ts';
import { statementCache } from './statement-cache.ts';

type Row = Record<string, unknown>;
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** R185 (and R198's public polls) in the single node's SQLite database. */
export class SqliteWrappedVotes implements WrappedVoteStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;
  readonly #t: VoteTables;

  /** `tables`: R185's by default; R198's public polls pass CHANNEL_VOTE_TABLES. */
  constructor(db: Database.Database, tables: VoteTables = WRAPPED_VOTE_TABLES) {
    this.#db = db;
    this.#t = tables;
    this.#q = statementCache(db);
  }

  async setVotes(communityId: string, seq: number, userId: string, tokens: readonly string[]): Promise<void> {
    this.#db.transaction(() => {
      const old = (this.#q(`SELECT token FROM ${this.#t.votes} WHERE ${this.#t.owner} = ? AND seq = ? AND user_id = ?`).all(communityId, seq, userId) as Row[]).map((r) => String(r['token']));
      this.#q(`DELETE FROM ${this.#t.votes} WHERE ${this.#t.owner} = ? AND seq = ? AND user_id = ?`).run(communityId, seq, userId);
      for (const token of new Set(tokens)) this.#q(`INSERT INTO ${this.#t.votes} (${this.#t.owner}, seq, user_id, token) VALUES (?, ?, ?, ?)`).run(communityId, seq, userId, token);
      const { drop, add } = countChanges(old, tokens);
      for (const token of drop) this.#down(communityId, seq, token);
      for (const token of add) {
        this.#q(`INSERT INTO ${this.#t.counts} (${this.#t.owner}, seq, token, n) VALUES (?, ?, ?, 1)
          ON CONFLICT (${this.#t.owner}, seq, token) DO UPDATE SET n = n + 1`).run(communityId, seq, token);
      }
    }).immediate();
  }

  #down(communityId: string, seq: unknown, token: unknown): void {
    const down = this.#q(`UPDATE ${this.#t.counts} SET n = n - 1 WHERE ${this.#t.owner} = ? AND seq = ? AND token = ? AND n > 1`).run(communityId, seq, token);
    if (down.changes === 0) this.#q(`DELETE FROM ${this.#t.counts} WHERE ${this.#t.owner} = ? AND seq = ? AND token = ?`).run(communityId, seq, token);
  }

  async voteCounts(communityId: string, seqs: readonly number[]): Promise<WrappedVoteCount[]> {
    if (seqs.length === 0) return [];
    const rows = this.#db.prepare(`SELECT seq, token, n FROM ${this.#t.counts} WHERE ${this.#t.owner} = ? AND seq IN (${marks(seqs.length)}) AND token <> ?
      ORDER BY seq, token`).all(communityId, ...seqs, VOTERS) as Row[];
    return rows.map((r) => ({ seq: Number(r['seq']), token: String(r['token']), count: Number(r['n']) }));
  }

  async voters(communityId: string, seqs: readonly number[]): Promise<Map<number, number>> {
    const out = new Map(seqs.map((s) => [s, 0]));
    if (seqs.length === 0) return out;
    const rows = this.#db.prepare(`SELECT seq, n FROM ${this.#t.counts} WHERE ${this.#t.owner} = ? AND seq IN (${marks(seqs.length)}) AND token = ?`)
      .all(communityId, ...seqs, VOTERS) as Row[];
    for (const r of rows) out.set(Number(r['seq']), Number(r['n']));
    return out;
  }

  async myVotes(communityId: string, userId: string, seqs: readonly number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    if (seqs.length === 0) return out;
    const rows = this.#db.prepare(`SELECT seq, token FROM ${this.#t.votes} WHERE ${this.#t.owner} = ? AND user_id = ? AND seq IN (${marks(seqs.length)}) ORDER BY seq, token`)
      .all(communityId, userId, ...seqs) as Row[];
    for (const r of rows) out.set(Number(r['seq']), [...(out.get(Number(r['seq'])) ?? []), String(r['token'])]);
    return out;
  }

  async dropVotes(communityId: string, userId: string): Promise<number> {
    return this.#db.transaction(() => {
      const mine = this.#q(`SELECT seq, token FROM ${this.#t.votes} WHERE ${this.#t.owner} = ? AND user_id = ?`).all(communityId, userId) as Row[];
      for (const r of mine) this.#down(communityId, r['seq'], r['token']);
      for (const seq of new Set(mine.map((r) => Number(r['seq'])))) this.#down(communityId, seq, VOTERS);
      this.#q(`DELETE FROM ${this.#t.votes} WHERE ${this.#t.owner} = ? AND user_id = ?`).run(communityId, userId);
      return mine.length;
    }).immediate();
  }
}
