import { z } from 'zod';
import { Base64, Id } from './common.ts';
import { BlobId, MAX_ATTACHMENTS } from './files.ts';

/**
 * R188: scheduled posts of a wrapped channel. An admin's device seals and signs the post as R142's
 * (under the current epoch's key), but its signed `date` is the time it is to appear and it carries
 * `scheduled: true`; the server keeps the ciphertext until then and its sweep appends it to the log.
 */
export const PutWrappedScheduledRequest = z.object({
  epoch: z.number().int().positive(),
  body: Base64.min(40),
  /** When the server publishes it (ms since the epoch); the signed `date` inside is the same time, which readers check. */
  publishAt: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  /**
   * R192: the encrypted files the post carries (R162's `blobs`: the caller's own complete uploads); the
   * scheduled post holds them until it is published (they pass to the post) or cancelled.
   */
  blobs: z.array(BlobId).min(1).max(MAX_ATTACHMENTS).refine((b) => new Set(b).size === b.length, 'a blob named twice').optional(),
});
export type PutWrappedScheduledRequest = z.infer<typeof PutWrappedScheduledRequest>;

export const WrappedScheduledPost = z.object({
  /** The id the admin's device chose (a `PUT` with it again replaces the post: an edit, or a re-seal under a newer epoch). */
  id: Id,
  epoch: z.number().int().positive(),
  authorId: Id,
  authorDevice: Id,
  body: Base64,
  publishAt: z.number().int(),
  createdAt: z.number().int(),
  /** R192: the files it carries, in order (a re-seal names them again). */
  blobs: z.array(BlobId).optional(),
  /**
   * Sealed under an epoch posts may no longer use (a newer epoch, or a removal since it began, R142):
   * the sweep leaves it until a device of its author re-seals it under the current epoch.
   */
  stale: z.literal(true).optional(),
});
export type WrappedScheduledPost = z.infer<typeof WrappedScheduledPost>;
