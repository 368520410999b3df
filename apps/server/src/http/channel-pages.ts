import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import { BlobId, CHANNEL_IMAGE_TYPES, CHANNEL_PLAYABLE_TYPES, channelHandleProblem, ParleyError } from '@parley/protocol';
import { BlobMissing } from '../blob-store/blob-bytes.ts';
import { z } from 'zod';
import type { ChannelLimits } from '../config.ts';
import type { Services } from '../services.ts';
import { parseRange } from './byte-range.ts';
import { channelFeed, channelPage, PAGE_CSP } from './channel-render.ts';
import { parse } from './edge.ts';

/** A page or feed takes no query at all; anything else is a malformed request (R99). */
const NoQuery = z.object({}).strict();

/**
 * R99: a public channel for people without an account: `/c/<handle>` (HTML, no script) and
 * `/c/<handle>/feed.atom` (Atom), and (R110) `/c/<handle>/media/<blobId>`. Rate-limited per IP; errors are the standard JSON body with a 4xx.
 */
export function channelPageRoutes(app: FastifyInstance, services: Services, limits: ChannelLimits, origin: string): void {
  const { blobBytes } = services;
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
    const votes = await services.channelPolls.publicVotes(channel.channelId, posts.filter((p) => p.poll).map((p) => p.postSeq)); // R198
    return reply.header('content-security-policy', PAGE_CSP).header('cache-control', 'public, max-age=60')
      .type('text/html; charset=utf-8').send(channelPage(channel, posts, base, votes));
  });
  // R110: a public post's photo or file, for anyone. Only the image types in CHANNEL_IMAGE_TYPES and the
  // audio/video ones in CHANNEL_PLAYABLE_TYPES are served as what they are; anything else as a download,
  // never rendered; no sniffing, no scripts. R126: one Range (206, a video seeks), If-Range on the ETag.
  app.get('/c/:handle/media/:blobId', async (request, reply) => {
    await services.limiter.take(`channel-media:${request.ip}`, limits.mediaPerMin / 60, limits.mediaPerMin);
    const { handle, blobId } = parse(z.object({ handle: z.string().max(64), blobId: BlobId }), request.params);
    parse(NoQuery, request.query);
    if (channelHandleProblem(handle)) throw new ParleyError('invalid_handle', channelHandleProblem(handle) ?? '');
    const media = await services.channels.publicMedia(handle, blobId);
    const inline = CHANNEL_IMAGE_TYPES.includes(media.mime) || CHANNEL_PLAYABLE_TYPES.includes(media.mime);
    // A complete blob never changes, so its id is a strong validator.
    const etag = `"${blobId}"`;
    void reply.header('content-type', inline ? media.mime : 'application/octet-stream').header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox").header('cache-control', 'public, max-age=3600')
      .header('accept-ranges', 'bytes').header('etag', etag);
    if (!inline) void reply.header('content-disposition', 'attachment');
    const ifRange = request.headers['if-range'];
    const asked = typeof request.headers.range === 'string' && (ifRange === undefined || ifRange === etag) ? request.headers.range : undefined;
    const range = parseRange(asked, media.length);
    if (range === 'unsatisfiable') {
      void reply.header('content-range', `bytes */${media.length}`);
      throw new ParleyError('range_not_satisfiable', `the file has ${media.length} bytes`);
    }
    if (media.length === 0) return reply.header('content-length', '0').send(Buffer.alloc(0));
    const { start, end } = range === 'whole' ? { start: 0, end: media.length - 1 } : range;
    let stream: Readable;
    try {
      stream = await blobBytes.read(blobId, start, end);
    } catch (err) {
      if (err instanceof BlobMissing) throw new ParleyError('blob_not_found', 'no such file');
      throw err;
    }
    void reply.header('content-length', String(end - start + 1));
    if (range !== 'whole') void reply.status(206).header('content-range', `bytes ${start}-${end}/${media.length}`);
    return reply.send(stream);
  });
  app.get('/c/:handle/feed.atom', async (request, reply) => {
    const { channel, posts } = await load(request);
    return reply.header('cache-control', 'public, max-age=300').type('application/atom+xml; charset=utf-8').send(channelFeed(channel, posts, base));
  });
}
