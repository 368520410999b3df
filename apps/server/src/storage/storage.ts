import type { ChatKind, Envelope, KeyLogEntry, KeyLogHead, Message, Role, SystemEvent } from '@parley/protocol';

/**
 * The one storage interface of the server. Domain code depends on this only; SQLite (embedded,
 * one node) and PostgreSQL (cluster) implement it and pass the same suite
 * (`storage.suite.ts`). Every method that returns resolves only after a durable commit.
 */

export interface UserRow {
  userId: string;
  handle: string;
  displayName: string;
  createdAt: number;
  /** scrypt hash of the recovery code, `salt:hash` hex. */
  recoveryHash: string;
}

export interface DeviceRow {
  deviceId: string;
  userId: string;
  name: string;
  /** Raw Ed25519 public key, base64. */
  publicKey: string;
  createdAt: number;
  lastSeenAt: number | null;
  revokedAt: number | null;
}

export interface SessionRow {
  /** sha256 of the bearer token, hex; the token itself is never stored. */
  tokenHash: string;
  deviceId: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
}

export interface PasskeyRow {
  /** base64url credential id */
  credentialId: string;
  userId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  createdAt: number;
}

/** R40: a page of a user's chats, ordered by chat id. */
export interface ChatPage {
  /** The last chat id of the previous page; absent for the first. */
  afterChatId?: string | undefined;
  limit: number;
}

export interface ChatRow {
  chatId: string;
  kind: ChatKind;
  name: string;
  color: string;
  createdAt: number;
  lastSeq: number;
  /** The MLS epoch the next accepted commit must name (R15); starts at 0, raised by appendCommit only. */
  mlsEpoch: number;
  /** For direct chats: the two user ids sorted and joined with ':'; unique. Null for groups. */
  directKey: string | null;
}

export interface MemberRow {
  chatId: string;
  userId: string;
  role: Role;
  joinedAt: number;
  deliveredSeq: number;
  readSeq: number;
  /**
   * Since when the member has held admin or owner without a break (R42: their invites made before
   * then are dead); null while a plain member. Rows from before it was kept: null, read as joinedAt.
   */
  adminSince: number | null;
  /** R48: the member's own settings for the chat; absent when all are off. */
  prefs?: MemberPrefs;
}

/** R48: archived, muted until (ms since epoch), marked unread: set ones only. */
export interface MemberPrefs {
  archived?: true;
  mutedUntil?: number;
  markedUnread?: true;
}

export interface InviteRow {
  token: string;
  chatId: string;
  createdBy: string;
  createdAt: number;
  /** Null only for invites from before R42; those end PARLEY_INVITE_TTL_MS after createdAt. */
  expiresAt: number | null;
  /** Joins it admits at most; null: no limit. */
  maxUses: number | null;
  /** Joins it admitted. */
  uses: number;
}

export interface PushSubscriptionRow {
  endpoint: string;
  userId: string;
  deviceId: string;
  p256dh: string;
  auth: string;
  /** When the device last subscribed this endpoint (a renewal counts as new): the oldest go first (R37). */
  createdAt: number;
}

/** One entry to append to a chat's log. */
export interface AppendRequest {
  chatId: string;
  clientMsgId: string;
  senderUserId: string;
  senderDeviceId: string;
  sentAt: number;
  envelope: Envelope | null;
  system: SystemEvent | null;
  /** R83: the franking commitment the sender's device gave; kept on the entry, delivered with it. */
  frank?: string | undefined;
  /**
   * R54/R56: blobs this message references, and blobs whose references by this sender in this chat
   * it drops; written in the entry's transaction, only when it is not a duplicate. A blob to add that
   * is gone fails the append with ParleyError('blob_not_found'), an unfinished one with
   * 'blob_incomplete' (checked under the transaction, so the sweep cannot delete it in between).
   */
  blobs?: BlobRefChange;
}

export interface BlobRefChange {
  add: readonly string[];
  release: readonly string[];
}

export interface AppendResult {
  message: Message;
  /** True when (chatId, senderUserId, clientMsgId) was already in the log: `message` is the original. */
  duplicate: boolean;
}

