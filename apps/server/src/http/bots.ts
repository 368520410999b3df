import type { FastifyInstance } from 'fastify';
import { BotAvatarRequest, BotCommandsBody, BotDeviceRequest, BotPrivacyRequest, CreateBotRequest, Id, ParleyError } from '@parley/protocol';
import { BlobMissing } from '../blob-store/blob-bytes.ts';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

/** R90-R90c: the caller's bots (owner only), and a gateway registering a bot's device with its token. */
export function botRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const botParams = z.object({ botId: Id });

  app.post('/bots', async (request, reply) => {
    const caller = await auth(request);
    return reply.status(201).send(await services.bots.create(caller, parse(CreateBotRequest, request.body)));
  });

  app.get('/bots', async (request) => ({ bots: await services.bots.list(await auth(request)) }));

  app.post('/bots/:botId/token', async (request) => {
    const caller = await auth(request);
    return services.bots.rotateToken(caller, parse(botParams, request.params).botId);
  });

  app.delete('/bots/:botId/token', async (request, reply) => {
    const caller = await auth(request);
    await services.bots.revokeToken(caller, parse(botParams, request.params).botId);
    return reply.status(204).send();
  });

  app.delete('/bots/:botId', async (request, reply) => {
    const caller = await auth(request);
    await services.bots.delete(caller, parse(botParams, request.params).botId);
    return reply.status(204).send();
  });

  // R108: the command menu: set by the owner or the bot itself, read by anyone signed in.
  app.put('/bots/:botId/commands', async (request) => {
    const caller = await auth(request);
    const { commands } = parse(BotCommandsBody, request.body);
    await services.bots.setCommands(caller, parse(botParams, request.params).botId, commands);
    return { commands };
  });

  app.get('/bots/:botId/commands', async (request) => {
    await auth(request);
    return { commands: await services.bots.commands(parse(botParams, request.params).botId) };
  });

  // R105: privacy mode in groups, set by the owner, read by the bot's own device (its gateway).
  app.put('/bots/:botId/privacy', async (request) => {
    const caller = await auth(request);
    return services.bots.setPrivacy(caller, parse(botParams, request.params).botId, parse(BotPrivacyRequest, request.body).groupPrivacy);
  });

  // R143: the avatar: set and removed by the owner, read by anyone signed in (as the image it is, never sniffed).
  app.put('/bots/:botId/avatar', async (request) => {
    const caller = await auth(request);
    return services.bots.setAvatar(caller, parse(botParams, request.params).botId, parse(BotAvatarRequest, request.body));
  });

  app.delete('/bots/:botId/avatar', async (request, reply) => {
    const caller = await auth(request);
    await services.bots.removeAvatar(caller, parse(botParams, request.params).botId);
    return reply.status(204).send();
  });

  app.get('/bots/:botId/avatar', async (request, reply) => {
    await auth(request);
    const avatar = await services.bots.avatar(parse(botParams, request.params).botId);
    let stream;
    try {
      stream = await services.blobBytes.read(avatar.blobId, 0, avatar.length - 1);
    } catch (err) {
      if (err instanceof BlobMissing) throw new ParleyError('not_found', 'this bot has no avatar');
      throw err;
    }
    // A complete blob never changes and a new avatar is a new blob: its id is a strong validator.
    return reply.header('content-type', avatar.mime).header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox").header('cache-control', 'private, max-age=86400')
      .header('etag', `"${avatar.blobId}"`).header('content-length', String(avatar.length)).send(stream);
  });

  app.get('/bots/self', async (request) => services.bots.self(await auth(request)));

  // No session yet: the token is the proof, checked like a login (per address).
  app.post('/bots/device', async (request, reply) => {
    const body = parse(BotDeviceRequest, request.body);
    await services.accounts.checkLoginRate(request.ip);
    return reply.status(201).send(await services.bots.registerDevice(body));
  });
}
