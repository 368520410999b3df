import type Database from 'better-sqlite3';
import { ParleyError } from '@parley/protocol';
import type { ChannelAdminRow, ChannelMediaRow, ChannelPostRow, ChannelRow, ChannelStorage, ChannelSubscriptionRow } from '../channel-storage.ts';
import { statementCache } from './statement-cache.ts';
import { addViewRows, viewSums, type ViewCounterTable } from './sqlite-view-counters.ts';

/** R98: a public channel's view counters. */
export const CHANNEL_VIEWS: ViewCounterTable = { table: 'channel_views', scope: 'channel_id', item: 'post_id' };

type Row = Record<string, unknown>;

// Row ↔ domain for the channel tables; the column shapes are the same in both dialects.
export function toChannel(r: Row): ChannelRow {
  return {
    channelId: String(r['channel_id']), handle: String(r['handle']), title: String(r['title']), description: String(r['description']),
    ownerId: String(r['owner_id']), createdAt: Number(r['created_at']), lastSeq: Number(r['last_seq']), subscriberCount: Number(r['subscriber_count']),
    keyListVersion: Number(r['key_list_version']), keyList: String(r['key_list']), keyListSig: String(r['key_list_sig']),
    ...(r['head_signed'] != null ? { head: { seq: Number(r['head_seq']), signed: String(r['head_signed']), signature: String(r['head_sig']) } } : {}),
  };
}

export function toChannelAdmin(r: Row): ChannelAdminRow {
  return {
    channelId: String(r['channel_id']), userId: String(r['user_id']), role: r['role'] === 'owner' ? 'owner' : 'admin',
    publicKey: r['public_key'] == null ? null : String(r['public_key']), addedAt: Number(r['added_at']),
  };
}

export function toChannelPost(r: Row): ChannelPostRow {
  return {
    channelId: String(r['channel_id']), postId: String(r['post_id']), postSeq: Number(r['post_seq']), seq: Number(r['seq']), version: Number(r['version']),
    authorId: String(r['author_id']), deleted: Number(r['deleted']) === 1, signed: String(r['signed']), signature: String(r['signature']),
  };
}

export function toChannelSubscription(r: Row): ChannelSubscriptionRow {
  return { channelId: String(r['channel_id']), userId: String(r['user_id']), readSeq: Number(r['read_seq']), muted: Number(r['muted']) === 1, subscribedAt: Number(r['subscribed_at']) };
}

export const handleTaken = () => new ParleyError('handle_taken', 'another channel has this handle');
export const tooManyAdmins = (max: number) => new ParleyError('channel_limit', `a channel has at most ${max} admins`);
export const tooManySubscriptions = (max: number) => new ParleyError('channel_limit', `a person subscribes to at most ${max} channels`);

/** R110, the same in both dialects (placeholders: the channel, the blob): a complete blob a post of the channel names. */
export const MEDIA_SQL = (channel: string, blob: string): string => `SELECT m.mime, b.length FROM channel_media m JOIN blobs b ON b.blob_id = m.blob_id
  WHERE m.channel_id = ${channel} AND m.blob_id = ${blob} AND b.completed_at IS NOT NULL LIMIT 1`;

/** R111, both dialects (placeholders: the handle pattern, the title pattern, limit, offset); `\\` escapes LIKE's wildcards. */
export const SEARCH_SQL = (handle: string, title: string, limit: string, offset: string): string => `SELECT * FROM channels
  WHERE handle LIKE ${handle} ESCAPE '\\' OR lower(title) LIKE ${title} ESCAPE '\\'
  ORDER BY subscriber_count DESC, handle LIMIT ${limit} OFFSET ${offset}`;

/** R125, both dialects (placeholders: seq, signed, signature, channel, seq again, seq again): a head moves forward only, never past the log's end. */
export const HEAD_SQL = (seq: string, signed: string, sig: string, channel: string, seq2: string, seq3: string): string =>
  `UPDATE channels SET head_seq = ${seq}, head_signed = ${signed}, head_sig = ${sig} WHERE channel_id = ${channel} AND head_seq <= ${seq2} AND last_seq >= ${seq3}`;

