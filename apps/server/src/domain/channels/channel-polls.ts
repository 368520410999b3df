import { ParleyError, type ChannelPollVotes, type WrappedPoll } from '@parley/protocol';
import type { ChannelLimits } from '../../config.ts';
import type { ChannelPostRow, ChannelStorage } from '../../storage/channel-storage.ts';
import type { WrappedVoteStorage } from '../../storage/wrapped-vote-storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import { storedPost } from './signed.ts';

export interface ChannelPollsDeps {
  channels: ChannelStorage;
  /** R198: the vote store on CHANNEL_VOTE_TABLES (R185's, keyed by channel; a token is an option's index). */
  votes: WrappedVoteStorage;
  limits: Pick<ChannelLimits, 'votesPerMin'>;
  limiter: RateLimiter;
}

/**
 * R198: votes on public channels' polls. The poll is in the post's signed body, which anyone may read,
 * so the server reads its options and refuses a vote naming another; it keeps each voter's choice (so
 * they can change or take it back) and a counter per option, and serves counts and the caller's own
 * choice only, never who chose what. Subscribers vote; any signed-in reader sees counts (as R98's).
 */
export class ChannelPolls {
  readonly #d: ChannelPollsDeps;
  constructor(deps: ChannelPollsDeps) {
    this.#d = deps;
  }

  /** R198: the caller's whole choice (option indices; none takes it back) on the poll posted at `seq`; its votes after. */
  async vote(auth: AuthContext, channelId: string, seq: number, options: readonly number[]): Promise<ChannelPollVotes> {
    await this.#channel(channelId);
    if (!(await this.#d.channels.getSubscription(channelId, auth.userId))) throw new ParleyError('forbidden', 'subscribe to the channel to vote in its polls');
    const perMin = this.#d.limits.votesPerMin; // PARLEY_CHANNEL_VOTES_PER_MIN
    await this.#d.limiter.take(`channel-vote:${auth.userId}`, perMin / 60, perMin);
    const poll = pollOf(await this.#post(channelId, seq));
    if (!poll) throw new ParleyError('not_found', 'no such poll');
    if (options.some((i) => i >= poll.options.length)) throw new ParleyError('bad_request', `the poll has ${poll.options.length} options (0-${poll.options.length - 1})`);
    if (options.length > 1 && !poll.multiple) throw new ParleyError('bad_request', 'this poll takes one answer');
    await this.#d.votes.setVotes(channelId, seq, auth.userId, options.map(String));
    const [votes] = await this.#votes(channelId, auth.userId, [seq]);
    return votes!;
  }

  /** R198: the votes of the polls at these seqs (none for a seq that is no poll), with the caller's own choice. */
  async votes(auth: AuthContext, channelId: string, seqs: readonly number[]): Promise<ChannelPollVotes[]> {
    await this.#channel(channelId);
    return this.#votes(channelId, auth.userId, [...new Set(seqs)]);
  }

  /** R198/R99: the counts the public page shows beside each poll (no caller). */
  async publicVotes(channelId: string, seqs: readonly number[]): Promise<Map<number, ChannelPollVotes>> {
    if (seqs.length === 0) return new Map();
    return new Map((await this.#votes(channelId, '', seqs)).map((v) => [v.seq, v]));
  }

  async #channel(channelId: string): Promise<void> {
    if (!(await this.#d.channels.getChannel(channelId))) throw new ParleyError('channel_not_found', 'no such channel');
  }

  /** The post first posted at `seq` (any version, deleted or not). */
  async #post(channelId: string, seq: number): Promise<ChannelPostRow | undefined> {
    const [row] = await this.#d.channels.listPosts(channelId, { beforePostSeq: seq + 1, limit: 1, withDeleted: true });
    return row?.postSeq === seq ? row : undefined;
  }

  async #votes(channelId: string, userId: string, seqs: readonly number[]): Promise<ChannelPollVotes[]> {
    const [rows, voters, mine] = await Promise.all([
      this.#d.votes.voteCounts(channelId, seqs), this.#d.votes.voters(channelId, seqs),
      userId ? this.#d.votes.myVotes(channelId, userId, seqs) : Promise.resolve(new Map<number, string[]>()),
    ]);
    return seqs.map((seq) => {
      const own = mine.get(seq);
      return {
        seq, votes: Object.fromEntries(rows.filter((r) => r.seq === seq).map((r) => [r.token, r.count])), voters: voters.get(seq) ?? 0,
        ...(own ? { mine: own.map(Number).sort((a, b) => a - b) } : {}),
      };
    });
  }
}

/** R198: the poll a stored post carries (none once deleted). */
export function pollOf(row: ChannelPostRow | undefined): WrappedPoll | undefined {
  if (!row || row.deleted) return undefined;
  return storedPost(row.signed, row.seq).poll;
}
