import type Database from 'better-sqlite3';
import type { ChannelViewStorage } from '../channel-view-storage.ts';
import { statementCache } from './statement-cache.ts';
import { addViewRows, viewSums, type ViewCounterTable } from './sqlite-view-counters.ts';

/** R190: a private channel's view counters in MLS mode (R98's shape). */
export const CHANNEL_MLS_VIEWS: ViewCounterTable = { table: 'channel_mls_views', scope: 'community_id', item: 'seq' };
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** R190 in the single node's SQLite database. */
export class SqliteChannelViews implements ChannelViewStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  async addViews(communityId: string, chatId: string, seqs: readonly number[], bucket: number): Promise<number[]> {
    const distinct = [...new Set(seqs)];
    if (distinct.length === 0) return [];
    return this.#db.transaction(() => {
      const found = (this.#db.prepare(`SELECT seq FROM messages WHERE chat_id = ? AND seq IN (${marks(distinct.length)}) AND system IS NULL ORDER BY seq`)
        .all(chatId, ...distinct) as Array<{ seq: number }>).map((r) => Number(r.seq));
      addViewRows(this.#q, CHANNEL_MLS_VIEWS, communityId, found, bucket);
      return found;
    }).immediate();
  }

  async viewCounts(communityId: string, seqs: readonly number[]): Promise<Map<number, number>> {
    return viewSums(this.#db, CHANNEL_MLS_VIEWS, communityId, seqs, Number);
  }
}
