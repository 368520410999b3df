import type { FastifyInstance } from 'fastify';
import { Id, KeyLogQuery, PublishMlsKeyRequest } from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

/** The per-user device-key log (R19-R21): a device publishes its own MLS key; anyone signed in reads any log. */
export function keyLogRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { keyLog } = services;

  app.post('/key-log', async (request) => {
    const caller = await auth(request);
    return keyLog.publish(caller, parse(PublishMlsKeyRequest, request.body));
  });

  app.get('/users/:userId/key-log', async (request) => {
    const caller = await auth(request);
    const { userId } = parse(z.object({ userId: Id }), request.params);
    return keyLog.read(caller, userId, parse(KeyLogQuery, request.query));
  });
}
