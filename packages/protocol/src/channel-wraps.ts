import { z } from 'zod';
import { Base64, Id } from './common.ts';
import { MAX_DESCRIPTION_CHARS } from './content.ts';
import { Attachment, BlobId, MAX_ATTACHMENTS } from './files.ts';
import { WrappedPoll } from './wrapped-polls.ts';

/**
 * R141-R142: private channels past the MLS size ("wrapped" mode). An admin's device draws an epoch
 * key, seals it to each subscriber device's key-log key (`sealEpochKey` in the SDK: X25519 with the
 * Ed25519 key's Montgomery form, HKDF-SHA256, AES-128-GCM) and uploads the wraps in batches; posts are
 * AES-128-GCM under the epoch key. The server stores and serves opaque bytes.
 */
export const WRAP_BYTES = 76; // ephemeral X25519 key 32 ‖ nonce 12 ‖ sealed 16-byte key + tag 32
export const WrappedKey = Base64.refine((s) => s.length === 104, `a wrap: ${WRAP_BYTES} bytes base64`);

export const ChannelEpoch = z.object({ epoch: z.number().int().positive(), createdBy: Id, createdAt: z.number().int() });
export type ChannelEpoch = z.infer<typeof ChannelEpoch>;

/** `POST /communities/:id/epochs {epoch}`: the next epoch (current + 1), made by an admin. */
export const CreateChannelEpochRequest = z.object({ epoch: z.number().int().positive().max(2 ** 31 - 1) });
export type CreateChannelEpochRequest = z.infer<typeof CreateChannelEpochRequest>;

export const ChannelWrap = z.object({ userId: Id, deviceId: Id, wrapped: WrappedKey });
export type ChannelWrap = z.infer<typeof ChannelWrap>;
/** `PUT /communities/:id/epochs/:epoch/wraps {wraps}`: a batch (at most PARLEY_CHANNEL_WRAP_BATCH). */
export const PutChannelWrapsRequest = z.object({ wraps: z.array(ChannelWrap).min(1) });
export type PutChannelWrapsRequest = z.infer<typeof PutChannelWrapsRequest>;

/** `GET /communities/:id/epochs/:epoch/unwrapped?after=`: subscriber devices still without a wrap (admins). */
export const UnwrappedDevice = z.object({ userId: Id, deviceId: Id, mlsSignatureKey: Base64 });
export type UnwrappedDevice = z.infer<typeof UnwrappedDevice>;

/** `GET /communities/:id/wraps?after=`: the calling device's own wraps. */
export const MyChannelWrap = z.object({ epoch: z.number().int().positive(), wrapped: WrappedKey, wrappedBy: Id });
export type MyChannelWrap = z.infer<typeof MyChannelWrap>;

/**
 * `POST /communities/:id/wrapped-posts {epoch, body, info?, blobs?}`: ciphertext (nonce ‖ AES-GCM) of a
 * signed post. R161: `info: true` marks an entry of the channel's info alone (its name for subscribers,
 * no post). R162: `blobs` names the encrypted files the post carries (the caller's own complete uploads).
 */
export const CreateWrappedPostRequest = z.object({
  epoch: z.number().int().positive(), body: Base64.min(40), info: z.literal(true).optional(),
  blobs: z.array(BlobId).min(1).max(MAX_ATTACHMENTS).refine((b) => new Set(b).size === b.length, 'a blob named twice').optional(),
  /** R167: an edit of the post at this seq (the signed plaintext names it too; readers go by that). */
  edits: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  /** R167-R168: files an edit keeps from the post it replaces (already referenced); each counts toward R168's size allowance. */
  keptFiles: z.number().int().min(1).max(MAX_ATTACHMENTS).optional(),
  /** R184: a pin or unpin of the post at this seq (the signed plaintext says which, and on or off; readers go by that): no post. */
  pins: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  /** R184: with `pins`, the caller's plain word that the entry unpins (absent: it pins), so the server holds the channel to PARLEY_CHANNEL_MAX_PINS. */
  unpin: z.literal(true).optional(),
}).refine((r) => r.unpin === undefined || r.pins !== undefined, 'unpin goes with pins')
  .refine((r) => r.pins === undefined || (!r.info && !r.blobs && r.edits === undefined && r.keptFiles === undefined), 'a pin names the post it pins and nothing else')
  .refine((r) => !(r.info && r.blobs), 'an entry of the channel\'s info alone names no files')
  .refine((r) => !(r.info && r.edits), 'an entry of the channel\'s info alone edits nothing')
  .refine((r) => r.keptFiles === undefined || (r.edits !== undefined && r.keptFiles + (r.blobs?.length ?? 0) <= MAX_ATTACHMENTS), 'kept files only in an edit, at most MAX_ATTACHMENTS in all');
