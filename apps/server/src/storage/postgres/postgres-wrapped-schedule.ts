import type pg from 'pg';
import { SCHEDULED_BLOBS, type ScheduledTable, type WrappedScheduledRow, type WrappedScheduleStorage } from '../wrapped-schedule-storage.ts';
import { tooManyScheduled } from '../sqlite/sqlite-channel-schedule.ts';
import { BLOBS_SQL, heldBlobs, toWrappedScheduled, withBlobIds } from '../sqlite/sqlite-wrapped-schedule.ts';
import { inTransaction } from './transaction.ts';

type Row = Record<string, unknown>;

/** R188 (and R191's, in their own table, text only) in the cluster's PostgreSQL database; the per-channel count holds across nodes under the community's row lock. */
export class PostgresWrappedSchedule implements WrappedScheduleStorage {
  readonly #pool: pg.Pool;
  readonly #table: ScheduledTable;
  readonly #blobs: string | undefined;

  constructor(pool: pg.Pool, table: ScheduledTable = 'channel_wrapped_scheduled') {
    this.#pool = pool;
    this.#table = table;
    this.#blobs = SCHEDULED_BLOBS[table];
  }

  async #rows(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(sql, params)).rows;
  }

  async putScheduled(s: WrappedScheduledRow, maxPerChannel: number): Promise<void> {
    await inTransaction(this.#pool, async (db) => {
      await db.query('SELECT 1 FROM communities WHERE community_id = $1 FOR UPDATE', [s.communityId]);
      const n = Number((await db.query<Row>(`SELECT COUNT(*) AS n FROM ${this.#table} WHERE community_id = $1 AND schedule_id <> $2`, [s.communityId, s.scheduleId])).rows[0]?.['n']);
      if (n >= maxPerChannel) throw tooManyScheduled(maxPerChannel);
      await db.query(`INSERT INTO ${this.#table} (community_id, schedule_id, epoch, author_id, author_device, body, publish_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (community_id, schedule_id) DO UPDATE SET epoch = EXCLUDED.epoch, author_id = EXCLUDED.author_id, author_device = EXCLUDED.author_device,
          body = EXCLUDED.body, publish_at = EXCLUDED.publish_at, created_at = EXCLUDED.created_at`,
      [s.communityId, s.scheduleId, s.epoch, s.authorId, s.authorDevice, s.body, s.publishAt, s.createdAt]);
      // R192: the post's files are held by it while it waits.
      const blobs = heldBlobs(this.#table, this.#blobs, s);
      if (!blobs) return;
      await db.query(`DELETE FROM ${blobs} WHERE community_id = $1 AND schedule_id = $2`, [s.communityId, s.scheduleId]);
      for (const [i, blobId] of (s.blobIds ?? []).entries()) {
        await db.query(`INSERT INTO ${blobs} (community_id, schedule_id, blob_id, position) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [s.communityId, s.scheduleId, blobId, i]);
      }
    });
  }

  /** R192: each row with the blobs it holds. */
  async #withBlobs(rows: Row[]): Promise<WrappedScheduledRow[]> {
    const blobs = this.#blobs;
    if (!blobs) return rows.map(toWrappedScheduled);
    return Promise.all(rows.map(async (r) => withBlobIds(toWrappedScheduled(r), await this.#rows(BLOBS_SQL(blobs, '$1', '$2'), [r['community_id'], r['schedule_id']]))));
  }

  async getScheduled(communityId: string, scheduleId: string): Promise<WrappedScheduledRow | undefined> {
    const r = (await this.#rows(`SELECT * FROM ${this.#table} WHERE community_id = $1 AND schedule_id = $2`, [communityId, scheduleId]))[0];
    return r && (await this.#withBlobs([r]))[0];
  }

  async listScheduled(communityId: string): Promise<WrappedScheduledRow[]> {
    return this.#withBlobs(await this.#rows(`SELECT * FROM ${this.#table} WHERE community_id = $1 ORDER BY publish_at, schedule_id`, [communityId]));
  }

  async deleteScheduled(communityId: string, scheduleId: string): Promise<boolean> {
    return ((await this.#pool.query(`DELETE FROM ${this.#table} WHERE community_id = $1 AND schedule_id = $2`, [communityId, scheduleId])).rowCount ?? 0) > 0;
  }

  async listDue(now: number, limit: number, after?: { publishAt: number; communityId: string; scheduleId: string }): Promise<WrappedScheduledRow[]> {
    const a = after ?? { publishAt: -1, communityId: '', scheduleId: '' };
    return this.#withBlobs(await this.#rows(`SELECT * FROM ${this.#table} WHERE publish_at <= $1 AND (publish_at, community_id, schedule_id) > ($2, $3, $4)
      ORDER BY publish_at, community_id, schedule_id LIMIT $5`, [now, a.publishAt, a.communityId, a.scheduleId, limit]));
  }
}
