import type { FastifyInstance } from 'fastify';
import { CreateChannelEpochRequest, CreateWrappedPostRequest, Id, PutChannelWrapsRequest } from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const CommunityParams = z.object({ communityId: Id });
const EpochParams = z.object({ communityId: Id, epoch: z.coerce.number().int().positive().max(2 ** 31 - 1) });
const AfterNumber = z.object({ after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0) });
const AfterDevice = z.object({ after: z.union([Id, z.literal('')]).default('') });

/** R141-R142, R161-R162: epochs, wraps and posts of a private channel in wrapped mode. */
export function channelWrapRoutes(app: FastifyInstance, services: Services, apiPerSec: number, postBodyBytes?: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { channelWraps } = services;

  app.get('/communities/:communityId/epochs/current', async (request) => {
    const caller = await auth(request);
    return channelWraps.epoch(caller, parse(CommunityParams, request.params).communityId);
  });
  app.post('/communities/:communityId/epochs', async (request) => {
    const caller = await auth(request);
    const { epoch, admitted } = await channelWraps.createEpoch(caller, parse(CommunityParams, request.params).communityId, parse(CreateChannelEpochRequest, request.body).epoch);
    return { epoch, ...(admitted.length > 0 ? { admitted } : {}) }; // R178
  });
  app.get('/communities/:communityId/epochs/:epoch/unwrapped', async (request) => {
    const caller = await auth(request);
    const { communityId, epoch } = parse(EpochParams, request.params);
    return { devices: await channelWraps.unwrapped(caller, communityId, epoch, parse(AfterDevice, request.query).after) };
  });
  app.put('/communities/:communityId/epochs/:epoch/wraps', async (request) => {
    const caller = await auth(request);
    const { communityId, epoch } = parse(EpochParams, request.params);
    return channelWraps.putWraps(caller, communityId, epoch, parse(PutChannelWrapsRequest, request.body).wraps);
  });
  app.get('/communities/:communityId/wraps', async (request) => {
    const caller = await auth(request);
    return { wraps: await channelWraps.myWraps(caller, parse(CommunityParams, request.params).communityId, parse(AfterNumber, request.query).after) };
  });
  // R168: a post with the most files passes the server's usual body limit (its thumbnails are sealed inside).
  app.post('/communities/:communityId/wrapped-posts', postBodyBytes ? { bodyLimit: postBodyBytes } : {}, async (request) => {
    const caller = await auth(request);
    return { post: await channelWraps.post(caller, parse(CommunityParams, request.params).communityId, parse(CreateWrappedPostRequest, request.body)) };
  });
  app.get('/communities/:communityId/wrapped-posts/latest', async (request) => {
    const caller = await auth(request);
    return channelWraps.latest(caller, parse(CommunityParams, request.params).communityId);
  });
  app.get('/communities/:communityId/wrapped-posts', async (request) => {
    const caller = await auth(request);
    return { posts: await channelWraps.posts(caller, parse(CommunityParams, request.params).communityId, parse(AfterNumber, request.query).after) };
  });
}
