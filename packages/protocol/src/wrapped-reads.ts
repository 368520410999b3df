import { z } from 'zod';
import { Id } from './common.ts';

/**
 * R182: a member's read state of a wrapped channel (R141), as a public channel's subscription has one
 * (R97): `readSeq` the last seq of the channel's log they read, `lastSeq` the log's end when counted,
 * `unread` the posts after `readSeq` (not info alone, R161; not edits or deleted posts, R167; not their
 * own), `muted` their own flag. `GET /communities/wrapped-reads` → `{reads: WrappedRead[]}` (all the
 * caller's wrapped channels at once, for the chat list).
 */
export const WrappedRead = z.object({
  communityId: Id,
  readSeq: z.number().int().nonnegative(),
  lastSeq: z.number().int().nonnegative(),
  unread: z.number().int().nonnegative(),
  muted: z.boolean(),
});
export type WrappedRead = z.infer<typeof WrappedRead>;

/** R182: `POST /communities/:id/wrapped-read {upToSeq}`: forward only, never past the log's end. */
export const WrappedReadRequest = z.object({ upToSeq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER) });
/** R182: `PUT /communities/:id/wrapped-mute {muted}`. */
export const WrappedMuteRequest = z.object({ muted: z.boolean() });
