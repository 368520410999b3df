import type { FastifyInstance } from 'fastify';
import { Id, WrappedMuteRequest, WrappedReadRequest } from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const CommunityParams = z.object({ communityId: Id });

/** R182: wrapped channels' unread counts, read positions and mute. */
export function wrappedReadRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { wrappedReads } = services;

  app.get('/communities/wrapped-reads', async (request) => {
    return { reads: await wrappedReads.list(await auth(request)) };
  });
  app.get('/communities/:communityId/wrapped-read', async (request) => {
    const caller = await auth(request);
    return { read: await wrappedReads.get(caller, parse(CommunityParams, request.params).communityId) };
  });
  app.post('/communities/:communityId/wrapped-read', async (request) => {
    const caller = await auth(request);
    return { read: await wrappedReads.markRead(caller, parse(CommunityParams, request.params).communityId, parse(WrappedReadRequest, request.body).upToSeq) };
  });
  app.put('/communities/:communityId/wrapped-mute', async (request) => {
    const caller = await auth(request);
    return { read: await wrappedReads.setMuted(caller, parse(CommunityParams, request.params).communityId, parse(WrappedMuteRequest, request.body).muted) };
  });
}
