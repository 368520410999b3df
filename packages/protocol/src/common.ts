import { z } from 'zod';

/** The wire protocol version. A client sends it in `auth`; the server rejects other majors. */
export const PROTOCOL_VERSION = 1;

export const Id = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'id: 8-64 chars of [A-Za-z0-9_-]');
export type Id = z.infer<typeof Id>;

/** A client-generated message id (R1): unique per sender and chat, accepted at most once. */
export const ClientMsgId = Id;

export const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
export const Base64Url = z.string().regex(/^[A-Za-z0-9_-]*={0,2}$/, 'base64url');

/** 3-32 chars, lower-case latin letters, digits and underscore, starting with a letter. */
export const Handle = z
  .string()
  .regex(/^[a-z][a-z0-9_]{2,31}$/, 'handle: 3-32 of a-z 0-9 _, starting with a letter');

/**
 * Handles nobody can sign up with: `@all` and `@here` mention a whole chat (R88); the others would
 * let an account pass for the server, its operator or its support (the "support" scam).
 */
export const RESERVED_HANDLES: ReadonlySet<string> = new Set([
  'all', 'here', 'everyone', 'admin', 'admins', 'administrator', 'moderator', 'moderators', 'owner', 'parley', 'support',
  'help', 'helpdesk', 'security', 'official', 'system', 'root', 'operator', 'staff', 'team', 'service', 'notifications', 'botfather',
]);

export const DisplayName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'no control characters');

export const DeviceName = z.string().trim().min(1).max(64);

/** Raw Ed25519 public key, 32 bytes, base64. */
export const PublicKey = Base64.refine((s) => s.length === 44, 'ed25519 public key: 32 bytes base64');

/** R83: 32 bytes, base64 (a franking key in the encrypted content; a commitment tag on the wire). */
const Bytes32 = Base64.refine((s) => s.length === 44, '32 bytes base64');
export const FrankKey = Bytes32;
export const FrankTag = Bytes32;

export const Color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'colour: #rrggbb');

/**
 * The opaque body of a message. The server stores and routes it but never parses `payload`.
 * Today the client fills it with the plaintext codec (`parley/plain+json`); end-to-end
 * encryption will fill it with MLS ciphertext without changing the server's path.
 */
export const Envelope = z.object({
  contentType: z.string().regex(/^[a-z0-9.+\/-]{1,64}$/),
  payload: Base64,
});
export type Envelope = z.infer<typeof Envelope>;

export const Role = z.enum(['owner', 'admin', 'member']);
export type Role = z.infer<typeof Role>;

/** What a community admin may do; the owner may do all of it (R66). Here because chat summaries and log lines name rights too. */
export const CommunityRight = z.enum(['postAnnouncements', 'deleteMessages', 'ban', 'invite', 'manageChats', 'pin']);
export type CommunityRight = z.infer<typeof CommunityRight>;

export const ChatKind = z.enum(['direct', 'group']);
export type ChatKind = z.infer<typeof ChatKind>;

/** A change to a chat that the server itself records in the chat's log. */
export const SystemEvent = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('created'), name: z.string().optional() }),
  z.object({ kind: z.literal('member_added'), userId: Id }),
  z.object({ kind: z.literal('member_joined'), userId: Id }),
  z.object({ kind: z.literal('member_left'), userId: Id }),
  z.object({ kind: z.literal('member_removed'), userId: Id }),
  z.object({ kind: z.literal('role_changed'), userId: Id, role: Role }),
  z.object({ kind: z.literal('renamed'), name: z.string() }),
  z.object({ kind: z.literal('recolored'), color: z.string() }),
  /**
   * R81: an audit line of a community admin action the server performed (the entry's sender is who
   * did it). `userId`: whom it was done to; `rights` (with `role`) the new standing and `before` the
   * old one (rights_changed; R80 folds rights over the log from these); `untilMs` for a mute,
   * `slowModeMs` for slow mode (0: off), `chatId` for a chat created or deleted (lines in the
   * announcements chat). R101: `join_approved` / `join_declined` (in the announcements chat) with the
   * `userId` who asked.
   */
  z.object({
    kind: z.literal('moderation'),
    action: z.enum(['banned', 'unbanned', 'removed', 'rights_changed', 'muted', 'unmuted', 'slow_mode', 'chat_created', 'chat_opened', 'chat_closed', 'chat_deleted', 'join_approved', 'join_declined']),
    userId: Id.optional(),
    role: Role.optional(),
    rights: z.array(CommunityRight).optional(),
    before: z.object({ role: Role, rights: z.array(CommunityRight) }).optional(),
    untilMs: z.number().int().nonnegative().optional(),
    slowModeMs: z.number().int().nonnegative().optional(),
    chatId: Id.optional(),
  }),
]);
export type SystemEvent = z.infer<typeof SystemEvent>;

