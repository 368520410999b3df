import type pg from 'pg';
import type { ChannelViewStorage } from '../channel-view-storage.ts';
import { CHANNEL_MLS_VIEWS } from '../sqlite/sqlite-channel-views.ts';
import { addViewRows, viewSums } from './postgres-view-counters.ts';

/** R190 in the cluster's PostgreSQL database. */
export class PostgresChannelViews implements ChannelViewStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async addViews(communityId: string, chatId: string, seqs: readonly number[], bucket: number): Promise<number[]> {
    if (seqs.length === 0) return [];
    // Messages are never removed from the log (a deletion is a tombstone), so no lock is needed: the upsert alone is atomic.
    const found = (await this.#pool.query<{ seq: string }>('SELECT seq FROM messages WHERE chat_id = $1 AND seq = ANY($2::bigint[]) AND system IS NULL ORDER BY seq',
      [chatId, [...new Set(seqs)]])).rows.map((r) => Number(r.seq));
    await addViewRows(this.#pool, CHANNEL_MLS_VIEWS, communityId, found, bucket);
    return found;
  }

  async viewCounts(communityId: string, seqs: readonly number[]): Promise<Map<number, number>> {
    return viewSums(this.#pool, CHANNEL_MLS_VIEWS, communityId, seqs, Number);
  }
}
