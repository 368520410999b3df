import type { ChannelDiscussion, ChannelPollVotes, ChannelPostCounts, ChannelSearchResponse, ChatSummary, WrappedPoll } from '@parley/protocol';
import { checkChoice, type WrappedPollResult } from './wrapped-polls.ts';
import type { RestFn } from '../session.ts';
import { ViewReports } from './view-reports.ts';

const path = (channelId: string, rest = '') => `/channels/${encodeURIComponent(channelId)}${rest}`;
const discussionPath = (channel: string | { communityId: string }) =>
  (typeof channel === 'string' ? path(channel, '/discussion') : `/communities/${encodeURIComponent(channel.communityId)}/discussion`);

interface SocialDeps {
  rest: RestFn;
  /** Takes in a community's chats after a discussion join; R154: `openSeq` is named in its announcements chat. */
  adoptCommunity?(communityId: string, openSeq?: number): Promise<void>;
  /** R152: states `open`; R154: its position in the announcements chat (undefined: not in the log in time). */
  openCommunity?(communityId: string): Promise<number | undefined>;
}

/**
 * The part of `client.channels` that verifies nothing: search (R111), reactions and views (R98) and the
 * discussion chat (R114). `Channels` extends it with the signed log.
 */
export class ChannelSocial {
  readonly #s: SocialDeps;
  /** Posts this device reported as viewed (R98: once per device; the server keeps no list of who). */
  readonly #viewed = new ViewReports();

  constructor(deps: SocialDeps) {
    this.#s = deps;
  }

  /** R111: public channels whose handle or title starts with `query`; `offset` from the last page's `nextOffset`. */
  async search(query: string, offset = 0): Promise<ChannelSearchResponse> {
    const q = new URLSearchParams({ q: query, ...(offset ? { offset: String(offset) } : {}) });
    return this.#s.rest<ChannelSearchResponse>('GET', `/channels/search?${q}`);
  }

  /**
   * R114: the discussion chat of a public channel (`channelId`) or of a private one (`{communityId}`):
   * comments are thread replies there naming the post (`client.sendText(chatId, text, {thread: postId})`;
   * counted on the device by `commentCounts`). Null when none is linked.
   */
  async discussion(channel: string | { communityId: string }): Promise<ChannelDiscussion | null> {
    return (await this.#s.rest<{ discussion: ChannelDiscussion | null }>('GET', discussionPath(channel))).discussion;
  }

  /** R114: links (null: unlinks) an open chat of a community where this user holds `manageChats`; a public channel's owner, a private one's manager. */
  async linkDiscussion(channel: string | { communityId: string }, chatId: string | null): Promise<ChannelDiscussion | null> {
    if (chatId === null) {
      await this.#s.rest('DELETE', discussionPath(channel));
      return null;
    }
    const { discussion } = await this.#s.rest<{ discussion: ChannelDiscussion }>('PUT', discussionPath(channel), { chatId });
    if (typeof channel !== 'string') return discussion;
    // R152: a public channel's readers join its community with no link: this admin says anyone may;
    // R154: and where it said so, which the server hands each joiner to name.
    const openSeq = await this.#s.openCommunity?.(discussion.communityId);
    if (openSeq === undefined) return discussion;
    return (await this.#s.rest<{ discussion: ChannelDiscussion }>('PUT', discussionPath(channel), { chatId, openSeq })).discussion;
  }

  /** R114: into a public channel's discussion chat (and its community, as by invite); a banned person gets `community_banned`. */
  async joinDiscussion(channelId: string): Promise<ChatSummary> {
    const link = await this.discussion(channelId);
    const { chat } = await this.#s.rest<{ chat: ChatSummary }>('POST', path(channelId, '/discussion/join'));
    if (chat.community) await this.#s.adoptCommunity?.(chat.community.communityId, link?.openSeq);
    return chat;
  }

  /** R98: this user's one reaction to a post (null takes it back); answers the post's counts. */
  async react(channelId: string, postId: string, emoji: string | null): Promise<ChannelPostCounts> {
    const p = path(channelId, `/posts/${encodeURIComponent(postId)}/reaction`);
    return (await (emoji === null ? this.#s.rest<{ counts: ChannelPostCounts }>('DELETE', p) : this.#s.rest<{ counts: ChannelPostCounts }>('PUT', p, { emoji }))).counts;
  }

  async counts(channelId: string, postIds: readonly string[]): Promise<ChannelPostCounts[]> {
    if (postIds.length === 0) return [];
    return (await this.#s.rest<{ counts: ChannelPostCounts[] }>('GET', path(channelId, `/counts?postIds=${postIds.map(encodeURIComponent).join(',')}`))).counts;
  }

  /**
   * R198: this user's whole choice on a public poll (option indices of the poll `post` signed; none takes
   * the vote back): subscribers only. Answers the poll's counts, mapped to its options.
   */
  async vote(channelId: string, post: PublicPollPost, options: readonly number[]): Promise<WrappedPollResult> {
    const chosen = checkChoice(post.poll, options);
    const route = path(channelId, `/posts/${post.postSeq}/vote`);
    const { votes } = chosen.length === 0 ? await this.#s.rest<{ votes: ChannelPollVotes }>('DELETE', route)
      : await this.#s.rest<{ votes: ChannelPollVotes }>('PUT', route, { options: chosen });
    return pollResult(post, votes);
  }

  /** R198: the counts of these public polls (100 a request) and this user's choice in each. */
  async pollVotes(channelId: string, posts: readonly PublicPollPost[]): Promise<WrappedPollResult[]> {
    const out: WrappedPollResult[] = [];
    for (let i = 0; i < posts.length; i += 100) {
      const page = posts.slice(i, i + 100);
      const { votes } = await this.#s.rest<{ votes: ChannelPollVotes[] }>('GET', path(channelId, `/votes?seqs=${page.map((p) => p.postSeq).join(',')}`));
      for (const p of page) {
        const v = votes.find((x) => x.seq === p.postSeq);
        if (v) out.push(pollResult(p, v));
      }
    }
    return out;
  }

  /** R98: tells the server these posts were seen, each once from this device; the server only adds to counters. */
  async markViewed(channelId: string, postIds: readonly string[]): Promise<void> {
    await this.#viewed.report(channelId, postIds, (page) => this.#s.rest('POST', path(channelId, '/views'), { postIds: page }));
  }
}

/** R198: a public poll as the reader verified it: where it was first posted and what it signed. */
export type PublicPollPost = { postSeq: number; poll: WrappedPoll };

/** R198: the server's counts per option index, as R185's result (votes naming no option of the poll: `other`). */
function pollResult(post: PublicPollPost, v: ChannelPollVotes): WrappedPollResult {
  const out: WrappedPollResult = { seq: post.postSeq, votes: post.poll.options.map(() => 0), voters: v.voters, mine: [], other: 0 };
  for (const [index, n] of Object.entries(v.votes)) {
    const i = Number(index);
    if (i < out.votes.length) out.votes[i] = n;
    else out.other += n;
  }
  out.mine = (v.mine ?? []).filter((i) => i < out.votes.length).sort((a, b) => a - b);
  return out;
}
