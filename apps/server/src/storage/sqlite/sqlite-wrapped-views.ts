import type Database from 'better-sqlite3';
import type { WrappedViewStorage } from '../wrapped-view-storage.ts';
import { statementCache } from './statement-cache.ts';
import { addViewRows, viewSums, type ViewCounterTable } from './sqlite-view-counters.ts';
import { IS_POST } from './sqlite-wrapped-responses.ts';

/** R183: a wrapped channel's view counters (R98's shape). */
export const WRAPPED_VIEWS: ViewCounterTable = { table: 'channel_wrapped_views', scope: 'community_id', item: 'seq' };
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** R183 in the single node's SQLite database. */
export class SqliteWrappedViews implements WrappedViewStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  async addViews(communityId: string, seqs: readonly number[], bucket: number): Promise<number[]> {
    const distinct = [...new Set(seqs)];
    if (distinct.length === 0) return [];
    // One transaction: a post deleted meanwhile (R167) is either counted before its counters go, or passed over.
    return this.#db.transaction(() => {
      const posts = (this.#db.prepare(`SELECT seq FROM channel_wrapped_posts WHERE community_id = ? AND seq IN (${marks(distinct.length)}) AND ${IS_POST} ORDER BY seq`)
        .all(communityId, ...distinct) as Array<{ seq: number }>).map((r) => Number(r.seq));
      addViewRows(this.#q, WRAPPED_VIEWS, communityId, posts, bucket);
      return posts;
    }).immediate();
  }

  async viewCounts(communityId: string, seqs: readonly number[]): Promise<Map<number, number>> {
    return viewSums(this.#db, WRAPPED_VIEWS, communityId, seqs, Number);
  }
}
