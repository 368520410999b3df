import type { FastifyInstance } from 'fastify';
import { CreateJoinRequestRequest, Id, InviteToken } from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const InviteParams = z.object({ token: InviteToken });
const OwnParams = z.object({ requestId: Id });
const CommunityParams = z.object({ communityId: Id });
const RequestParams = z.object({ communityId: Id, requestId: Id });

/**
 * R100-R101: requests to join a community through an invite link that needs approval. The one who
 * asks makes, lists and cancels their own; holders of the community's `invite` right list, approve
 * and decline them (every community route answers `not_found` to a non-member, R75).
 */
export function joinRequestRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { joinRequests } = services;

  app.post('/community-invites/:token/requests', async (request, reply) => {
    const caller = await auth(request);
    const { token } = parse(InviteParams, request.params);
    return reply.status(201).send({ request: await joinRequests.request(caller, token, parse(CreateJoinRequestRequest, request.body ?? {})) });
  });
  app.get('/community-join-requests', async (request) => ({ requests: await joinRequests.mine(await auth(request)) }));
  app.delete('/community-join-requests/:requestId', async (request, reply) => {
    const caller = await auth(request);
    await joinRequests.cancel(caller, parse(OwnParams, request.params).requestId);
    return reply.status(204).send();
  });

  app.get('/communities/:communityId/join-requests', async (request) => {
    const caller = await auth(request);
    return { requests: await joinRequests.pending(caller, parse(CommunityParams, request.params).communityId) };
  });
  app.post('/communities/:communityId/join-requests/:requestId/approve', async (request) => {
    const caller = await auth(request);
    const { communityId, requestId } = parse(RequestParams, request.params);
    return { request: await joinRequests.approve(caller, communityId, requestId) };
  });
  app.post('/communities/:communityId/join-requests/:requestId/decline', async (request) => {
    const caller = await auth(request);
    const { communityId, requestId } = parse(RequestParams, request.params);
    return { request: await joinRequests.decline(caller, communityId, requestId) };
  });
}
