import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ListenAddress } from '../config.ts';
import type { ServerMetrics } from '../metrics.ts';

/** The Prometheus scrape endpoint: the node's registry in its text format. */
export function metricsRoute(app: FastifyInstance, metrics: ServerMetrics): void {
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
}

export interface MetricsListener {
  /** The bound port (the configured one, or the one the system chose for port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * A listener of its own that serves only `GET /metrics` (PARLEY_METRICS_LISTEN), so the scrape
 * endpoint can sit on a monitoring address while the public port does not serve it.
 */
export async function startMetricsListener(metrics: ServerMetrics, address: ListenAddress, logger: Logger): Promise<MetricsListener> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    // A scraper's keep-alive connection must not hold up shutdown.
    forceCloseConnections: true,
  });
  metricsRoute(app, metrics);
  await app.listen({ host: address.host, port: address.port });
  const bound = app.server.address();
  return {
    port: typeof bound === 'object' && bound ? bound.port : address.port,
    close: () => app.close(),
  };
}
