import type { FastifyInstance } from 'fastify';
import {
  ChannelCountsQuery, ChannelLogQuery, ChannelSearchQuery, ChannelPostsQuery, ChannelReactionRequest, ChannelReadRequest, ChannelSubscriptionRequest, ChannelViewsRequest,
  CreateChannelRequest, Id, RawChannelHandle, SetChannelKeyRequest, SignedBlob,
} from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const ChannelParams = z.object({ channelId: Id });
const PostParams = z.object({ channelId: Id, postId: Id });
const AdminParams = z.object({ channelId: Id, userId: Id });
const HandleParams = z.object({ handle: RawChannelHandle });

/** Public channels (R95-R98) for signed-in users; the pages for everyone are channel-pages.ts (R99). */
export function channelRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { channels } = services;

  app.post('/channels', async (request, reply) => {
    const caller = await auth(request);
    return reply.status(201).send({ channel: await channels.create(caller, parse(CreateChannelRequest, request.body)) });
  });
  // The caller's subscriptions, with unread counts (R97).
  app.get('/channels', async (request) => ({ subscriptions: await channels.subscriptions(await auth(request)) }));
  // R111: public channels by the start of a handle or title.
  app.get('/channels/search', async (request) => {
    const caller = await auth(request);
    const { q, offset } = parse(ChannelSearchQuery, request.query);
    return channels.search(caller, q, offset ?? 0);
  });
  app.get('/channels/by-handle/:handle', async (request) => {
    await auth(request);
    return { channel: await channels.byHandle(parse(HandleParams, request.params).handle) };
  });
  // R200: the channels whose owner named the caller an admin, not yet accepted on a device.
  app.get('/channels/admin-invites', async (request) => {
    const caller = await auth(request);
    return { channels: await channels.adminInvites(caller) };
  });
  app.get('/channels/:channelId', async (request) => {
    await auth(request);
    return { channel: await channels.get(parse(ChannelParams, request.params).channelId) };
  });

  app.get('/channels/:channelId/admins', async (request) => {
    const caller = await auth(request);
    return { admins: await channels.admins(caller, parse(ChannelParams, request.params).channelId) };
  });
  app.put('/channels/:channelId/admins/:userId', async (request, reply) => {
    const caller = await auth(request);
    const { channelId, userId } = parse(AdminParams, request.params);
    await channels.addAdmin(caller, channelId, userId);
    return reply.status(204).send();
  });
  app.delete('/channels/:channelId/admins/:userId', async (request, reply) => {
    const caller = await auth(request);
    const { channelId, userId } = parse(AdminParams, request.params);
    await channels.removeAdmin(caller, channelId, userId);
    return reply.status(204).send();
  });
  app.put('/channels/:channelId/admin-key', async (request, reply) => {
    const caller = await auth(request);
    await channels.setAdminKey(caller, parse(ChannelParams, request.params).channelId, parse(SetChannelKeyRequest, request.body).key);
    return reply.status(204).send();
  });
  app.put('/channels/:channelId/key-list', async (request) => {
    const caller = await auth(request);
    return { channel: await channels.setKeyList(caller, parse(ChannelParams, request.params).channelId, parse(SignedBlob, request.body)) };
  });

  // R125: an admin's device signs the log's head.
  app.put('/channels/:channelId/head', async (request) => {
    const caller = await auth(request);
    return { channel: await channels.putHead(caller, parse(ChannelParams, request.params).channelId, parse(SignedBlob, request.body)) };
  });
  app.put('/channels/:channelId/posts/:postId', async (request) => {
    const caller = await auth(request);
    const { channelId, postId } = parse(PostParams, request.params);
    return { entry: await channels.putPost(caller, channelId, postId, parse(SignedBlob, request.body)) };
  });
  app.get('/channels/:channelId/log', async (request) => {
    await auth(request);
    const { afterSeq, limit } = parse(ChannelLogQuery, request.query);
    return channels.log(parse(ChannelParams, request.params).channelId, afterSeq ?? 0, limit);
  });
  app.get('/channels/:channelId/posts', async (request) => {
    await auth(request);
    const { beforePostSeq, limit } = parse(ChannelPostsQuery, request.query);
    return channels.posts(parse(ChannelParams, request.params).channelId, beforePostSeq, limit);
  });

  app.put('/channels/:channelId/subscription', async (request) => {
    const caller = await auth(request);
    const { muted } = parse(ChannelSubscriptionRequest, request.body ?? {});
    return { subscription: await channels.subscribe(caller, parse(ChannelParams, request.params).channelId, muted) };
  });
  app.delete('/channels/:channelId/subscription', async (request, reply) => {
    const caller = await auth(request);
    await channels.unsubscribe(caller, parse(ChannelParams, request.params).channelId);
    return reply.status(204).send();
  });
  app.post('/channels/:channelId/read', async (request) => {
    const caller = await auth(request);
    return { subscription: await channels.markRead(caller, parse(ChannelParams, request.params).channelId, parse(ChannelReadRequest, request.body).upToSeq) };
  });

  app.put('/channels/:channelId/posts/:postId/reaction', async (request) => {
    const caller = await auth(request);
    const { channelId, postId } = parse(PostParams, request.params);
    return { counts: await channels.react(caller, channelId, postId, parse(ChannelReactionRequest, request.body).emoji) };
  });
  app.delete('/channels/:channelId/posts/:postId/reaction', async (request) => {
    const caller = await auth(request);
    const { channelId, postId } = parse(PostParams, request.params);
    return { counts: await channels.react(caller, channelId, postId, null) };
  });
  app.get('/channels/:channelId/counts', async (request) => {
    const caller = await auth(request);
    return { counts: await channels.counts(caller, parse(ChannelParams, request.params).channelId, parse(ChannelCountsQuery, request.query).postIds) };
  });
  app.post('/channels/:channelId/views', async (request, reply) => {
    const caller = await auth(request);
    await channels.addViews(caller, parse(ChannelParams, request.params).channelId, parse(ChannelViewsRequest, request.body).postIds);
    return reply.status(204).send();
  });
}
