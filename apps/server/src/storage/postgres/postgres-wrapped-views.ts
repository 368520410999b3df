import type pg from 'pg';
import type { WrappedViewStorage } from '../wrapped-view-storage.ts';
import { WRAPPED_VIEWS } from '../sqlite/sqlite-wrapped-views.ts';
import { addViewRows, viewSums } from './postgres-view-counters.ts';
import { IS_POST } from './postgres-wrapped-responses.ts';
import { inTransaction } from './transaction.ts';

/** R183 in the cluster's PostgreSQL database. */
export class PostgresWrappedViews implements WrappedViewStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async addViews(communityId: string, seqs: readonly number[], bucket: number): Promise<number[]> {
    if (seqs.length === 0) return [];
    return inTransaction(this.#pool, async (db) => {
      // FOR SHARE: a deletion (R167, which updates the post's row first) waits for this count or is seen by it, so no counter outlives its post.
      const posts = (await db.query<{ seq: string }>(`SELECT seq FROM channel_wrapped_posts WHERE community_id = $1 AND seq = ANY($2::bigint[]) AND ${IS_POST} ORDER BY seq FOR SHARE`,
        [communityId, [...new Set(seqs)]])).rows.map((r) => Number(r.seq));
      await addViewRows(db, WRAPPED_VIEWS, communityId, posts, bucket);
      return posts;
    });
  }

  async viewCounts(communityId: string, seqs: readonly number[]): Promise<Map<number, number>> {
    return viewSums(this.#pool, WRAPPED_VIEWS, communityId, seqs, Number);
  }
}