/** One entry of a chat's ordered log, as every member's device sees it. */
export const Message = z.object({
  chatId: Id,
  /** Per-chat sequence number, 1, 2, 3… with no gaps (R3). */
  seq: z.number().int().positive(),
  clientMsgId: ClientMsgId,
  senderUserId: Id,
  senderDeviceId: Id,
  /** Server time of the durable commit, ms since epoch. */
  sentAt: z.number().int(),
  envelope: Envelope.nullable(),
  system: SystemEvent.nullable(),
  /**
   * R15: set by the server on the entries the `commit` frame appended, and only on them: the chat's
   * MLS epoch the commit was accepted at (the chat then moved to `commitEpoch + 1`). Clients apply an
   * entry as a commit only when it has one, equal to the commit's own epoch.
   */
  commitEpoch: z.number().int().nonnegative().optional(),
  /**
   * R83/R83b: in a community's chat, the franking commitment the sender's device gave with the entry.
   * Receivers check it against the key inside the content; one that does not open marks the message
   * as unreportable (its sender's app, or the server, gave no proof).
   */
  frank: FrankTag.optional(),
});
export type Message = z.infer<typeof Message>;

export const UserProfile = z.object({
  userId: Id,
  handle: Handle,
  displayName: z.string(),
  /** R91: the account is a bot (its owner's software reads what it is sent); absent for people. */
  bot: z.literal(true).optional(),
  /**
   * R129: where the bot's gateway (the software that decrypts what it is sent) runs, as this server
   * says: `server` when the server's operator runs it, `owner` otherwise. Bots only. The server's
   * claim: nothing proves it to the client.
   */
  botRunsOn: z.enum(['owner', 'server']).optional(),
  /** R143: the blob id of the bot's avatar (GET /bots/:botId/avatar; a new one when it changes). Bots only. */
  botAvatar: z.string().regex(/^[A-Za-z0-9_-]{22}$/).optional(),
});
export type UserProfile = z.infer<typeof UserProfile>;

export const Member = UserProfile.extend({
  /** Absent where the viewer may not see it (R72: a student kept from adults in a school community). */
  handle: Handle.optional(),
  role: Role,
  /** Highest seq this member's devices have received and read (receipts, R8). */
  deliveredSeq: z.number().int().nonnegative(),
  readSeq: z.number().int().nonnegative(),
});
export type Member = z.infer<typeof Member>;

/** R67: the community a chat belongs to, in the chat's summary (`ChatSummary.community`). */
export const ChatCommunity = z.object({
  communityId: Id,
  kind: z.enum(['announcements', 'general', 'topic']),
  /** R69: whether the caller may post application messages in it (false in announcements without the right). */
  mayPost: z.boolean(),
  /**
   * R80: who holds community rights now (the owner: every right; admins: theirs). Receiving devices
   * judge deletions by others and pins against it, folded back over the log's `rights_changed` lines.
   */
  moderators: z.array(z.object({ userId: Id, rights: z.array(CommunityRight) })).optional(),
  /** R82: the chat's slow mode interval (absent: off). */
  slowModeMs: z.number().int().positive().optional(),
  /** R82: the caller is muted in the community until then (absent: not muted). */
  mutedUntil: z.number().int().positive().optional(),
  /** R112: this announcements chat is a private channel: members' reactions (sent as `vote`) are shown too. */
  channel: z.literal(true).optional(),
  /** R141: the private channel is in wrapped mode: its posts are read through epoch keys (`client.wrappedChannels`), not this chat. */
  wrapped: z.literal(true).optional(),
});
export type ChatCommunity = z.infer<typeof ChatCommunity>;

export const ChatSummary = z.object({
  chatId: Id,
  kind: ChatKind,
  name: z.string(),
  color: z.string(),
  members: z.array(Member),
  lastSeq: z.number().int().nonnegative(),
  unread: z.number().int().nonnegative(),
  createdAt: z.number().int(),
  /**
   * The MLS epoch the delivery service accepts the next `commit` for (R15). A snapshot: the chat's
   * log (its accepted commits, in order) is what a client follows.
   */
  mlsEpoch: z.number().int().nonnegative(),
  /**
   * R44: people asked to join who have not answered yet (a stranger to whoever added them gets a
   * request, not a membership). Absent when there are none.
   */
  requested: z.array(UserProfile.extend({ requestedAt: z.number().int() })).optional(),
  /** R48: the caller's own settings for this chat, the same on all their devices; absent when all are off. */
  prefs: z.object({ archived: z.literal(true).optional(), mutedUntil: z.number().int().positive().optional(), markedUnread: z.literal(true).optional() }).optional(),
  /** R67: present when the chat belongs to a community. */
  community: ChatCommunity.optional(),
});
export type ChatSummary = z.infer<typeof ChatSummary>;

/** R48: muted "until further notice" is muted until this (the year 9999). */
export const MUTED_FOREVER = 253_402_300_799_000;

/**
 * R44: someone the person shares no chat with wants to add them to a group or start a direct chat
 * with them. What the server knows, nothing of the chat's content.
 */
export const ChatRequest = z.object({
  requestId: Id,
  chatId: Id,
  kind: z.enum(['direct', 'group']),
  from: UserProfile,
  /** Members of the chat now (a group's name is end-to-end encrypted: the server has none to show). */
  memberCount: z.number().int().nonnegative(),
  requestedAt: z.number().int(),
});
export type ChatRequest = z.infer<typeof ChatRequest>;

export const DeviceInfo = z.object({
  deviceId: Id,
  name: z.string(),
  createdAt: z.number().int(),
  lastSeenAt: z.number().int().nullable(),
  current: z.boolean(),
  online: z.boolean(),
});
export type DeviceInfo = z.infer<typeof DeviceInfo>;
