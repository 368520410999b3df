import type pg from 'pg';
import type { ChannelDiscussionRow, ChannelScheduleStorage, ScheduledPostRow } from '../channel-schedule-storage.ts';
import { toDiscussion, toScheduled, tooManyScheduled } from '../sqlite/sqlite-channel-schedule.ts';
import { inTransaction } from './transaction.ts';

type Row = Record<string, unknown>;

/** R114, R115 in the cluster's PostgreSQL database; the per-channel count holds across nodes under the channel's row lock. */
export class PostgresChannelSchedule implements ChannelScheduleStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async #rows(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(sql, params)).rows;
  }

  async putScheduled(s: ScheduledPostRow, maxPerChannel: number, blobIds: readonly string[] = []): Promise<void> {
    await inTransaction(this.#pool, async (db) => {
      await db.query('SELECT 1 FROM channels WHERE channel_id = $1 FOR UPDATE', [s.channelId]);
      const n = Number((await db.query<Row>('SELECT COUNT(*) AS n FROM channel_scheduled WHERE channel_id = $1 AND post_id <> $2', [s.channelId, s.postId])).rows[0]?.['n']);
      if (n >= maxPerChannel) throw tooManyScheduled(maxPerChannel);
      await db.query(`INSERT INTO channel_scheduled (channel_id, post_id, publish_at, author_id, signed, signature, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (channel_id, post_id) DO UPDATE SET publish_at = EXCLUDED.publish_at, author_id = EXCLUDED.author_id, signed = EXCLUDED.signed,
          signature = EXCLUDED.signature, created_at = EXCLUDED.created_at`,
      [s.channelId, s.postId, s.publishAt, s.authorId, s.signed, s.signature, s.createdAt]);
      // R192: the post's files are held by it while it waits.
      await db.query('DELETE FROM channel_scheduled_blobs WHERE channel_id = $1 AND post_id = $2', [s.channelId, s.postId]);
      for (const blobId of blobIds) {
        await db.query('INSERT INTO channel_scheduled_blobs (channel_id, post_id, blob_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [s.channelId, s.postId, blobId]);
      }
    });
  }

  async getScheduled(channelId: string, postId: string): Promise<ScheduledPostRow | undefined> {
    const r = (await this.#rows('SELECT * FROM channel_scheduled WHERE channel_id = $1 AND post_id = $2', [channelId, postId]))[0];
    return r && toScheduled(r);
  }

  async listScheduled(channelId: string): Promise<ScheduledPostRow[]> {
    return (await this.#rows('SELECT * FROM channel_scheduled WHERE channel_id = $1 ORDER BY publish_at, post_id', [channelId])).map(toScheduled);
  }

  async deleteScheduled(channelId: string, postId: string): Promise<boolean> {
    return ((await this.#pool.query('DELETE FROM channel_scheduled WHERE channel_id = $1 AND post_id = $2', [channelId, postId])).rowCount ?? 0) > 0;
  }

  async listDue(now: number, limit: number): Promise<ScheduledPostRow[]> {
    return (await this.#rows('SELECT * FROM channel_scheduled WHERE publish_at <= $1 ORDER BY publish_at, channel_id, post_id LIMIT $2', [now, limit])).map(toScheduled);
  }

  async setDiscussion(channelId: string, link: ChannelDiscussionRow | null): Promise<void> {
    if (!link) {
      await this.#pool.query('DELETE FROM channel_discussions WHERE channel_id = $1', [channelId]);
      return;
    }
    await this.#pool.query(`INSERT INTO channel_discussions (channel_id, chat_id, linked_by, linked_at, open_seq) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (channel_id) DO UPDATE SET chat_id = EXCLUDED.chat_id, linked_by = EXCLUDED.linked_by, linked_at = EXCLUDED.linked_at, open_seq = EXCLUDED.open_seq`,
    [channelId, link.chatId, link.linkedBy, link.linkedAt, link.openSeq ?? null]);
  }

  async getDiscussion(channelId: string): Promise<ChannelDiscussionRow | undefined> {
    const r = (await this.#rows('SELECT * FROM channel_discussions WHERE channel_id = $1', [channelId]))[0];
    return r && toDiscussion(r);
  }
}
