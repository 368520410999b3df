import type { FastifyInstance } from 'fastify';
import { Id, PutChannelVoteRequest } from '@parley/protocol';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';
import { Seq, VotesQuery } from './wrapped-polls.ts';

const PollParams = z.object({ channelId: Id, seq: Seq });
const ChannelParams = z.object({ channelId: Id });

/** R198: votes on public channels' polls (by option index) and their counts. */
export function channelPollRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { channelPolls } = services;

  app.put('/channels/:channelId/posts/:seq/vote', async (request) => {
    const caller = await auth(request);
    const { channelId, seq } = parse(PollParams, request.params);
    return { votes: await channelPolls.vote(caller, channelId, seq, parse(PutChannelVoteRequest, request.body).options) };
  });
  app.delete('/channels/:channelId/posts/:seq/vote', async (request) => {
    const caller = await auth(request);
    const { channelId, seq } = parse(PollParams, request.params);
    return { votes: await channelPolls.vote(caller, channelId, seq, []) };
  });
  app.get('/channels/:channelId/votes', async (request) => {
    const caller = await auth(request);
    return { votes: await channelPolls.votes(caller, parse(ChannelParams, request.params).channelId, parse(VotesQuery, request.query).seqs) };
  });
}
