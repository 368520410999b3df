import type { FastifyInstance } from 'fastify';
import { MlsChannelViewsRequest, Id, MAX_WRAPPED_COUNTS_SEQS } from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const CommunityParams = z.object({ communityId: Id });
const CountsQuery = z.object({
  seqs: z.string().max(2000).regex(/^\d{1,15}(,\d{1,15})*$/, 'seqs: numbers, comma-separated').transform((s) => s.split(',').map(Number))
    .refine((a) => a.length <= MAX_WRAPPED_COUNTS_SEQS && a.every((n) => n >= 1), `1 to ${MAX_WRAPPED_COUNTS_SEQS} seqs, each at least 1`),
});

/** R190: a member's device reports the seqs of a private channel (MLS mode) it showed; members read the sums. */
export function channelViewRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  app.post('/communities/:communityId/channel-views', async (request, reply) => {
    const caller = await requireAuth(services, request, apiPerSec);
    await services.channelViews.report(caller, parse(CommunityParams, request.params).communityId, parse(MlsChannelViewsRequest, request.body).seqs);
    return reply.status(204).send();
  });
  app.get('/communities/:communityId/channel-views', async (request) => {
    const caller = await requireAuth(services, request, apiPerSec);
    return { views: await services.channelViews.counts(caller, parse(CommunityParams, request.params).communityId, parse(CountsQuery, request.query).seqs) };
  });
}
