import type { FastifyInstance } from 'fastify';
import { GroupCallRoomRequest, TurnCredentialsRequest } from '@parley/protocol';
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
}
