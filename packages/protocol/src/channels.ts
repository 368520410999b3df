import { z } from 'zod';
import { Base64, Id, PublicKey, RESERVED_HANDLES } from './common.ts';
import { MessageEntities } from './entities.ts';
import { BlobId, MediaDurationMs, VoiceWaveform } from './files.ts';
import { WrappedPoll } from './wrapped-polls.ts';

/**
 * Public channels (R95-R99): one author (or a few admins) broadcasting to any number of subscribers.
 * Public posts are not encrypted, they are readable by anyone by design; instead every post is
 * signed on an admin's device (Ed25519) and every reader checks it against the channel's admin key
 * list, which the owner signs. The server stores and serves the signed bytes; it cannot make,
 * alter, re-date or reorder a post that a client shows as genuine (R96).
 */

/** R95: the schema's bound on a channel handle's length before the squatting checks (handles are 3-32 a-z 0-9 _). */
const MAX_RAW_HANDLE = 64;
export const MAX_CHANNEL_TITLE = 128;
export const MAX_CHANNEL_DESCRIPTION = 1024;
/** R96: the schema's bound on a signed post's bytes; the server's own, PARLEY_CHANNEL_MAX_POST_CHARS, is lower. */
export const MAX_SIGNED_POST_SCHEMA = 256 * 1024;
/** R95b: the schema's bound on the admin key list (the server's PARLEY_CHANNEL_MAX_ADMINS keeps it far lower). */
export const MAX_CHANNEL_ADMINS_SCHEMA = 1000;
/** R200: an admin's signed name in the key list (a display name is at most 100). */
export const MAX_CHANNEL_ADMIN_NAME = 100;

/** R96: what an admin's device signs, prefixed to the signed JSON text (domain separation). */
export const CHANNEL_POST_CONTEXT = 'parley-channel-post-v1\n';
/** R95b: what the owner's device signs, prefixed to the key list's JSON text. */
export const CHANNEL_KEYS_CONTEXT = 'parley-channel-keys-v1\n';
/** R125: what an admin's device signs, prefixed to a log head's JSON text. */
export const CHANNEL_HEAD_CONTEXT = 'parley-channel-head-v1\n';
/** R125: the schema's bound on the earlier positions one post version names (one per earlier version). */
export const MAX_CHANNEL_REPLACES_SCHEMA = 10_000;

/** Digits and letters people mistake for each other in a handle; `rn` reads as `m`, `vv` as `w`. */
const LOOK_ALIKE: ReadonlyArray<[RegExp, string]> = [
  [/0/g, 'o'], [/1/g, 'l'], [/i/g, 'l'], [/3/g, 'e'], [/4/g, 'a'], [/5/g, 's'], [/7/g, 't'], [/8/g, 'b'], [/rn/g, 'm'], [/vv/g, 'w'], [/_/g, ''],
];

/** The form two handles that look alike share: `supp0rt`, `sup_port` and `support` all give `supportl`-like equal skeletons. */
export function handleSkeleton(handle: string): string {
  let s = handle.toLowerCase();
  for (const [from, to] of LOOK_ALIKE) s = s.replace(from, to);
  return s;
}

const RESERVED_SKELETONS: ReadonlySet<string> = new Set([...RESERVED_HANDLES].map(handleSkeleton));

/**
 * R95: why a channel handle may not be taken, or undefined when it may. Handles are what account
 * handles are (3-32 of a-z 0-9 _, starting with a letter); letters of other scripts are refused
 * with a message that says so, and a mix of latin and another script (`pаypal` with a Cyrillic а)
 * is named a look-alike. Reserved handles, and handles that read as one (`supp0rt`, `adm1n`), are refused.
 */