export type CreateWrappedPostRequest = z.infer<typeof CreateWrappedPostRequest>;

export const WrappedPost = z.object({
  seq: z.number().int().positive(), epoch: z.number().int().positive(), authorId: Id, authorDevice: Id, body: Base64, createdAt: z.number().int(),
  /** R161: the author marked it an entry of the channel's info alone (not a post). */
  info: z.literal(true).optional(),
  /** R167: the server's word that this entry edits the post at that seq (readers go by the signed plaintext). */
  edits: z.number().int().positive().optional(),
  /** R167: an admin deleted it for everyone: the server dropped its body (empty). */
  deleted: z.literal(true).optional(),
  /** R184: the server's word that this entry pins or unpins the post at that seq (readers go by the signed plaintext). */
  pins: z.number().int().positive().optional(),
});
export type WrappedPost = z.infer<typeof WrappedPost>;

/**
 * R147: the channel's name and description for subscribers past the MLS size, who are not in the
 * announcements chat where `chat_info` carries them (R66, R79): the same fields, in the wrapped log.
 */
export const WrappedChannelInfo = z.object({ name: z.string().trim().min(1).max(100), description: z.string().trim().min(1).max(MAX_DESCRIPTION_CHARS).optional() });
export type WrappedChannelInfo = z.infer<typeof WrappedChannelInfo>;

/** R184: what a pin entry signs: the post's seq, pinned (`on`) or unpinned. */
export const WrappedPin = z.object({ seq: z.number().int().positive(), on: z.boolean() });
export type WrappedPin = z.infer<typeof WrappedPin>;

/**
 * What an admin's device signs and seals into a post's body (the signature inside, over
 * `wrappedPostSigningBytes`): a post's `text`, (R162) its encrypted files (`attachments`, each with its
 * key, as a chat message's: R52; `text` is then the caption and may be absent), and (R147) the
 * channel's `info`, which every post carries so a subscriber given only the current epoch learns the
 * name; after a rename, and first in each epoch (R161), an entry carries `info` alone.
 */
export const WrappedPostPlain = z.object({
  v: z.literal(1), communityId: Id, epoch: z.number().int().positive(), userId: Id, deviceId: Id, date: z.number().int(),
  text: z.string().min(1).optional(), info: WrappedChannelInfo.optional(),
  attachments: z.array(Attachment).min(1).max(MAX_ATTACHMENTS).optional(),
  /** R167: this entry replaces the text and files of the post at that seq (a reader shows the newest signed version, "edited"). */
  edits: z.number().int().positive().optional(),
  /** R184: an admin pins (`on`) or unpins the post at `seq`; such an entry carries no text or files (the channel's info, R161, may ride along). */
  pin: WrappedPin.optional(),
  /** R185: a poll (an admin's post; not in an edit). */
  poll: WrappedPoll.optional(),
  /** R188: published by the server's sweep at `date`, the time the admin scheduled (readers refuse it served early). */
  scheduled: z.literal(true).optional(),
}).refine((p) => p.text !== undefined || p.info !== undefined || p.attachments !== undefined || p.pin !== undefined || p.poll !== undefined, 'a text, files, a pin, a poll or the channel\'s info')
  .refine((p) => p.pin === undefined || (p.text === undefined && p.attachments === undefined && p.edits === undefined && p.poll === undefined), 'a pin carries no text, files, poll or edit')
  .refine((p) => p.poll === undefined || p.edits === undefined, 'an edit carries no poll')
  .refine((p) => p.edits === undefined || p.text !== undefined || p.attachments !== undefined, 'an edit carries a text or files');
export type WrappedPostPlain = z.infer<typeof WrappedPostPlain>;
