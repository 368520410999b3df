import { ParleyError, type WrappedPollVotes } from '@parley/protocol';
import type { ChannelWrapLimits } from '../../config.ts';
import type { CommunityStorage } from '../../storage/community-storage.ts';
import { notAPostBody as notAPost, type WrappedResponseStorage } from '../../storage/wrapped-response-storage.ts';
import type { WrappedVoteStorage } from '../../storage/wrapped-vote-storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import type { VoteNotices } from './vote-notices.ts';
import { wrappedMember } from './wrapped.ts';

export interface WrappedPollsDeps {
  communities: CommunityStorage;
  votes: WrappedVoteStorage;
  /** The post an entry is (R161/R167's marks in its stored body). */
  posts: Pick<WrappedResponseStorage, 'postBody'>;
  limits: Pick<ChannelWrapLimits, 'votesPerMin'>;
  limiter: RateLimiter;
  /** R185: tells the members' devices (coalesced) that a poll's counts changed. */
  notices?: Pick<VoteNotices, 'changed'>;
}


/**
 * R185: votes on a wrapped channel's polls. A poll is a post whose sealed, signed plaintext carries
 * `poll`; the server can't see that, nor which option a vote names: a vote is a set of tokens (an HMAC
 * under the post's epoch key per option chosen) that it keeps per (post, user) and counts per token.
 * Members only (R75's `not_found` for anyone else, a removed or banned person included).
 */
export class WrappedPolls {
  readonly #d: WrappedPollsDeps;
  constructor(deps: WrappedPollsDeps) {
    this.#d = deps;
  }

  /** R185: the user's whole choice on the poll at `seq` (these tokens replace theirs; none takes it back); the poll's votes after it. */
  async vote(auth: AuthContext, communityId: string, seq: number, tokens: readonly string[]): Promise<WrappedPollVotes> {
    await wrappedMember(this.#d.communities, communityId, auth.userId);
    const perMin = this.#d.limits.votesPerMin; // PARLEY_CHANNEL_WRAPPED_VOTES_PER_MIN
    await this.#d.limiter.take(`wrapped-vote:${auth.userId}`, perMin / 60, perMin);
    const body = await this.#d.posts.postBody(communityId, seq);
    if (body === undefined || notAPost(body)) throw new ParleyError('not_found', 'no such post');
    await this.#d.votes.setVotes(communityId, seq, auth.userId, tokens);
    this.#d.notices?.changed(communityId, seq); // R185: live counts, no voter named
    const [votes] = await this.#votes(communityId, auth.userId, [seq]);
    return votes!;
  }

  /** R185: the votes of these polls by token, how many voted, and the caller's own tokens. */
  async votes(auth: AuthContext, communityId: string, seqs: readonly number[]): Promise<WrappedPollVotes[]> {
    await wrappedMember(this.#d.communities, communityId, auth.userId);
    return this.#votes(communityId, auth.userId, [...new Set(seqs)]);
  }

  async #votes(communityId: string, userId: string, seqs: readonly number[]): Promise<WrappedPollVotes[]> {
    const [rows, voters, mine] = await Promise.all([
      this.#d.votes.voteCounts(communityId, seqs), this.#d.votes.voters(communityId, seqs), this.#d.votes.myVotes(communityId, userId, seqs),
    ]);
    return seqs.map((seq) => {
      const own = mine.get(seq);
      return { seq, votes: Object.fromEntries(rows.filter((r) => r.seq === seq).map((r) => [r.token, r.count])), voters: voters.get(seq) ?? 0, ...(own ? { mine: own } : {}) };
    });
  }
}
