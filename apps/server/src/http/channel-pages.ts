import type { FastifyInstance } from 'fastify';
import { channelHandleProblem, ParleyError } from '@parley/protocol';
import { z } from 'zod';
import type { ChannelLimits } from '../config.ts';
import type { Services } from '../services.ts';
import { channelFeed, channelPage, PAGE_CSP } from './channel-render.ts';
import { parse } from './edge.ts';

/** A page or feed takes no query at all; anything else is a malformed request (R99). */
const NoQuery = z.object({}).strict();

/**
 * R99: a public channel for people without an account: `/c/<handle>` (HTML, no script) and
 * `/c/<handle>/feed.atom` (Atom). Rate-limited per IP; errors are the standard JSON body with a 4xx.
 */
export function channelPageRoutes(app: FastifyInstance, services: Services, limits: ChannelLimits, origin: string): void {
  const load = async (request: { params: unknown; query: unknown; ip: string }) => {
    await services.limiter.take(`channel-public:${request.ip}`, limits.publicPerMin / 60, limits.publicPerMin);
    const { handle } = parse(z.object({ handle: z.string().max(64) }), request.params);
    parse(NoQuery, request.query);
    const problem = channelHandleProblem(handle);
    if (problem) throw new ParleyError('invalid_handle', problem);
    return services.channels.publicView(handle, limits.publicPosts);
  };
  const base = origin.replace(/\/$/, '');

  app.get('/c/:handle', async (request, reply) => {
    const { channel, posts } = await load(request);
    return reply.header('content-security-policy', PAGE_CSP).header('cache-control', 'public, max-age=60')
      .type('text/html; charset=utf-8').send(channelPage(channel, posts, base));
  });
  app.get('/c/:handle/feed.atom', async (request, reply) => {
    const { channel, posts } = await load(request);
    return reply.header('cache-control', 'public, max-age=300').type('application/atom+xml; charset=utf-8').send(channelFeed(channel, posts, base));
  });
}
