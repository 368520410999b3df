import type { FastifyInstance } from 'fastify';
import { TurnCredentialsRequest } from '@parley/protocol';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

/** Calls (R60): what a member's device needs from the server to set up a call's media path. */
export function callRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  app.post('/calls/turn', async (request) => {
    const caller = await requireAuth(services, request, apiPerSec);
    const { chatId } = parse(TurnCredentialsRequest, request.body);
    return services.calls.turnCredentials(caller, chatId);
  });
}
