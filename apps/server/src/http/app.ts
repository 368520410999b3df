import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { API_PREFIX, PROTOCOL_VERSION, type ServerInfo } from '@parley/protocol';
import type { Config } from '../config.ts';
import type { Services } from '../services.ts';
import { accountRoutes } from './accounts.ts';
import { chatRoutes } from './chats.ts';
import { sendError } from './edge.ts';
import { meRoutes } from './me.ts';

/** Builds the HTTP edge: REST under API_PREFIX, health, and the web client's static files. */
export async function buildHttp(config: Config, services: Services, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.limits.maxHttpBodyBytes,
    // No per-request logs: they would record users' IP addresses and timing.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    forceCloseConnections: true,
  });
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply));

  const info: ServerInfo = {
    name: 'parley',
    protocolVersion: PROTOCOL_VERSION,
    limits: {
      maxEnvelopeBytes: config.limits.maxEnvelopeBytes,
      maxGroupMembers: config.limits.maxGroupMembers,
      historyPageMax: config.limits.historyPageMax,
    },
  };
  app.get('/healthz', async () => ({ ok: true }));

  await app.register(async (api) => {
    api.get('/info', async () => info);
    accountRoutes(api, services);
    meRoutes(api, services, config.rates.apiPerSec);
    chatRoutes(api, services, config.rates.apiPerSec);
    api.setNotFoundHandler((_request, reply) => {
      void reply.status(404).send({ error: { code: 'not_found', message: 'no such API route' } });
    });
  }, { prefix: API_PREFIX });

  if (config.webDist && existsSync(config.webDist)) {
    await app.register(fastifyStatic, { root: config.webDist, wildcard: true, index: ['index.html'] });
  } else {
    app.get('/', async (_request, reply) =>
      reply.type('text/plain').send('Parley server is running. The web client is not built: run `npm run build -w @parley/web`.'));
  }
  return app;
}
