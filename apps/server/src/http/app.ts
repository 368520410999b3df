import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { API_PREFIX, PROTOCOL_VERSION, type ErrorBody, type ServerInfo } from '@parley/protocol';
import type { Config } from '../config.ts';
import type { ServerMetrics } from '../metrics.ts';
import type { Services } from '../services.ts';
import { accountRoutes } from './accounts.ts';
import { blobRoutes } from './blobs.ts';
import { botRoutes } from './bots.ts';
import { callRoutes } from './calls.ts';
import { chatRoutes } from './chats.ts';
import { channelPageRoutes } from './channel-pages.ts';
import { channelRoutes } from './channels.ts';
import { channelExtraRoutes } from './channel-extras.ts';
import { channelWrapRoutes } from './channel-wraps.ts';
import { wrappedPostBodyBytes, wrappedResponseRoutes } from './wrapped-responses.ts';
import { wrappedCommentRoutes } from './wrapped-comments.ts';
import { wrappedViewRoutes } from './wrapped-views.ts';
import { channelViewRoutes } from './channel-views.ts';
import { wrappedPollRoutes } from './wrapped-polls.ts';
import { channelPollRoutes } from './channel-polls.ts';
import { wrappedReadRoutes } from './wrapped-reads.ts';
import { mlsScheduleRoutes, wrappedScheduleRoutes } from './wrapped-schedule.ts';
import { communityRoutes } from './communities.ts';
import { joinRequestRoutes } from './join-requests.ts';
import { deviceLinkRoutes } from './device-links.ts';
import { sendError } from './edge.ts';
import { keyLogRoutes } from './key-log.ts';
import { keyPackageRoutes } from './keypackages.ts';
import { requestRoutes } from './requests.ts';
import { meRoutes } from './me.ts';
import { metricsRoute } from './metrics-listener.ts';
import { registerSecurityHeaders, securityHeaders } from './security-headers.ts';

export interface Operations {
  metrics: ServerMetrics;
  /** 'ok' when this node should get traffic; otherwise why not (draining, a dependency down). */
  ready(): Promise<string>;
}

/** One HTTP route the node serves, as registered (`url` with its `:params`). */
export interface HttpRoute {
  method: string;
  url: string;
}

/**
 * Builds the HTTP edge: REST under API_PREFIX, health/readiness/metrics, the web client's files.
 * `routes` lists every route registered, so tests can cover each one (the fuzz test fails on a route it has no generator for).
 */