/** One opaque MLS KeyPackage of a device (R14). */
export interface KeyPackageRow {
  /** sha256 of the bytes, hex: the same upload twice by one device stores it once. */
  keyPackageId: string;
  userId: string;
  deviceId: string;
  /** The TLS-encoded KeyPackage, base64; stored as bytes, never parsed. */
  keyPackage: string;
  /** The device's fallback: handed out when no one-time key package is left, never consumed. */
  lastResort: boolean;
  /** When the server stored it (its clock): claims skip key packages older than the max age (R14). */
  createdAt: number;
}

/** One device's upload to the key package directory (R14). */
export interface KeyPackageUpload {
  deviceId: string;
  /** One-time key packages, all of `deviceId`. */
  oneTime: readonly KeyPackageRow[];
  /** Replaces the device's last-resort key package. */
  lastResort?: KeyPackageRow;
  /** The device's key packages stored before this are deleted first: they are stale, never handed out again. */
  staleBefore: number;
  /** The device's unclaimed one-time key packages are deleted first (its store was lost). */
  replaceOneTime?: boolean;
}

export interface KeyPackageCount {
  /** One-time key packages stored at or after `freshSince`. */
  available: number;
  /** When the device's last-resort key package was stored, if it has one stored at or after `freshSince`. */
  lastResortCreatedAt: number | null;
}

/** A device publishing its MLS signature key to its user's key log (R20). */
export interface PublishKeyRequest {
  userId: string;
  deviceId: string;
  /** Raw Ed25519 key, canonical base64. */
  mlsSignatureKey: string;
  at: number;
}

/** A page of a user's key log: entries with index in (after, head.index], and the head they lead to. */
export interface KeyLogPage {
  entries: KeyLogEntry[];
  head: KeyLogHead;
}

/** The public state of a chat's MLS group as the server last checked it (R35): no secret. */
export interface MlsGroupStateRow {
  /** The chat's mlsEpoch this state describes. */
  epoch: number;
  /** encodePublicGroup bytes (packages/mls-public). */
  state: Uint8Array;
  /** When the chat's group was last started again (R36), server clock; 0 if never (its first group). */
  startedAt: number;
}

/** What appendCommit stores with a checked commit (R35): the group's public state after it. */
export interface NextGroupState {
  state: Uint8Array;
  startedAt: number;
  /**
   * R35b: the commit brings devices in (a Welcome): keep this state for them too, until `until`
   * (server clock). Rows of the chat past their time (`now`) are deleted in the same transaction.
   */
  forJoiners?: { until: number; now: number };
}

/** One device of a user with the MLS signature key its key log binds (R19-R21), for commit checks (R35). */
export interface DeviceKeyRow {
  userId: string;
  deviceId: string;
  revoked: boolean;
  /** Raw Ed25519 key as canonical base64, or null if the device never published one. */
  mlsSignatureKey: string | null;
}

/** R191: the scheduled row an append publishes (and deletes). */
export interface ScheduledClaim {
  communityId: string;
  scheduleId: string;
  body: string;
}

/** What appendCommit answers when the commit names another epoch than the chat's: nothing was stored. */
export interface EpochConflict {
  conflict: number;
}

/** R44: someone asked to join a chat by a member who shares no chat with them. */
export interface ChatRequestRow {
  requestId: string;
  chatId: string;
  fromUserId: string;
  toUserId: string;
  createdAt: number;
}

/** R44: a person's report of another to the operator. */
export interface ReportRow {
  reportId: string;
  reporterUserId: string;
  reportedUserId: string;
  chatId: string | null;
  reason: string;
  note: string | null;
  createdAt: number;
}

/** A change to a chat's membership or look, committed atomically with the log entry that records it. */
export type ChatMutation =
  /**
   * With `invite`: the join uses one of that invite's uses (R42); if it is gone or used up, the
   * whole change fails with ParleyError('invite_invalid') and nothing is written.
   */
  | { kind: 'add_member'; member: MemberRow; invite?: { token: string } }
  /** With `removal` (an admin removed them, not a leave): when, kept per chat and user for R42. */
  | { kind: 'remove_member'; userId: string; removal?: { by: string; at: number } }
  /** `at` starts the member's adminSince when they rise from member; dropping to member clears it. */
  | { kind: 'set_role'; userId: string; role: Role; at: number }
  | { kind: 'update_chat'; name?: string; color?: string };

