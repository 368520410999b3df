import type { FastifyInstance } from 'fastify';
import { CallRingRequest, GroupCallRoomRequest, TurnCredentialsRequest } from '@parley/protocol';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

/** Calls (R60, R62): what a member's device needs from the server to set up a call's media path. */
export function callRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  app.post('/calls/turn', async (request) => {
    const caller = await requireAuth(services, request, apiPerSec);
    const { chatId } = parse(TurnCredentialsRequest, request.body);
    return services.calls.turnCredentials(caller, chatId);
  });
  // R62: a token for the group chat's call room on the SFU.
  app.post('/calls/room', async (request) => {
    const caller = await requireAuth(services, request, apiPerSec);
    const { chatId } = parse(GroupCallRoomRequest, request.body);
    return services.groupCalls.room(caller, chatId);
  });
  // R118: the caller's device posted a ringing offer; the callee's closed apps get a content-free push.
  app.post('/calls/ring', async (request, reply) => {
    const caller = await requireAuth(services, request, apiPerSec);
    const { chatId } = parse(CallRingRequest, request.body);
    await services.callRinger.ring(caller, chatId);
    return reply.status(204).send();
  });
  // R118: this device rings for calls through its Web Push subscriptions when no tab is open (on/off).
  app.put('/push/call-ringing', async (request, reply) => {
    await services.callRinger.enable(await requireAuth(services, request, apiPerSec));
    return reply.status(204).send();
  });
  app.delete('/push/call-ringing', async (request, reply) => {
    await services.callRinger.disable(await requireAuth(services, request, apiPerSec));
    return reply.status(204).send();
  });
}
