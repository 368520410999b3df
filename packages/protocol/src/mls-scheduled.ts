import { z } from 'zod';
import { Base64 } from './common.ts';
import { WrappedScheduledPost } from './wrapped-schedule.ts';

/**
 * R191: the content type of a scheduled post of a private channel in MLS mode (R112) in the announcements
 * chat's log. Not an MLS message: the body (`MlsScheduledBody`, JSON) holds the post sealed under a key
 * from the chat's MLS exporter at the epoch it names, signed by its author's device. The server appends
 * it as its author's entry when the chat is still at that epoch, so every reader's group is there too.
 */
export const MLS_SCHEDULED_CONTENT_TYPE = 'parley/mls-scheduled';

/** R191: the MLS exporter label the sealing key comes from (its context: the schedule id). */
export const MLS_SCHEDULED_EXPORTER_LABEL = 'parley scheduled post';

/** `PUT /communities/:id/channel-scheduled/:scheduleId`: the sealed body (opaque to the server) for the chat's current MLS epoch. */
export const PutMlsScheduledRequest = z.object({
  /** The announcements chat's MLS epoch the body is sealed at: the server's current one, else `epoch_conflict`. */
  epoch: z.number().int().nonnegative(),
  body: Base64.min(40),
  /** When the server publishes it (ms since the epoch); the signed `date` inside is the same time, which readers check. */
  publishAt: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});
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
