import type { FastifyInstance } from 'fastify';
import {
  AddMemberRequest, ChatPrefsUpdate, CreateDirectRequest, ListChatsQuery, CreateGroupRequest, CreateInviteRequest, Id, InviteToken, SetRoleRequest, UpdateChatRequest,
} from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const ChatParams = z.object({ chatId: Id });
const MemberParams = z.object({ chatId: Id, userId: Id });
const InviteParams = z.object({ token: InviteToken });
const ChatInviteParams = z.object({ chatId: Id, token: InviteToken });

/** Chats, membership and invite links. Every route checks the caller's membership and role. */
export function chatRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { chats, invites } = services;

  app.get('/chats', async (request) => {
    const caller = await auth(request);
    return chats.page(caller, parse(ListChatsQuery, request.query));
  });

  app.put('/chats/:chatId/prefs', async (request) => {
    const caller = await auth(request);
    const { chatId } = parse(ChatParams, request.params);
    return { chat: await chats.setPrefs(caller, chatId, parse(ChatPrefsUpdate, request.body)) };
  });

  app.post('/chats', async (request, reply) => {
    const caller = await auth(request);
    const body = parse(CreateGroupRequest, request.body);
    return reply.status(201).send({ chat: await chats.createGroup(caller, body) });
  });

  app.post('/chats/direct', async (request) => {
    const caller = await auth(request);
    const body = parse(CreateDirectRequest, request.body);
    return { chat: await chats.openDirect(caller, body.userId) };
  });

  app.get('/chats/:chatId', async (request) => {
    const caller = await auth(request);
    const { chatId } = parse(ChatParams, request.params);
    return { chat: await chats.get(caller, chatId) };
  });

  app.get('/chats/:chatId/devices', async (request) => {
    const caller = await auth(request);
    const { chatId } = parse(ChatParams, request.params);
    return { devices: await chats.devices(caller, chatId) };
  });

  app.post('/chats/:chatId/rejoin', async (request, reply) => {
    const caller = await auth(request);
    const { chatId } = parse(ChatParams, request.params);
    await chats.requestRejoin(caller, chatId);
    return reply.status(202).send({});
  });

  app.patch('/chats/:chatId', async (request) => {
    const caller = await auth(request);
    const { chatId } = parse(ChatParams, request.params);
    return { chat: await chats.update(caller, chatId, parse(UpdateChatRequest, request.body)) };
  });

  app.post('/chats/:chatId/members', async (request) => {
    const caller = await auth(request);
    const { chatId } = parse(ChatParams, request.params);
    const body = parse(AddMemberRequest, request.body);
    return { chat: await chats.addMember(caller, chatId, body.userId) };
  });

  app.delete('/chats/:chatId/members/:userId', async (request, reply) => {
    const caller = await auth(request);
    const { chatId, userId } = parse(MemberParams, request.params);
    await chats.removeMember(caller, chatId, userId);
    return reply.status(204).send();
  });

  app.put('/chats/:chatId/members/:userId/role', async (request) => {
    const caller = await auth(request);
    const { chatId, userId } = parse(MemberParams, request.params);
    const body = parse(SetRoleRequest, request.body);
    return { chat: await chats.setRole(caller, chatId, userId, body.role) };
  });

  // Invites (R42): admins and the owner create, list and revoke; anyone signed in previews and joins.
  app.post('/chats/:chatId/invites', async (request, reply) => {
    const caller = await auth(request);
    const { chatId } = parse(ChatParams, request.params);
    const body = parse(CreateInviteRequest, request.body ?? {});
    return reply.status(201).send(await invites.create(caller, chatId, body));
  });

  app.get('/chats/:chatId/invites', async (request) => {
    const caller = await auth(request);
    const { chatId } = parse(ChatParams, request.params);
    return { invites: await invites.list(caller, chatId) };
  });

  app.delete('/chats/:chatId/invites/:token', async (request, reply) => {
    const caller = await auth(request);
    const { chatId, token } = parse(ChatInviteParams, request.params);
    await invites.revoke(caller, chatId, token);
    return reply.status(204).send();
  });

  app.get('/invites/:token', async (request) => {
    const caller = await auth(request);
    const { token } = parse(InviteParams, request.params);
    return invites.preview(caller, token);
  });

  app.post('/invites/:token/join', async (request) => {
    const caller = await auth(request);
    const { token } = parse(InviteParams, request.params);
    return { chat: await invites.join(caller, token) };
  });
}
