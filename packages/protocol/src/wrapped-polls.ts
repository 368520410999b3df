import { z } from 'zod';
import { MAX_POLL_OPTIONS, PollOptions, PollQuestion } from './polls.ts';

/**
 * R185: a poll in a wrapped channel's post (`WrappedPostPlain.poll`), signed and sealed like any post:
 * R87's question and options; `multiple`: a voter may choose several. No close time and no names: the
 * server counts votes by token (below), and members see counts only.
 */
export const WrappedPoll = z.object({ question: PollQuestion, options: PollOptions, multiple: z.boolean().optional() });
export type WrappedPoll = z.infer<typeof WrappedPoll>;

/**
 * R185: a vote's token for one option: the first 16 bytes (hex) of HMAC-SHA256 keyed by the post's
 * epoch key over `"parley-wrapped-vote-v1\n" communityId "\n" seq "\n" optionIndex` (SDK
 * `wrappedVoteToken`), so the server counts equal tokens per poll without learning the option.
 */
export const WrappedVoteToken = z.string().regex(/^[0-9a-f]{32}$/, 'a vote token: 16 bytes hex');

/**
 * `PUT /communities/:id/wrapped-posts/:seq/vote {tokens}`: the caller's whole choice on the poll (one
 * token for a single-choice poll; the server can't read `multiple`), replacing theirs; `DELETE` takes it back.
 */
export const PutWrappedVoteRequest = z.object({
  tokens: z.array(WrappedVoteToken).min(1).max(MAX_POLL_OPTIONS).refine((t) => new Set(t).size === t.length, 'each token once'),
});
export type PutWrappedVoteRequest = z.infer<typeof PutWrappedVoteRequest>;

/** One poll's votes by token, how many people voted, and the caller's own tokens. */
export const WrappedPollVotes = z.object({
  seq: z.number().int().positive(),
  votes: z.record(z.string(), z.number().int().nonnegative()),
  voters: z.number().int().nonnegative(),
  mine: z.array(WrappedVoteToken).optional(),
});
export type WrappedPollVotes = z.infer<typeof WrappedPollVotes>;
