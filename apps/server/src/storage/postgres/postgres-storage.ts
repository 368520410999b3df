import pg from 'pg';
import { inTransaction } from './transaction.ts';
import { ParleyError, assertNever, type Message } from '@parley/protocol';
import { loadMigrations, type Migration } from '../migrate.ts';
import type {
  AppendRequest, AppendResult, BlobRefChange, ChatMutation, ChatPage, ChatRequestRow, ChatRow, DeviceKeyRow, DeviceRow, EpochConflict, HistoryQuery, InviteRow, KeyPackageRow, ScheduledClaim,
  KeyPackageUpload, KeyLogPage, MemberRow, MlsGroupStateRow, NextGroupState, PasskeyRow, PublishKeyRequest, PushSubscriptionRow, ReportRow, SessionRow, Storage, UserRow,
} from '../storage.ts';
// The row shapes are the same in both dialects (snake_case, numbers, Buffers, JSON as TEXT).
import {
  toChat, toDevice, toMember, toMessage, toPasskey, toPush, toUser, type MessageRecord,
} from '../sqlite/rows.ts';
import * as keyLog from './postgres-key-log.ts';
import * as keyPackages from './postgres-key-packages.ts';
import * as requests from './postgres-requests.ts';
import * as invites from './postgres-invites.ts';
import * as mlsGroups from './postgres-mls-groups.ts';
import { migratePostgres } from './postgres-migrate.ts';

/** A pg row before mapping: the one place where column values are untyped. */
type Row = Record<string, unknown>;
/** Something to run a query on: the pool (autocommit) or a client inside a transaction. */
type Queryable = pg.Pool | pg.PoolClient;

export interface PostgresStorageOptions {
  /** Stamps `schema_migrations.applied_at`; defaults to the system clock. */
  clock?: { now(): number };
  /** The migrations to bring the database to; defaults to `migrations/postgres/`. Tests pass a prefix. */
  migrations?: readonly Migration[];
  /** Connections in this node's pool (pg's default is 10). */
  poolSize?: number;
  /** Told of an idle pooled connection that failed (e.g. the server restarted); defaults to stderr. */
  onPoolError?: (err: Error) => void;
}

/**
 * BIGINT columns (times, seqs, counters) and COUNT(*) come back as JS numbers, not strings. Set on
 * this pool only, so other pg users in the process keep pg's defaults. Values stay far below 2^53.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: (id, format) => (id === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(id, format)),
};

const UNIQUE_VIOLATION = '23505';

/**
 * The storage of a cluster: N server nodes share one PostgreSQL database. Every write that must be
 * atomic runs in a transaction on one pooled connection; a method resolves after COMMIT, which
 * (with the default synchronous_commit=on) means the WAL record is flushed (R2). Appends to a chat
 * are serialised across nodes by a row lock on the chat, which is what makes its seqs gap-free (R3).
 */
export class PostgresStorage implements Storage {
  readonly pool: pg.Pool;
  /** Versions of the migrations this open applied (empty when another node or an earlier open did). */
  readonly appliedMigrations: readonly number[];
  #closed = false;

  private constructor(pool: pg.Pool, appliedMigrations: readonly number[]) {
    this.pool = pool;
    this.appliedMigrations = appliedMigrations;
  }

  /** Connects to the database at `url` (postgres://…) and migrates it. */
  static async open(url: string, opts: PostgresStorageOptions = {}): Promise<PostgresStorage> {
    const pool = new pg.Pool({ connectionString: url, types, ...(opts.poolSize !== undefined ? { max: opts.poolSize } : {}) });
    // An idle client losing its connection must not crash the process (an unhandled 'error' event
    // would); the pool drops that client and connects a new one when next needed.
    pool.on('error', opts.onPoolError ?? ((err) => console.error('postgres pool: idle connection failed', err)));
    try {
      const clock = opts.clock ?? { now: () => Date.now() };
      const applied = await migratePostgres(pool, opts.migrations ?? loadMigrations('postgres'), () => clock.now());
      return new PostgresStorage(pool, applied);
    } catch (err) {
      await pool.end();
      throw err;
    }
  }

