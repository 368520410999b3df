import { ParleyError, type WrappedPostCounts } from '@parley/protocol';
import { wrappedTopic, type Bus } from '../../bus/bus.ts';
import type { ChannelWrapLimits } from '../../config.ts';
import type { CommunityMemberRow, CommunityStorage } from '../../storage/community-storage.ts';
import { DELETED_BODY, notAPostBody, PIN_MARK, type WrappedResponseStorage } from '../../storage/wrapped-response-storage.ts';
import type { WrappedViewStorage } from '../../storage/wrapped-view-storage.ts';
import type { AuthContext } from '../accounts.ts';
import { holds } from '../communities/rules.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import { wrappedMember } from './wrapped.ts';

export interface WrappedResponsesDeps {
  communities: CommunityStorage;
  responses: WrappedResponseStorage;
  /** R183: the posts' view counters, answered with the reaction counts. */
  views: Pick<WrappedViewStorage, 'viewCounts'>;
  limits: Pick<ChannelWrapLimits, 'reactionsPerMin'>;
  limiter: RateLimiter;
  bus: Bus;
}

/** R167: an edit's stored body starts with `e<seq>:` (no base64 body has a colon, though many start with an e). */
const isEdit = (body: string) => /^e\d+:/.test(body);
/** R161/R167/R184: an entry whose stored body is so is not a post one reacts to (info alone, an edit, a pin, a deleted post). */
const notAPost = notAPostBody;

/**
 * R166-R167: subscribers' reactions to a wrapped channel's posts (tokens the server counts without
 * learning the emoji) and admins' deletions for everyone. Members only (R75's `not_found` for anyone
 * else, a removed or banned person included: they are no member).
 */
export class WrappedResponses {
  readonly #d: WrappedResponsesDeps;
  constructor(deps: WrappedResponsesDeps) {
    this.#d = deps;
  }

  async #member(communityId: string, userId: string): Promise<CommunityMemberRow> {
    return wrappedMember(this.#d.communities, communityId, userId);
  }

  /** R166: the user's one reaction to the post (a token replaces theirs; null takes it back); the post's counts after it. */
  async react(auth: AuthContext, communityId: string, seq: number, token: string | null): Promise<WrappedPostCounts> {
    await this.#member(communityId, auth.userId);
    const perMin = this.#d.limits.reactionsPerMin; // PARLEY_CHANNEL_WRAPPED_REACTIONS_PER_MIN
    await this.#d.limiter.take(`wrapped-react:${auth.userId}`, perMin / 60, perMin);
    const body = await this.#d.responses.postBody(communityId, seq);
    if (body === undefined || notAPost(body)) throw new ParleyError('not_found', 'no such post');
    await this.#d.responses.setReaction(communityId, seq, auth.userId, token);
    const [counts] = await this.#counts(communityId, auth.userId, [seq]);
    return counts!;
  }

  /** R166: reaction counts by token for these posts, and the caller's own token; R183: their views. */
  async counts(auth: AuthContext, communityId: string, seqs: readonly number[]): Promise<WrappedPostCounts[]> {
    await this.#member(communityId, auth.userId);
    return this.#counts(communityId, auth.userId, [...new Set(seqs)]);
  }

  async #counts(communityId: string, userId: string, seqs: readonly number[]): Promise<WrappedPostCounts[]> {
    const [rows, mine, views] = await Promise.all([
      this.#d.responses.reactionCounts(communityId, seqs), this.#d.responses.myReactions(communityId, userId, seqs), this.#d.views.viewCounts(communityId, seqs),
    ]);
    return seqs.map((seq) => {
      const own = mine.get(seq);
      return {
        seq, reactions: Object.fromEntries(rows.filter((r) => r.seq === seq).map((r) => [r.token, r.count])), views: views.get(seq) ?? 0, ...(own !== undefined ? { mine: own } : {}),
      };
    });
  }

  /**
   * R167: an admin deletes a post for everyone: the server drops its body and its edits' (readers show
   * nothing), and its reactions; members hear `wrapped_post {seq, deleted: true}`.
   */
  async delete(auth: AuthContext, communityId: string, seq: number): Promise<void> {
    if (!holds(await this.#member(communityId, auth.userId), 'postAnnouncements')) throw new ParleyError('channel_admin_only', 'only the channel\'s admins do this');
    const body = await this.#d.responses.postBody(communityId, seq);
    if (body === undefined || body.startsWith('i:') || isEdit(body) || PIN_MARK.test(body)) throw new ParleyError('not_found', 'no such post');
    if (!(await this.#d.responses.deletePost(communityId, seq))) throw new ParleyError('not_found', 'no such post');
    await this.#d.bus.publish(wrappedTopic(communityId), { type: 'wrapped_post', communityId, seq, deleted: true });
  }
}
