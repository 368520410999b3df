import type { FastifyInstance } from 'fastify';
import { Id, MAX_WRAPPED_COUNTS_SEQS, PutWrappedVoteRequest } from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

export const Seq = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const PostParams = z.object({ communityId: Id, seq: Seq });
const CommunityParams = z.object({ communityId: Id });
/** `?seqs=1,2,3`: the polls whose votes to read (R185; R198's public polls too). */
export const VotesQuery = z.object({
  seqs: z.string().max(2000).regex(/^\d{1,15}(,\d{1,15})*$/, 'seqs: numbers, comma-separated').transform((s) => s.split(',').map(Number))
    .refine((a) => a.length <= MAX_WRAPPED_COUNTS_SEQS && a.every((n) => n >= 1), `1 to ${MAX_WRAPPED_COUNTS_SEQS} seqs, each at least 1`),
});

/** R185: votes on a wrapped channel's polls (tokens, not options) and their counts. */
export function wrappedPollRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { wrappedPolls } = services;

  app.put('/communities/:communityId/wrapped-posts/:seq/vote', async (request) => {
    const caller = await auth(request);
    const { communityId, seq } = parse(PostParams, request.params);
    return { votes: await wrappedPolls.vote(caller, communityId, seq, parse(PutWrappedVoteRequest, request.body).tokens) };
  });
  app.delete('/communities/:communityId/wrapped-posts/:seq/vote', async (request) => {
    const caller = await auth(request);
    const { communityId, seq } = parse(PostParams, request.params);
    return { votes: await wrappedPolls.vote(caller, communityId, seq, []) };
  });
  app.get('/communities/:communityId/wrapped-posts/votes', async (request) => {
    const caller = await auth(request);
    return { votes: await wrappedPolls.votes(caller, parse(CommunityParams, request.params).communityId, parse(VotesQuery, request.query).seqs) };
  });
}
