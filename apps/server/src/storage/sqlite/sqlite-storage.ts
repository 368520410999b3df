import Database from 'better-sqlite3';
import { ParleyError, assertNever, type Message } from '@parley/protocol';
import { loadMigrations, type Migration } from '../migrate.ts';
import { migrateSqlite } from './sqlite-migrate.ts';
import type {
  AppendRequest, AppendResult, BlobRefChange, ChatMutation, ChatPage, ChatRequestRow, ChatRow, DeviceKeyRow, DeviceRow, EpochConflict, HistoryQuery, InviteRow, KeyPackageRow, ScheduledClaim,
  KeyPackageUpload, KeyLogPage, MemberRow, MlsGroupStateRow, NextGroupState, PasskeyRow, PublishKeyRequest, PushSubscriptionRow, ReportRow, SessionRow, Storage, UserRow,
} from '../storage.ts';
import * as keyLog from './sqlite-key-log.ts';
import * as keyPackages from './sqlite-key-packages.ts';
import * as requests from './sqlite-requests.ts';
import * as invites from './sqlite-invites.ts';
import * as mlsGroups from './sqlite-mls-groups.ts';
import {
  toChat, toDevice, toMember, toMessage, toPasskey, toPush, toUser, type MessageRecord,
} from './rows.ts';

type Row = Record<string, unknown>;

export interface SqliteStorageOptions {
  /** Stamps `schema_migrations.applied_at`; defaults to the system clock. */
  clock?: { now(): number };
  /** The migrations to bring the database to; defaults to `migrations/sqlite/`. Tests pass a prefix. */
  migrations?: readonly Migration[];
}

/**
 * The embedded storage of a single node: SQLite in WAL mode with synchronous=FULL, so a
 * committed transaction survives a crash or power loss (R2). Calls run synchronously inside
 * (better-sqlite3); the async interface is for the PostgreSQL implementation's sake.
 */
export class SqliteStorage implements Storage {
  readonly db: Database.Database;
  /** Versions of the migrations this open applied (empty when the schema was already current). */
  readonly appliedMigrations: readonly number[];
  readonly #stmts = new Map<string, Database.Statement>();

  private constructor(db: Database.Database, appliedMigrations: readonly number[]) {
    this.db = db;
    this.appliedMigrations = appliedMigrations;
  }

  /** Opens (creating if needed) the database at `path` (or ':memory:') and migrates it. */
  static open(path: string, opts: SqliteStorageOptions = {}): SqliteStorage {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      const clock = opts.clock ?? { now: () => Date.now() };
      const applied = migrateSqlite(db, opts.migrations ?? loadMigrations('sqlite'), () => clock.now());
      return new SqliteStorage(db, applied);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Runs `fn` in a write transaction that takes the write lock up front (no lock upgrade → no SQLITE_BUSY mid-way). */
  #write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  #q(sql: string): Database.Statement {
    let stmt = this.#stmts.get(sql);
    if (!stmt) this.#stmts.set(sql, (stmt = this.db.prepare(sql)));
    return stmt;
  }

  // --- users, devices, sessions, passkeys ----------------------------------------------------

