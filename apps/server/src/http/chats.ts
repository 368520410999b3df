import type { FastifyInstance } from 'fastify';
import {
  AddMemberRequest, CreateDirectRequest, CreateGroupRequest, Id, SetRoleRequest, UpdateChatRequest,
} from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const ChatParams = z.object({ chatId: Id });
const MemberParams = z.object({ chatId: Id, userId: Id });
const InviteParams = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/) });

/** Chats, membership and invite links. Every route checks the caller's membership and role. */
export function chatRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { chats } = services;

  app.get('/chats', async (request) => ({ chats: await chats.list(await auth(request)) }));

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

  app.post('/chats/:chatId/invites', async (request, reply) => {
    const caller = await auth(request);
    const { chatId } = parse(ChatParams, request.params);
    return reply.status(201).send(await chats.createInvite(caller, chatId));
  });

  app.get('/invites/:token', async (request) => {
    await auth(request);
    const { token } = parse(InviteParams, request.params);
    return chats.previewInvite(token);
  });

  app.post('/invites/:token/join', async (request) => {
    const caller = await auth(request);
    const { token } = parse(InviteParams, request.params);
    return { chat: await chats.joinInvite(caller, token) };
  });
}
