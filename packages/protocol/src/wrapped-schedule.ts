import { z } from 'zod';
import { Base64, Id } from './common.ts';

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
  /** Text only for now: files (R162) are refused (`bad_request`), not dropped. */
  blobs: z.never({ message: 'a scheduled post carries text only' }).optional(),
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
  /**
   * Sealed under an epoch posts may no longer use (a newer epoch, or a removal since it began, R142):
   * the sweep leaves it until a device of its author re-seals it under the current epoch.
   */
  stale: z.literal(true).optional(),
});
export type WrappedScheduledPost = z.infer<typeof WrappedScheduledPost>;
