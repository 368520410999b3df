import type { MlsChannelViewCount } from '@parley/protocol';
import { ParleyError } from '@parley/protocol';
import type { ChannelViewStorage } from '../../storage/channel-view-storage.ts';
import type { CommunityStorage } from '../../storage/community-storage.ts';
import type { AuthContext } from '../accounts.ts';
import { countViews, type ViewCounting } from './view-counters.ts';

export interface ChannelViewsDeps extends ViewCounting {
  communities: Pick<CommunityStorage, 'getCommunityMember' | 'getCommunity' | 'listCommunityChats'>;
  views: ChannelViewStorage;
}

/**
 * R190: view counts of a private channel in MLS mode (R112), as R183's for wrapped mode: a member's device
 * reports the seqs of the announcements chat it showed (once per device run, the SDK remembers), the server
 * adds one to a counter per (seq, time bucket) and keeps no record of who viewed. Every post, vote and
 * reaction there is an encrypted message, so the server counts any application message's seq; the others
 * (system rows, none) are passed over, not refused.
 */
export class ChannelViews {
  readonly #d: ChannelViewsDeps;
  constructor(deps: ChannelViewsDeps) {
    this.#d = deps;
  }

  /** Members only (R141's `not_found`); a community that is no channel, or one in wrapped mode (R183 is its route): `bad_request`. */
  async #channelChat(auth: AuthContext, communityId: string): Promise<string> {
    const me = await this.#d.communities.getCommunityMember(communityId, auth.userId);
    const community = me && (await this.#d.communities.getCommunity(communityId));
    if (!me || !community) throw new ParleyError('not_found', 'no such community');
    if (!community.settings.channel) throw new ParleyError('bad_request', 'this community is not a channel');
    if (community.settings.wrapped) throw new ParleyError('bad_request', 'this channel is in wrapped mode: its views are counted by …/wrapped-posts/views');
    const chat = (await this.#d.communities.listCommunityChats(communityId)).find((c) => c.kind === 'announcements');
    if (!chat) throw new ParleyError('not_found', 'no such community');
    return chat.chatId;
  }

  /** The device's reports are R98's limit, counted apart from public and wrapped channels'. */
  async report(auth: AuthContext, communityId: string, seqs: readonly number[]): Promise<void> {
    const chatId = await this.#channelChat(auth, communityId);
    await countViews(this.#d, `channel-views:${auth.deviceId}`, (bucket) => this.#d.views.addViews(communityId, chatId, seqs, bucket));
  }

  /** Each seq's views summed over the buckets; a seq never counted answers 0. */
  async counts(auth: AuthContext, communityId: string, seqs: readonly number[]): Promise<MlsChannelViewCount[]> {
    await this.#channelChat(auth, communityId);
    const sums = await this.#d.views.viewCounts(communityId, [...new Set(seqs)]);
    return [...new Set(seqs)].map((seq) => ({ seq, views: sums.get(seq) ?? 0 }));
  }
}
