import type { FastifyInstance } from 'fastify';
import { Id, MAX_WRAPPED_COUNTS_SEQS } from '@parley/protocol';
import { WrappedCommentMark } from '@parley/protocol/channel-schemas';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const Seq = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const MarkParams = z.object({ communityId: Id, seq: Seq, mark: WrappedCommentMark });
const CommunityParams = z.object({ communityId: Id });
const CountsQuery = z.object({
  seqs: z.string().max(2000).regex(/^\d{1,15}(,\d{1,15})*$/, 'seqs: numbers, comma-separated').transform((s) => s.split(',').map(Number))
    .refine((a) => a.length <= MAX_WRAPPED_COUNTS_SEQS && a.every((n) => n >= 1), `1 to ${MAX_WRAPPED_COUNTS_SEQS} seqs, each at least 1`),
});

/** R177: comment marks on a wrapped channel's posts, and their counts. */
export function wrappedCommentRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { wrappedComments } = services;

  app.put('/communities/:communityId/wrapped-posts/:seq/comments/:mark', async (request) => {
    const caller = await auth(request);
    const { communityId, seq, mark } = parse(MarkParams, request.params);
    return { count: await wrappedComments.mark(caller, communityId, seq, mark) };
  });
  app.delete('/communities/:communityId/wrapped-posts/:seq/comments/:mark', async (request) => {
    const caller = await auth(request);
    const { communityId, seq, mark } = parse(MarkParams, request.params);
    return { count: await wrappedComments.unmark(caller, communityId, seq, mark) };
  });
  app.get('/communities/:communityId/wrapped-posts/comment-counts', async (request) => {
    const caller = await auth(request);
    return { counts: await wrappedComments.counts(caller, parse(CommunityParams, request.params).communityId, parse(CountsQuery, request.query).seqs) };
  });
}
