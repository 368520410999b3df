import { z } from 'zod';

/**
 * R166-R167: what a wrapped channel's readers send back and admins change after posting. A reaction
 * is a token, not an emoji: the first 16 bytes (hex) of HMAC-SHA256 keyed by the post's epoch key over
 * `"parley-wrapped-reaction-v1\n" communityId "\n" seq "\n" emoji` (SDK `wrappedReactionToken`), so the
 * server counts equal tokens per post without learning which emoji; a reader maps tokens back by
 * computing the token of each emoji it offers.
 */
export const WRAPPED_REACTION_TOKEN_HEX = 32;
export const WrappedReactionToken = z.string().regex(/^[0-9a-f]{32}$/, 'a reaction token: 16 bytes hex');

/** `PUT /communities/:id/wrapped-posts/:seq/reaction {token}`: this user's one reaction to the post (replaces theirs). */
export const PutWrappedReactionRequest = z.object({ token: WrappedReactionToken });
export type PutWrappedReactionRequest = z.infer<typeof PutWrappedReactionRequest>;

/** One post's reaction counts by token, its views (R183), and the caller's own token. */
export const WrappedPostCounts = z.object({
  seq: z.number().int().positive(),
  reactions: z.record(z.string(), z.number().int().nonnegative()),
  /** R183: device-runs that showed the post, summed over the time buckets (approximate: not people). */
  views: z.number().int().nonnegative(),
  mine: WrappedReactionToken.optional(),
});
export type WrappedPostCounts = z.infer<typeof WrappedPostCounts>;

/** `GET /communities/:id/wrapped-posts/counts?seqs=1,2,3`: at most this many posts a request. */
export const MAX_WRAPPED_COUNTS_SEQS = 100;