export function channelHandleProblem(handle: string): string | undefined {
  const letters = [...handle].filter((c) => /\p{L}/u.test(c));
  const latin = letters.some((c) => /\p{Script=Latin}/u.test(c));
  const other = letters.some((c) => !/\p{Script=Latin}/u.test(c));
  if (latin && other) return 'handle mixes latin letters with another script (a look-alike): use a-z only';
  if (/[^\x00-\x7f]/.test(handle)) return 'handle: only a-z, 0-9 and _ (no letters of other scripts, accents or symbols)';
  if (!/^[a-z][a-z0-9_]{2,31}$/.test(handle)) return 'handle: 3-32 of a-z 0-9 _, starting with a letter';
  if (RESERVED_HANDLES.has(handle)) return 'this handle is reserved';
  if (RESERVED_SKELETONS.has(handleSkeleton(handle))) return 'this handle looks like a reserved one';
  return undefined;
}

export const RawChannelHandle = z.string().min(1).max(MAX_RAW_HANDLE);

/** Bytes someone signed: the exact JSON text (R96: readers verify these bytes, never a re-encoding) and its Ed25519 signature. */
export const SignedBlob = z.object({
  signed: z.string().min(2).max(MAX_SIGNED_POST_SCHEMA),
  /** 64 bytes, base64. */
  signature: Base64.refine((s) => s.length === 88, 'ed25519 signature: 64 bytes base64'),
});
export type SignedBlob = z.infer<typeof SignedBlob>;

/** R95b: the admins' post-signing keys, as the owner's device signed them; `version` goes up by one per change. */
export const ChannelKeyList = z.object({
  v: z.literal(1),
  channelId: Id,
  version: z.number().int().positive(),
  /** The owner's key, the same in every version (fixed at creation; readers pin it). */
  owner: PublicKey,
  /**
   * The keys posts verify against. `untilSeq`: a retired key (its admin was removed): posts it signed
   * at seqs up to it stay genuine, later ones are not; the server takes no post signed by it.
   */
  admins: z.array(z.object({
    userId: Id, key: PublicKey, untilSeq: z.number().int().nonnegative().optional(),
    /** R200: the admin's name as the owner's device signed it in (shown under their posts when `signNames` is on). */
    name: z.string().max(MAX_CHANNEL_ADMIN_NAME).optional(),
  })).min(1).max(MAX_CHANNEL_ADMINS_SCHEMA),
  /**
   * R200: "sign messages": readers show each post's author (the `name` of its signer's entry). Part of the
   * owner-signed list, so the server can't turn it on or off, or rename an author, without every reader noticing.
   */
  signNames: z.boolean().optional(),
});
export type ChannelKeyList = z.infer<typeof ChannelKeyList>;

/** R110: the schema's bound on files one post names (the server's PARLEY_CHANNEL_MAX_ATTACHMENTS is lower). */
export const MAX_CHANNEL_ATTACHMENTS_SCHEMA = 100;
/** R110: photos a public page and the apps show inline; any other type is served as a download, never rendered. */
export const CHANNEL_IMAGE_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'];
/** R126: audio and video a public page plays (served as what they are, with byte ranges so they seek); never rendered as a document. */
export const CHANNEL_PLAYABLE_TYPES: readonly string[] = ['video/mp4', 'video/webm', 'audio/mpeg', 'audio/ogg', 'audio/mp4', 'audio/webm'];

/**
 * R110: a photo or file of a public post. Public posts are public, so their files are plain (not
 * encrypted) blobs; the signed post names each by the SHA-256 of its bytes and its size, so a reader
 * shows a file only once the bytes it downloaded hash to what an admin signed.
 */
export const ChannelAttachment = z.object({
  blobId: BlobId,
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256: 64 lowercase hex digits'),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  mime: z.string().max(100).regex(/^[a-z]+\/[a-z0-9.+-]+$/, 'a media type like image/jpeg'),
  name: z.string().max(255).optional(),
  width: z.number().int().positive().max(100_000).optional(),
  height: z.number().int().positive().max(100_000).optional(),
  /** R199: a voice note recorded in the composer (an audio file): apps show the voice player, with its length and loudness (the chats' waveform). */
  voice: z.literal(true).optional(),
  durationMs: MediaDurationMs.optional(),
  waveform: VoiceWaveform.optional(),
}).refine((f) => !f.voice || f.mime.startsWith('audio/'), { path: ['voice'], message: 'a voice note is an audio file' });
export type ChannelAttachment = z.infer<typeof ChannelAttachment>;