export interface HistoryQuery {
  /** Ascending from afterSeq+1. */
  afterSeq?: number;
  /** Descending from beforeSeq-1 (results are still returned in ascending order). */
  beforeSeq?: number;
  limit: number;
}

export interface Storage {
  // users and devices
  /** Creates the user with its first device; throws ParleyError('handle_taken') on a taken handle. */
  createUser(user: UserRow, device: DeviceRow): Promise<void>;
  getUser(userId: string): Promise<UserRow | undefined>;
  getUserByHandle(handle: string): Promise<UserRow | undefined>;
  getUsers(userIds: readonly string[]): Promise<UserRow[]>;
  setRecoveryHash(userId: string, recoveryHash: string): Promise<void>;
  addDevice(device: DeviceRow): Promise<void>;
  getDevice(deviceId: string): Promise<DeviceRow | undefined>;
  listDevices(userId: string): Promise<DeviceRow[]>;
  /**
   * Marks the device revoked and deletes its sessions, push subscriptions and MLS key packages. If
   * the device published an MLS key, a `revoke` entry is appended to its user's key log in the same
   * transaction (R21).
   */
  revokeDevice(deviceId: string, at: number): Promise<void>;
  touchDevice(deviceId: string, at: number): Promise<void>;

  // sessions
  createSession(session: SessionRow): Promise<void>;
  getSession(tokenHash: string): Promise<SessionRow | undefined>;

  // passkeys
  addPasskey(passkey: PasskeyRow): Promise<void>;
  getPasskey(credentialId: string): Promise<PasskeyRow | undefined>;
  updatePasskeyCounter(credentialId: string, counter: number): Promise<void>;

  // chats and membership
  /** Creates the chat, its members and its first log entry (seq 1) in one transaction. */
  createChat(chat: ChatRow, members: MemberRow[], first: AppendRequest): Promise<Message>;
  getChat(chatId: string): Promise<ChatRow | undefined>;
  getDirectChat(directKey: string): Promise<ChatRow | undefined>;
  /**
   * The user's chats: all of them (by creation), or with `page` the next `limit` by chat id after
   * `afterChatId` (R40: the chat list is read in pages).
   */
  listChatsForUser(userId: string, page?: ChatPage): Promise<ChatRow[]>;
  getMembers(chatId: string): Promise<MemberRow[]>;
  getMember(chatId: string, userId: string): Promise<MemberRow | undefined>;
  /** Applies the mutation and appends `event` to the chat's log in one transaction. */
  applyChatChange(chatId: string, mutation: ChatMutation, event: AppendRequest): Promise<Message>;
  /** Raises the member's delivered/read pointer; never lowers it. Returns whether it changed. */
  updateReceipt(chatId: string, userId: string, kind: 'delivered' | 'read', upToSeq: number): Promise<boolean>;
  /** R48: changes the member's settings given (others stay); false when they are not a member. */
  setMemberPrefs(chatId: string, userId: string, prefs: { archived?: boolean; mutedUntil?: number; markedUnread?: boolean }): Promise<boolean>;
  /** Messages with seq > afterSeq that were not sent by userId and are not system events. */
  countUnread(chatId: string, userId: string, afterSeq: number): Promise<number>;

