import type Database from 'better-sqlite3';
import type { WrappedCommentStorage } from '../wrapped-comment-storage.ts';
import { statementCache } from './statement-cache.ts';

type Row = Record<string, unknown>;
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** R177 in the single node's SQLite database. */
export class SqliteWrappedComments implements WrappedCommentStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  async addMark(communityId: string, seq: number, mark: string, userId: string, at: number): Promise<boolean> {
    return this.#q(`INSERT INTO channel_wrapped_comments (community_id, seq, mark, user_id, created_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (community_id, seq, mark) DO NOTHING`).run(communityId, seq, mark, userId, at).changes > 0;
  }

  async markOwner(communityId: string, seq: number, mark: string): Promise<string | undefined> {
    const r = this.#q('SELECT user_id FROM channel_wrapped_comments WHERE community_id = ? AND seq = ? AND mark = ?').get(communityId, seq, mark) as Row | undefined;
    return r && String(r['user_id']);
  }

  async removeMark(communityId: string, seq: number, mark: string): Promise<boolean> {
    return this.#q('DELETE FROM channel_wrapped_comments WHERE community_id = ? AND seq = ? AND mark = ?').run(communityId, seq, mark).changes > 0;
  }

  async commentCounts(communityId: string, seqs: readonly number[]): Promise<Map<number, number>> {
    const out = new Map(seqs.map((s) => [s, 0]));
    if (seqs.length === 0) return out;
    const rows = this.#db.prepare(`SELECT seq, COUNT(*) AS n FROM channel_wrapped_comments WHERE community_id = ? AND seq IN (${marks(seqs.length)}) GROUP BY seq`)
      .all(communityId, ...seqs) as Row[];
    for (const r of rows) out.set(Number(r['seq']), Number(r['n']));
    return out;
  }
}