/**
 * R96: one version of a post, as an admin's device signed it. A post is version 1 at log position
 * `postSeq == seq`; each edit, deletion, pin or unpin is the next version at a new log position `seq`.
 * `date` is the signer's clock; readers show it, the server checks it is near its own (R96).
 */
export const ChannelPostBody = z.object({
  v: z.literal(1),
  channelId: Id,
  postId: Id,
  postSeq: z.number().int().positive(),
  seq: z.number().int().positive(),
  version: z.number().int().positive(),
  date: z.number().int().nonnegative(),
  /** The admin key that signs this version (base64 raw Ed25519), listed in the channel's key list. */
  signer: PublicKey,
  text: z.string(),
  entities: MessageEntities.optional(),
  /** R110: the post's photos and files (none on a deleted post). */
  attachments: z.array(ChannelAttachment).max(MAX_CHANNEL_ATTACHMENTS_SCHEMA).optional(),
  /**
   * R198: a poll (R185's question, options and `multiple`), inside the signed bytes so the server can't
   * alter it; every later version of the post carries the same poll (none once deleted). Votes: R198.
   */
  poll: WrappedPoll.optional(),
  pinned: z.boolean(),
  deleted: z.boolean(),
  /**
   * R96: true on a version whose text, entities or files an admin changed (an edit) and on every later
   * version of that post (a pin or unpin carries it); readers say "edited" only then, not after a pin.
   */
  edited: z.boolean().optional(),
  /**
   * R125: the log positions of every earlier version of this post, oldest first (`postSeq` first); absent
   * on version 1. A reader thereby knows why those positions hold no entry: a position neither served
   * nor named here by a later version was withheld.
   */
  replaces: z.array(z.number().int().positive()).max(MAX_CHANNEL_REPLACES_SCHEMA).optional(),
});
export type ChannelPostBody = z.infer<typeof ChannelPostBody>;

/**
 * R125: a signed log head: an admin's device says "the log reached `seq`, as I saw it at `date`". Signed
 * after every post, edit, deletion and pin, and again by an admin's device that finds the head behind
 * the log (scheduled posts) or old. Readers pin the highest they saw and check the log against it.
 */
export const ChannelHeadBody = z.object({
  v: z.literal(1),
  channelId: Id,
  seq: z.number().int().nonnegative(),
  date: z.number().int().nonnegative(),
  signer: PublicKey,
});
export type ChannelHeadBody = z.infer<typeof ChannelHeadBody>;

export const Channel = z.object({
  channelId: Id,
  handle: z.string(),
  title: z.string(),
  description: z.string(),
  createdAt: z.number().int(),
  ownerId: Id,
  /** The log's last position (R97: a notice carries it). */
  lastSeq: z.number().int().nonnegative(),
  subscribers: z.number().int().nonnegative(),
  keyList: SignedBlob,
  /** R125: the newest log head an admin signed (absent until one has). */
  head: SignedBlob.optional(),
});
export type Channel = z.infer<typeof Channel>;

/** R97: the caller's subscription: where they read up to, posts after it (not deleted), and mute. */
export const ChannelSubscription = z.object({
  channel: Channel,
  readSeq: z.number().int().nonnegative(),
  unread: z.number().int().nonnegative(),
  muted: z.boolean(),
});
export type ChannelSubscription = z.infer<typeof ChannelSubscription>;

/** One post's latest version at its log position. */
export const ChannelEntry = SignedBlob.extend({ seq: z.number().int().positive() });
export type ChannelEntry = z.infer<typeof ChannelEntry>;