  #tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }

  async #one(sql: string, params: unknown[], on: Queryable = this.pool): Promise<Row | undefined> {
    return (await on.query<Row>(sql, params)).rows[0];
  }

  async #all(sql: string, params: unknown[], on: Queryable = this.pool): Promise<Row[]> {
    return (await on.query<Row>(sql, params)).rows;
  }

  // --- users, devices, sessions, passkeys ----------------------------------------------------

  async createUser(user: UserRow, device: DeviceRow): Promise<void> {
    try {
      await this.#tx(async (c) => {
        await c.query('INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash) VALUES ($1, $2, $3, $4, $5)',
          [user.userId, user.handle, user.displayName, user.createdAt, user.recoveryHash]);
        await this.#insertDevice(c, device);
      });
    } catch (err) {
      if (err instanceof pg.DatabaseError && err.code === UNIQUE_VIOLATION && err.constraint === 'users_handle_unique') {
        throw new ParleyError('handle_taken', 'this handle is taken');
      }
      throw err;
    }
  }

  async getUser(userId: string) {
    const r = await this.#one('SELECT * FROM users WHERE user_id = $1', [userId]);
    return r && toUser(r);
  }

  async getUserByHandle(handle: string) {
    const r = await this.#one('SELECT * FROM users WHERE handle = $1', [handle]);
    return r && toUser(r);
  }

  async getUsers(userIds: readonly string[]) {
    if (userIds.length === 0) return [];
    return (await this.#all('SELECT * FROM users WHERE user_id = ANY($1::text[])', [userIds])).map(toUser);
  }

  async setRecoveryHash(userId: string, recoveryHash: string) {
    await this.pool.query('UPDATE users SET recovery_hash = $1 WHERE user_id = $2', [recoveryHash, userId]);
  }

  async #insertDevice(on: Queryable, d: DeviceRow): Promise<void> {
    await on.query('INSERT INTO devices (device_id, user_id, name, public_key, created_at, last_seen_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [d.deviceId, d.userId, d.name, d.publicKey, d.createdAt, d.lastSeenAt, d.revokedAt]);
  }

  async addDevice(device: DeviceRow) {
    await this.#insertDevice(this.pool, device);
  }

  async getDevice(deviceId: string) {
    const r = await this.#one('SELECT * FROM devices WHERE device_id = $1', [deviceId]);
    return r && toDevice(r);
  }

  async listDevices(userId: string) {
    // device_id breaks ties so the order is the same on every node (SQLite's rowid order has no equivalent).
    return (await this.#all('SELECT * FROM devices WHERE user_id = $1 ORDER BY created_at, device_id', [userId])).map(toDevice);
  }

  async revokeDevice(deviceId: string, at: number) {
    await this.#tx(async (c) => {
      await keyLog.lockForRevoke(c, deviceId);
      await c.query('UPDATE devices SET revoked_at = $1 WHERE device_id = $2 AND revoked_at IS NULL', [at, deviceId]);
      await c.query('DELETE FROM sessions WHERE device_id = $1', [deviceId]);
      await c.query('DELETE FROM push_subscriptions WHERE device_id = $1', [deviceId]);
      await c.query('DELETE FROM call_ring_devices WHERE device_id = $1', [deviceId]);
      await c.query('DELETE FROM key_packages WHERE device_id = $1', [deviceId]);
      await keyLog.appendRevoke(c, deviceId, at);
    });
  }

  async touchDevice(deviceId: string, at: number) {
    await this.pool.query('UPDATE devices SET last_seen_at = $1 WHERE device_id = $2', [at, deviceId]);
  }

  async createSession(s: SessionRow) {
    await this.pool.query('INSERT INTO sessions (token_hash, device_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
      [s.tokenHash, s.deviceId, s.userId, s.createdAt, s.expiresAt]);
  }

  async getSession(tokenHash: string): Promise<SessionRow | undefined> {
    const r = await this.#one('SELECT * FROM sessions WHERE token_hash = $1', [tokenHash]);
    if (!r) return undefined;
    return {
      tokenHash: r['token_hash'] as string, deviceId: r['device_id'] as string, userId: r['user_id'] as string,
      createdAt: r['created_at'] as number, expiresAt: r['expires_at'] as number,
    };
  }

  async addPasskey(p: PasskeyRow) {
    await this.pool.query('INSERT INTO passkeys (credential_id, user_id, public_key, counter, transports, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [p.credentialId, p.userId, Buffer.from(p.publicKey), p.counter, JSON.stringify(p.transports), p.createdAt]);
  }

  async getPasskey(credentialId: string) {
    const r = await this.#one('SELECT * FROM passkeys WHERE credential_id = $1', [credentialId]);
    return r && toPasskey(r);
  }

  async updatePasskeyCounter(credentialId: string, counter: number) {
    await this.pool.query('UPDATE passkeys SET counter = $1 WHERE credential_id = $2', [counter, credentialId]);
  }

  // --- chats and membership ------------------------------------------------------------------

  async createChat(chat: ChatRow, members: MemberRow[], first: AppendRequest): Promise<Message> {
    if (first.chatId !== chat.chatId) throw new Error(`createChat: first entry for chat ${first.chatId}, chat is ${chat.chatId}`);
    return this.#tx(async (c) => {
      await c.query('INSERT INTO chats (chat_id, kind, name, color, created_at, last_seq, direct_key) VALUES ($1, $2, $3, $4, $5, 0, $6)',
        [chat.chatId, chat.kind, chat.name, chat.color, chat.createdAt, chat.directKey]);
      for (const m of members) await this.#insertMember(c, { ...m, chatId: chat.chatId });
      const [result] = await this.#append(c, [first]);
      if (!result) throw new Error('createChat: the first entry was not appended');
      return result.message;
    });
  }

  async getChat(chatId: string) {
    const r = await this.#one('SELECT * FROM chats WHERE chat_id = $1', [chatId]);
    return r && toChat(r);
  }

  async getDirectChat(directKey: string) {
    const r = await this.#one('SELECT * FROM chats WHERE direct_key = $1', [directKey]);
    return r && toChat(r);
  }

  async listChatsForUser(userId: string, page?: ChatPage) {
    const rows = page
      ? await this.#all('SELECT c.* FROM members m JOIN chats c ON c.chat_id = m.chat_id WHERE m.user_id = $1 AND m.chat_id > $2 ORDER BY m.chat_id LIMIT $3', [userId, page.afterChatId ?? '', page.limit])
      : await this.#all('SELECT c.* FROM chats c JOIN members m ON m.chat_id = c.chat_id WHERE m.user_id = $1 ORDER BY c.created_at, c.chat_id', [userId]);
    return rows.map(toChat);
  }

  async getMembers(chatId: string) {
    return (await this.#all('SELECT * FROM members WHERE chat_id = $1 ORDER BY joined_at, user_id', [chatId])).map(toMember);
  }

  async getMember(chatId: string, userId: string) {
    const r = await this.#one('SELECT * FROM members WHERE chat_id = $1 AND user_id = $2', [chatId, userId]);
    return r && toMember(r);
  }

  async #insertMember(on: Queryable, m: MemberRow): Promise<void> {
    await invites.insertMember(on, m);
  }

  async applyChatChange(chatId: string, mutation: ChatMutation, event: AppendRequest): Promise<Message> {
    return this.#tx(async (c) => {
      // Lock the chat first: the change and its log entry are ordered with every other append to it.
      if (!(await this.#one('SELECT 1 FROM chats WHERE chat_id = $1 FOR UPDATE', [chatId], c))) throw new ParleyError('chat_not_found', 'no such chat');
      if (event.chatId !== chatId) throw new Error(`applyChatChange: event for chat ${event.chatId}, change for ${chatId}`);
      switch (mutation.kind) {
        case 'add_member':
          if (mutation.invite) await invites.useInvite(c, chatId, mutation.invite.token);
          await this.#insertMember(c, { ...mutation.member, chatId });
          break;
        case 'remove_member':
          await c.query('DELETE FROM members WHERE chat_id = $1 AND user_id = $2', [chatId, mutation.userId]);
          if (mutation.removal) await invites.recordRemoval(c, chatId, mutation.userId, mutation.removal.by, mutation.removal.at);
          break;
        case 'set_role':
          await invites.setRole(c, chatId, mutation.userId, mutation.role, mutation.at);
          break;
        case 'update_chat':
          if (mutation.name !== undefined) await c.query('UPDATE chats SET name = $1 WHERE chat_id = $2', [mutation.name, chatId]);
          if (mutation.color !== undefined) await c.query('UPDATE chats SET color = $1 WHERE chat_id = $2', [mutation.color, chatId]);
          break;
        default:
          assertNever(mutation, 'chat mutation');
      }
      const [result] = await this.#append(c, [event]);
      if (!result) throw new Error('applyChatChange: the event was not appended');
      return result.message;
    });
  }

  async updateReceipt(chatId: string, userId: string, kind: 'delivered' | 'read', upToSeq: number) {
    const column = kind === 'read' ? 'read_seq' : 'delivered_seq';
    const result = await this.pool.query(`UPDATE members SET ${column} = $1 WHERE chat_id = $2 AND user_id = $3 AND ${column} < $1`, [upToSeq, chatId, userId]);
    return (result.rowCount ?? 0) > 0;
  }

  async setMemberPrefs(chatId: string, userId: string, prefs: { archived?: boolean; mutedUntil?: number; markedUnread?: boolean }) {
    const r = await this.pool.query(`UPDATE members SET archived = COALESCE($1, archived), muted_until = COALESCE($2, muted_until),
      marked_unread = COALESCE($3, marked_unread) WHERE chat_id = $4 AND user_id = $5`,
    [prefs.archived ?? null, prefs.mutedUntil ?? null, prefs.markedUnread ?? null, chatId, userId]);
    return (r.rowCount ?? 0) > 0;
  }

  async countUnread(chatId: string, userId: string, afterSeq: number) {
    const r = await this.#one('SELECT COUNT(*) AS n FROM messages WHERE chat_id = $1 AND seq > $2 AND sender_user_id != $3 AND system IS NULL', [chatId, afterSeq, userId]);
    return (r?.['n'] as number | undefined) ?? 0;
  }

  // --- the log -------------------------------------------------------------------------------

  async appendMessages(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    if (requests.length === 0) return [];
    // Entries that reference or release blobs (R54) take the transaction path, which writes the references too.
    if (requests.some((r) => r.blobs)) {
      return this.#tx(async (c) => {
        const results = await this.#append(c, requests);
        for (const [i, result] of results.entries()) {
          const r = requests[i]!;
          if (r.blobs && !result.duplicate) await this.#blobRefs(c, r, r.blobs, result.message.seq);
        }
        return results;
      });
    }
    // One round trip (migrations/postgres/003_append_function.sql); its own implicit transaction.
    const col = <T>(f: (r: AppendRequest) => T): T[] => requests.map(f);
    let rows: (MessageRecord & { duplicate: boolean })[];
    try {
      // R83: the 9-argument form (migration 028) only for a batch with a franking tag; most have none.
      const franked = requests.some((r) => r.frank !== undefined);
      rows = (await this.pool.query<MessageRecord & { duplicate: boolean }>(`SELECT * FROM parley_append($1, $2, $3, $4, $5, $6, $7, $8${franked ? ', $9' : ''})`, [
        col((r) => r.chatId), col((r) => r.clientMsgId), col((r) => r.senderUserId), col((r) => r.senderDeviceId),
        col((r) => r.sentAt), col((r) => r.envelope?.contentType ?? null),
        col((r) => (r.envelope ? Buffer.from(r.envelope.payload, 'base64') : null)),
        col((r) => (r.system ? JSON.stringify(r.system) : null)),
        ...(franked ? [col((r) => r.frank ?? null)] : []),
      ])).rows;
    } catch (err) {
      if (err instanceof pg.DatabaseError && err.code === 'P0002') throw new ParleyError('chat_not_found', 'no such chat');
      throw err;
    }
    if (rows.length !== requests.length) throw new Error(`parley_append returned ${rows.length} rows for ${requests.length} requests`);
    return rows.map((r) => ({ message: toMessage(r), duplicate: r.duplicate }));
  }

  /**
   * Inside a transaction: idempotent append of a batch, each entry at its chat's next seq.
   * 1. Lock the batch's chats in sorted order (SELECT … ORDER BY … FOR UPDATE): two nodes appending to
   *    overlapping sets of chats queue instead of deadlocking, and no one else appends to these chats
   *    until COMMIT. A missing chat fails the whole batch.
   * 2. Under those locks, read the entries already in the log for the batch's idempotency keys: every
   *    writer of a chat's log holds its lock, so nothing can slip in between this read and the insert.
   * 3. Number the new entries from each chat's last_seq, raise last_seq, insert them in one statement.
   * The unique index on (chat_id, sender_user_id, client_msg_id) stays the last guard: a violation aborts
   * the transaction rather than skipping a row (ON CONFLICT DO NOTHING would leave a hole in the seqs).
   */
  async #append(c: pg.PoolClient, requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    const chatIds = [...new Set(requests.map((r) => r.chatId))].sort();
    const locked = await this.#all('SELECT chat_id, last_seq FROM chats WHERE chat_id = ANY($1::text[]) ORDER BY chat_id FOR UPDATE', [chatIds], c);
    if (locked.length !== chatIds.length) throw new ParleyError('chat_not_found', 'no such chat');
    const lastSeq = new Map(locked.map((r) => [r['chat_id'] as string, r['last_seq'] as number]));

    const key = (chatId: string, sender: string, clientMsgId: string): string => JSON.stringify([chatId, sender, clientMsgId]);
    const existing = await this.#all(
      `SELECT m.* FROM messages m JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(chat_id, sender_user_id, client_msg_id)
         USING (chat_id, sender_user_id, client_msg_id)`,
      [requests.map((r) => r.chatId), requests.map((r) => r.senderUserId), requests.map((r) => r.clientMsgId)], c);
    const known = new Map<string, MessageRecord>();
    for (const row of existing) {
      const r = row as unknown as MessageRecord;
      known.set(key(r.chat_id, r.sender_user_id, r.client_msg_id), r);
    }

    const fresh: MessageRecord[] = [];
    const results = requests.map((req): AppendResult => {
      const k = key(req.chatId, req.senderUserId, req.clientMsgId);
      const original = known.get(k);
      if (original) return { message: toMessage(original), duplicate: true };
      const seq = (lastSeq.get(req.chatId) ?? 0) + 1;
      lastSeq.set(req.chatId, seq);
      const record: MessageRecord = {
        chat_id: req.chatId, seq, client_msg_id: req.clientMsgId, sender_user_id: req.senderUserId,
        sender_device_id: req.senderDeviceId, sent_at: req.sentAt, content_type: req.envelope?.contentType ?? null,
        payload: req.envelope ? Buffer.from(req.envelope.payload, 'base64') : null, system: req.system ? JSON.stringify(req.system) : null,
        frank: req.frank ?? null,
      };
      known.set(k, record); // a repeat later in this batch is a duplicate of this entry
      fresh.push(record);
      // Mapped back from the stored record so a first append and its duplicate return the same value.
      return { message: toMessage(record), duplicate: false };
    });
    if (fresh.length === 0) return results;

    await c.query('UPDATE chats SET last_seq = v.last_seq FROM unnest($1::text[], $2::bigint[]) AS v(chat_id, last_seq) WHERE chats.chat_id = v.chat_id',
      [[...lastSeq.keys()], [...lastSeq.values()]]);
    const column = <K extends keyof MessageRecord>(name: K): MessageRecord[K][] => fresh.map((r) => r[name]);
    const franked = fresh.some((r) => r.frank !== null && r.frank !== undefined); // R83: the column only when used
    await c.query(
      `INSERT INTO messages (chat_id, seq, client_msg_id, sender_user_id, sender_device_id, sent_at, content_type, payload, system${franked ? ', frank' : ''})
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::bytea[], $9::text[]${franked ? ', $10::text[]' : ''})`,
      [column('chat_id'), column('seq'), column('client_msg_id'), column('sender_user_id'), column('sender_device_id'),
        column('sent_at'), column('content_type'), column('payload'), column('system'), ...(franked ? [column('frank')] : [])]);
    return results;
  }

  /**
   * Inside the append's transaction: R56 releases, then R54 references. The blobs to add are locked
   * (FOR KEY SHARE) so a concurrent sweep cannot delete them before the references commit.
   */
  async #blobRefs(c: pg.PoolClient, r: AppendRequest, change: BlobRefChange, seq: number): Promise<void> {
    if (change.release.length > 0) {
      await c.query('DELETE FROM blob_refs WHERE chat_id = $1 AND sender_user_id = $2 AND blob_id = ANY($3::text[])', [r.chatId, r.senderUserId, change.release]);
    }
    if (change.add.length === 0) return;
    const found = await this.#all('SELECT blob_id, completed_at FROM blobs WHERE blob_id = ANY($1::text[]) ORDER BY blob_id FOR KEY SHARE', [change.add], c);
    const complete = new Map(found.map((b) => [b['blob_id'] as string, b['completed_at'] !== null]));
    for (const blobId of change.add) {
      if (!complete.has(blobId)) throw new ParleyError('blob_not_found', 'no such blob');
      if (!complete.get(blobId)) throw new ParleyError('blob_incomplete', 'the upload is not finished');
    }
    await c.query(`INSERT INTO blob_refs (chat_id, blob_id, sender_user_id, seq) SELECT $1, b, $2, $3 FROM unnest($4::text[]) AS b
      ON CONFLICT DO NOTHING`, [r.chatId, r.senderUserId, seq, change.add]);
  }

  async appendCommit(request: AppendRequest, epoch: number, next?: NextGroupState): Promise<AppendResult | EpochConflict> {
    return this.#tx(async (c) => {
      // The chat's row lock orders this commit with every other append to the chat, on every node:
      // of two commits for one epoch, the second sees the first's bump and conflicts.
      const chat = await this.#one('SELECT mls_epoch FROM chats WHERE chat_id = $1 FOR UPDATE', [request.chatId], c);
      if (!chat) throw new ParleyError('chat_not_found', 'no such chat');
      const existing = await this.#one('SELECT * FROM messages WHERE chat_id = $1 AND sender_user_id = $2 AND client_msg_id = $3',
        [request.chatId, request.senderUserId, request.clientMsgId], c);
      if (existing) return { message: toMessage(existing as unknown as MessageRecord), duplicate: true };
      const current = chat['mls_epoch'] as number;
      if (current !== epoch) return { conflict: current };
      const [result] = await this.#append(c, [request]);
      if (!result) throw new Error('appendCommit: the commit was not appended');
      await c.query('UPDATE messages SET mls_epoch = $1 WHERE chat_id = $2 AND seq = $3', [epoch, request.chatId, result.message.seq]);
      result.message.commitEpoch = epoch;
      await c.query('UPDATE chats SET mls_epoch = $1 WHERE chat_id = $2', [epoch + 1, request.chatId]);
      if (next) await mlsGroups.putMlsGroupState(c, request.chatId, { epoch: epoch + 1, state: next.state, startedAt: next.startedAt });
      if (next?.forJoiners) await mlsGroups.putMlsJoinState(c, request.chatId, epoch + 1, next.state, next.forJoiners);
      return result;
    });
  }

  async appendScheduled(request: AppendRequest, epoch: number, claim: ScheduledClaim): Promise<AppendResult | EpochConflict | 'gone'> {
    return this.#tx(async (c) => {
      // The chat's row lock orders this with every commit of the chat (appendCommit takes it too).
      const chat = await this.#one('SELECT mls_epoch FROM chats WHERE chat_id = $1 FOR UPDATE', [request.chatId], c);
      if (!chat) throw new ParleyError('chat_not_found', 'no such chat');
      const current = Number(chat['mls_epoch']);
      if (current !== epoch) return { conflict: current };
      const claimed = await c.query('DELETE FROM channel_mls_scheduled WHERE community_id = $1 AND schedule_id = $2 AND epoch = $3 AND body = $4',
        [claim.communityId, claim.scheduleId, epoch, claim.body]);
      if (!claimed.rowCount) return 'gone';
      const [result] = await this.#append(c, [request]);
      if (!result) throw new Error('appendScheduled: the post was not appended');
      return result;
    });
  }

  async getMlsGroupState(chatId: string): Promise<MlsGroupStateRow | undefined> {
    return mlsGroups.getMlsGroupState(this.pool, chatId);
  }

  async getMlsJoinState(chatId: string, epoch: number, now: number): Promise<Uint8Array | undefined> {
    return mlsGroups.getMlsJoinState(this.pool, chatId, epoch, now);
  }

  async getMessages(chatId: string, query: HistoryQuery): Promise<Message[]> {
    if (query.beforeSeq !== undefined) {
      // The newest `limit` entries below beforeSeq (and above afterSeq, if also given).
      const rows = await this.#all('SELECT * FROM messages WHERE chat_id = $1 AND seq > $2 AND seq < $3 ORDER BY seq DESC LIMIT $4',
        [chatId, query.afterSeq ?? 0, query.beforeSeq, query.limit]);
      return rows.reverse().map((r) => toMessage(r as unknown as MessageRecord));
    }
    const rows = await this.#all('SELECT * FROM messages WHERE chat_id = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3', [chatId, query.afterSeq ?? 0, query.limit]);
    return rows.map((r) => toMessage(r as unknown as MessageRecord));
  }

  // --- MLS key packages ----------------------------------------------------------------------

  async addKeyPackages(upload: KeyPackageUpload): Promise<void> {
    await this.#tx((c) => keyPackages.addKeyPackages(c, upload));
  }

  async countKeyPackages(deviceId: string, freshSince: number) {
    return keyPackages.countKeyPackages(this.pool, deviceId, freshSince);
  }

  async claimKeyPackages(userIds: readonly string[], exceptDeviceId: string, freshSince: number, lastResortOnly: readonly string[] = []): Promise<KeyPackageRow[]> {
    if (userIds.length === 0) return [];
    return this.#tx((c) => keyPackages.claimKeyPackages(c, userIds, exceptDeviceId, freshSince, lastResortOnly));
  }

  async deleteKeyPackagesBefore(before: number): Promise<number> {
    return keyPackages.deleteKeyPackagesBefore(this.pool, before);
  }

  // --- the device-key log -------------------------------------------------------------------

  async publishMlsKey(request: PublishKeyRequest) {
    return this.#tx((c) => keyLog.publishMlsKey(c, request));
  }

  async getKeyLog(userId: string, after: number, limit: number): Promise<KeyLogPage> {
    return keyLog.getKeyLog(this.pool, userId, after, limit);
  }

  async getDeviceKeys(userIds: readonly string[]): Promise<DeviceKeyRow[]> {
    return mlsGroups.getDeviceKeys(this.pool, userIds);
  }

  async devicesWithKeyPackages(deviceIds: readonly string[], freshSince: number): Promise<string[]> {
    return mlsGroups.devicesWithKeyPackages(this.pool, deviceIds, freshSince);
  }

  // --- invites, push -------------------------------------------------------------------------

  // --- consent (R44) --------------------------------------------------------------------------

  async sharingChats(userId: string, others: readonly string[]) { return requests.sharingChats(this.pool, userId, others); }
  async countChatsForUser(userId: string) { return requests.countChatsForUser(this.pool, userId); }
  async addChatRequests(rows: readonly ChatRequestRow[]) { await this.#tx((c) => requests.addChatRequests(c, rows)); }
  async getChatRequest(requestId: string) { return requests.getChatRequest(this.pool, requestId); }
  async listChatRequestsTo(userId: string, since: number, limit: number) { return requests.listChatRequestsTo(this.pool, userId, since, limit); }
  async countChatRequestsTo(userId: string, since: number) { return requests.countChatRequestsTo(this.pool, userId, since); }
  async listChatRequestsFor(chatId: string, since: number) { return requests.listChatRequestsFor(this.pool, chatId, since); }
  async listChatRequestsBetween(fromUserId: string, toUserId: string) { return requests.listChatRequestsBetween(this.pool, fromUserId, toUserId); }
  async deleteChatRequests(requestIds: readonly string[]) { return requests.deleteChatRequests(this.pool, requestIds); }
  async addBlock(userId: string, blockedUserId: string, at: number) { await requests.addBlock(this.pool, userId, blockedUserId, at); }
  async isBlocked(userId: string, otherUserId: string) { return requests.isBlocked(this.pool, userId, otherUserId); }
  async addReport(report: ReportRow) { await requests.addReport(this.pool, report); }
  async listReports(since: number, limit: number) { return requests.listReports(this.pool, since, limit); }

  async createInvite(i: InviteRow) {
    await invites.createInvite(this.pool, i);
  }

  async getInvite(token: string) {
    return invites.getInvite(this.pool, token);
  }

  async listInvites(chatId: string) {
    return invites.listInvites(this.pool, chatId);
  }

  async deleteInvite(chatId: string, token: string) {
    return invites.deleteInvite(this.pool, chatId, token);
  }

  async getRemoval(chatId: string, userId: string) {
    return invites.getRemoval(this.pool, chatId, userId);
  }

  async upsertPushSubscription(s: PushSubscriptionRow, maxPerDevice: number) {
    await this.#tx(async (c) => {
      // The device's row lock serialises its subscriptions, so two at once can't both keep the oldest.
      await c.query('SELECT 1 FROM devices WHERE device_id = $1 FOR UPDATE', [s.deviceId]);
      await c.query(`INSERT INTO push_subscriptions (endpoint, user_id, device_id, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, device_id = excluded.device_id, p256dh = excluded.p256dh,
          auth = excluded.auth, created_at = excluded.created_at`,
      [s.endpoint, s.userId, s.deviceId, s.p256dh, s.auth, s.createdAt]);
      await c.query(`DELETE FROM push_subscriptions WHERE device_id = $1 AND endpoint NOT IN (
        SELECT endpoint FROM push_subscriptions WHERE device_id = $1 ORDER BY endpoint = $2 DESC, created_at DESC, endpoint DESC LIMIT $3)`,
      [s.deviceId, s.endpoint, Math.max(1, maxPerDevice)]);
    });
  }

  async listPushSubscriptions(userId: string) {
    return (await this.#all('SELECT * FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at, endpoint', [userId])).map(toPush);
  }

  async deletePushSubscription(endpoint: string) {
    await this.pool.query('DELETE FROM push_subscriptions WHERE endpoint = $1', [endpoint]);
  }

  async setCallRinging(deviceId: string, userId: string, at: number) {
    await this.pool.query('INSERT INTO call_ring_devices (device_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (device_id) DO NOTHING', [deviceId, userId, at]);
  }

  async clearCallRinging(deviceId: string) {
    await this.pool.query('DELETE FROM call_ring_devices WHERE device_id = $1', [deviceId]);
  }

  async listCallRingingDevices(userId: string) {
    return (await this.#all('SELECT device_id FROM call_ring_devices WHERE user_id = $1 ORDER BY device_id', [userId])).map((r) => String(r['device_id']));
  }

  async redeemChallenge(challengeId: string, expiresAt: number) {
    const { rowCount } = await this.pool.query(
      'INSERT INTO used_challenges (challenge_id, expires_at) VALUES ($1, $2) ON CONFLICT (challenge_id) DO NOTHING', [challengeId, expiresAt]);
    return rowCount === 1;
  }

  async deleteRedeemedChallengesBefore(before: number) {
    return (await this.pool.query('DELETE FROM used_challenges WHERE expires_at < $1', [before])).rowCount ?? 0;
  }

  async getOrCreateSecret(name: string, candidate: Uint8Array) {
    await this.pool.query('INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING',
      [name, Buffer.from(candidate), Date.now()]);
    const { rows } = await this.pool.query<{ value: Buffer }>('SELECT value FROM server_secrets WHERE name = $1', [name]);
    return new Uint8Array(rows[0]!.value);
  }

  async close() {
    // pool.end() rejects when called twice; closing again is a no-op by contract.
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.end();
  }
}
