import type pg from 'pg';
import { ParleyError } from '@parley/protocol';
import { RELEASED_AT } from '../blob-storage.ts';
import type {
  ChannelEpochRow, ChannelWrapRow, ChannelWrapStorage, ChannelWrappedPostRow, UnwrappedDeviceRow,
} from '../channel-wrap-storage.ts';
import { HOLDS_PAGE, HOLDS_SQL, UNWRAPPED_SQL, holdsPostIn, toEpoch, unwrappedParams, toUnwrapped, toWrap, toWrappedPost } from '../sqlite/sqlite-channel-wraps.ts';
import { inTransaction } from './transaction.ts';

type Row = Record<string, unknown>;
const numbered = (sql: string) => { let i = 0; return sql.replace(/\?/g, () => `$${++i}`); };

/** R141-R142 in the cluster's PostgreSQL database; epochs and seqs are serialised on the community's row lock. */
export class PostgresChannelWraps implements ChannelWrapStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async #rows(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(sql, params)).rows;
  }

  async createEpoch(e: ChannelEpochRow): Promise<boolean> {
    return inTransaction(this.#pool, async (db) => {
      await db.query('SELECT 1 FROM communities WHERE community_id = $1 FOR UPDATE', [e.communityId]);
      const last = Number((await db.query<Row>('SELECT COALESCE(MAX(epoch), 0) AS n FROM channel_epochs WHERE community_id = $1', [e.communityId])).rows[0]?.['n']);
      if (e.epoch !== last + 1) return false;
      await db.query('INSERT INTO channel_epochs (community_id, epoch, created_by, created_at) VALUES ($1, $2, $3, $4)', [e.communityId, e.epoch, e.createdBy, e.createdAt]);
      if (last === 0) return true;
      // R146: the superseded epoch's wraps go when it holds no post (appends wait on the same row lock).
      for (let before = Number.MAX_SAFE_INTEGER; ;) {
        const rows = (await db.query<Row>(numbered(HOLDS_SQL), [e.communityId, before, HOLDS_PAGE])).rows;
        const verdict = holdsPostIn(rows, last);
        if (verdict === false) await db.query('DELETE FROM channel_epoch_wraps WHERE community_id = $1 AND epoch = $2', [e.communityId, last]);
        if (verdict !== undefined) return true;
        before = Number(rows.at(-1)?.['seq']);
      }
    });
  }

  async currentEpoch(communityId: string): Promise<ChannelEpochRow | undefined> {
    const r = (await this.#rows('SELECT * FROM channel_epochs WHERE community_id = $1 ORDER BY epoch DESC LIMIT 1', [communityId]))[0];
    return r && toEpoch(r);
  }

  async putWraps(rows: readonly ChannelWrapRow[]): Promise<ChannelWrapRow[]> {
    if (rows.length === 0) return [];
    return inTransaction(this.#pool, async (db) => {
      // R172: the device and member rows are held (FOR SHARE) until this commits: a revocation's UPDATE or a
      // removal's DELETE waits for it (and then finds the wrap), or came first and is seen here (the batch refused).
      const deviceIds = [...new Set(rows.map((w) => w.deviceId))].sort();
      const devices = new Map((await db.query<Row>('SELECT device_id, user_id, revoked_at FROM devices WHERE device_id = ANY($1::text[]) ORDER BY device_id FOR SHARE', [deviceIds])).rows
        .map((d) => [String(d['device_id']), d]));
      for (const w of rows) {
        const d = devices.get(w.deviceId);
        if (!d || d['user_id'] !== w.userId || d['revoked_at'] !== null) throw new ParleyError('device_not_found', `no live device ${w.deviceId} of ${w.userId}`);
      }
      const communityId = rows[0]!.communityId;
      const userIds = [...new Set(rows.map((w) => w.userId))].sort();
      const members = new Set((await db.query<Row>('SELECT user_id FROM community_members WHERE community_id = $1 AND user_id = ANY($2::text[]) ORDER BY user_id FOR SHARE', [communityId, userIds])).rows
        .map((m) => String(m['user_id'])));
      for (const w of rows) if (w.communityId !== communityId || !members.has(w.userId)) throw new ParleyError('not_member', `${w.userId} does not subscribe to this channel`);
      return this.#insertWraps(db, rows);
    });
  }

  async #insertWraps(db: pg.PoolClient, rows: readonly ChannelWrapRow[]): Promise<ChannelWrapRow[]> {
    const cols = ['community_id', 'epoch', 'user_id', 'device_id', 'wrapped', 'wrapped_by'] as const;
    const values = rows.map((_, i) => `(${cols.map((__, j) => `$${i * cols.length + j + 1}`).join(', ')})`).join(', ');
    const stored = await db.query<Row>(`INSERT INTO channel_epoch_wraps (${cols.join(', ')}) VALUES ${values} ON CONFLICT (community_id, epoch, device_id) DO NOTHING RETURNING device_id`,
      rows.flatMap((w) => [w.communityId, w.epoch, w.userId, w.deviceId, w.wrapped, w.wrappedBy]));
    const devices = new Set(stored.rows.map((r) => String(r['device_id'])));
    return rows.filter((w) => devices.delete(w.deviceId)); // a device named twice in the batch: its first row, as SQLite keeps it
  }

  async listWrapsForDevice(communityId: string, deviceId: string, afterEpoch: number, limit: number): Promise<ChannelWrapRow[]> {
    return (await this.#rows('SELECT * FROM channel_epoch_wraps WHERE community_id = $1 AND device_id = $2 AND epoch > $3 ORDER BY epoch LIMIT $4',
      [communityId, deviceId, afterEpoch, limit])).map(toWrap);
  }

  async listUnwrapped(communityId: string, epoch: number, afterDeviceId: string, limit: number): Promise<UnwrappedDeviceRow[]> {
    return (await this.#rows(numbered(UNWRAPPED_SQL), unwrappedParams(communityId, epoch, afterDeviceId, limit))).map(toUnwrapped);
  }

  async appendPost(p: Omit<ChannelWrappedPostRow, 'seq'>, refs?: { chatId: string; blobIds: readonly string[] }, fromSchedule?: string): Promise<ChannelWrappedPostRow & { repeated?: true }> {
    return inTransaction(this.#pool, async (db): Promise<ChannelWrappedPostRow & { repeated?: true }> => {
      await db.query('SELECT 1 FROM communities WHERE community_id = $1 FOR UPDATE', [p.communityId]);
      // R188: a scheduled post is published once: its row goes with this append, or nothing is appended.
      if (fromSchedule !== undefined && ((await db.query('DELETE FROM channel_wrapped_scheduled WHERE community_id = $1 AND schedule_id = $2 AND body = $3', [p.communityId, fromSchedule, p.body])).rowCount ?? 0) === 0) {
        throw new ParleyError('not_found', 'this scheduled post is published, cancelled or replaced');
      }
      // R162: a post whose first new file a post of this author in this channel references already is that post sent again (R178: its references at minus its seq).
      const first = refs?.blobIds[0];
      const prior = first === undefined ? undefined : (await db.query<Row>(`SELECT p.* FROM blob_refs r JOIN channel_wrapped_posts p ON p.community_id = $1 AND p.seq = -r.seq AND p.author_id = r.sender_user_id
        WHERE r.blob_id = $2 AND r.chat_id = $3 AND r.sender_user_id = $4 ORDER BY p.seq LIMIT 1`, [p.communityId, first, refs!.chatId, p.authorId])).rows[0];
      if (prior) return { ...toWrappedPost(prior), repeated: true };
      const newest = Number((await db.query<Row>('SELECT COALESCE(MAX(epoch), 0) AS n FROM channel_epochs WHERE community_id = $1', [p.communityId])).rows[0]?.['n']);
      if (p.epoch !== newest) throw new ParleyError('channel_rekey_needed', `epoch ${p.epoch} is not the current one (${newest})`); // R146
      const seq = Number((await db.query<Row>('SELECT COALESCE(MAX(seq), 0) AS n FROM channel_wrapped_posts WHERE community_id = $1', [p.communityId])).rows[0]?.['n']) + 1;
      await db.query('INSERT INTO channel_wrapped_posts (community_id, seq, epoch, author_id, author_device, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [p.communityId, seq, p.epoch, p.authorId, p.authorDevice, p.body, p.createdAt]);
      if (refs && refs.blobIds.length > 0) {
        // As a chat message's references (R54): locked (FOR KEY SHARE) so a sweep can't delete them before this commits.
        const found = await db.query<Row>('SELECT blob_id, completed_at FROM blobs WHERE blob_id = ANY($1::text[]) ORDER BY blob_id FOR KEY SHARE', [[...refs.blobIds]]);
        // R178: a file whose post was deleted is gone (RELEASED_AT), as if swept already.
        const complete = new Map(found.rows.filter((b) => b['completed_at'] === null || Number(b['completed_at']) !== RELEASED_AT).map((b) => [b['blob_id'] as string, b['completed_at'] !== null]));
        for (const blobId of refs.blobIds) {
          if (!complete.has(blobId)) throw new ParleyError('blob_not_found', 'no such blob');
          if (!complete.get(blobId)) throw new ParleyError('blob_incomplete', 'the upload is not finished');
        }
        // R178: at minus the post's seq, where no chat message's reference is: the post's deletion releases exactly these.
        await db.query(`INSERT INTO blob_refs (chat_id, blob_id, sender_user_id, seq) SELECT $1, b, $2, $3 FROM unnest($4::text[]) AS b
          ON CONFLICT DO NOTHING`, [refs.chatId, p.authorId, -seq, [...refs.blobIds]]);
      }
      return { ...p, seq };
    });
  }

  async deleteWraps(communityId: string, deviceIds: readonly string[]): Promise<number> {
    if (deviceIds.length === 0) return 0;
    return (await this.#pool.query('DELETE FROM channel_epoch_wraps WHERE community_id = $1 AND device_id = ANY($2::text[])', [communityId, [...deviceIds]])).rowCount ?? 0;
  }

  async latestPost(communityId: string): Promise<ChannelWrappedPostRow | undefined> {
    const r = (await this.#rows('SELECT * FROM channel_wrapped_posts WHERE community_id = $1 ORDER BY seq DESC LIMIT 1', [communityId]))[0];
    return r && toWrappedPost(r);
  }

  async listPosts(communityId: string, afterSeq: number, limit: number): Promise<ChannelWrappedPostRow[]> {
    return (await this.#rows('SELECT * FROM channel_wrapped_posts WHERE community_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [communityId, afterSeq, limit])).map(toWrappedPost);
  }

  async markRemoval(communityId: string, at: number): Promise<void> {
    await this.#pool.query(`INSERT INTO channel_wrapped_state (community_id, removed_at) VALUES ($1, $2)
      ON CONFLICT (community_id) DO UPDATE SET removed_at = GREATEST(channel_wrapped_state.removed_at, EXCLUDED.removed_at)`, [communityId, at]);
  }

  async lastRemovalAt(communityId: string): Promise<number | undefined> {
    const r = (await this.#rows('SELECT removed_at FROM channel_wrapped_state WHERE community_id = $1', [communityId]))[0];
    return r && Number(r['removed_at']);
  }
}