/** R98: counts only; `mine` is the caller's own reaction. */
export const ChannelPostCounts = z.object({
  postId: Id,
  views: z.number().int().nonnegative(),
  reactions: z.record(z.string(), z.number().int().nonnegative()),
  mine: z.string().optional(),
});
export type ChannelPostCounts = z.infer<typeof ChannelPostCounts>;

/** One emoji: up to 8 code points (flags, skin tones, ZWJ sequences), no ASCII letters, digits or controls. */
export const ReactionEmoji = z.string().min(1).max(32)
  .refine((s) => [...s].length <= 8 && !/[\u0000-\u0020a-zA-Z0-9<>&"']/.test(s), 'one emoji');

export const CreateChannelRequest = z.object({
  handle: RawChannelHandle,
  title: z.string().trim().min(1).max(MAX_CHANNEL_TITLE).refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'no control characters'),
  description: z.string().max(MAX_CHANNEL_DESCRIPTION).default(''),
  /** The key list, version 1, naming the owner's key alone; its channelId is the one the client chose. */
  keyList: SignedBlob,
});
export type CreateChannelRequest = z.input<typeof CreateChannelRequest>;

export const SetChannelKeyRequest = z.object({ key: PublicKey });
export const ChannelSubscriptionRequest = z.object({ muted: z.boolean().optional() });
export const ChannelReadRequest = z.object({ upToSeq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER) });
export const ChannelReactionRequest = z.object({ emoji: ReactionEmoji });
export const ChannelViewsRequest = z.object({ postIds: z.array(Id).min(1).max(100) });
export const ChannelLogQuery = z.object({
  afterSeq: z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().positive().max(1000).optional(),
});
export const ChannelPostsQuery = z.object({
  beforePostSeq: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().positive().max(1000).optional(),
});
export const ChannelCountsQuery = z.object({ postIds: z.string().max(100 * 65).transform((s) => s.split(',')).pipe(z.array(Id).min(1).max(100)) });

// --- R115: scheduled posts ---------------------------------------------------------------------

/**
 * R115: a post signed for a later time. It has no log position when it is signed: the server wraps it
 * in the log (at the next seq) when its time comes, as version 1 at `postSeq = seq`. `date` is the
 * scheduled time: readers show it, and refuse an entry served before it (R115).
 */
export const ChannelScheduledBody = ChannelPostBody.omit({ postSeq: true, seq: true, version: true, pinned: true, deleted: true })
  .extend({ scheduled: z.literal(true) });
export type ChannelScheduledBody = z.infer<typeof ChannelScheduledBody>;

/** R115: a scheduled post as its channel's admins see it before it is published. */
export const ScheduledChannelPost = SignedBlob.extend({ postId: Id, publishAt: z.number().int(), authorId: Id });
export type ScheduledChannelPost = z.infer<typeof ScheduledChannelPost>;

// --- R114: discussion chats --------------------------------------------------------------------

/** R114: the chat where a channel's posts are commented: an open chat of a community (its moderation applies). */
/**
 * R154: `openSeq`, for a public channel's: where in the community's announcements chat its admin stated
 * that anyone may join (R152 `open`); a joiner names it, so devices that joined later can check the join.
 */
export const ChannelDiscussion = z.object({ chatId: Id, communityId: Id, openSeq: z.number().int().nonnegative().optional() });
export type ChannelDiscussion = z.infer<typeof ChannelDiscussion>;
export const LinkDiscussionRequest = z.object({ chatId: Id, openSeq: z.number().int().nonnegative().optional() });
/** R111: a search for public channels by the start of a handle or a title; `offset` pages on. */
export const ChannelSearchQuery = z.object({
  q: z.string().min(1).max(64),
  offset: z.coerce.number().int().nonnegative().max(1000).optional(),
});
/** R111: one page of results; `nextOffset` when there are more. */
export const ChannelSearchResponse = z.object({ channels: z.array(Channel), nextOffset: z.number().int().optional() });
export type ChannelSearchResponse = z.infer<typeof ChannelSearchResponse>;
