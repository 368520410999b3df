import { z } from 'zod';
import { MAX_WRAPPED_COUNTS_SEQS } from './wrapped-responses.ts';

/**
 * R183: `POST /communities/:id/wrapped-posts/views {seqs}`: a member's device says it showed these
 * posts (each once per device run). The server adds one to a counter per (post, time bucket) and keeps
 * no record of who; the counts come back as `views` in R166's counts.
 */
export const WrappedViewsRequest = z.object({
  seqs: z.array(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)).min(1).max(MAX_WRAPPED_COUNTS_SEQS),
});
export type WrappedViewsRequest = z.infer<typeof WrappedViewsRequest>;
