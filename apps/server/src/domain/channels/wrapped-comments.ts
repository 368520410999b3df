import { ParleyError } from '@parley/protocol';
import type { WrappedCommentCount } from '@parley/protocol/channel-schemas';
import type { ChannelWrapLimits } from '../../config.ts';
import type { ChannelScheduleStorage } from '../../storage/channel-schedule-storage.ts';
import type { CommunityMemberRow, CommunityStorage } from '../../storage/community-storage.ts';
import type { Storage } from '../../storage/storage.ts';
import type { WrappedCommentStorage } from '../../storage/wrapped-comment-storage.ts';
import { notAPostBody, type WrappedResponseStorage } from '../../storage/wrapped-response-storage.ts';
import type { AuthContext } from '../accounts.ts';
import { holds } from '../communities/rules.ts';
import type { Clock } from '../ports.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import { wrappedMember } from './wrapped.ts';

export interface WrappedCommentsDeps {
  storage: Pick<Storage, 'getMember'>;
  communities: CommunityStorage;
  comments: WrappedCommentStorage;
  /** The post an entry is (R161/R167's marks in its stored body). */
  posts: Pick<WrappedResponseStorage, 'postBody'>;
  /** R114: the channel's discussion chat. */
  links: Pick<ChannelScheduleStorage, 'getDiscussion'>;
  limits: Pick<ChannelWrapLimits, 'commentsPerMin'>;
  limiter: RateLimiter;
  clock: Clock;
}

/** R161/R167/R184: a stored body that is no post one comments on (info alone, an edit, a pin, a deleted post). */
const notAPost = notAPostBody;

/**
 * R177: comment counts of a wrapped channel's posts. A comment lives in the channel's discussion chat,
 * end-to-end encrypted (R114); its writer's device also sends a mark (an HMAC under the post's epoch
 * key of the comment's id) that the server counts per post, so subscribers outside that chat see how
 * many comments a post has. Members of the discussion chat only add marks; the mark's sender, or a
 * holder of `deleteMessages` (who deletes others' comments, R80), takes one back.
 */
export class WrappedComments {
  readonly #d: WrappedCommentsDeps;
  constructor(deps: WrappedCommentsDeps) {
    this.#d = deps;
  }

  /** A member of the wrapped channel who is in its discussion chat (`not_member` otherwise; no discussion: `not_found`). */
  async #commenter(communityId: string, userId: string): Promise<CommunityMemberRow> {
    const me = await wrappedMember(this.#d.communities, communityId, userId);
    const link = await this.#d.links.getDiscussion(communityId);
    const chat = link && (await this.#d.communities.getCommunityChat(link.chatId));
    if (!link || !chat || chat.communityId !== communityId || !chat.open) throw new ParleyError('not_found', 'this channel has no discussion chat');
    if (!(await this.#d.storage.getMember(link.chatId, userId))) throw new ParleyError('not_member', 'only members of the channel\'s discussion chat comment');
    return me;
  }

  async #post(communityId: string, seq: number): Promise<void> {
    const body = await this.#d.posts.postBody(communityId, seq);
    if (body === undefined || notAPost(body)) throw new ParleyError('not_found', 'no such post');
  }

  /** R177: a comment's mark on the post (counted once per post, whoever sends it again); the post's count after it. */
  async mark(auth: AuthContext, communityId: string, seq: number, mark: string): Promise<WrappedCommentCount> {
    await this.#commenter(communityId, auth.userId);
    const perMin = this.#d.limits.commentsPerMin; // PARLEY_CHANNEL_WRAPPED_COMMENTS_PER_MIN
    await this.#d.limiter.take(`wrapped-comment:${auth.userId}`, perMin / 60, perMin);
    await this.#post(communityId, seq);
    await this.#d.comments.addMark(communityId, seq, mark, auth.userId, this.#d.clock.now());
    return this.#count(communityId, seq);
  }

  /**
   * R177: a deleted comment's mark goes: its sender's, or anyone's for a holder of `deleteMessages` (R80).
   * A mark that is not there, or someone else's without the right: `not_found`. Members of the channel
   * only (a commenter who left the discussion chat may still take theirs back).
   */
  async unmark(auth: AuthContext, communityId: string, seq: number, mark: string): Promise<WrappedCommentCount> {
    const me = await wrappedMember(this.#d.communities, communityId, auth.userId);
    const perMin = this.#d.limits.commentsPerMin;
    await this.#d.limiter.take(`wrapped-comment:${auth.userId}`, perMin / 60, perMin);
    const owner = await this.#d.comments.markOwner(communityId, seq, mark);
    if (owner === undefined || (owner !== auth.userId && !holds(me, 'deleteMessages'))) throw new ParleyError('not_found', 'no such comment mark of yours');
    await this.#d.comments.removeMark(communityId, seq, mark);
    return this.#count(communityId, seq);
  }

  /** R177: the comment counts of these posts (members of the channel, in the discussion chat or not). */
  async counts(auth: AuthContext, communityId: string, seqs: readonly number[]): Promise<WrappedCommentCount[]> {
    await wrappedMember(this.#d.communities, communityId, auth.userId);
    const counts = await this.#d.comments.commentCounts(communityId, [...new Set(seqs)]);
    return [...counts].map(([seq, comments]) => ({ seq, comments }));
  }

  async #count(communityId: string, seq: number): Promise<WrappedCommentCount> {
    return { seq, comments: (await this.#d.comments.commentCounts(communityId, [seq])).get(seq) ?? 0 };
  }
}
