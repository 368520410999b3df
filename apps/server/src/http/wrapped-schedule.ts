import type { FastifyInstance } from 'fastify';
import { Id } from '@parley/protocol';
import { PutMlsScheduledRequest, PutWrappedScheduledRequest } from '@parley/protocol/channel-schemas';
import { z } from 'zod';
import type { SealedSchedule, SealedScheduleInput } from '../domain/channels/sealed-schedule.ts';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const CommunityParams = z.object({ communityId: Id });
const ScheduledParams = z.object({ communityId: Id, scheduleId: Id });

/** R188 (`wrapped-scheduled`) and R191 (`channel-scheduled`): scheduled posts of a private channel (admins only; the sweep publishes them). */
export function wrappedScheduleRoutes(app: FastifyInstance, services: Services, apiPerSec: number, bodyBytes: number): void {
  // R192: a scheduled post is a post's size with its files (R142, R168): the body limit fits it whatever the usual one.
  sealedScheduleRoutes(app, services, apiPerSec, bodyBytes, 'wrapped-scheduled', services.wrappedSchedule, PutWrappedScheduledRequest);
}

/** R191: the same routes for a channel in MLS mode; a body is at most an envelope (PARLEY_MAX_ENVELOPE_BYTES). */
export function mlsScheduleRoutes(app: FastifyInstance, services: Services, apiPerSec: number, bodyBytes: number): void {
  sealedScheduleRoutes(app, services, apiPerSec, bodyBytes, 'channel-scheduled', services.mlsSchedule, PutMlsScheduledRequest);
}

function sealedScheduleRoutes(app: FastifyInstance, services: Services, apiPerSec: number, bodyBytes: number, segment: string, schedule: SealedSchedule,
  body: z.ZodType<SealedScheduleInput>): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  app.put(`/communities/:communityId/${segment}/:scheduleId`, { bodyLimit: bodyBytes }, async (request) => {
    const caller = await auth(request);
    const { communityId, scheduleId } = parse(ScheduledParams, request.params);
    return { scheduled: await schedule.put(caller, communityId, scheduleId, parse(body, request.body)) };
  });
  app.get(`/communities/:communityId/${segment}`, async (request) => {
    const caller = await auth(request);
    return { scheduled: await schedule.list(caller, parse(CommunityParams, request.params).communityId) };
  });
  app.delete(`/communities/:communityId/${segment}/:scheduleId`, async (request, reply) => {
    const caller = await auth(request);
    const { communityId, scheduleId } = parse(ScheduledParams, request.params);
    await schedule.cancel(caller, communityId, scheduleId);
    return reply.status(204).send();
  });
}
