import type { FastifyInstance } from 'fastify';
import {
  AddCommunityChatMemberRequest, CreateCommunityChatRequest, CreateReportRequest, ReportListQuery, ResolveReportRequest, MuteCommunityMemberRequest, CreateCommunityInviteRequest, CreateCommunityRequest, Id, InviteToken,
  SetCommunityMemberRequest, TransferCommunityRequest, UpdateCommunityChatRequest, UpdateCommunityRequest,
} from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const CommunityParams = z.object({ communityId: Id });
const ChatParams = z.object({ communityId: Id, chatId: Id });
const MemberParams = z.object({ communityId: Id, userId: Id });
const ReportParams = z.object({ communityId: Id, reportId: Id });
const InviteParams = z.object({ token: InviteToken });

/** Communities (R66-R75). Every route checks the caller's membership (a non-member gets `not_found`) and rights. */
export function communityRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { communities, communityChats, communityInvites, moderation } = services;

  app.post('/communities', async (request, reply) => {
    const caller = await auth(request);
    return reply.status(201).send({ community: await communities.create(caller, parse(CreateCommunityRequest, request.body)) });
  });
  app.get('/communities', async (request) => ({ communities: await communities.list(await auth(request)) }));
  app.get('/communities/:communityId', async (request) => {
    const caller = await auth(request);
    return { community: await communities.get(caller, parse(CommunityParams, request.params).communityId) };
  });
  app.patch('/communities/:communityId', async (request) => {
    const caller = await auth(request);
    const { communityId } = parse(CommunityParams, request.params);
    return { community: await communities.update(caller, communityId, parse(UpdateCommunityRequest, request.body)) };
  });
  app.post('/communities/:communityId/owner', async (request) => {
    const caller = await auth(request);
    const { communityId } = parse(CommunityParams, request.params);
    return { community: await communities.transfer(caller, communityId, parse(TransferCommunityRequest, request.body)) };
  });
  app.post('/communities/:communityId/leave', async (request, reply) => {
    const caller = await auth(request);
    await communities.leave(caller, parse(CommunityParams, request.params).communityId);
    return reply.status(204).send();
  });

  app.get('/communities/:communityId/members', async (request) => {
    const caller = await auth(request);
    return { members: await communities.members(caller, parse(CommunityParams, request.params).communityId) };
  });
  app.put('/communities/:communityId/members/:userId', async (request) => {
    const caller = await auth(request);
    const { communityId, userId } = parse(MemberParams, request.params);
    return { member: await communities.setMember(caller, communityId, userId, parse(SetCommunityMemberRequest, request.body)) };
  });
  app.delete('/communities/:communityId/members/:userId', async (request, reply) => {
    const caller = await auth(request);
    const { communityId, userId } = parse(MemberParams, request.params);
    await communities.remove(caller, communityId, userId, false);
    return reply.status(204).send();
  });
  app.put('/communities/:communityId/bans/:userId', async (request, reply) => {
    const caller = await auth(request);
    const { communityId, userId } = parse(MemberParams, request.params);
    await communities.remove(caller, communityId, userId, true);
    return reply.status(204).send();
  });
  app.delete('/communities/:communityId/bans/:userId', async (request, reply) => {
    const caller = await auth(request);
    const { communityId, userId } = parse(MemberParams, request.params);
    await communities.unban(caller, communityId, userId);
    return reply.status(204).send();
  });

  // R82: mutes (`ban` right).
  app.get('/communities/:communityId/mutes', async (request) => {
    const caller = await auth(request);
    return { mutes: await moderation.mutes(caller, parse(CommunityParams, request.params).communityId) };
  });
  app.put('/communities/:communityId/mutes/:userId', async (request) => {
    const caller = await auth(request);
    const { communityId, userId } = parse(MemberParams, request.params);
    return { mute: await moderation.mute(caller, communityId, userId, parse(MuteCommunityMemberRequest, request.body).untilMs) };
  });
  app.delete('/communities/:communityId/mutes/:userId', async (request, reply) => {
    const caller = await auth(request);
    const { communityId, userId } = parse(MemberParams, request.params);
    await moderation.unmute(caller, communityId, userId);
    return reply.status(204).send();
  });
  // R84: reports (any member files one; holders of `ban` or `deleteMessages` read them).
  app.post('/communities/:communityId/reports', async (request, reply) => {
    const caller = await auth(request);
    const { communityId } = parse(CommunityParams, request.params);
    return reply.status(201).send({ report: await moderation.report(caller, communityId, parse(CreateReportRequest, request.body)) });
  });
  app.get('/communities/:communityId/reports', async (request) => {
    const caller = await auth(request);
    const { state } = parse(ReportListQuery, request.query);
    return { reports: await moderation.reports(caller, parse(CommunityParams, request.params).communityId, state) };
  });
  // R84b: a moderator marks a report handled.
  app.post('/communities/:communityId/reports/:reportId/resolve', async (request) => {
    const caller = await auth(request);
    const { communityId, reportId } = parse(ReportParams, request.params);
    return { report: await moderation.resolveReport(caller, communityId, reportId, parse(ResolveReportRequest, request.body).outcome) };
  });

  app.get('/communities/:communityId/chats', async (request) => {
    const caller = await auth(request);
    return { chats: await communityChats.list(caller, parse(CommunityParams, request.params).communityId) };
  });
  app.post('/communities/:communityId/chats', async (request, reply) => {
    const caller = await auth(request);
    const { communityId } = parse(CommunityParams, request.params);
    return reply.status(201).send({ chat: await communityChats.create(caller, communityId, parse(CreateCommunityChatRequest, request.body)) });
  });
  app.patch('/communities/:communityId/chats/:chatId', async (request) => {
    const caller = await auth(request);
    const { communityId, chatId } = parse(ChatParams, request.params);
    return { chat: await communityChats.update(caller, communityId, chatId, parse(UpdateCommunityChatRequest, request.body)) };
  });
  app.delete('/communities/:communityId/chats/:chatId', async (request, reply) => {
    const caller = await auth(request);
    const { communityId, chatId } = parse(ChatParams, request.params);
    await communityChats.delete(caller, communityId, chatId);
    return reply.status(204).send();
  });
  app.post('/communities/:communityId/chats/:chatId/join', async (request) => {
    const caller = await auth(request);
    const { communityId, chatId } = parse(ChatParams, request.params);
    return { chat: await communityChats.join(caller, communityId, chatId) };
  });
  app.post('/communities/:communityId/chats/:chatId/members', async (request) => {
    const caller = await auth(request);
    const { communityId, chatId } = parse(ChatParams, request.params);
    return { chat: await communityChats.addMember(caller, communityId, chatId, parse(AddCommunityChatMemberRequest, request.body).userId) };
  });

  app.post('/communities/:communityId/invites', async (request, reply) => {
    const caller = await auth(request);
    const { communityId } = parse(CommunityParams, request.params);
    return reply.status(201).send(await communityInvites.create(caller, communityId, parse(CreateCommunityInviteRequest, request.body ?? {})));
  });
  app.get('/community-invites/:token', async (request) => {
    const caller = await auth(request);
    return communityInvites.preview(caller, parse(InviteParams, request.params).token);
  });
  app.post('/community-invites/:token/join', async (request) => {
    const caller = await auth(request);
    return { community: await communityInvites.join(caller, parse(InviteParams, request.params).token) };
  });
}
