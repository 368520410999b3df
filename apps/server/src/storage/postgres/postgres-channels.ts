import type pg from 'pg';
import type { ChannelAdminRow, ChannelMediaRow, ChannelPostRow, ChannelRow, ChannelStorage, ChannelSubscriptionRow } from '../channel-storage.ts';
import { CHANNEL_VIEWS, handleTaken, HEAD_SQL, likeEscape, MEDIA_SQL, SEARCH_SQL, toChannel, toChannelAdmin, toChannelPost, toChannelSubscription, tooManyAdmins, tooManySubscriptions } from '../sqlite/sqlite-channels.ts';
import { inTransaction } from './transaction.ts';
import { addViewRows, viewSums } from './postgres-view-counters.ts';

type Row = Record<string, unknown>;

/**
 * Public channels (R95-R99) in the cluster's PostgreSQL database. The checks that guard a write
 * (the next seq, admins per channel, subscriptions per user) hold across nodes: each runs under a
 * row lock (the channel's, or the user's) in the transaction that writes.
 */
export class PostgresChannels implements ChannelStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async #rows(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(sql, params)).rows;
  }

  async createChannel(c: ChannelRow, owner: ChannelAdminRow): Promise<void> {
    await inTransaction(this.#pool, async (db) => {
      const inserted = await db.query(`INSERT INTO channels (channel_id, handle, title, description, owner_id, created_at, last_seq, subscriber_count, key_list_version, key_list, key_list_sig)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (handle) DO NOTHING`,
      [c.channelId, c.handle, c.title, c.description, c.ownerId, c.createdAt, c.lastSeq, c.subscriberCount, c.keyListVersion, c.keyList, c.keyListSig]);
      if (inserted.rowCount === 0) throw handleTaken();
      await db.query('INSERT INTO channel_admins (channel_id, user_id, role, public_key, added_at) VALUES ($1, $2, $3, $4, $5)',
        [owner.channelId, owner.userId, owner.role, owner.publicKey, owner.addedAt]);
    });
  }

  async setHead(channelId: string, seq: number, signed: string, signature: string): Promise<boolean> {
    return ((await this.#pool.query(HEAD_SQL('$1', '$2', '$3', '$4', '$1', '$1'), [seq, signed, signature, channelId])).rowCount ?? 0) > 0;
  }

  async getChannel(channelId: string): Promise<ChannelRow | undefined> {
    const r = (await this.#rows('SELECT * FROM channels WHERE channel_id = $1', [channelId]))[0];
    return r && toChannel(r);
  }

  async getChannelByHandle(handle: string): Promise<ChannelRow | undefined> {
    const r = (await this.#rows('SELECT * FROM channels WHERE handle = $1', [handle]))[0];
    return r && toChannel(r);
  }

  async setKeyList(channelId: string, version: number, keyList: string, signature: string): Promise<boolean> {
    const res = await this.#pool.query('UPDATE channels SET key_list_version = $1, key_list = $2, key_list_sig = $3 WHERE channel_id = $4 AND key_list_version = $5',
      [version, keyList, signature, channelId, version - 1]);
    return (res.rowCount ?? 0) > 0;
  }

  async getAdmin(channelId: string, userId: string): Promise<ChannelAdminRow | undefined> {
    const r = (await this.#rows('SELECT * FROM channel_admins WHERE channel_id = $1 AND user_id = $2', [channelId, userId]))[0];
    return r && toChannelAdmin(r);
  }

  async listAdmins(channelId: string): Promise<ChannelAdminRow[]> {
    return (await this.#rows("SELECT * FROM channel_admins WHERE channel_id = $1 ORDER BY role <> 'owner', added_at, user_id", [channelId])).map(toChannelAdmin);
  }

  async addAdmin(a: ChannelAdminRow, maxAdmins: number): Promise<boolean> {
    return inTransaction(this.#pool, async (db) => {
      await db.query('SELECT 1 FROM channels WHERE channel_id = $1 FOR UPDATE', [a.channelId]);
      if ((await db.query('SELECT 1 FROM channel_admins WHERE channel_id = $1 AND user_id = $2', [a.channelId, a.userId])).rowCount) return false;
      const n = Number((await db.query<Row>('SELECT COUNT(*) AS n FROM channel_admins WHERE channel_id = $1', [a.channelId])).rows[0]?.['n']);
      if (n >= maxAdmins) throw tooManyAdmins(maxAdmins);
      await db.query('INSERT INTO channel_admins (channel_id, user_id, role, public_key, added_at) VALUES ($1, $2, $3, $4, $5)', [a.channelId, a.userId, a.role, a.publicKey, a.addedAt]);
      return true;
    });
  }

  async setAdminKey(channelId: string, userId: string, publicKey: string): Promise<boolean> {
    return ((await this.#pool.query('UPDATE channel_admins SET public_key = $3 WHERE channel_id = $1 AND user_id = $2', [channelId, userId, publicKey])).rowCount ?? 0) > 0;
  }

  async removeAdmin(channelId: string, userId: string): Promise<boolean> {
    return ((await this.#pool.query("DELETE FROM channel_admins WHERE channel_id = $1 AND user_id = $2 AND role <> 'owner'", [channelId, userId])).rowCount ?? 0) > 0;
  }

  async pendingAdminOf(userId: string, limit: number): Promise<ChannelAdminRow[]> {
    return (await this.#rows("SELECT * FROM channel_admins WHERE user_id = $1 AND public_key IS NULL AND role <> 'owner' ORDER BY added_at, channel_id LIMIT $2", [userId, limit]))
      .map(toChannelAdmin);
  }

  async putPost(p: ChannelPostRow, media?: readonly ChannelMediaRow[]): Promise<'ok' | 'version' | { lastSeq: number }> {
    return inTransaction(this.#pool, async (db): Promise<'ok' | 'version' | { lastSeq: number }> => {
      const c = (await db.query<Row>('SELECT last_seq FROM channels WHERE channel_id = $1 FOR UPDATE', [p.channelId])).rows[0];
      const lastSeq = Number(c?.['last_seq'] ?? 0);
      if (p.seq !== lastSeq + 1) return { lastSeq };
      const old = (await db.query<Row>('SELECT version, post_seq FROM channel_posts WHERE channel_id = $1 AND post_id = $2', [p.channelId, p.postId])).rows[0];
      if (p.version === 1 ? old !== undefined : Number(old?.['version']) !== p.version - 1 || Number(old?.['post_seq']) !== p.postSeq) return 'version';
      await db.query(`INSERT INTO channel_posts (channel_id, post_id, post_seq, seq, version, author_id, deleted, signed, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (channel_id, post_id) DO UPDATE SET seq = excluded.seq, version = excluded.version, author_id = excluded.author_id,
          deleted = excluded.deleted, signed = excluded.signed, signature = excluded.signature`,
      [p.channelId, p.postId, p.postSeq, p.seq, p.version, p.authorId, p.deleted ? 1 : 0, p.signed, p.signature]);
      await db.query('UPDATE channels SET last_seq = $2 WHERE channel_id = $1', [p.channelId, p.seq]);
      if (p.deleted) { // R198: a deleted post's poll takes its votes with it
        await db.query('DELETE FROM channel_votes WHERE channel_id = $1 AND seq = $2', [p.channelId, p.postSeq]);
        await db.query('DELETE FROM channel_vote_counts WHERE channel_id = $1 AND seq = $2', [p.channelId, p.postSeq]);
      }
      if (media) {
        await db.query('DELETE FROM channel_media WHERE channel_id = $1 AND post_id = $2', [p.channelId, p.postId]);
        for (const m of media) {
          await db.query('INSERT INTO channel_media (channel_id, post_id, blob_id, mime) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [p.channelId, p.postId, m.blobId, m.mime]);
        }
      }
      return 'ok';
    });
  }

  async postMedia(channelId: string, postId: string): Promise<ChannelMediaRow[]> {
    return (await this.#rows('SELECT blob_id, mime FROM channel_media WHERE channel_id = $1 AND post_id = $2 ORDER BY blob_id', [channelId, postId]))
      .map((r) => ({ blobId: String(r['blob_id']), mime: String(r['mime']) }));
  }

  async getMedia(channelId: string, blobId: string): Promise<(ChannelMediaRow & { length: number }) | undefined> {
    const r = (await this.#rows(MEDIA_SQL('$1', '$2'), [channelId, blobId]))[0];
    return r && { blobId, mime: String(r['mime']), length: Number(r['length']) };
  }

  async searchChannels(prefix: string, opts: { offset: number; limit: number }): Promise<ChannelRow[]> {
    const like = `${likeEscape(prefix.toLowerCase())}%`;
    return (await this.#rows(SEARCH_SQL('$1', '$1', '$2', '$3'), [like, opts.limit, opts.offset])).map(toChannel);
  }

  async getPost(channelId: string, postId: string): Promise<ChannelPostRow | undefined> {
    const r = (await this.#rows('SELECT * FROM channel_posts WHERE channel_id = $1 AND post_id = $2', [channelId, postId]))[0];
    return r && toChannelPost(r);
  }

  async listLog(channelId: string, afterSeq: number, limit: number): Promise<ChannelPostRow[]> {
    return (await this.#rows('SELECT * FROM channel_posts WHERE channel_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [channelId, afterSeq, limit])).map(toChannelPost);
  }

  async listPosts(channelId: string, opts: { beforePostSeq?: number; limit: number; withDeleted: boolean }): Promise<ChannelPostRow[]> {
    const rows = await this.#rows(`SELECT * FROM channel_posts WHERE channel_id = $1 AND post_seq < $2 ${opts.withDeleted ? '' : 'AND deleted = 0'} ORDER BY post_seq DESC LIMIT $3`,
      [channelId, opts.beforePostSeq ?? Number.MAX_SAFE_INTEGER, opts.limit]);
    return rows.map(toChannelPost);
  }

  async subscribe(s: ChannelSubscriptionRow, maxPerUser: number): Promise<boolean> {
    return inTransaction(this.#pool, async (db) => {
      await db.query('SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE', [s.userId]);
      if ((await db.query('SELECT 1 FROM channel_subscribers WHERE channel_id = $1 AND user_id = $2', [s.channelId, s.userId])).rowCount) return false;
      const n = Number((await db.query<Row>('SELECT COUNT(*) AS n FROM channel_subscribers WHERE user_id = $1', [s.userId])).rows[0]?.['n']);
      if (n >= maxPerUser) throw tooManySubscriptions(maxPerUser);
      await db.query('INSERT INTO channel_subscribers (channel_id, user_id, read_seq, muted, subscribed_at) VALUES ($1, $2, $3, $4, $5)',
        [s.channelId, s.userId, s.readSeq, s.muted ? 1 : 0, s.subscribedAt]);
      await db.query('UPDATE channels SET subscriber_count = subscriber_count + 1 WHERE channel_id = $1', [s.channelId]);
      return true;
    });
  }

  async unsubscribe(channelId: string, userId: string): Promise<boolean> {
    return inTransaction(this.#pool, async (db) => {
      if (((await db.query('DELETE FROM channel_subscribers WHERE channel_id = $1 AND user_id = $2', [channelId, userId])).rowCount ?? 0) === 0) return false;
      await db.query('UPDATE channels SET subscriber_count = subscriber_count - 1 WHERE channel_id = $1', [channelId]);
      return true;
    });
  }

  async getSubscription(channelId: string, userId: string): Promise<ChannelSubscriptionRow | undefined> {
    const r = (await this.#rows('SELECT * FROM channel_subscribers WHERE channel_id = $1 AND user_id = $2', [channelId, userId]))[0];
    return r && toChannelSubscription(r);
  }

  async setMuted(channelId: string, userId: string, muted: boolean): Promise<boolean> {
    return ((await this.#pool.query('UPDATE channel_subscribers SET muted = $3 WHERE channel_id = $1 AND user_id = $2', [channelId, userId, muted ? 1 : 0])).rowCount ?? 0) > 0;
  }

  async setReadSeq(channelId: string, userId: string, upToSeq: number): Promise<void> {
    await this.#pool.query('UPDATE channel_subscribers SET read_seq = $3 WHERE channel_id = $1 AND user_id = $2 AND read_seq < $3', [channelId, userId, upToSeq]);
  }

  async listSubscriptions(userId: string): Promise<ChannelSubscriptionRow[]> {
    return (await this.#rows('SELECT * FROM channel_subscribers WHERE user_id = $1 ORDER BY subscribed_at, channel_id', [userId])).map(toChannelSubscription);
  }

  async countUnread(channelId: string, readSeq: number): Promise<number> {
    return Number((await this.#rows('SELECT COUNT(*) AS n FROM channel_posts WHERE channel_id = $1 AND post_seq > $2 AND deleted = 0', [channelId, readSeq]))[0]?.['n']);
  }

  async setReaction(channelId: string, postId: string, userId: string, emoji: string | null): Promise<void> {
    if (emoji === null) await this.#pool.query('DELETE FROM channel_reactions WHERE channel_id = $1 AND post_id = $2 AND user_id = $3', [channelId, postId, userId]);
    else {
      await this.#pool.query(`INSERT INTO channel_reactions (channel_id, post_id, user_id, emoji) VALUES ($1, $2, $3, $4)
        ON CONFLICT (channel_id, post_id, user_id) DO UPDATE SET emoji = excluded.emoji`, [channelId, postId, userId, emoji]);
    }
  }

  async reactionCounts(channelId: string, postIds: readonly string[]): Promise<Array<{ postId: string; emoji: string; count: number }>> {
    const rows = await this.#rows(`SELECT post_id, emoji, COUNT(*) AS n FROM channel_reactions WHERE channel_id = $1 AND post_id = ANY($2::text[])
      GROUP BY post_id, emoji ORDER BY post_id, emoji`, [channelId, [...postIds]]);
    return rows.map((r) => ({ postId: String(r['post_id']), emoji: String(r['emoji']), count: Number(r['n']) }));
  }

  async myReactions(channelId: string, userId: string, postIds: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.#rows('SELECT post_id, emoji FROM channel_reactions WHERE channel_id = $1 AND user_id = $2 AND post_id = ANY($3::text[])', [channelId, userId, [...postIds]]);
    return new Map(rows.map((r) => [String(r['post_id']), String(r['emoji'])]));
  }

  async addViews(channelId: string, postIds: readonly string[], bucket: number): Promise<void> {
    await addViewRows(this.#pool, CHANNEL_VIEWS, channelId, postIds, bucket);
  }

  async viewCounts(channelId: string, postIds: readonly string[]): Promise<Map<string, number>> {
    return viewSums(this.#pool, CHANNEL_VIEWS, channelId, postIds, String);
  }
}
