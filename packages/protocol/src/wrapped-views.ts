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

/**
 * R190: `POST /communities/:id/channel-views {seqs}`: the same report for a private channel in MLS mode
 * (R112), the seqs being the announcements chat's log; `GET …/channel-views?seqs=1,2` answers the sums.
 */
export const MlsChannelViewsRequest = WrappedViewsRequest;
export type MlsChannelViewsRequest = WrappedViewsRequest;
export interface MlsChannelViewCount { seq: number; views: number }
