import { z } from 'zod';
import { MAX_POLL_OPTIONS } from './polls.ts';

/**
 * R198: `PUT /channels/:id/posts/:seq/vote {options}`: a subscriber's whole choice on the public poll
 * posted at `seq` (its `postSeq`), by option index, replacing theirs; `DELETE` takes it back. A public
 * poll is readable by anyone, so the server reads the options (and `multiple`) from the signed post
 * and refuses an index the poll lacks; unlike R185 no token hides the option.
 */
export const PutChannelVoteRequest = z.object({
  options: z.array(z.number().int().min(0).max(MAX_POLL_OPTIONS - 1)).min(1).max(MAX_POLL_OPTIONS)
    .refine((o) => new Set(o).size === o.length, 'each option once'),
});
export type PutChannelVoteRequest = z.infer<typeof PutChannelVoteRequest>;

/** R198: one public poll's votes per option index (options nobody chose are absent), its voters, and the caller's own choice. */
export const ChannelPollVotes = z.object({
  seq: z.number().int().positive(),
  votes: z.record(z.string().regex(/^\d{1,2}$/), z.number().int().nonnegative()),
  voters: z.number().int().nonnegative(),
  mine: z.array(z.number().int().nonnegative()).optional(),
});
export type ChannelPollVotes = z.infer<typeof ChannelPollVotes>;