/** A prefix for LIKE: its own `%`, `_` and `\` match only themselves. */
export const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** `?, ?, ?` for n values. */
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** Public channels (R95-R99) in the single node's SQLite database; writes that check then write are immediate transactions. */
export class SqliteChannels implements ChannelStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  async createChannel(c: ChannelRow, owner: ChannelAdminRow): Promise<void> {
    this.#db.transaction(() => {
      if (this.#q('SELECT 1 FROM channels WHERE handle = ?').get(c.handle)) throw handleTaken();
      this.#q(`INSERT INTO channels (channel_id, handle, title, description, owner_id, created_at, last_seq, subscriber_count, key_list_version, key_list, key_list_sig)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(c.channelId, c.handle, c.title, c.description, c.ownerId, c.createdAt, c.lastSeq, c.subscriberCount, c.keyListVersion, c.keyList, c.keyListSig);
      this.#putAdmin(owner);
    }).immediate();
  }

  #putAdmin(a: ChannelAdminRow): void {
    this.#q('INSERT INTO channel_admins (channel_id, user_id, role, public_key, added_at) VALUES (?, ?, ?, ?, ?)').run(a.channelId, a.userId, a.role, a.publicKey, a.addedAt);
  }

  async getChannel(channelId: string): Promise<ChannelRow | undefined> {
    const r = this.#q('SELECT * FROM channels WHERE channel_id = ?').get(channelId) as Row | undefined;
    return r && toChannel(r);
  }

  async getChannelByHandle(handle: string): Promise<ChannelRow | undefined> {
    const r = this.#q('SELECT * FROM channels WHERE handle = ?').get(handle) as Row | undefined;
    return r && toChannel(r);
  }

  async setKeyList(channelId: string, version: number, keyList: string, signature: string): Promise<boolean> {
    return this.#q('UPDATE channels SET key_list_version = ?, key_list = ?, key_list_sig = ? WHERE channel_id = ? AND key_list_version = ?')
      .run(version, keyList, signature, channelId, version - 1).changes > 0;
  }

  async setHead(channelId: string, seq: number, signed: string, signature: string): Promise<boolean> {
    return this.#q(HEAD_SQL('?', '?', '?', '?', '?', '?')).run(seq, signed, signature, channelId, seq, seq).changes > 0;
  }

  async getAdmin(channelId: string, userId: string): Promise<ChannelAdminRow | undefined> {
    const r = this.#q('SELECT * FROM channel_admins WHERE channel_id = ? AND user_id = ?').get(channelId, userId) as Row | undefined;
    return r && toChannelAdmin(r);
  }

  async listAdmins(channelId: string): Promise<ChannelAdminRow[]> {
    const rows = this.#q("SELECT * FROM channel_admins WHERE channel_id = ? ORDER BY role <> 'owner', added_at, user_id").all(channelId) as Row[];
    return rows.map(toChannelAdmin);
  }

  async addAdmin(a: ChannelAdminRow, maxAdmins: number): Promise<boolean> {
    return this.#db.transaction(() => {
      if (this.#q('SELECT 1 FROM channel_admins WHERE channel_id = ? AND user_id = ?').get(a.channelId, a.userId)) return false;
      const n = Number((this.#q('SELECT COUNT(*) AS n FROM channel_admins WHERE channel_id = ?').get(a.channelId) as Row)['n']);
      if (n >= maxAdmins) throw tooManyAdmins(maxAdmins);
      this.#putAdmin(a);
      return true;
    }).immediate();
  }

  async setAdminKey(channelId: string, userId: string, publicKey: string): Promise<boolean> {
    return this.#q('UPDATE channel_admins SET public_key = ? WHERE channel_id = ? AND user_id = ?').run(publicKey, channelId, userId).changes > 0;
  }

  async removeAdmin(channelId: string, userId: string): Promise<boolean> {
    return this.#q("DELETE FROM channel_admins WHERE channel_id = ? AND user_id = ? AND role <> 'owner'").run(channelId, userId).changes > 0;
  }

  async pendingAdminOf(userId: string, limit: number): Promise<ChannelAdminRow[]> {
    const rows = this.#q("SELECT * FROM channel_admins WHERE user_id = ? AND public_key IS NULL AND role <> 'owner' ORDER BY added_at, channel_id LIMIT ?").all(userId, limit) as Row[];
    return rows.map(toChannelAdmin);
  }

  async putPost(p: ChannelPostRow, media?: readonly ChannelMediaRow[]): Promise<'ok' | 'version' | { lastSeq: number }> {
    return this.#db.transaction((): 'ok' | 'version' | { lastSeq: number } => {
      const c = this.#q('SELECT last_seq FROM channels WHERE channel_id = ?').get(p.channelId) as Row | undefined;
      const lastSeq = Number(c?.['last_seq'] ?? 0);
      if (p.seq !== lastSeq + 1) return { lastSeq };
      const old = this.#q('SELECT version, post_seq FROM channel_posts WHERE channel_id = ? AND post_id = ?').get(p.channelId, p.postId) as Row | undefined;
      if (p.version === 1 ? old !== undefined : Number(old?.['version']) !== p.version - 1 || Number(old?.['post_seq']) !== p.postSeq) return 'version';
      this.#q(`INSERT INTO channel_posts (channel_id, post_id, post_seq, seq, version, author_id, deleted, signed, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (channel_id, post_id) DO UPDATE SET seq = excluded.seq, version = excluded.version, author_id = excluded.author_id,
          deleted = excluded.deleted, signed = excluded.signed, signature = excluded.signature`)
        .run(p.channelId, p.postId, p.postSeq, p.seq, p.version, p.authorId, p.deleted ? 1 : 0, p.signed, p.signature);
      this.#q('UPDATE channels SET last_seq = ? WHERE channel_id = ?').run(p.seq, p.channelId);
      if (p.deleted) { // R198: a deleted post's poll takes its votes with it
        this.#q('DELETE FROM channel_votes WHERE channel_id = ? AND seq = ?').run(p.channelId, p.postSeq);
        this.#q('DELETE FROM channel_vote_counts WHERE channel_id = ? AND seq = ?').run(p.channelId, p.postSeq);
      }
      if (media) {
        this.#q('DELETE FROM channel_media WHERE channel_id = ? AND post_id = ?').run(p.channelId, p.postId);
        for (const m of media) this.#q('INSERT OR IGNORE INTO channel_media (channel_id, post_id, blob_id, mime) VALUES (?, ?, ?, ?)').run(p.channelId, p.postId, m.blobId, m.mime);
      }
      return 'ok';
    }).immediate();
  }

  async postMedia(channelId: string, postId: string): Promise<ChannelMediaRow[]> {
    return (this.#q('SELECT blob_id, mime FROM channel_media WHERE channel_id = ? AND post_id = ? ORDER BY blob_id').all(channelId, postId) as Row[])
      .map((r) => ({ blobId: String(r['blob_id']), mime: String(r['mime']) }));
  }

  async getMedia(channelId: string, blobId: string): Promise<(ChannelMediaRow & { length: number }) | undefined> {
    const r = this.#q(MEDIA_SQL('?', '?')).get(channelId, blobId) as Row | undefined;
    return r && { blobId, mime: String(r['mime']), length: Number(r['length']) };
  }

  async searchChannels(prefix: string, opts: { offset: number; limit: number }): Promise<ChannelRow[]> {
    const like = `${likeEscape(prefix.toLowerCase())}%`;
    return (this.#q(SEARCH_SQL('?', '?', '?', '?')).all(like, like, opts.limit, opts.offset) as Row[]).map(toChannel);
  }

  async getPost(channelId: string, postId: string): Promise<ChannelPostRow | undefined> {
    const r = this.#q('SELECT * FROM channel_posts WHERE channel_id = ? AND post_id = ?').get(channelId, postId) as Row | undefined;
    return r && toChannelPost(r);
  }

  async listLog(channelId: string, afterSeq: number, limit: number): Promise<ChannelPostRow[]> {
    return (this.#q('SELECT * FROM channel_posts WHERE channel_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(channelId, afterSeq, limit) as Row[]).map(toChannelPost);
  }

  async listPosts(channelId: string, opts: { beforePostSeq?: number; limit: number; withDeleted: boolean }): Promise<ChannelPostRow[]> {
    const rows = this.#q(`SELECT * FROM channel_posts WHERE channel_id = ? AND post_seq < ? ${opts.withDeleted ? '' : 'AND deleted = 0'} ORDER BY post_seq DESC LIMIT ?`)
      .all(channelId, opts.beforePostSeq ?? Number.MAX_SAFE_INTEGER, opts.limit) as Row[];
    return rows.map(toChannelPost);
  }

  async subscribe(s: ChannelSubscriptionRow, maxPerUser: number): Promise<boolean> {
    return this.#db.transaction(() => {
      if (this.#q('SELECT 1 FROM channel_subscribers WHERE channel_id = ? AND user_id = ?').get(s.channelId, s.userId)) return false;
      const n = Number((this.#q('SELECT COUNT(*) AS n FROM channel_subscribers WHERE user_id = ?').get(s.userId) as Row)['n']);
      if (n >= maxPerUser) throw tooManySubscriptions(maxPerUser);
      this.#q('INSERT INTO channel_subscribers (channel_id, user_id, read_seq, muted, subscribed_at) VALUES (?, ?, ?, ?, ?)')
        .run(s.channelId, s.userId, s.readSeq, s.muted ? 1 : 0, s.subscribedAt);
      this.#q('UPDATE channels SET subscriber_count = subscriber_count + 1 WHERE channel_id = ?').run(s.channelId);
      return true;
    }).immediate();
  }

  async unsubscribe(channelId: string, userId: string): Promise<boolean> {
    return this.#db.transaction(() => {
      if (this.#q('DELETE FROM channel_subscribers WHERE channel_id = ? AND user_id = ?').run(channelId, userId).changes === 0) return false;
      this.#q('UPDATE channels SET subscriber_count = subscriber_count - 1 WHERE channel_id = ?').run(channelId);
      return true;
    }).immediate();
  }

  async getSubscription(channelId: string, userId: string): Promise<ChannelSubscriptionRow | undefined> {
    const r = this.#q('SELECT * FROM channel_subscribers WHERE channel_id = ? AND user_id = ?').get(channelId, userId) as Row | undefined;
    return r && toChannelSubscription(r);
  }

  async setMuted(channelId: string, userId: string, muted: boolean): Promise<boolean> {
    return this.#q('UPDATE channel_subscribers SET muted = ? WHERE channel_id = ? AND user_id = ?').run(muted ? 1 : 0, channelId, userId).changes > 0;
  }

  async setReadSeq(channelId: string, userId: string, upToSeq: number): Promise<void> {
    this.#q('UPDATE channel_subscribers SET read_seq = ? WHERE channel_id = ? AND user_id = ? AND read_seq < ?').run(upToSeq, channelId, userId, upToSeq);
  }

  async listSubscriptions(userId: string): Promise<ChannelSubscriptionRow[]> {
    return (this.#q('SELECT * FROM channel_subscribers WHERE user_id = ? ORDER BY subscribed_at, channel_id').all(userId) as Row[]).map(toChannelSubscription);
  }

  async countUnread(channelId: string, readSeq: number): Promise<number> {
    return Number((this.#q('SELECT COUNT(*) AS n FROM channel_posts WHERE channel_id = ? AND post_seq > ? AND deleted = 0').get(channelId, readSeq) as Row)['n']);
  }

  async setReaction(channelId: string, postId: string, userId: string, emoji: string | null): Promise<void> {
    if (emoji === null) this.#q('DELETE FROM channel_reactions WHERE channel_id = ? AND post_id = ? AND user_id = ?').run(channelId, postId, userId);
    else {
      this.#q(`INSERT INTO channel_reactions (channel_id, post_id, user_id, emoji) VALUES (?, ?, ?, ?)
        ON CONFLICT (channel_id, post_id, user_id) DO UPDATE SET emoji = excluded.emoji`).run(channelId, postId, userId, emoji);
    }
  }

  async reactionCounts(channelId: string, postIds: readonly string[]): Promise<Array<{ postId: string; emoji: string; count: number }>> {
    if (postIds.length === 0) return [];
    const rows = this.#db.prepare(`SELECT post_id, emoji, COUNT(*) AS n FROM channel_reactions WHERE channel_id = ? AND post_id IN (${marks(postIds.length)})
      GROUP BY post_id, emoji ORDER BY post_id, emoji`).all(channelId, ...postIds) as Row[];
    return rows.map((r) => ({ postId: String(r['post_id']), emoji: String(r['emoji']), count: Number(r['n']) }));
  }

  async myReactions(channelId: string, userId: string, postIds: readonly string[]): Promise<Map<string, string>> {
    if (postIds.length === 0) return new Map();
    const rows = this.#db.prepare(`SELECT post_id, emoji FROM channel_reactions WHERE channel_id = ? AND user_id = ? AND post_id IN (${marks(postIds.length)})`)
      .all(channelId, userId, ...postIds) as Row[];
    return new Map(rows.map((r) => [String(r['post_id']), String(r['emoji'])]));
  }

  async addViews(channelId: string, postIds: readonly string[], bucket: number): Promise<void> {
    this.#db.transaction(() => addViewRows(this.#q, CHANNEL_VIEWS, channelId, postIds, bucket)).immediate();
  }

  async viewCounts(channelId: string, postIds: readonly string[]): Promise<Map<string, number>> {
    return viewSums(this.#db, CHANNEL_VIEWS, channelId, postIds, String);
  }
}
