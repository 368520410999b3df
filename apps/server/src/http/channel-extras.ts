import type { FastifyInstance } from 'fastify';
import { Id, LinkDiscussionRequest, SignedBlob } from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const ChannelParams = z.object({ channelId: Id });
const PostParams = z.object({ channelId: Id, postId: Id });
const CommunityParams = z.object({ communityId: Id });

/** R115 scheduled posts and R114 discussion chats of channels (beside channels.ts, R95-R98). */
export function channelExtraRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { channelSchedule, channelDiscussions } = services;

  app.get('/channels/:channelId/scheduled', async (request) => {
    const caller = await auth(request);
    return { scheduled: await channelSchedule.list(caller, parse(ChannelParams, request.params).channelId) };
  });
  app.put('/channels/:channelId/scheduled/:postId', async (request) => {
    const caller = await auth(request);
    const { channelId, postId } = parse(PostParams, request.params);
    return { scheduled: await channelSchedule.put(caller, channelId, postId, parse(SignedBlob, request.body)) };
  });
  app.delete('/channels/:channelId/scheduled/:postId', async (request, reply) => {
    const caller = await auth(request);
    const { channelId, postId } = parse(PostParams, request.params);
    await channelSchedule.cancel(caller, channelId, postId);
    return reply.status(204).send();
  });

  // R114: a public channel's discussion chat (its owner links it; anyone signed in reads the link and joins).
  app.get('/channels/:channelId/discussion', async (request) => {
    await auth(request);
    return { discussion: await channelDiscussions.getPublic(parse(ChannelParams, request.params).channelId) };
  });
  app.put('/channels/:channelId/discussion', async (request) => {
    const caller = await auth(request);
    const { chatId, openSeq } = parse(LinkDiscussionRequest, request.body);
    return { discussion: await channelDiscussions.linkPublic(caller, parse(ChannelParams, request.params).channelId, chatId, openSeq) };
  });
  app.delete('/channels/:channelId/discussion', async (request, reply) => {
    const caller = await auth(request);
    await channelDiscussions.linkPublic(caller, parse(ChannelParams, request.params).channelId, null);
    return reply.status(204).send();
  });
  app.post('/channels/:channelId/discussion/join', async (request) => {
    const caller = await auth(request);
    return { chat: await channelDiscussions.joinPublic(caller, parse(ChannelParams, request.params).channelId) };
  });
  // R112/R114: a private channel's discussion chat, an open chat of its own community.
  app.get('/communities/:communityId/discussion', async (request) => {
    const caller = await auth(request);
    return { discussion: await channelDiscussions.getPrivate(caller, parse(CommunityParams, request.params).communityId) };
  });
  app.put('/communities/:communityId/discussion', async (request) => {
    const caller = await auth(request);
    return { discussion: await channelDiscussions.linkPrivate(caller, parse(CommunityParams, request.params).communityId, parse(LinkDiscussionRequest, request.body).chatId) };
  });
  app.delete('/communities/:communityId/discussion', async (request, reply) => {
    const caller = await auth(request);
    await channelDiscussions.linkPrivate(caller, parse(CommunityParams, request.params).communityId, null);
    return reply.status(204).send();
  });
}
