import type Database from 'better-sqlite3';
import { ParleyError } from '@parley/protocol';
import type {
  ChannelEpochRow, ChannelWrapRow, ChannelWrapStorage, ChannelWrappedPostRow, UnwrappedDeviceRow,
} from '../channel-wrap-storage.ts';
import { statementCache } from './statement-cache.ts';

type Row = Record<string, unknown>;

// Row ↔ domain; the column shapes are the same in both dialects.
export const toEpoch = (r: Row): ChannelEpochRow => ({
  communityId: String(r['community_id']), epoch: Number(r['epoch']), createdBy: String(r['created_by']), createdAt: Number(r['created_at']),
});
export const toWrap = (r: Row): ChannelWrapRow => ({
  communityId: String(r['community_id']), epoch: Number(r['epoch']), userId: String(r['user_id']), deviceId: String(r['device_id']),
  wrapped: String(r['wrapped']), wrappedBy: String(r['wrapped_by']),
});
export const toWrappedPost = (r: Row): ChannelWrappedPostRow => ({
  communityId: String(r['community_id']), seq: Number(r['seq']), epoch: Number(r['epoch']), authorId: String(r['author_id']),
  authorDevice: String(r['author_device']), body: String(r['body']), createdAt: Number(r['created_at']),
});
export const toUnwrapped = (r: Row): UnwrappedDeviceRow => ({
  userId: String(r['user_id']), deviceId: String(r['device_id']), mlsSignatureKey: String(r['mls_signature_key']),
});

/**
 * Members' live devices with a published key and no wrap of the epoch, in (user, device) order after
 * the cursor device (params in `unwrappedParams` order). The page's members
 * are taken first from the members' primary key (at most `limit`, each with a device to wrap), and only
 * their devices sorted, so a page costs its own rows: sorting all the members left per page (the first
 * form) made a 100,000-device rekey quadratic, 1.3-1.4 ms per device on the server.
 */
export const UNWRAPPED_SQL = `WITH page AS (SELECT m.community_id, m.user_id FROM community_members m
    WHERE m.community_id = ? AND m.user_id >= COALESCE((SELECT user_id FROM devices WHERE device_id = ?), '')
      AND EXISTS (SELECT 1 FROM devices d JOIN key_log k ON k.device_id = d.device_id AND k.kind = 'add'
        WHERE d.user_id = m.user_id AND d.revoked_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM channel_epoch_wraps w WHERE w.community_id = m.community_id AND w.epoch = ? AND w.device_id = d.device_id))
    ORDER BY m.user_id LIMIT ?)
  SELECT d.user_id, d.device_id, k.mls_signature_key FROM page p
  JOIN devices d ON d.user_id = p.user_id AND d.revoked_at IS NULL
  JOIN key_log k ON k.device_id = d.device_id AND k.kind = 'add'
  WHERE (p.user_id > COALESCE((SELECT user_id FROM devices WHERE device_id = ?), '') OR d.device_id > ?)
    AND NOT EXISTS (SELECT 1 FROM channel_epoch_wraps w WHERE w.community_id = p.community_id AND w.epoch = ? AND w.device_id = d.device_id)
  ORDER BY p.user_id, d.device_id LIMIT ?`;

/** The parameters of UNWRAPPED_SQL; the page takes one member more, as the cursor's own member may have nothing left. */
export const unwrappedParams = (communityId: string, epoch: number, after: string, limit: number) => [communityId, after, epoch, limit + 1, after, after, epoch, limit];

