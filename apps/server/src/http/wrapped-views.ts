import type { FastifyInstance } from 'fastify';
import { Id, WrappedViewsRequest } from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const CommunityParams = z.object({ communityId: Id });

/** R183: a member's device reports the wrapped posts it showed; the counts go out with R166's. */
export function wrappedViewRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  app.post('/communities/:communityId/wrapped-posts/views', async (request, reply) => {
    const caller = await requireAuth(services, request, apiPerSec);
    await services.wrappedViews.report(caller, parse(CommunityParams, request.params).communityId, parse(WrappedViewsRequest, request.body).seqs);
    return reply.status(204).send();
  });
}
