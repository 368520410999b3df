import type { FastifyInstance } from 'fastify';
import { Id, ReportRequest } from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const RequestParams = z.object({ requestId: Id });

/** R44: the caller's open requests to join chats, and their answers. Only the person asked answers. */
export function requestRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { requests, chats } = services;

  app.get('/requests', async (request) => ({ requests: await requests.list(await auth(request)) }));

  app.post('/requests/:requestId/accept', async (request) => {
    const caller = await auth(request);
    const { requestId } = parse(RequestParams, request.params);
    const chatId = await requests.accept(caller, requestId);
    return { chat: await chats.get(caller, chatId) };
  });

  app.post('/requests/:requestId/decline', async (request, reply) => {
    const caller = await auth(request);
    await requests.decline(caller, parse(RequestParams, request.params).requestId);
    return reply.status(204).send();
  });

  app.post('/requests/:requestId/block', async (request, reply) => {
    const caller = await auth(request);
    await requests.block(caller, parse(RequestParams, request.params).requestId);
    return reply.status(204).send();
  });

  app.post('/requests/:requestId/report', async (request, reply) => {
    const caller = await auth(request);
    const { requestId } = parse(RequestParams, request.params);
    await requests.report(caller, requestId, parse(ReportRequest, request.body ?? {}));
    return reply.status(204).send();
  });
}
