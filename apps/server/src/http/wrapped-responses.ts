import type { FastifyInstance } from 'fastify';
import { Id, MAX_ATTACHMENTS, MAX_WRAPPED_COUNTS_SEQS, PutWrappedReactionRequest } from '@parley/protocol';
import { z } from 'zod';
import type { ChannelWrapLimits } from '../config.ts';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

const Seq = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const PostParams = z.object({ communityId: Id, seq: Seq });
const CommunityParams = z.object({ communityId: Id });
const CountsQuery = z.object({
  seqs: z.string().max(2000).regex(/^\d{1,15}(,\d{1,15})*$/, 'seqs: numbers, comma-separated').transform((s) => s.split(',').map(Number))
    .refine((a) => a.length <= MAX_WRAPPED_COUNTS_SEQS && a.every((n) => n >= 1), `1 to ${MAX_WRAPPED_COUNTS_SEQS} seqs, each at least 1`),
});

/** R168: the request body of a wrapped post with the most files: its body's largest allowance, the blob ids and the JSON around them. */
export const wrappedPostBodyBytes = (l: Pick<ChannelWrapLimits, 'postMaxChars' | 'postFileChars'>) => l.postMaxChars + MAX_ATTACHMENTS * l.postFileChars + 8192;

/** R166-R167: reactions to a wrapped channel's posts, their counts, and admins' deletions. */
export function wrappedResponseRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { wrappedResponses } = services;

  app.put('/communities/:communityId/wrapped-posts/:seq/reaction', async (request) => {
    const caller = await auth(request);
    const { communityId, seq } = parse(PostParams, request.params);
    return { counts: await wrappedResponses.react(caller, communityId, seq, parse(PutWrappedReactionRequest, request.body).token) };
  });
  app.delete('/communities/:communityId/wrapped-posts/:seq/reaction', async (request) => {
    const caller = await auth(request);
    const { communityId, seq } = parse(PostParams, request.params);
    return { counts: await wrappedResponses.react(caller, communityId, seq, null) };
  });
  app.get('/communities/:communityId/wrapped-posts/counts', async (request) => {
    const caller = await auth(request);
    return { counts: await wrappedResponses.counts(caller, parse(CommunityParams, request.params).communityId, parse(CountsQuery, request.query).seqs) };
  });
  app.delete('/communities/:communityId/wrapped-posts/:seq', async (request, reply) => {
    const caller = await auth(request);
    const { communityId, seq } = parse(PostParams, request.params);
    await wrappedResponses.delete(caller, communityId, seq);
    return reply.status(204).send();
  });
}
