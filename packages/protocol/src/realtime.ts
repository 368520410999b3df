import { z } from 'zod';
import { ChatRequest, ChatSummary, ClientMsgId, Envelope, FrankTag, Id, Member, Message } from './common.ts';
import { BlobId, MAX_ATTACHMENTS } from './files.ts';
import { AddedDevice, DeviceLinkStatus, PendingDeviceLink } from './device-link.ts';
import { ERROR_CODES, type ErrorCode } from './errors.ts';
import { JoinRequestStatus } from './join-requests.ts';

/** WebSocket endpoint path; frames are JSON text, one object per frame. */
export const WS_PATH = '/api/v1/ws';

/** Close codes the server uses; clients reconnect on all but `revoked` and `auth_failed`. */
export const CLOSE_CODES = {
  auth_failed: 4001,
  revoked: 4003,
  slow_consumer: 4008,
  protocol_error: 4009,
  shutting_down: 4010,
  auth_timeout: 4011,
} as const;

/** Request id: the client picks it; the reply carries it back. */
const Rid = z.string().min(1).max(64);

export const ClientFrame = z.discriminatedUnion('type', [
  /** Must be the first frame; `token` from POST /auth/device. */
  z.object({ type: z.literal('auth'), v: z.number().int(), token: z.string().min(1).max(200) }),
  /** R1/R2: acked with `ack` only after the durable commit. */
  /**
   * R54: `blobs` names the blobs (R53) the encrypted message references: each must be complete and
   * readable by the sender (uploaded by them, or referenced in a chat they are a member of); the
   * chat's members may read them from then on. `release` (with a `delete` of one's own message)
   * drops this sender's references to those blobs in this chat (R56).
   */
  z.object({
    type: z.literal('send'), rid: Rid, chatId: Id, clientMsgId: ClientMsgId, envelope: Envelope,
    blobs: z.array(BlobId).min(1).max(MAX_ATTACHMENTS).optional(),
    release: z.array(BlobId).min(1).max(MAX_ATTACHMENTS).optional(),
    /** R83: the message's franking commitment (HMAC-SHA256, 32 bytes), kept by the server with the entry for reports. */
    frank: FrankTag.optional(),
    /**
     * R87: the sender says this is a vote in a poll. In a community's announcements chat the server
     * lets it through from any member (R69 refuses their other sends); it can't check the claim, so
     * members' devices show nothing from a member without `postAnnouncements` there but votes.
     */
    vote: z.literal(true).optional(),
    /**
     * R178: wake no one: the server stores and delivers it as any message but sends no Web Push (R12)
     * for it. The sender's device says so for hidden content that needs no one's attention (R170's
     * epoch keys); the server can't read the content kind, so it takes the sender's word, for pushes only.
     */
    quiet: z.literal(true).optional(),
  }),
  /**
   * An MLS commit (and any Welcome, inside the same opaque envelope) for the chat's group (R15-R17).
   * Appended to the log like `send` only if `epoch` is the chat's current MLS epoch, which then
   * becomes `epoch + 1`; otherwise `error` with `epoch_conflict` and nothing is stored. Acked with `ack`.
   */
  z.object({
    type: z.literal('commit'),
    rid: Rid,
    chatId: Id,
    clientMsgId: ClientMsgId,
    epoch: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER - 1),
    envelope: Envelope,
  }),
  /** Read a page of a chat's log: after `afterSeq` ascending, or before `beforeSeq` descending. */
  z.object({
    type: z.literal('history'),
    rid: Rid,
    chatId: Id,
    afterSeq: z.number().int().nonnegative().optional(),
    beforeSeq: z.number().int().positive().optional(),
    limit: z.number().int().positive().max(10_000).optional(),
  }),
  /**
   * R40: a page of the chat list: the chats after `after` (the `chatsNext` of `auth_ok`, or the
   * `next` of the previous page; absent: from the start), ordered by chat id, at most `limit` and
   * always within the connection's send buffer. Answered with `chats`.
   */
  z.object({ type: z.literal('chats'), rid: Rid, after: Id.optional(), limit: z.number().int().positive().max(10_000).optional() }),
  /** Receipts are monotonic: a lower `upToSeq` than stored is ignored. */
  z.object({ type: z.literal('receipt'), chatId: Id, kind: z.enum(['delivered', 'read']), upToSeq: z.number().int().nonnegative() }),
  z.object({ type: z.literal('typing'), chatId: Id }),
  z.object({ type: z.literal('ping'), rid: Rid }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ClientFrameType = ClientFrame['type'];

const ErrorCodeSchema = z.custom<ErrorCode>((v) => typeof v === 'string' && Object.hasOwn(ERROR_CODES, v));

export const ServerFrame = z.discriminatedUnion('type', [
  /**
   * `chats` is the first page of the user's chats (R40: bounded by count and bytes); when more exist,
   * `chatsNext` is the cursor to ask for the rest with a `chats` frame. The connection already hears
   * the events of every chat of the user, listed or not yet.
   */
  z.object({ type: z.literal('auth_ok'), userId: Id, deviceId: Id, chats: z.array(ChatSummary), chatsNext: Id.optional(), serverTime: z.number().int() }),
  /** R40: a page of the chat list; `next` is the cursor for the page after it, absent on the last. */
  z.object({ type: z.literal('chats'), rid: Rid, chats: z.array(ChatSummary), next: Id.optional() }),
  /**
   * R40: the server may have missed events for this connection (its node lost the bus for a while):
   * read the chat list again, page by page, and catch each chat up to its `lastSeq`.
   */
  z.object({ type: z.literal('resync') }),
  z.object({ type: z.literal('ack'), rid: Rid, chatId: Id, clientMsgId: ClientMsgId, seq: z.number().int(), sentAt: z.number().int(), duplicate: z.boolean() }),
  z.object({ type: z.literal('history'), rid: Rid, chatId: Id, messages: z.array(Message), hasMore: z.boolean() }),
  z.object({ type: z.literal('pong'), rid: Rid, serverTime: z.number().int() }),
  z.object({ type: z.literal('message'), message: Message }),
  z.object({ type: z.literal('receipt'), chatId: Id, userId: Id, kind: z.enum(['delivered', 'read']), upToSeq: z.number().int() }),
  z.object({ type: z.literal('typing'), chatId: Id, userId: Id }),
  /** A chat was created, changed, or the user was added to it. */
  z.object({ type: z.literal('chat'), chat: ChatSummary }),
  /** The user is no longer a member (left or removed). */
  z.object({ type: z.literal('chat_removed'), chatId: Id }),
  /**
   * R117: in a group of more than PARLEY_LARGE_CHAT_MEMBERS members, who joined (`added`, as the
   * summary lists them) and who left or was removed (`removed`), instead of a whole `chat` summary:
   * a device patches the summary it holds. `lastSeq`: the log entry that records it. `digest`
   * (R131): `memberDigest` of the members after the change; a device whose patched list has another
   * missed a frame and reads the chat again.
   */
  z.object({ type: z.literal('members'), chatId: Id, added: z.array(Member), removed: z.array(Id), lastSeq: z.number().int().nonnegative(), digest: z.string().max(40).optional() }),
  /** A new device asks to join this account (R26): show it, and approve with the code it shows. */
  z.object({ type: z.literal('device_link_request'), link: PendingDeviceLink }),
  /** A link request ended (approved, denied, locked) on some device of the account: drop its prompt (R26). */
  z.object({ type: z.literal('device_link_closed'), linkId: Id, status: DeviceLinkStatus }),
  /** Login alert (R27): a device was added to this account by any path; sent to its other devices. */
  z.object({ type: z.literal('device_added'), device: AddedDevice }),
  /** R44: a request for this user arrived, or one of theirs was answered elsewhere (`closed`). */
  z.object({ type: z.literal('chat_request'), request: ChatRequest }),
  z.object({ type: z.literal('chat_request_closed'), requestId: Id }),
  /** A member's device can't read the chat's MLS group and asks to be added again (R29). */
  z.object({ type: z.literal('rejoin_requested'), chatId: Id, userId: Id, deviceId: Id }),
  /** R74: a community of the user changed (settings, roles, rights, chats, members, owner): read it again. */
  z.object({ type: z.literal('community_changed'), communityId: Id }),
  /** R74: the user is no longer a member of the community (left, removed, banned). */
  z.object({ type: z.literal('community_removed'), communityId: Id }),
  /** R84: a member reported a message of the community: to the devices of those who handle reports. */
  z.object({ type: z.literal('community_report'), communityId: Id, reportId: Id }),
  /** R97: a channel the user subscribes to has a new log entry at `seq` (a post, or a change of one): read the log after your last. Never the post itself. */
  z.object({ type: z.literal('channel_post'), channelId: Id, seq: z.number().int().positive() }),
  /** R201: the channel's admins changed for this user: named (invited), accepted by a named admin (to the owner), or removed: read the invitations or admins again. */
  z.object({ type: z.literal('channel_admin'), channelId: Id }),
  /** R148: a wrapped channel (R141) the user is a member of has a new post at `seq`: read the posts after your last. Never the post itself. */
  z.object({ type: z.literal('wrapped_post'), communityId: Id, seq: z.number().int().positive(), info: z.literal(true).optional(), deleted: z.literal(true).optional(), edit: z.literal(true).optional() }), // info: R161's mark; deleted: R167; edit: R182 (an edit, or R184's pin, is no new post: not unread)
  /** R185: the votes of the wrapped poll at `seq` changed (no voter named; at most one per PARLEY_CHANNEL_WRAPPED_VOTE_NOTICE_MS per poll per node): read its counts again. */
  z.object({ type: z.literal('wrapped_votes'), communityId: Id, seq: z.number().int().positive() }),
  /** R149: wraps of `epoch` were stored for this user's devices: a device that could not open a post tries again. */
  z.object({ type: z.literal('wrapped_keys'), communityId: Id, epoch: z.number().int().positive() }),
  /** R149: to the devices of a wrapped channel's admins: a subscriber device has no wrap of the current epoch; an admin's device runs wrapMissing. */
  z.object({ type: z.literal('wraps_needed'), communityId: Id }),
  /** R101: a join request was made, approved, declined or cancelled: to the devices of who asked and of the community's holders of `invite`. */
  z.object({ type: z.literal('community_join_request'), communityId: Id, requestId: Id, status: JoinRequestStatus }),
  z.object({
    type: z.literal('error'), rid: Rid.optional(), code: ErrorCodeSchema, message: z.string(), retryAfter: z.number().optional(),
    /** With `epoch_conflict`: the chat's current MLS epoch. */
    epoch: z.number().int().optional(),
  }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type ServerFrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;