  async createUser(user: UserRow, device: DeviceRow): Promise<void> {
    try {
      this.#write(() => {
        this.#q('INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash) VALUES (?, ?, ?, ?, ?)')
          .run(user.userId, user.handle, user.displayName, user.createdAt, user.recoveryHash);
        this.#insertDevice(device);
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && String(err).includes('users.handle')) {
        throw new ParleyError('handle_taken', 'this handle is taken');
      }
      throw err;
    }
  }

  async getUser(userId: string) {
    const r = this.#q('SELECT * FROM users WHERE user_id = ?').get(userId) as Row | undefined;
    return r && toUser(r);
  }

  async getUserByHandle(handle: string) {
    const r = this.#q('SELECT * FROM users WHERE handle = ?').get(handle) as Row | undefined;
    return r && toUser(r);
  }

  async getUsers(userIds: readonly string[]) {
    if (userIds.length === 0) return [];
    const rows = this.#q('SELECT * FROM users WHERE user_id IN (SELECT value FROM json_each(?))').all(JSON.stringify(userIds)) as Row[];
    return rows.map(toUser);
  }

  async setRecoveryHash(userId: string, recoveryHash: string) {
    this.#q('UPDATE users SET recovery_hash = ? WHERE user_id = ?').run(recoveryHash, userId);
  }

  #insertDevice(d: DeviceRow): void {
    this.#q('INSERT INTO devices (device_id, user_id, name, public_key, created_at, last_seen_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(d.deviceId, d.userId, d.name, d.publicKey, d.createdAt, d.lastSeenAt, d.revokedAt);
  }

  async addDevice(device: DeviceRow) {
    this.#insertDevice(device);
  }

  async getDevice(deviceId: string) {
    const r = this.#q('SELECT * FROM devices WHERE device_id = ?').get(deviceId) as Row | undefined;
    return r && toDevice(r);
  }

  async listDevices(userId: string) {
    return (this.#q('SELECT * FROM devices WHERE user_id = ? ORDER BY created_at').all(userId) as Row[]).map(toDevice);
  }

  async revokeDevice(deviceId: string, at: number) {
    this.#write(() => {
      this.#q('UPDATE devices SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL').run(at, deviceId);
      this.#q('DELETE FROM sessions WHERE device_id = ?').run(deviceId);
      this.#q('DELETE FROM push_subscriptions WHERE device_id = ?').run(deviceId);
      this.#q('DELETE FROM call_ring_devices WHERE device_id = ?').run(deviceId);
      this.#q('DELETE FROM key_packages WHERE device_id = ?').run(deviceId);
      keyLog.appendRevoke((sql) => this.#q(sql), deviceId, at);
    });
  }

  async touchDevice(deviceId: string, at: number) {
    this.#q('UPDATE devices SET last_seen_at = ? WHERE device_id = ?').run(at, deviceId);
  }

  async createSession(s: SessionRow) {
    this.#q('INSERT INTO sessions (token_hash, device_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(s.tokenHash, s.deviceId, s.userId, s.createdAt, s.expiresAt);
  }

  async getSession(tokenHash: string) {
    const r = this.#q('SELECT * FROM sessions WHERE token_hash = ?').get(tokenHash) as Row | undefined;
    if (!r) return undefined;
    return {
      tokenHash: r['token_hash'] as string, deviceId: r['device_id'] as string, userId: r['user_id'] as string,
      createdAt: r['created_at'] as number, expiresAt: r['expires_at'] as number,
    };
  }

  async addPasskey(p: PasskeyRow) {
    this.#q('INSERT INTO passkeys (credential_id, user_id, public_key, counter, transports, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(p.credentialId, p.userId, Buffer.from(p.publicKey), p.counter, JSON.stringify(p.transports), p.createdAt);
  }

  async getPasskey(credentialId: string) {
    const r = this.#q('SELECT * FROM passkeys WHERE credential_id = ?').get(credentialId) as Row | undefined;
    return r && toPasskey(r);
  }

  async updatePasskeyCounter(credentialId: string, counter: number) {
    this.#q('UPDATE passkeys SET counter = ? WHERE credential_id = ?').run(counter, credentialId);
  }

  // --- chats and membership ------------------------------------------------------------------

  async createChat(chat: ChatRow, members: MemberRow[], first: AppendRequest): Promise<Message> {
    if (first.chatId !== chat.chatId) throw new Error(`createChat: first entry for chat ${first.chatId}, chat is ${chat.chatId}`);
    return this.#write(() => {
      this.#q('INSERT INTO chats (chat_id, kind, name, color, created_at, last_seq, direct_key) VALUES (?, ?, ?, ?, ?, 0, ?)')
        .run(chat.chatId, chat.kind, chat.name, chat.color, chat.createdAt, chat.directKey);
      for (const m of members) this.#insertMember({ ...m, chatId: chat.chatId });
      return this.#appendOne(first).message;
    });
  }

  async getChat(chatId: string) {
    const r = this.#q('SELECT * FROM chats WHERE chat_id = ?').get(chatId) as Row | undefined;
    return r && toChat(r);
  }

  async getDirectChat(directKey: string) {
    const r = this.#q('SELECT * FROM chats WHERE direct_key = ?').get(directKey) as Row | undefined;
    return r && toChat(r);
  }

  async listChatsForUser(userId: string, page?: ChatPage) {
    const rows = page
      ? this.#q('SELECT c.* FROM members m JOIN chats c ON c.chat_id = m.chat_id WHERE m.user_id = ? AND m.chat_id > ? ORDER BY m.chat_id LIMIT ?').all(userId, page.afterChatId ?? '', page.limit)
      : this.#q('SELECT c.* FROM chats c JOIN members m ON m.chat_id = c.chat_id WHERE m.user_id = ? ORDER BY c.created_at').all(userId);
    return (rows as Row[]).map(toChat);
  }

  async getMembers(chatId: string) {
    return (this.#q('SELECT * FROM members WHERE chat_id = ? ORDER BY joined_at, user_id').all(chatId) as Row[]).map(toMember);
  }

  async getMember(chatId: string, userId: string) {
    const r = this.#q('SELECT * FROM members WHERE chat_id = ? AND user_id = ?').get(chatId, userId) as Row | undefined;
    return r && toMember(r);
  }

  #insertMember(m: MemberRow): void {
    invites.insertMember((sql) => this.#q(sql), m);
  }

  async applyChatChange(chatId: string, mutation: ChatMutation, event: AppendRequest): Promise<Message> {
    const q = (sql: string) => this.#q(sql);
    return this.#write(() => {
      if (!this.#q('SELECT 1 FROM chats WHERE chat_id = ?').get(chatId)) throw new ParleyError('chat_not_found', 'no such chat');
      if (event.chatId !== chatId) throw new Error(`applyChatChange: event for chat ${event.chatId}, change for ${chatId}`);
      switch (mutation.kind) {
        case 'add_member':
          if (mutation.invite) invites.useInvite(q, chatId, mutation.invite.token);
          this.#insertMember({ ...mutation.member, chatId });
          break;
        case 'remove_member':
          this.#q('DELETE FROM members WHERE chat_id = ? AND user_id = ?').run(chatId, mutation.userId);
          if (mutation.removal) invites.recordRemoval(q, chatId, mutation.userId, mutation.removal.by, mutation.removal.at);
          break;
        case 'set_role':
          invites.setRole(q, chatId, mutation.userId, mutation.role, mutation.at);
          break;
        case 'update_chat':
          if (mutation.name !== undefined) this.#q('UPDATE chats SET name = ? WHERE chat_id = ?').run(mutation.name, chatId);
          if (mutation.color !== undefined) this.#q('UPDATE chats SET color = ? WHERE chat_id = ?').run(mutation.color, chatId);
          break;
        default:
          assertNever(mutation, 'chat mutation');
      }
      return this.#appendOne(event).message;
    });
  }

  async updateReceipt(chatId: string, userId: string, kind: 'delivered' | 'read', upToSeq: number) {
    const column = kind === 'read' ? 'read_seq' : 'delivered_seq';
    const result = this.#q(`UPDATE members SET ${column} = ? WHERE chat_id = ? AND user_id = ? AND ${column} < ?`).run(upToSeq, chatId, userId, upToSeq);
    return result.changes > 0;
  }

  async setMemberPrefs(chatId: string, userId: string, prefs: { archived?: boolean; mutedUntil?: number; markedUnread?: boolean }) {
    const r = this.#q(`UPDATE members SET archived = COALESCE(?, archived), muted_until = COALESCE(?, muted_until),
      marked_unread = COALESCE(?, marked_unread) WHERE chat_id = ? AND user_id = ?`)
      .run(prefs.archived === undefined ? null : Number(prefs.archived), prefs.mutedUntil ?? null,
        prefs.markedUnread === undefined ? null : Number(prefs.markedUnread), chatId, userId);
    return r.changes > 0;
  }

  async countUnread(chatId: string, userId: string, afterSeq: number) {
    const r = this.#q('SELECT COUNT(*) AS n FROM messages WHERE chat_id = ? AND seq > ? AND sender_user_id != ? AND system IS NULL').get(chatId, afterSeq, userId) as { n: number };
    return r.n;
  }

  // --- the log -------------------------------------------------------------------------------

  async appendMessages(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    return this.#write(() => requests.map((r) => this.#appendOne(r)));
  }

  /** Inside a transaction: idempotent append at the chat's next seq. */
  #appendOne(r: AppendRequest): AppendResult {
    const existing = this.#q('SELECT * FROM messages WHERE chat_id = ? AND sender_user_id = ? AND client_msg_id = ?')
      .get(r.chatId, r.senderUserId, r.clientMsgId) as MessageRecord | undefined;
    if (existing) return { message: toMessage(existing), duplicate: true };
    const chat = this.#q('UPDATE chats SET last_seq = last_seq + 1 WHERE chat_id = ? RETURNING last_seq').get(r.chatId) as { last_seq: number } | undefined;
    if (!chat) throw new ParleyError('chat_not_found', 'no such chat');
    const record: MessageRecord = {
      chat_id: r.chatId, seq: chat.last_seq, client_msg_id: r.clientMsgId, sender_user_id: r.senderUserId,
      sender_device_id: r.senderDeviceId, sent_at: r.sentAt, content_type: r.envelope?.contentType ?? null,
      payload: r.envelope ? Buffer.from(r.envelope.payload, 'base64') : null, system: r.system ? JSON.stringify(r.system) : null,
      frank: r.frank ?? null,
    };
    // R83: the franking column only where there is a tag (most entries have none; a database before 025 has no column).
    if (record.frank === null) delete record.frank;
    this.#q(record.frank === undefined
      ? 'INSERT INTO messages (chat_id, seq, client_msg_id, sender_user_id, sender_device_id, sent_at, content_type, payload, system) VALUES (@chat_id, @seq, @client_msg_id, @sender_user_id, @sender_device_id, @sent_at, @content_type, @payload, @system)'
      : 'INSERT INTO messages (chat_id, seq, client_msg_id, sender_user_id, sender_device_id, sent_at, content_type, payload, system, frank) VALUES (@chat_id, @seq, @client_msg_id, @sender_user_id, @sender_device_id, @sent_at, @content_type, @payload, @system, @frank)')
      .run(record);
    if (r.blobs) this.#blobRefs(r, r.blobs, chat.last_seq);
    // Map back from the stored record so a first append and its duplicate return the same value.
    return { message: toMessage(record), duplicate: false };
  }

  /** Inside the append's transaction: R56 releases, then R54 references (each blob present and complete). */
  #blobRefs(r: AppendRequest, change: BlobRefChange, seq: number): void {
    for (const blobId of change.release) {
      this.#q('DELETE FROM blob_refs WHERE chat_id = ? AND sender_user_id = ? AND blob_id = ?').run(r.chatId, r.senderUserId, blobId);
    }
    for (const blobId of change.add) {
      const blob = this.#q('SELECT completed_at FROM blobs WHERE blob_id = ?').get(blobId) as { completed_at: number | null } | undefined;
      if (!blob) throw new ParleyError('blob_not_found', 'no such blob');
      if (blob.completed_at === null) throw new ParleyError('blob_incomplete', 'the upload is not finished');
      this.#q('INSERT OR IGNORE INTO blob_refs (chat_id, blob_id, sender_user_id, seq) VALUES (?, ?, ?, ?)').run(r.chatId, blobId, r.senderUserId, seq);
    }
  }

  async appendCommit(request: AppendRequest, epoch: number, next?: NextGroupState): Promise<AppendResult | EpochConflict> {
    // The immediate transaction holds the database's write lock: no other append to the chat can
    // run between the epoch check and the bump.
    return this.#write(() => {
      const chat = this.#q('SELECT mls_epoch FROM chats WHERE chat_id = ?').get(request.chatId) as { mls_epoch: number } | undefined;
      if (!chat) throw new ParleyError('chat_not_found', 'no such chat');
      const existing = this.#q('SELECT * FROM messages WHERE chat_id = ? AND sender_user_id = ? AND client_msg_id = ?')
        .get(request.chatId, request.senderUserId, request.clientMsgId) as MessageRecord | undefined;
      if (existing) return { message: toMessage(existing), duplicate: true };
      if (chat.mls_epoch !== epoch) return { conflict: chat.mls_epoch };
      const result = this.#appendOne(request);
      this.#q('UPDATE messages SET mls_epoch = ? WHERE chat_id = ? AND seq = ?').run(epoch, request.chatId, result.message.seq);
      result.message.commitEpoch = epoch;
      this.#q('UPDATE chats SET mls_epoch = ? WHERE chat_id = ?').run(epoch + 1, request.chatId);
      if (next) mlsGroups.putMlsGroupState((sql) => this.#q(sql), request.chatId, { epoch: epoch + 1, state: next.state, startedAt: next.startedAt });
      if (next?.forJoiners) mlsGroups.putMlsJoinState((sql) => this.#q(sql), request.chatId, epoch + 1, next.state, next.forJoiners);
      return result;
    });
  }

  async appendScheduled(request: AppendRequest, epoch: number, claim: ScheduledClaim): Promise<AppendResult | EpochConflict | 'gone'> {
    return this.#write(() => {
      const chat = this.#q('SELECT mls_epoch FROM chats WHERE chat_id = ?').get(request.chatId) as { mls_epoch: number } | undefined;
      if (!chat) throw new ParleyError('chat_not_found', 'no such chat');
      if (chat.mls_epoch !== epoch) return { conflict: chat.mls_epoch };
      const claimed = this.#q('DELETE FROM channel_mls_scheduled WHERE community_id = ? AND schedule_id = ? AND epoch = ? AND body = ?')
        .run(claim.communityId, claim.scheduleId, epoch, claim.body).changes;
      return claimed > 0 ? this.#appendOne(request) : 'gone';
    });
  }

  async getMlsGroupState(chatId: string): Promise<MlsGroupStateRow | undefined> {
    return mlsGroups.getMlsGroupState((sql) => this.#q(sql), chatId);
  }

  async getMlsJoinState(chatId: string, epoch: number, now: number): Promise<Uint8Array | undefined> {
    return mlsGroups.getMlsJoinState((sql) => this.#q(sql), chatId, epoch, now);
  }

  async getMessages(chatId: string, query: HistoryQuery): Promise<Message[]> {
    if (query.beforeSeq !== undefined) {
      // The newest `limit` entries below beforeSeq (and above afterSeq, if also given).
      const rows = this.#q('SELECT * FROM messages WHERE chat_id = ? AND seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?')
        .all(chatId, query.afterSeq ?? 0, query.beforeSeq, query.limit) as MessageRecord[];
      return rows.reverse().map(toMessage);
    }
    const rows = this.#q('SELECT * FROM messages WHERE chat_id = ? AND seq > ? ORDER BY seq ASC LIMIT ?').all(chatId, query.afterSeq ?? 0, query.limit) as MessageRecord[];
    return rows.map(toMessage);
  }

  // --- MLS key packages ----------------------------------------------------------------------

  async addKeyPackages(upload: KeyPackageUpload): Promise<void> {
    this.#write(() => keyPackages.addKeyPackages((sql) => this.#q(sql), upload));
  }

  async countKeyPackages(deviceId: string, freshSince: number) {
    return keyPackages.countKeyPackages((sql) => this.#q(sql), deviceId, freshSince);
  }

  async claimKeyPackages(userIds: readonly string[], exceptDeviceId: string, freshSince: number, lastResortOnly: readonly string[] = []): Promise<KeyPackageRow[]> {
    if (userIds.length === 0) return [];
    return this.#write(() => keyPackages.claimKeyPackages((sql) => this.#q(sql), userIds, exceptDeviceId, freshSince, lastResortOnly));
  }

  async deleteKeyPackagesBefore(before: number): Promise<number> {
    return keyPackages.deleteKeyPackagesBefore((sql) => this.#q(sql), before);
  }

  // --- the device-key log -------------------------------------------------------------------

  async publishMlsKey(request: PublishKeyRequest) {
    return this.#write(() => keyLog.publishMlsKey((sql) => this.#q(sql), request));
  }

  async getKeyLog(userId: string, after: number, limit: number): Promise<KeyLogPage> {
    return keyLog.getKeyLog((sql) => this.#q(sql), userId, after, limit);
  }

  async getDeviceKeys(userIds: readonly string[]): Promise<DeviceKeyRow[]> {
    return mlsGroups.getDeviceKeys((sql) => this.#q(sql), userIds);
  }

  async devicesWithKeyPackages(deviceIds: readonly string[], freshSince: number): Promise<string[]> {
    return mlsGroups.devicesWithKeyPackages((sql) => this.#q(sql), deviceIds, freshSince);
  }

  // --- invites, push -------------------------------------------------------------------------

  // --- consent (R44) --------------------------------------------------------------------------

  async sharingChats(userId: string, others: readonly string[]) { return requests.sharingChats((sql) => this.#q(sql), userId, others); }
  async countChatsForUser(userId: string) { return requests.countChatsForUser((sql) => this.#q(sql), userId); }
  async addChatRequests(rows: readonly ChatRequestRow[]) { this.#write(() => requests.addChatRequests((sql) => this.#q(sql), rows)); }
  async getChatRequest(requestId: string) { return requests.getChatRequest((sql) => this.#q(sql), requestId); }
  async listChatRequestsTo(userId: string, since: number, limit: number) { return requests.listChatRequestsTo((sql) => this.#q(sql), userId, since, limit); }
  async countChatRequestsTo(userId: string, since: number) { return requests.countChatRequestsTo((sql) => this.#q(sql), userId, since); }
  async listChatRequestsFor(chatId: string, since: number) { return requests.listChatRequestsFor((sql) => this.#q(sql), chatId, since); }
  async listChatRequestsBetween(fromUserId: string, toUserId: string) { return requests.listChatRequestsBetween((sql) => this.#q(sql), fromUserId, toUserId); }
  async deleteChatRequests(requestIds: readonly string[]) { return this.#write(() => requests.deleteChatRequests((sql) => this.#q(sql), requestIds)); }
  async addBlock(userId: string, blockedUserId: string, at: number) { this.#write(() => requests.addBlock((sql) => this.#q(sql), userId, blockedUserId, at)); }
  async isBlocked(userId: string, otherUserId: string) { return requests.isBlocked((sql) => this.#q(sql), userId, otherUserId); }
  async addReport(report: ReportRow) { this.#write(() => requests.addReport((sql) => this.#q(sql), report)); }
  async listReports(since: number, limit: number) { return requests.listReports((sql) => this.#q(sql), since, limit); }

  async createInvite(i: InviteRow) {
    invites.createInvite((sql) => this.#q(sql), i);
  }

  async getInvite(token: string) {
    return invites.getInvite((sql) => this.#q(sql), token);
  }

  async listInvites(chatId: string) {
    return invites.listInvites((sql) => this.#q(sql), chatId);
  }

  async deleteInvite(chatId: string, token: string) {
    return invites.deleteInvite((sql) => this.#q(sql), chatId, token);
  }

  async getRemoval(chatId: string, userId: string) {
    return invites.getRemoval((sql) => this.#q(sql), chatId, userId);
  }

  async upsertPushSubscription(s: PushSubscriptionRow, maxPerDevice: number) {
    this.#write(() => {
      this.#q(`INSERT INTO push_subscriptions (endpoint, user_id, device_id, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, device_id = excluded.device_id, p256dh = excluded.p256dh,
          auth = excluded.auth, created_at = excluded.created_at`)
        .run(s.endpoint, s.userId, s.deviceId, s.p256dh, s.auth, s.createdAt);
      this.#q(`DELETE FROM push_subscriptions WHERE device_id = ? AND endpoint NOT IN (
        SELECT endpoint FROM push_subscriptions WHERE device_id = ? ORDER BY endpoint = ? DESC, created_at DESC, endpoint DESC LIMIT ?)`)
        .run(s.deviceId, s.deviceId, s.endpoint, Math.max(1, maxPerDevice));
    });
  }

  async listPushSubscriptions(userId: string) {
    return (this.#q('SELECT * FROM push_subscriptions WHERE user_id = ? ORDER BY created_at, endpoint').all(userId) as Row[]).map(toPush);
  }

  async deletePushSubscription(endpoint: string) {
    this.#q('DELETE FROM push_subscriptions WHERE endpoint = ?').run(endpoint);
  }

  async setCallRinging(deviceId: string, userId: string, at: number) {
    this.#q('INSERT INTO call_ring_devices (device_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT (device_id) DO NOTHING').run(deviceId, userId, at);
  }

  async clearCallRinging(deviceId: string) {
    this.#q('DELETE FROM call_ring_devices WHERE device_id = ?').run(deviceId);
  }

  async listCallRingingDevices(userId: string) {
    return (this.#q('SELECT device_id FROM call_ring_devices WHERE user_id = ? ORDER BY device_id').all(userId) as Row[]).map((r) => String(r['device_id']));
  }

  async redeemChallenge(challengeId: string, expiresAt: number) {
    return this.#q('INSERT INTO used_challenges (challenge_id, expires_at) VALUES (?, ?) ON CONFLICT (challenge_id) DO NOTHING')
      .run(challengeId, expiresAt).changes === 1;
  }

  async deleteRedeemedChallengesBefore(before: number) {
    return this.#q('DELETE FROM used_challenges WHERE expires_at < ?').run(before).changes;
  }

  async getOrCreateSecret(name: string, candidate: Uint8Array) {
    this.#q('INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING')
      .run(name, Buffer.from(candidate), Date.now());
    const row = this.#q('SELECT value FROM server_secrets WHERE name = ?').get(name) as { value: Buffer };
    return new Uint8Array(row.value);
  }

  async close() {
    this.#stmts.clear();
    if (this.db.open) this.db.close();
  }
}