  // the log
  /**
   * Appends entries in one durable transaction, assigning each chat's next seq (R2, R3).
   * Idempotent on (chatId, senderUserId, clientMsgId) (R1). Throws ParleyError('chat_not_found')
   * for an unknown chat, failing the whole batch.
   */
  appendMessages(requests: readonly AppendRequest[]): Promise<AppendResult[]>;
  getMessages(chatId: string, query: HistoryQuery): Promise<Message[]>;
  /**
   * Appends an MLS commit (R15) in one transaction that holds the chat's lock: a repeated
   * (chatId, senderUserId, clientMsgId) returns the original as a duplicate whatever the epoch now
   * is (R1); otherwise, if `epoch` is not the chat's mlsEpoch, nothing is written and the current
   * epoch is returned as `{ conflict }`; otherwise the entry takes the next seq (R3) and mlsEpoch
   * becomes epoch + 1. Throws ParleyError('chat_not_found') for an unknown chat. `next`, the group's
   * public state after the commit (R35), is stored for epoch + 1 in the same transaction (and, for
   * `forJoiners`, kept apart for that epoch: getMlsJoinState).
   */
  appendCommit(request: AppendRequest, epoch: number, next?: NextGroupState): Promise<AppendResult | EpochConflict>;
  /**
   * R191: publishes a scheduled post of a private channel in MLS mode as its author's entry, in one
   * transaction holding the chat's lock: nothing is written and `{ conflict }` (the current epoch) is
   * returned when the chat's mlsEpoch is not `epoch` (its key is one readers no longer derive); nor,
   * returning `gone`, when the `channel_mls_scheduled` row `claim` names is gone or holds another body or
   * epoch (published by another node, cancelled, replaced). Otherwise the row is deleted and the entry
   * appended at the next seq: a post is published once across nodes.
   */
  appendScheduled(request: AppendRequest, epoch: number, claim: ScheduledClaim): Promise<AppendResult | EpochConflict | 'gone'>;
  /** The public state of the chat's MLS group the last checked commit led to; undefined before the first one. */
  getMlsGroupState(chatId: string): Promise<MlsGroupStateRow | undefined>;
  /** R35b: the group's public state at `epoch`, kept for the devices a commit added, unless it expired by `now`. */
  getMlsJoinState(chatId: string, epoch: number, now: number): Promise<Uint8Array | undefined>;

  // MLS key packages (R14)
  /**
   * Stores a device's upload in one transaction, after the deletions it asks for: its one-time key
   * packages (an id already stored is skipped, keeping its createdAt) and, if given, its new
   * last-resort one, replacing the previous one (the same bytes again keep their createdAt).
   */
  addKeyPackages(upload: KeyPackageUpload): Promise<void>;
  /** The device's unclaimed one-time key packages and its last-resort one, counting only those stored at or after `freshSince`. */
  countKeyPackages(deviceId: string, freshSince: number): Promise<KeyPackageCount>;
  /**
   * For every non-revoked device of the users (but `exceptDeviceId`): its oldest one-time key
   * package, deleted in the same transaction so no two claims get the same one, or else its
   * last-resort one (not deleted); only ones stored at or after `freshSince`, and the older ones of
   * those devices are deleted. Devices with neither are left out. Ordered by user id, then device id.
   * The devices of users in `lastResortOnly` get their last-resort key package only (R41: a user
   * claimed for too often keeps their one-time ones).
   */
  claimKeyPackages(userIds: readonly string[], exceptDeviceId: string, freshSince: number, lastResortOnly?: readonly string[]): Promise<KeyPackageRow[]>;
  /** Of these devices, those with a one-time or last-resort key package stored at or after `freshSince` (R36: who a reset must add). */
  devicesWithKeyPackages(deviceIds: readonly string[], freshSince: number): Promise<string[]>;
  /** Deletes every key package (of any device, last-resort ones too) stored before `before`; returns how many. */
  deleteKeyPackagesBefore(before: number): Promise<number>;

  // the per-user device-key log (R19-R21); appends to one user's log are serialised
  /**
   * Appends an `add` entry binding the device to `mlsSignatureKey`, chained onto the user's log
   * (storage/key-log-chain.ts). The same key again returns the existing entry (`created: false`).
   * Throws ParleyError `mls_key_conflict` if the device published another key, `device_revoked` if it
   * is revoked, `device_not_found` if it is not the user's device. Nothing is written then.
   */
  publishMlsKey(request: PublishKeyRequest): Promise<{ entry: KeyLogEntry; created: boolean }>;
  /** Up to `limit` entries with index > after, ascending, and the head of the log when read. */
  getKeyLog(userId: string, after: number, limit: number): Promise<KeyLogPage>;
  /** Every device of these users, revoked ones too, with the MLS key its log binds (R35's policy). */
  getDeviceKeys(userIds: readonly string[]): Promise<DeviceKeyRow[]>;

