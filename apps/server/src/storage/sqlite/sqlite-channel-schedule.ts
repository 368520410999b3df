import type Database from 'better-sqlite3';
import { ParleyError } from '@parley/protocol';
import type { ChannelDiscussionRow, ChannelScheduleStorage, ScheduledPostRow } from '../channel-schedule-storage.ts';
import { statementCache } from './statement-cache.ts';

type Row = Record<string, unknown>;

// Row ↔ domain; the column shapes are the same in both dialects.
export function toScheduled(r: Row): ScheduledPostRow {
  return {
    channelId: String(r['channel_id']), postId: String(r['post_id']), publishAt: Number(r['publish_at']), authorId: String(r['author_id']),
    signed: String(r['signed']), signature: String(r['signature']), createdAt: Number(r['created_at']),
  };
}

export function toDiscussion(r: Row): ChannelDiscussionRow {
  const row: ChannelDiscussionRow = { channelId: String(r['channel_id']), chatId: String(r['chat_id']), linkedBy: String(r['linked_by']), linkedAt: Number(r['linked_at']) };
  if (r['open_seq'] !== null && r['open_seq'] !== undefined) row.openSeq = Number(r['open_seq']);
  return row;
}

export const tooManyScheduled = (max: number) => new ParleyError('channel_limit', `a channel has at most ${max} scheduled posts`);

/** R114, R115 in the single node's SQLite database. */
export class SqliteChannelSchedule implements ChannelScheduleStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  async putScheduled(s: ScheduledPostRow, maxPerChannel: number, blobIds: readonly string[] = []): Promise<void> {
    this.#db.transaction(() => {
      const others = Number((this.#q('SELECT COUNT(*) AS n FROM channel_scheduled WHERE channel_id = ? AND post_id <> ?').get(s.channelId, s.postId) as Row)['n']);
      if (others >= maxPerChannel) throw tooManyScheduled(maxPerChannel);
      this.#q(`INSERT INTO channel_scheduled (channel_id, post_id, publish_at, author_id, signed, signature, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (channel_id, post_id) DO UPDATE SET publish_at = excluded.publish_at, author_id = excluded.author_id, signed = excluded.signed,
          signature = excluded.signature, created_at = excluded.created_at`)
        .run(s.channelId, s.postId, s.publishAt, s.authorId, s.signed, s.signature, s.createdAt);
      // R192: the post's files are held by it while it waits.
      this.#q('DELETE FROM channel_scheduled_blobs WHERE channel_id = ? AND post_id = ?').run(s.channelId, s.postId);
      for (const blobId of blobIds) this.#q('INSERT INTO channel_scheduled_blobs (channel_id, post_id, blob_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(s.channelId, s.postId, blobId);
    }).immediate();
  }

  async getScheduled(channelId: string, postId: string): Promise<ScheduledPostRow | undefined> {
    const r = this.#q('SELECT * FROM channel_scheduled WHERE channel_id = ? AND post_id = ?').get(channelId, postId) as Row | undefined;
    return r && toScheduled(r);
  }

  async listScheduled(channelId: string): Promise<ScheduledPostRow[]> {
    return (this.#q('SELECT * FROM channel_scheduled WHERE channel_id = ? ORDER BY publish_at, post_id').all(channelId) as Row[]).map(toScheduled);
  }

  async deleteScheduled(channelId: string, postId: string): Promise<boolean> {
    return this.#q('DELETE FROM channel_scheduled WHERE channel_id = ? AND post_id = ?').run(channelId, postId).changes > 0;
  }

  async listDue(now: number, limit: number): Promise<ScheduledPostRow[]> {
    return (this.#q('SELECT * FROM channel_scheduled WHERE publish_at <= ? ORDER BY publish_at, channel_id, post_id LIMIT ?').all(now, limit) as Row[]).map(toScheduled);
  }

  async setDiscussion(channelId: string, link: ChannelDiscussionRow | null): Promise<void> {
    if (!link) {
      this.#q('DELETE FROM channel_discussions WHERE channel_id = ?').run(channelId);
      return;
    }
    this.#q(`INSERT INTO channel_discussions (channel_id, chat_id, linked_by, linked_at, open_seq) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (channel_id) DO UPDATE SET chat_id = excluded.chat_id, linked_by = excluded.linked_by, linked_at = excluded.linked_at, open_seq = excluded.open_seq`)
      .run(channelId, link.chatId, link.linkedBy, link.linkedAt, link.openSeq ?? null);
  }

  async getDiscussion(channelId: string): Promise<ChannelDiscussionRow | undefined> {
    const r = this.#q('SELECT * FROM channel_discussions WHERE channel_id = ?').get(channelId) as Row | undefined;
    return r && toDiscussion(r);
  }
}
