import { z } from 'zod';
import { Base64, Base64Url, ClientMsgId, CommunityRight, FrankKey, Id } from './common.ts';
import { checkEntitiesOf, MessageEntities } from './entities.ts';
import { Sha256Hex } from './key-log.ts';
import { Attachments } from './files.ts';
import { PollCloseContent, PollContent, VoteContent } from './polls.ts';
import { CallbackAnswerContent, CallbackContent, ForceReply, ReplyKeyboard, ReplyMarkup } from './bots.ts';

/**
 * What a person wrote, inside the envelope. The server never sees this type: the client encodes
 * it with a codec (plaintext today, MLS later) into `Envelope.payload`. Edits, deletions and
 * reactions are entries of the log like any message, pointing at their target's client id, so
 * they stay end-to-end encryptable and keep the log's order.
 */
/** Largest preview image inside a message (base64 characters): a thumbnail the sender's device made. */
export const MAX_PREVIEW_IMAGE_CHARS = 40_000;

const PreviewText = (max: number) => z.string().min(1).max(max);
/** The http(s) URL a preview is of. */
const PreviewUrl = z.string().max(2048).refine((u) => /^https?:\/\//i.test(u), 'an http(s) URL');

function linkPreview(maxImageChars: number) {
  return z.object({
    url: PreviewUrl,
    title: PreviewText(300).optional(),
    description: PreviewText(1000).optional(),
    siteName: PreviewText(100).optional(),
    image: z.object({ mediaType: z.enum(['image/png', 'image/jpeg', 'image/gif', 'image/webp']), data: Base64.min(4).max(maxImageChars) }).optional(),
  });
}

/**
 * R45: a link's preview (title, description, site, a small image), made by the sender's device
 * (through the server's fetcher where it can't fetch the page itself) and sent inside the
 * encrypted message: the receivers fetch nothing, so opening a chat tells no site who read it.
 */
export const LinkPreview = linkPreview(MAX_PREVIEW_IMAGE_CHARS);
export type LinkPreview = z.infer<typeof LinkPreview>;
/** What the server's fetcher answers: the page's image as it was (up to 1 MiB), for the device to shrink. */
export const FetchedLinkPreview = linkPreview(1_500_000);
export type FetchedLinkPreview = z.infer<typeof FetchedLinkPreview>;

/**
 * R49: a forwarded message says where it came from: its original sender (absent when that person
 * asked not to be named, or when the forwarder's device did not know them) and when it was first
 * sent. The forwarding device writes it; receivers cannot check it (see PROTOCOL.md).
 */
export const Forwarded = z.object({
  from: z.object({ userId: Id, displayName: z.string().min(1).max(100) }).optional(),
  /** R186: forwarded from a wrapped private channel's post: the channel's name as the forwarder's device read it (R147); no link. R202: a public channel's post too (its title). */
  channel: z.object({ name: z.string().min(1).max(100) }).optional(),
  sentAt: z.number().int(),
});
export type Forwarded = z.infer<typeof Forwarded>;

/** R157: the shortest and longest live location period, in seconds (Telegram's live_period), and "until stopped". */
export const MIN_LIVE_PERIOD_SEC = 60;
export const MAX_LIVE_PERIOD_SEC = 86_400;
export const LIVE_UNTIL_STOPPED = 0x7fffffff;
/** R157: the largest accuracy radius a place may state, in metres (Telegram's horizontal_accuracy). */
export const MAX_PLACE_ACCURACY_M = 1500;

/**
 * R157: a live location: its sender's device may move it (an `edit` with a `place`) for `period`
 * seconds from the message's time (`LIVE_UNTIL_STOPPED`: until stopped); `stopped` once it ended early.
 */
export const LivePlace = z.object({
  period: z.union([z.number().int().min(MIN_LIVE_PERIOD_SEC).max(MAX_LIVE_PERIOD_SEC), z.literal(LIVE_UNTIL_STOPPED)]),
  stopped: z.literal(true).optional(),
});
export type LivePlace = z.infer<typeof LivePlace>;

/** R151: a place a message shows (Telegram's location, or a venue with its name and address); no map is fetched. R157: live, accuracy, heading. */
export const Place = z.object({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  title: z.string().trim().min(1).max(100).optional(),
  address: z.string().trim().min(1).max(200).optional(),
  accuracy: z.number().min(0).max(MAX_PLACE_ACCURACY_M).optional(),
  heading: z.number().int().min(1).max(360).optional(),
  live: LivePlace.optional(),
});
export type Place = z.infer<typeof Place>;

/** R152: what a joiner signs with an invite link's key to prove it opened the link (`community_admit.proof`). */
export const ADMIT_CONTEXT = 'parley-community-admit-v1\n';

/** R104: the longest original author's name an imported message carries. */
export const MAX_IMPORTED_NAME_CHARS = 100;

/**
 * R104: a message brought in from another messenger's export (a Telegram Desktop or WhatsApp chat):
 * its original author's name as the export writes it (`from`, '' for the app's own lines, `system`),
 * its original time (`at`, ms since the epoch) and, where the importer mapped that name to a Parley
 * member, the member's id. The message's sender is still the importer: the mapping is a label the
 * importer wrote, and receivers never show it as the member's own message. `omitted`: files the
 * export named but did not hold (WhatsApp's "<Media omitted>"), shown as a count. `editedAt`: when
 * it was last edited there (Telegram), shown as "edited" with that time; `forwardedFrom`: whom it
 * was forwarded from there, as the export names them, shown as "Forwarded from …" (issue 12).
 */
export const Imported = z.object({
  source: z.enum(['telegram', 'whatsapp']),
  from: z.string().max(MAX_IMPORTED_NAME_CHARS),
  at: z.number().int().min(0).max(8.64e15),
  userId: Id.optional(),
  system: z.literal(true).optional(),
  omitted: z.number().int().min(1).max(10).optional(),
  editedAt: z.number().int().min(0).max(8.64e15).optional(),
  forwardedFrom: z.string().max(MAX_IMPORTED_NAME_CHARS).optional(),
});
export type Imported = z.infer<typeof Imported>;

/** R61: how long a call rings before it is missed (the caller ends it; a late device ignores the offer). */
export const CALL_RING_MS = 45_000;
/** R61: ICE candidates in one `call` entry (a device sends what it gathered in batches). */
export const MAX_CALL_CANDIDATES = 20;
/** R102: how long a 1:1 call may stay without a media path (reconnecting) before it ends as lost. */
export const CALL_RECONNECT_MS = 30_000;
/** R102: the most ICE restarts one call may make (a `generation` beyond it is refused). */
export const MAX_CALL_RESTARTS = 10_000;

/** R120: the most participants one `group_key` entry wraps a call secret for (above PARLEY_CALL_MAX_PARTICIPANTS). */
export const MAX_CALL_KEY_RECIPIENTS = 64;
/** R120: a P-256 public key, uncompressed (65 bytes), base64. */
const CallPublicKey = z.string().length(88).regex(/^[A-Za-z0-9+/]+=*$/);

/** R120: the call secret wrapped for one participant (by publisher id): base64 of nonce (12) + AES-GCM of the 32-byte secret (48). */
export const CallWrappedSecret = z.object({
  feedId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  ct: z.string().length(80).regex(/^[A-Za-z0-9+/]+$/),
});
export type CallWrappedSecret = z.infer<typeof CallWrappedSecret>;

/** One ICE candidate as RTCIceCandidateInit carries it. */
export const CallCandidate = z.object({
  candidate: z.string().max(1000),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
});
export type CallCandidate = z.infer<typeof CallCandidate>;

/**
 * R61: a call's signalling, end-to-end encrypted in the chat's log like a message (same outbox,
 * acks, catch-up after a reconnect). `offer` (the caller's device: media, SDP) starts call
 * `callId`; `answer` (one device of the callee, `to` the offering device) accepts it; `ice` carries
 * candidates, `to` the device they are for (absent: for whichever device answers); `decline` and
 * `end` (with why, and how long the call was) close it. Folded into one line per call.
 * R63: `group_join` / `group_leave` (with `feedId`, `callId` one per join) say a device is in its
 * group chat's call on the SFU or left it; folded into one group call line while anyone is in it.
 * R102: `restart` (the caller's device: a new offer with fresh ICE credentials, `generation` counting
 * from 1, `to` the answering device) and `restart_answer` (its answer, same `generation`, `to` the
 * caller's device) move a connected call to a new media path without hanging up.
 * R120: `group_join` carries the joining device's call public key (`pub`); `group_key` (`gen`, an
 * ephemeral public key `epk`, `keys`) hands a fresh call secret to the participants it names.
 */
export const CallContent = z.object({
  kind: z.literal('call'),
  callId: Id,
  // R63: `group_join` / `group_leave` — a device joined or left its group chat's call on the SFU (R62).
  // R102: `restart` / `restart_answer` — an ICE restart of a connected call (network changed or dropped).
  // R120: `group_key` — a new per-call secret, wrapped for each current participant of a group call.
  action: z.enum(['offer', 'answer', 'ice', 'decline', 'end', 'group_join', 'group_leave', 'restart', 'restart_answer', 'group_key']),
  media: z.enum(['audio', 'video']).optional(),
  sdp: z.string().min(1).max(32_000).optional(),
  to: Id.optional(),
  candidates: z.array(CallCandidate).min(1).max(MAX_CALL_CANDIDATES).optional(),
  reason: z.enum(['hangup', 'missed', 'cancelled', 'failed']).optional(),
  durationMs: z.number().int().nonnegative().max(7 * 24 * 3600 * 1000).optional(),
  /** R63: the publisher id the device joined the room with (R62), so members can tell who is who. */
  feedId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  /** R102: which ICE restart of the call a `restart` / `restart_answer` is (1, 2, …; a device applies each at most once). */
  generation: z.number().int().positive().max(MAX_CALL_RESTARTS).optional(),
  /** R120: the joining device's ECDH P-256 public key for this join (a `group_join`): call secrets are wrapped to it. */
  pub: CallPublicKey.optional(),
  /** R124: on a `group_join`: the device found nobody in the room, so it starts the call and the chat's other members' devices ring. */
  ring: z.literal(true).optional(),
  /** R120: which call secret a `group_key` is (each keyer takes the highest it saw plus one). */
  gen: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  /** R120: the `group_key`'s ephemeral public key (ECDH with each participant's `pub`). */
  epk: CallPublicKey.optional(),
  /** R120: the secret, wrapped for each participant it is meant for. */
  keys: z.array(CallWrappedSecret).min(1).max(MAX_CALL_KEY_RECIPIENTS).optional(),
}).superRefine((c, ctx) => {
  const group = c.action === 'group_join' || c.action === 'group_leave';
  const restart = c.action === 'restart' || c.action === 'restart_answer';
  const need = (field: keyof typeof c, ok: boolean) => { if (!ok) ctx.addIssue({ code: 'custom', path: [field], message: `${c.action} ${c[field] === undefined ? 'needs' : 'does not take'} ${field}` }); };
  need('media', c.action === 'offer' ? c.media !== undefined : c.action === 'group_join' || c.media === undefined);
  need('feedId', (c.feedId !== undefined) === group);
  need('sdp', (c.sdp !== undefined) === (c.action === 'offer' || c.action === 'answer' || restart));
  need('to', c.action === 'answer' || restart ? c.to !== undefined : c.action === 'ice' || c.to === undefined);
  need('generation', (c.generation !== undefined) === restart);
  need('candidates', (c.candidates !== undefined) === (c.action === 'ice'));
  need('reason', (c.reason !== undefined) === (c.action === 'end'));
  need('durationMs', c.action === 'end' || c.durationMs === undefined);
  need('pub', c.action === 'group_join' || c.pub === undefined);
  need('ring', c.action === 'group_join' || c.ring === undefined);
  const key = c.action === 'group_key';
  need('gen', (c.gen !== undefined) === key);
  need('epk', (c.epk !== undefined) === key);
  need('keys', (c.keys !== undefined) === key);
});
export type CallContent = z.infer<typeof CallContent>;

/** R114: the longest quote of a channel post a comment carries (`threadQuote`), in characters. */
export const MAX_THREAD_QUOTE_CHARS = 140;
/** R79: the longest community description, in characters. */
export const MAX_DESCRIPTION_CHARS = 500;
/** R79: the most chats one community directory names. */
export const MAX_DIRECTORY_CHATS = 500;
/** R79: a community's open chats by name, so members who are not in them can read what they are. */
export const CommunityDirectory = z.array(z.object({ chatId: Id, name: z.string().trim().min(1).max(100) })).max(MAX_DIRECTORY_CHATS);
export type CommunityDirectory = z.infer<typeof CommunityDirectory>;

export const MessageContent = z.discriminatedUnion('kind', [
  // `entities`: the text's formatting (R47), checked against the text; an edit replaces them too.
  // `forwarded`: R49. `noForwardName`: the sender asks forwarders' devices to leave their name out (R49).
  // `attachments`: files (R52); with them `text` is the caption and may be empty.
  // `thread`: R89, a reply in the thread of that message (shown in the thread, not in the chat's flow).
  z.object({
    kind: z.literal('text'), text: z.string().max(16_000), entities: MessageEntities.optional(), replyTo: ClientMsgId.optional(), preview: LinkPreview.optional(),
    forwarded: Forwarded.optional(), noForwardName: z.literal(true).optional(), attachments: Attachments.optional(), thread: ClientMsgId.optional(),
    /** R114: a comment's short quote of the channel post it is on (its `thread` root lives in the channel, not this chat), so the discussion chat names the post. */
    threadQuote: z.string().min(1).max(MAX_THREAD_QUOTE_CHARS).optional(),
    /** R83: the franking key (32 random bytes) the sender committed to this text with; a report reveals it. */
    frank: FrankKey.optional(),
    /** R104: brought in from another messenger's export, with its original author's name and time. */
    imported: Imported.optional(),
    /** R93: a bot's inline keyboard under the text. */
    replyMarkup: ReplyMarkup.optional(),
    /** R121: a bot's reply keyboard (or its removal) for the chat's message box. */
    replyKeyboard: ReplyKeyboard.optional(),
    /** R144: a bot asks for a reply to this text (Telegram's force_reply). */
    forceReply: ForceReply.optional(),
    /** R151: a place (a bot's sendLocation / sendVenue); with it the text may be empty. */
    place: Place.optional(),
  }).superRefine(checkEntitiesOf).refine((m) => m.text.length > 0 || m.attachments !== undefined || m.imported?.omitted !== undefined || m.place !== undefined, { path: ['text'], message: 'a text, or attachments' }),
  // R93: an edit replaces the keyboard too (absent: none left), as Telegram's editMessageText does.
  // R122: `frank`, in a community's chat the key the new text is committed with (as a text's, R83).
  // R150: `attachments` replaces the files of a message with files (Telegram's editMessageMedia); with them the text may be empty.
  // R157: `place` moves (or stops) a live location; with it the text is ''.
  z.object({
    kind: z.literal('edit'), target: ClientMsgId, text: z.string().max(16_000), entities: MessageEntities.optional(), replyMarkup: ReplyMarkup.optional(), frank: FrankKey.optional(),
    attachments: Attachments.optional(),
    /** R157: a live location's new position (or its stop): applies only to a live place of the same sender, while it is live. */
    place: Place.extend({ live: LivePlace }).optional(),
  }).superRefine(checkEntitiesOf).refine((m) => m.text.length > 0 || m.attachments !== undefined || m.place !== undefined, { path: ['text'], message: 'a text, or attachments' }),
  z.object({ kind: z.literal('delete'), target: ClientMsgId }),
  z.object({ kind: z.literal('reaction'), target: ClientMsgId, emoji: z.string().min(1).max(16), on: z.boolean() }),
  /** R50: pins (`on`) or unpins a message of the chat; receivers count it only from who may pin. */
  z.object({ kind: z.literal('pin'), target: ClientMsgId, on: z.boolean() }),
  /**
   * The group's name, end-to-end encrypted (the server keeps '' for it). `announce`: the same name
   * repeated for devices that just joined (they can't read older messages), not a rename.
   * In a community's announcements chat (R79): `description` (absent: unchanged, '': none) and
   * `chats`, the names of its open chats (absent: unchanged).
   */
  z.object({
    kind: z.literal('chat_info'), name: z.string().trim().min(1).max(100), announce: z.boolean().optional(),
    description: z.string().trim().max(MAX_DESCRIPTION_CHARS).optional(), chats: CommunityDirectory.optional(),
  }),
  /**
   * R138: a community's rights as its owner's device states them (MLS authenticates the sending
   * device): who owns it and each admin's rights, the whole standing, posted by the owner in the
   * community's chats it is in after each change. `owner` naming someone else is a handover.
   */
  z.object({
    kind: z.literal('community_rights'), communityId: Id, owner: Id,
    moderators: z.array(z.object({ userId: Id, rights: z.array(CommunityRight).max(CommunityRight.options.length) })).max(1000),
  }),
  /**
   * R152: who may be added to a community's chats, said where no server can forge it. From a holder of
   * `invite` (MLS authenticates the sending device; the rights are R138's): `userIds` it admits (an
   * approved join request; `[]` at a community's creation starts the check), or `inviteKey`, an invite
   * link's Ed25519 public key (base64url; the link carries the private key). From a joiner: `proof`,
   * the link key's signature over `ADMIT_CONTEXT + communityId + "\n" + <the sender's user id>`, and
   * `keySeq`, where in the announcements chat the key was stated.
   */
  z.object({
    kind: z.literal('community_admit'), communityId: Id,
    userIds: z.array(Id).max(100).optional(),
    /** Anyone may join (a public channel's discussion, R114): no join is refused from here on. */
    open: z.literal(true).optional(),
    inviteKey: Base64Url.max(64).optional(),
    proof: z.object({ inviteKey: Base64Url.max(64), keySeq: z.number().int().nonnegative(), signature: Base64Url.max(128) }).optional(),
    /** R154: from a joiner of a public channel's discussion: where in the announcements chat an admin stated `open`. */
    openSeq: z.number().int().nonnegative().optional(),
  }),
  /**
   * R156: a ban, unban, mute or unmute as the admin's device states it, in the chats where the server
   * writes its line (bans in announcements; mutes in each chat of the community the admin is in):
   * devices take the server's `moderation` line only when a holder of `ban` said the same.
   */
  z.object({
    kind: z.literal('community_sanction'), communityId: Id, userId: Id,
    action: z.enum(['banned', 'unbanned', 'muted', 'unmuted']),
    untilMs: z.number().int().nonnegative().optional(),
  }),
  /**
   * R170: a wrapped channel's epoch key (16 bytes, base64), sent by the admin's device that opened
   * the epoch in the channel's announcements chat, whose MLS group holds the channel's admins (R171):
   * their devices take it from there at once, with no wrap. Not shown.
   */
  z.object({
    kind: z.literal('channel_epoch_key'), communityId: Id, epoch: z.number().int().positive(),
    key: z.string().regex(/^[A-Za-z0-9+/]{22}==$/, '16 bytes, base64'),
  }),
  CallContent,
  // R87: polls, votes and an early close (polls.ts); the tally is folded on each device.
  PollContent,
  VoteContent,
  PollCloseContent,
]);
export type MessageContent = z.infer<typeof MessageContent>;
/** R79: what a community's announcements chat's `chat_info` may carry beside the name. */
export type CommunityInfo = Pick<Extract<MessageContent, { kind: 'chat_info' }>, 'description' | 'chats'>;

const MESSAGE_KINDS: ReadonlySet<string> = new Set(MessageContent.options.map((o) => o.shape.kind.value));

/** At most this many heads in one `key_log_heads` (R33); a chat with more members sends several. */
export const MAX_KEY_LOG_HEADS = 100;

/** One user's key-log head as the sending device verified it (R19, R22); an empty log is never told. */
export const KeyLogHeadOf = z.object({ userId: Id, index: z.number().int().positive(), hash: Sha256Hex });
export type KeyLogHeadOf = z.infer<typeof KeyLogHeadOf>;

/**
 * R33: a device tells the chat's other devices the key-log heads it verified for the chat's
 * members, so a server that shows two members different histories of a user's log (a split view)
 * is caught by the members themselves. Not shown; one head per user in a message.
 */
export const KeyLogHeadsContent = z.object({
  kind: z.literal('key_log_heads'),
  heads: z.array(KeyLogHeadOf).min(1).max(MAX_KEY_LOG_HEADS)
    .refine((heads) => new Set(heads.map((h) => h.userId)).size === heads.length, 'one head per user'),
});

/**
 * What may fill a log position a device could not read (history for a new device, an answer to
 * `resend_request`): a person's message, or a device's key-log heads, so no unreadable line is
 * left where a device only said its heads. Heads that arrive this way are never compared (R33).
 */
export const PositionContent = z.discriminatedUnion('kind', [...MessageContent.options, KeyLogHeadsContent]);
export type PositionContent = z.infer<typeof PositionContent>;
const POSITION_KINDS: ReadonlySet<string> = new Set(PositionContent.options.map((o) => o.shape.kind.value));


/** At most this many messages travel in one `history` entry list (they are split across several). */
export const MAX_HISTORY_ENTRIES_PER_MESSAGE = 500;

/** One message of a chat as the sharing device decoded it, with the log position that proves which one. */
export const HistoryEntry = z.object({
  seq: z.number().int().positive(),
  id: ClientMsgId,
  senderUserId: Id,
  senderDeviceId: Id,
  sentAt: z.number().int(),
  content: PositionContent,
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** At most this many message ids in one `resend_request` (R32). */
export const MAX_RESEND_IDS = 50;

/**
 * Everything a message can carry. `history` is a device sharing a chat's earlier messages with
 * another device of the same user, through that user's own note-to-self chat (end-to-end encrypted
 * like any message): how a newly added device sees what was sent before it joined.
 *
 * `resend_request` and `resent` (R32) are the way out of a message a device could not read: the
 * device asks, in the chat, for messages by their client ids; each one's sender device answers with
 * `resent`, naming the log position (seq and id) and carrying what it sent there. A kind of its own
 * rather than a `resendOf` field on `text`: a client that does not know it shows one unreadable
 * line instead of the text again at the end (zod drops unknown fields), any message kind (an edit,
 * a reaction) can be sent again the same way, and the position is checked like a history entry's.
 *
 * `key_log_heads`: see KeyLogHeadsContent (R33).
 */
export const Content = z.discriminatedUnion('kind', [
  ...MessageContent.options,
  z.object({ kind: z.literal('history'), chatId: Id, forDevice: Id, entries: z.array(HistoryEntry).min(1).max(MAX_HISTORY_ENTRIES_PER_MESSAGE) }),
  z.object({ kind: z.literal('resend_request'), ids: z.array(ClientMsgId).min(1).max(MAX_RESEND_IDS) }),
  z.object({ kind: z.literal('resent'), seq: z.number().int().positive(), id: ClientMsgId, content: PositionContent }),
  KeyLogHeadsContent,
  /**
   * R51: the person's unsent draft for a chat, from one of their devices to the others, through the
   * note-to-self chat (end-to-end encrypted like every message there). The newest `at` wins; an
   * empty text clears it. Never shown as a message.
   */
  z.object({ kind: z.literal('draft'), chatId: Id, text: z.string().max(16_000), at: z.number().int().nonnegative() }),
  // R93: a press of a bot's inline button, and the bot's answer (bots.ts); never shown as lines.
  CallbackContent,
  CallbackAnswerContent,
]);
export type Content = z.infer<typeof Content>;

export const PLAIN_CONTENT_TYPE = 'parley/plain+json';

/** Whether a content is something a person wrote, not a device's note to devices. */
export function isMessageContent(content: Content): content is MessageContent {
  return MESSAGE_KINDS.has(content.kind);
}

/** Whether a content may be shared as history or sent again for its log position (PositionContent). */
export function isPositionContent(content: Content): content is PositionContent {
  return POSITION_KINDS.has(content.kind);
}

/**
 * Reads a received content (R47): like `Content.safeParse`, but a text or edit whose entities break
 * R47 is kept as plain text (its entities dropped), also inside history entries and resent messages,
 * rather than the whole message becoming unreadable. Undefined when it is not a content.
 */
export function parseReceivedContent(raw: unknown): Content | undefined {
  const strict = Content.safeParse(raw);
  if (strict.success) return strict.data;
  const lenient = Content.safeParse(withoutBadEntities(raw));
  return lenient.success ? lenient.data : undefined;
}

function withoutBadEntities(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const value = raw as Record<string, unknown>;
  if ((value['kind'] === 'text' || value['kind'] === 'edit') && 'entities' in value) {
    if (MessageContent.safeParse(value).success) return value;
    const { entities: _dropped, ...rest } = value;
    return rest;
  }
  if (value['kind'] === 'history' && Array.isArray(value['entries'])) {
    return { ...value, entries: value['entries'].map((e: unknown) => typeof e === 'object' && e !== null ? { ...e, content: withoutBadEntities((e as Record<string, unknown>)['content']) } : e) };
  }
  if (value['kind'] === 'resent') return { ...value, content: withoutBadEntities(value['content']) };
  return value;
}