export async function buildHttp(config: Config, services: Services, logger: Logger, ops: Operations): Promise<{ app: FastifyInstance; routes: HttpRoute[] }> {
  const webDist = config.webDist && existsSync(config.webDist) ? config.webDist : undefined;
  const indexHtml = webDist && existsSync(join(webDist, 'index.html')) ? readFileSync(join(webDist, 'index.html'), 'utf8') : undefined;
  // R38: CSP (with the hashes of any inline script index.html has), no framing, nosniff, no referrer…
  const headers = securityHeaders({ origin: config.origin, ...(indexHtml !== undefined ? { indexHtml } : {}), ...(config.sfu ? { connect: [config.sfu.url] } : {}) });
  const onError = (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    ops.metrics.errors.inc({ code: sendError(err, request, reply) });
  };
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.limits.maxHttpBodyBytes,
    // No per-request logs: they would record users' IP addresses and timing.
    logController: new LogController({ disableRequestLogging: true }),
    // Only named proxies are believed about the client's address (per-IP limits, R11, R43).
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    forceCloseConnections: true,
    // Errors Fastify raises before routing (a path with broken percent-encoding): the standard body,
    // which does not echo the request (Fastify's own names the URL).
    frameworkErrors: (_err, _request, frameworkReply) => {
      const reply = frameworkReply as FastifyReply;
      ops.metrics.errors.inc({ code: 'bad_request' });
      void reply.headers(headers.api).status(400).send({ error: { code: 'bad_request', message: 'malformed request' } satisfies ErrorBody });
    },
  });
  registerSecurityHeaders(app, headers);
  const routes: HttpRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  app.setErrorHandler(onError);

  const info: ServerInfo = {
    name: 'parley',
    protocolVersion: PROTOCOL_VERSION,
    limits: {
      maxEnvelopeBytes: config.limits.maxEnvelopeBytes,
      maxGroupMembers: config.limits.maxGroupMembers,
      historyPageMax: config.limits.historyPageMax,
      maxFileBytes: config.files.maxFileBytes,
      channelMaxPins: config.channels.maxPins,
    },
    calls: { turn: config.turn !== undefined, sfu: config.sfu !== undefined, ringMaxMembers: config.push.callRingMaxMembers },
  };
  // Liveness: the process serves HTTP. Readiness: it should get new traffic (a load balancer's check).
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    let state: string;
    try {
      state = await ops.ready();
    } catch (err) {
      logger.warn({ err }, 'readiness check failed');
      state = 'storage unavailable';
    }
    return reply.status(state === 'ok' ? 200 : 503).send({ ready: state === 'ok', state });
  });
  // Prometheus scrape endpoint: here only while it has no listener of its own (PARLEY_METRICS_LISTEN);
  // operators keep it off the public internet (docs/OPERATIONS.md).
  if (!config.metricsListen) metricsRoute(app, ops.metrics);

  await app.register(async (api) => {
    api.get('/info', async () => info);
    accountRoutes(api, services);
    meRoutes(api, services, config.rates.apiPerSec);
    deviceLinkRoutes(api, services, config.rates.apiPerSec);
    chatRoutes(api, services, config.rates.apiPerSec);
    communityRoutes(api, services, config.rates.apiPerSec);
    channelRoutes(api, services, config.rates.apiPerSec);
    channelExtraRoutes(api, services, config.rates.apiPerSec); // R114, R115
    channelWrapRoutes(api, services, config.rates.apiPerSec, Math.max(config.limits.maxHttpBodyBytes, wrappedPostBodyBytes(config.channelWraps))); // R141, R142, R168
    wrappedResponseRoutes(api, services, config.rates.apiPerSec); // R166, R167
    wrappedCommentRoutes(api, services, config.rates.apiPerSec); // R177
    wrappedViewRoutes(api, services, config.rates.apiPerSec); // R183
    channelViewRoutes(api, services, config.rates.apiPerSec); // R190
    wrappedPollRoutes(api, services, config.rates.apiPerSec); // R185
    channelPollRoutes(api, services, config.rates.apiPerSec); // R198
    wrappedReadRoutes(api, services, config.rates.apiPerSec); // R182
    wrappedScheduleRoutes(api, services, config.rates.apiPerSec, Math.max(config.limits.maxHttpBodyBytes, wrappedPostBodyBytes(config.channelWraps))); // R188, R192: a post's size with its files
    mlsScheduleRoutes(api, services, config.rates.apiPerSec, Math.max(config.limits.maxHttpBodyBytes, config.limits.maxEnvelopeBytes + 1024)); // R191
    joinRequestRoutes(api, services, config.rates.apiPerSec);
    keyPackageRoutes(api, services, config.rates.apiPerSec);
    requestRoutes(api, services, config.rates.apiPerSec);
    keyLogRoutes(api, services, config.rates.apiPerSec);
    blobRoutes(api, services, config.rates.apiPerSec, logger);
    callRoutes(api, services, config.rates.apiPerSec);
    botRoutes(api, services, config.rates.apiPerSec);
  }, { prefix: API_PREFIX });
  // R99: public channel pages and feeds, for people without an account.
  channelPageRoutes(app, services, config.channels, config.origin);
  // R39: an unknown path, or a known path with another method, gets the one standard answer, which
  // names neither (Fastify's default would echo "Route POST:/… not found"). Also for files the web
  // client does not have.
  app.setNotFoundHandler((_request, reply) => {
    ops.metrics.errors.inc({ code: 'not_found' });
    void reply.status(404).send({ error: { code: 'not_found', message: 'not found' } satisfies ErrorBody });
  });

  if (webDist) {
    await app.register(fastifyStatic, {
      root: webDist,
      wildcard: true,
      index: ['index.html'],
      // The build's .br/.gz beside each file, by Accept-Encoding (apps/web/vite.config.ts makes them).
      preCompressed: true,
      // The build's stamp and anything else hidden is not the client's.
      dotfiles: 'ignore',
      // Set per file below; `send`'s default would be max-age=0 for all.
      cacheControl: false,
      setHeaders: (res, path) => {
        res.setHeader('vary', 'accept-encoding');
        res.setHeader('cache-control', staticCacheControl(relative(webDist, path)));
      },
    });
  } else {
    app.get('/', async (_request, reply) =>
      reply.type('text/plain').send('Parley server is running. The web client is not built: run `npm run build -w @parley/web`.'));
  }
  return { app, routes };
}

/**
 * Vite names everything under assets/ after a hash of its content, so a cached copy is never wrong:
 * a year, immutable. Everything else (index.html, the service worker, the manifest, icons) keeps its
 * name across releases: the browser revalidates it each time (ETag), so a release is seen at once.
 */
export function staticCacheControl(relativePath: string): string {
  return relativePath.startsWith(`assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
}
