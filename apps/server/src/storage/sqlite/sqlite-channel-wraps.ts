import type Database from 'better-sqlite3';
import { ParleyError } from '@parley/protocol';
import { RELEASED_AT } from '../blob-storage.ts';
import {
  WRAPPED_INFO_MARK, type ChannelEpochRow, type ChannelWrapRow, type ChannelWrapStorage, type ChannelWrappedPostRow, type UnwrappedDeviceRow,
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

/**
 * R146: whether `epoch` holds a post (an entry not marked as info alone), reading the log back from
 * its newest entry, HOLDS_PAGE rows a page (HOLDS_SQL): an epoch's entries are the log's last ones
 * while it is current (a post under an older epoch is refused in the append's transaction), so this
 * reads that epoch's entries only. One page's verdict: true or false, or undefined to read the next.
 */
export function holdsPostIn(rows: readonly Row[], epoch: number): boolean | undefined {
  for (const r of rows) {
    if (Number(r['epoch']) < epoch) return false;
    if (Number(r['epoch']) === epoch && !String(r['body']).startsWith(WRAPPED_INFO_MARK)) return true;
  }
  return rows.length < HOLDS_PAGE ? false : undefined;
}
export const HOLDS_PAGE = 20;
export const HOLDS_SQL = 'SELECT seq, epoch, body FROM channel_wrapped_posts WHERE community_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?';

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
      if (last > 0 && !this.#holdsPost(e.communityId, last)) this.#q('DELETE FROM channel_epoch_wraps WHERE community_id = ? AND epoch = ?').run(e.communityId, last); // R146
      return true;
    }).immediate();
  }

  /** R146: whether the epoch holds a post (holdsPostIn), inside the epoch's transaction. */
  #holdsPost(communityId: string, epoch: number): boolean {
    for (let before = Number.MAX_SAFE_INTEGER; ;) {
      const rows = this.#q(HOLDS_SQL).all(communityId, before, HOLDS_PAGE) as Row[];
      const verdict = holdsPostIn(rows, epoch);
      if (verdict !== undefined) return verdict;
      before = Number(rows.at(-1)?.['seq']);
    }
  }

  async currentEpoch(communityId: string): Promise<ChannelEpochRow | undefined> {
    const r = this.#q('SELECT * FROM channel_epochs WHERE community_id = ? ORDER BY epoch DESC LIMIT 1').get(communityId) as Row | undefined;
    return r && toEpoch(r);
  }

  async putWraps(rows: readonly ChannelWrapRow[]): Promise<ChannelWrapRow[]> {
    const insert = this.#q(`INSERT INTO channel_epoch_wraps (community_id, epoch, user_id, device_id, wrapped, wrapped_by) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (community_id, epoch, device_id) DO NOTHING`);
    return this.#db.transaction(() => {
      // R172: checked in the transaction that stores: a revocation or removal stored before it refuses the batch.
      for (const w of rows) {
        const device = this.#q('SELECT user_id, revoked_at FROM devices WHERE device_id = ?').get(w.deviceId) as Row | undefined;
        if (!device || device['user_id'] !== w.userId || device['revoked_at'] !== null) throw new ParleyError('device_not_found', `no live device ${w.deviceId} of ${w.userId}`);
        if (!this.#q('SELECT 1 FROM community_members WHERE community_id = ? AND user_id = ?').get(w.communityId, w.userId)) throw new ParleyError('not_member', `${w.userId} does not subscribe to this channel`);
      }
      return rows.filter((w) => insert.run(w.communityId, w.epoch, w.userId, w.deviceId, w.wrapped, w.wrappedBy).changes > 0);
    }).immediate();
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

  async appendPost(p: Omit<ChannelWrappedPostRow, 'seq'>, refs?: { chatId: string; blobIds: readonly string[] }, fromSchedule?: string): Promise<ChannelWrappedPostRow & { repeated?: true }> {
    return this.#db.transaction((): ChannelWrappedPostRow & { repeated?: true } => {
      // R188: a scheduled post is published once: its row goes with this append, or nothing is appended.
      if (fromSchedule !== undefined && this.#q('DELETE FROM channel_wrapped_scheduled WHERE community_id = ? AND schedule_id = ? AND body = ?').run(p.communityId, fromSchedule, p.body).changes === 0) {
        throw new ParleyError('not_found', 'this scheduled post is published, cancelled or replaced');
      }
      // R162: a post whose first new file a post of this author in this channel references already is that post sent again (R178: its references at minus its seq).
      const first = refs?.blobIds[0];
      const prior = first === undefined ? undefined : this.#q(`SELECT p.* FROM blob_refs r JOIN channel_wrapped_posts p ON p.community_id = ? AND p.seq = -r.seq AND p.author_id = r.sender_user_id
        WHERE r.blob_id = ? AND r.chat_id = ? AND r.sender_user_id = ? ORDER BY p.seq LIMIT 1`).get(p.communityId, first, refs!.chatId, p.authorId) as Row | undefined;
      if (prior) return { ...toWrappedPost(prior), repeated: true };
      const newest = Number((this.#q('SELECT COALESCE(MAX(epoch), 0) AS n FROM channel_epochs WHERE community_id = ?').get(p.communityId) as Row)['n']);
      if (p.epoch !== newest) throw new ParleyError('channel_rekey_needed', `epoch ${p.epoch} is not the current one (${newest})`); // R146
      const seq = Number((this.#q('SELECT COALESCE(MAX(seq), 0) AS n FROM channel_wrapped_posts WHERE community_id = ?').get(p.communityId) as Row)['n']) + 1;
      this.#q('INSERT INTO channel_wrapped_posts (community_id, seq, epoch, author_id, author_device, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(p.communityId, seq, p.epoch, p.authorId, p.authorDevice, p.body, p.createdAt);
      for (const blobId of refs?.blobIds ?? []) {
        const blob = this.#q('SELECT completed_at FROM blobs WHERE blob_id = ?').get(blobId) as Row | undefined;
        if (!blob || blob['completed_at'] === RELEASED_AT) throw new ParleyError('blob_not_found', 'no such blob'); // R178: its post was deleted
        if (blob['completed_at'] === null) throw new ParleyError('blob_incomplete', 'the upload is not finished');
        // R178: at minus the post's seq, where no chat message's reference is: the post's deletion releases exactly these.
        this.#q('INSERT INTO blob_refs (chat_id, blob_id, sender_user_id, seq) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(refs!.chatId, blobId, p.authorId, -seq);
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