/** R141-R142 in the single node's SQLite database. */
export class SqliteChannelWraps implements ChannelWrapStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  async createEpoch(e: ChannelEpochRow): Promise<boolean> {
    return this.#db.transaction(() => {
      const last = Number((this.#q('SELECT COALESCE(MAX(epoch), 0) AS n FROM channel_epochs WHERE community_id = ?').get(e.communityId) as Row)['n']);
      if (e.epoch !== last + 1) return false;
      this.#q('INSERT INTO channel_epochs (community_id, epoch, created_by, created_at) VALUES (?, ?, ?, ?)').run(e.communityId, e.epoch, e.createdBy, e.createdAt);
      return true;
    }).immediate();
  }

  async currentEpoch(communityId: string): Promise<ChannelEpochRow | undefined> {
    const r = this.#q('SELECT * FROM channel_epochs WHERE community_id = ? ORDER BY epoch DESC LIMIT 1').get(communityId) as Row | undefined;
    return r && toEpoch(r);
  }

  async putWraps(rows: readonly ChannelWrapRow[]): Promise<ChannelWrapRow[]> {
    const insert = this.#q(`INSERT INTO channel_epoch_wraps (community_id, epoch, user_id, device_id, wrapped, wrapped_by) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (community_id, epoch, device_id) DO NOTHING`);
    return this.#db.transaction(() => rows.filter((w) => insert.run(w.communityId, w.epoch, w.userId, w.deviceId, w.wrapped, w.wrappedBy).changes > 0)).immediate();
  }

  async deleteWraps(communityId: string, deviceIds: readonly string[]): Promise<number> {
    const del = this.#q('DELETE FROM channel_epoch_wraps WHERE community_id = ? AND device_id = ?');
    return this.#db.transaction(() => deviceIds.reduce((n, d) => n + del.run(communityId, d).changes, 0)).immediate();
  }

  async listWrapsForDevice(communityId: string, deviceId: string, afterEpoch: number, limit: number): Promise<ChannelWrapRow[]> {
    return (this.#q('SELECT * FROM channel_epoch_wraps WHERE community_id = ? AND device_id = ? AND epoch > ? ORDER BY epoch LIMIT ?')
      .all(communityId, deviceId, afterEpoch, limit) as Row[]).map(toWrap);
  }

  async listUnwrapped(communityId: string, epoch: number, afterDeviceId: string, limit: number): Promise<UnwrappedDeviceRow[]> {
    return (this.#q(UNWRAPPED_SQL).all(...unwrappedParams(communityId, epoch, afterDeviceId, limit)) as Row[]).map(toUnwrapped);
  }

  async appendPost(p: Omit<ChannelWrappedPostRow, 'seq'>, refs?: { chatId: string; blobIds: readonly string[] }): Promise<ChannelWrappedPostRow> {
    return this.#db.transaction(() => {
      const seq = Number((this.#q('SELECT COALESCE(MAX(seq), 0) AS n FROM channel_wrapped_posts WHERE community_id = ?').get(p.communityId) as Row)['n']) + 1;
      this.#q('INSERT INTO channel_wrapped_posts (community_id, seq, epoch, author_id, author_device, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(p.communityId, seq, p.epoch, p.authorId, p.authorDevice, p.body, p.createdAt);
      for (const blobId of refs?.blobIds ?? []) {
        const blob = this.#q('SELECT completed_at FROM blobs WHERE blob_id = ?').get(blobId) as Row | undefined;
        if (!blob) throw new ParleyError('blob_not_found', 'no such blob');
        if (blob['completed_at'] === null) throw new ParleyError('blob_incomplete', 'the upload is not finished');
        this.#q('INSERT INTO blob_refs (chat_id, blob_id, sender_user_id, seq) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(refs!.chatId, blobId, p.authorId, seq);
      }
      return { ...p, seq };
    }).immediate();
  }

  async latestPost(communityId: string): Promise<ChannelWrappedPostRow | undefined> {
    const r = this.#q('SELECT * FROM channel_wrapped_posts WHERE community_id = ? ORDER BY seq DESC LIMIT 1').get(communityId) as Row | undefined;
    return r && toWrappedPost(r);
  }

  async listPosts(communityId: string, afterSeq: number, limit: number): Promise<ChannelWrappedPostRow[]> {
    return (this.#q('SELECT * FROM channel_wrapped_posts WHERE community_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(communityId, afterSeq, limit) as Row[]).map(toWrappedPost);
  }

  async markRemoval(communityId: string, at: number): Promise<void> {
    this.#q(`INSERT INTO channel_wrapped_state (community_id, removed_at) VALUES (?, ?)
      ON CONFLICT (community_id) DO UPDATE SET removed_at = MAX(channel_wrapped_state.removed_at, excluded.removed_at)`).run(communityId, at);
  }

  async lastRemovalAt(communityId: string): Promise<number | undefined> {
    const r = this.#q('SELECT removed_at FROM channel_wrapped_state WHERE community_id = ?').get(communityId) as Row | undefined;
    return r && Number(r['removed_at']);
  }
}
