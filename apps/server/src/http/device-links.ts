import type { FastifyInstance } from 'fastify';
import { ApproveDeviceLinkRequest, DeviceLinkRequest, Id } from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const LinkParams = z.object({ linkId: Id });

/**
 * Linking a new device (R23-R26). The new device has no session: it asks (`POST /devices/link`) and
 * polls (`GET /devices/link/:linkId`); the account's signed-in devices list, approve and deny.
 */
export function deviceLinkRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const { deviceLinks } = services;
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);

  app.post('/devices/link', async (request, reply) => {
    const body = parse(DeviceLinkRequest, request.body);
    return reply.status(201).send(await deviceLinks.request(request.ip, body));
  });

  // Registered before /devices/link/:linkId so "pending" is never taken for a link id.
  app.get('/devices/link/pending', async (request) => ({ links: await deviceLinks.pending(await auth(request)) }));

  app.get('/devices/link/:linkId', async (request) => {
    const { linkId } = parse(LinkParams, request.params);
    return deviceLinks.state(request.ip, linkId);
  });

  app.post('/devices/link/:linkId/approve', async (request) => {
    const caller = await auth(request);
    const { linkId } = parse(LinkParams, request.params);
    const { code } = parse(ApproveDeviceLinkRequest, request.body);
    return { device: await deviceLinks.approve(caller, linkId, code) };
  });

  app.post('/devices/link/:linkId/deny', async (request, reply) => {
    const caller = await auth(request);
    const { linkId } = parse(LinkParams, request.params);
    await deviceLinks.deny(caller, linkId);
    return reply.status(204).send();
  });
}