  // consent (R44)
  /** Of `others`, the users who share at least one chat with `userId`. */
  sharingChats(userId: string, others: readonly string[]): Promise<Set<string>>;
  countChatsForUser(userId: string): Promise<number>;
  /** Stores requests; a (chat, person) already asked keeps its first request. */
  addChatRequests(rows: readonly ChatRequestRow[]): Promise<void>;
  getChatRequest(requestId: string): Promise<ChatRequestRow | undefined>;
  /** Requests to the user made at or after `since`, oldest first, at most `limit`. */
  listChatRequestsTo(userId: string, since: number, limit: number): Promise<ChatRequestRow[]>;
  countChatRequestsTo(userId: string, since: number): Promise<number>;
  listChatRequestsFor(chatId: string, since: number): Promise<ChatRequestRow[]>;
  /** Deletes the requests, by id; returns how many existed. */
  deleteChatRequests(requestIds: readonly string[]): Promise<number>;
  /** Every request `from` made to `to`, in any chat. */
  listChatRequestsBetween(fromUserId: string, toUserId: string): Promise<ChatRequestRow[]>;
  addBlock(userId: string, blockedUserId: string, at: number): Promise<void>;
  /** Whether `userId` blocked `otherUserId`. */
  isBlocked(userId: string, otherUserId: string): Promise<boolean>;
  addReport(report: ReportRow): Promise<void>;
  listReports(since: number, limit: number): Promise<ReportRow[]>;

  // invites (R42)
  createInvite(invite: InviteRow): Promise<void>;
  getInvite(token: string): Promise<InviteRow | undefined>;
  /** Every stored invite of the chat, dead ones too, newest first. */
  listInvites(chatId: string): Promise<InviteRow[]>;
  /** Deletes the chat's invite `token`; returns whether there was one. */
  deleteInvite(chatId: string, token: string): Promise<boolean>;
  /** When an admin last removed `userId` from the chat (a leave does not count), if ever. */
  getRemoval(chatId: string, userId: string): Promise<number | undefined>;

  // web push
  /**
   * Stores the subscription (an endpoint already stored, by any device, is taken over with its keys
   * and `createdAt`), then, in the same transaction, deletes the device's oldest subscriptions beyond
   * `maxPerDevice` (R37), never the one just stored. Subscriptions of one device are serialised.
   */
  upsertPushSubscription(sub: PushSubscriptionRow, maxPerDevice: number): Promise<void>;
  listPushSubscriptions(userId: string): Promise<PushSubscriptionRow[]>;
  deletePushSubscription(endpoint: string): Promise<void>;
  /** R118: the device rings for incoming calls through Web Push (idempotent); revoking the device forgets it. */
  setCallRinging(deviceId: string, userId: string, at: number): Promise<void>;
  clearCallRinging(deviceId: string): Promise<void>;
  /** R118: the user's devices that ring for calls through Web Push. */
  listCallRingingDevices(userId: string): Promise<string[]>;

  // single-use challenges (R39)
  /**
   * Records that the challenge `challengeId` (valid until `expiresAt`) was redeemed. True for the
   * first redemption only: of concurrent ones, on any node, exactly one gets true.
   */
  redeemChallenge(challengeId: string, expiresAt: number): Promise<boolean>;
  /** Forgets redeemed challenges that expired before `before` (their signature check refuses them); returns how many. */
  deleteRedeemedChallengesBefore(before: number): Promise<number>;

  // deployment secrets
  /**
   * Returns the secret stored under `name`, storing `candidate` first if there is none. Nodes that
   * race on first start all get the one value that won.
   */
  getOrCreateSecret(name: string, candidate: Uint8Array): Promise<Uint8Array>;

  close(): Promise<void>;
}
