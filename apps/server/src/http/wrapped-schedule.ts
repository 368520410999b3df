import type { FastifyInstance } from 'fastify';
import { Id, PutWrappedScheduledRequest } from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const CommunityParams = z.object({ communityId: Id });
const ScheduledParams = z.object({ communityId: Id, scheduleId: Id });

/** R188: scheduled posts of a wrapped channel (admins only; the sweep publishes them). */
export function wrappedScheduleRoutes(app: FastifyInstance, services: Services, apiPerSec: number, bodyBytes: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { wrappedSchedule } = services;

  // R192: a scheduled post is a post's size with its files (R142, R168): the body limit fits it whatever the usual one.
  app.put('/communities/:communityId/wrapped-scheduled/:scheduleId', { bodyLimit: bodyBytes }, async (request) => {
    const caller = await auth(request);
    const { communityId, scheduleId } = parse(ScheduledParams, request.params);
    return { scheduled: await wrappedSchedule.put(caller, communityId, scheduleId, parse(PutWrappedScheduledRequest, request.body)) };
  });
  app.get('/communities/:communityId/wrapped-scheduled', async (request) => {
    const caller = await auth(request);
    return { scheduled: await wrappedSchedule.list(caller, parse(CommunityParams, request.params).communityId) };
  });
  app.delete('/communities/:communityId/wrapped-scheduled/:scheduleId', async (request, reply) => {
    const caller = await auth(request);
    const { communityId, scheduleId } = parse(ScheduledParams, request.params);
    await wrappedSchedule.cancel(caller, communityId, scheduleId);
    return reply.status(204).send();
  });
}
