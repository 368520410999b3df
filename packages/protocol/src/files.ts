import { z } from 'zod';
import { Base64 } from './common.ts';
import { Sha256Hex } from './key-log.ts';

/**
 * Files (R52-R56). A file is encrypted on the sending device (R52), uploaded as an opaque blob with
 * tus (R53), referenced by messages whose `send` frame names its blob id (R54), read back with HTTP
 * Range by whoever may (R55), and deleted when nothing references it any more (R56). The server
 * sees blob ids, ciphertext sizes and which chat messages reference which blob; never a file's
 * name, type, dimensions, thumbnail, key or bytes: those travel inside the MLS-encrypted message.
 */

/** A blob's id: 128 random bits from the server, base64url without padding (22 characters). */
export const BlobId = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'blob id: 22 chars of base64url');
export type BlobId = z.infer<typeof BlobId>;

/** The path blobs live under (with API_PREFIX): tus creation is `POST ${BLOBS_PATH}`, a blob is `${BLOBS_PATH}/:id`. */
export const BLOBS_PATH = '/blobs';

/** R52: the plaintext bytes in each encrypted chunk unless the attachment says otherwise. */
export const FILE_CHUNK_BYTES = 64 * 1024;
/** R52: the chunk sizes an attachment may name (powers of two, 16 KiB to 4 MiB). */
export const MIN_FILE_CHUNK_BYTES = 16 * 1024;
export const MAX_FILE_CHUNK_BYTES = 4 * 1024 * 1024;
/** AES-GCM's tag, appended to every chunk. */
export const FILE_CHUNK_TAG_BYTES = 16;
/** The largest file size an attachment may state (the server's own `maxFileBytes` is at most this). */
export const MAX_ATTACHMENT_BYTES = 64 * 1024 ** 3;
/** At most this many attachments in one message (an album). */
export const MAX_ATTACHMENTS = 10;
/** Largest inline thumbnail (base64 characters) and waveform (samples, one byte each). */
export const MAX_THUMBNAIL_CHARS = 40_000;
export const MAX_WAVEFORM_SAMPLES = 128;

/** The number of chunks a file of `size` plaintext bytes is cut into: at least one (R52). */
export function chunkCount(size: number, chunkBytes: number = FILE_CHUNK_BYTES): number {
  return Math.max(1, Math.ceil(size / chunkBytes));
}

/** R52: the ciphertext's length, which is the blob's (tus `Upload-Length`). */
export function cipherSize(size: number, chunkBytes: number = FILE_CHUNK_BYTES): number {
  return size + chunkCount(size, chunkBytes) * FILE_CHUNK_TAG_BYTES;
}

/** R158: the picture types a sticker may be (Telegram's static stickers; animated TGS and video WebM are not). */
export const STICKER_MIMES: readonly string[] = ['image/webp', 'image/png'];
/** R158: the largest side of a sticker as apps show it, in CSS pixels. */
export const STICKER_SIDE_PX = 160;

/** How a client shows an attachment; receivers check it against `mime` before using it as media. */
export const AttachmentKind = z.enum(['file', 'image', 'video', 'audio', 'voice']);
export type AttachmentKind = z.infer<typeof AttachmentKind>;

/** A recording's or a video's length (ms). */
export const MediaDurationMs = z.number().int().nonnegative().max(365 * 24 * 3600 * 1000);
/** A voice message's loudness over time, one byte (0-255) per sample, base64 (R199's public voice posts take the same). */
export const VoiceWaveform = Base64.max(Math.ceil(MAX_WAVEFORM_SAMPLES / 3) * 4);

/**
 * R52: one attached file, inside the encrypted message. `key` opens it, `sha256` is of the whole
 * ciphertext (the blob), `size` is the plaintext's length. `name` and `mime` are what the sender's
 * device said; receivers never trust them for display without sanitising (R52).
 */
export const Attachment = z.object({
  blobId: BlobId,
  /** AES-256-GCM key, 32 bytes, base64; fresh and random for each file. */
  key: Base64.refine((s) => s.length === 44, 'key: 32 bytes base64'),
  sha256: Sha256Hex,
  size: z.number().int().nonnegative().max(MAX_ATTACHMENT_BYTES),
  chunkBytes: z.number().int().min(MIN_FILE_CHUNK_BYTES).max(MAX_FILE_CHUNK_BYTES)
    .refine((n) => (n & (n - 1)) === 0, 'a power of two'),
  kind: AttachmentKind,
  name: z.string().min(1).max(255),
  mime: z.string().min(1).max(127),
  width: z.number().int().positive().max(100_000).optional(),
  height: z.number().int().positive().max(100_000).optional(),
  durationMs: MediaDurationMs.optional(),
  /** A small picture made by the sender's device (a photo's or a video's first frame). */
  thumbnail: z.object({ mediaType: z.enum(['image/jpeg', 'image/webp', 'image/png']), data: Base64.min(4).max(MAX_THUMBNAIL_CHARS) }).optional(),
  waveform: VoiceWaveform.optional(),
  /** R158: a sticker (a WebP or PNG `image`), shown alone without the bubble; `emoji`: the one it stands for. */
  sticker: z.object({ emoji: z.string().min(1).max(16).optional() }).optional(),
}).refine((a) => !a.sticker || (a.kind === 'image' && STICKER_MIMES.includes(a.mime)), { path: ['sticker'], message: 'a sticker is an image/webp or image/png image' });
export type Attachment = z.infer<typeof Attachment>;

export const Attachments = z.array(Attachment).min(1).max(MAX_ATTACHMENTS)
  .refine((list) => new Set(list.map((a) => a.blobId)).size === list.length, 'each blob once');

/** R56: how much a user stores, as `GET /me/storage` answers. */
export const StorageUsage = z.object({
  usedBytes: z.number().int().nonnegative(),
  quotaBytes: z.number().int().nonnegative(),
  maxFileBytes: z.number().int().positive(),
  blobs: z.number().int().nonnegative(),
});
export type StorageUsage = z.infer<typeof StorageUsage>;
