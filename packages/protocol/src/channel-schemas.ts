import { z } from 'zod';
import { Base64, Id } from './common.ts';
import { BlobId, MAX_ATTACHMENTS } from './files.ts';

// Request and listing schemas only the server and the SDK's lazy channel parts use (R177's comment
// counts, R188's and R191's scheduled posts): `@parley/protocol/channel-schemas`, not re-exported by the
// package's index, so the web chat screen's bundle does not carry them (zod's calls count as side effects
// to the bundler). Their content-type constants and helpers stay in the index (mls-scheduled.ts,
// wrapped-comments.ts).

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

/** `PUT /communities/:id/channel-scheduled/:scheduleId`: the sealed body (opaque to the server) for the chat's current MLS epoch. */
export const PutMlsScheduledRequest = z.object({
  /** The announcements chat's MLS epoch the body is sealed at: the server's current one, else `epoch_conflict`. */
  epoch: z.number().int().nonnegative(),
  body: Base64.min(40),
  /** When the server publishes it (ms since the epoch); the signed `date` inside is the same time, which readers check. */
  publishAt: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
}).strict(); // text only (R191): a body naming `blobs` (or anything else) is `bad_request`, not stripped
export type PutMlsScheduledRequest = z.infer<typeof PutMlsScheduledRequest>;

/** R191: a scheduled post as admins list it: R188's shape; `stale` when the chat's epoch moved since it was sealed. */
export const MlsScheduledPost = WrappedScheduledPost.extend({ epoch: z.number().int().nonnegative() });
export type MlsScheduledPost = z.infer<typeof MlsScheduledPost>;

/**
 * R191: the entry's body, the same bytes the server stores and appends (base64 of this JSON's UTF-8).
 * `sealed`: AES-GCM under the exporter key of `{signed, signature}`; `copy`: the signed text again,
 * sealed to each device of its author (R141's wraps), so any of them re-seals it under a later epoch.
 */
export const MlsScheduledBody = z.object({
  v: z.literal(1),
  /** The epoch it is sealed at, in the clear (the server knows it): a device whose group is past it says so rather than "tampered". */
  epoch: z.number().int().nonnegative(),
  sealed: Base64,
  copy: z.object({ box: Base64, wraps: z.record(z.string().max(64), Base64) }),
});
export type MlsScheduledBody = z.infer<typeof MlsScheduledBody>;

/** R191: what the author's device signs (the JSON string inside `sealed`); the signature covers `parley-mls-scheduled-sig-v1\n` + it. */
export const MlsScheduledSigned = z.object({
  v: z.literal(1),
  chatId: z.string().max(64),
  epoch: z.number().int().nonnegative(),
  scheduleId: z.string().max(64),
  userId: z.string().max(64),
  deviceId: z.string().max(64),
  /** The time it is to appear (ms): shown as its date; readers check it against when it was served. */
  date: z.number().int().positive(),
  text: z.string().min(1).max(16_000),
});
export type MlsScheduledSigned = z.infer<typeof MlsScheduledSigned>;

/** R177: a comment mark (see wrapped-comments.ts). */
export const WrappedCommentMark = z.string().regex(/^[0-9a-f]{32}$/, 'a comment mark: 16 bytes hex');
export type WrappedCommentMark = z.infer<typeof WrappedCommentMark>;

/** One post's comment count, as the server keeps it (`PUT`/`DELETE …/comments/:mark`, `GET …/comment-counts`). */
export const WrappedCommentCount = z.object({
  seq: z.number().int().positive(),
  comments: z.number().int().nonnegative(),
});
export type WrappedCommentCount = z.infer<typeof WrappedCommentCount>;
