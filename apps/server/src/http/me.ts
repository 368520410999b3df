import type { FastifyInstance } from 'fastify';
import { Handle, Id, LinkPreviewRequest, PasskeyAddVerifyRequest, PushSubscriptionRequest } from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

/** The caller's own account, devices, passkeys, push subscriptions, link previews (R45), and looking up other users. */
export function meRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);

  app.get('/me', async (request) => services.accounts.me(await auth(request)));

  app.delete('/devices/:deviceId', async (request, reply) => {
    const caller = await auth(request);
    const { deviceId } = parse(z.object({ deviceId: Id }), request.params);
    await services.accounts.revokeDevice(caller, deviceId);
    return reply.status(204).send();
  });

  // R46: a passkey for the signed-in account (one held by a device key and the recovery code so far).
  app.post('/passkeys/add/options', async (request) => services.passkeys.addOptions(await auth(request)));

  app.post('/passkeys/add/verify', async (request, reply) => {
    const caller = await auth(request);
    await services.passkeys.add(caller, parse(PasskeyAddVerifyRequest, request.body));
    return reply.status(204).send();
  });

  app.get('/users/by-handle/:handle', async (request) => {
    await auth(request);
    const { handle } = parse(z.object({ handle: Handle }), request.params);
    return services.accounts.userByHandle(handle);
  });

  app.get('/users/:userId', async (request) => {
    await auth(request);
    const { userId } = parse(z.object({ userId: Id }), request.params);
    return services.accounts.userById(userId);
  });

  app.get('/push/vapid-public-key', async () => ({ publicKey: services.push.publicKey }));

  app.post('/push/subscriptions', async (request, reply) => {
    const caller = await auth(request);
    await services.pushSubscriptions.subscribe(caller, parse(PushSubscriptionRequest, request.body));
    return reply.status(204).send();
  });

  app.post('/link-preview', async (request) => {
    const caller = await auth(request);
    const { url } = parse(LinkPreviewRequest, request.body);
    return { preview: await services.linkPreviews.preview(caller.deviceId, url) };
  });
}
