import { ParleyError, type ChannelDiscussion, type ChatSummary } from '@parley/protocol';
import type { ChannelScheduleStorage } from '../../storage/channel-schedule-storage.ts';
import type { ChannelStorage } from '../../storage/channel-storage.ts';
import type { CommunityStorage } from '../../storage/community-storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { Communities } from '../communities/communities.ts';
import type { CommunityChats } from '../communities/community-chats.ts';
import type { CommunityInvites } from '../communities/community-invites.ts';
import { holds } from '../communities/rules.ts';
import type { Clock } from '../ports.ts';

export interface ChannelDiscussionsDeps {
  channels: ChannelStorage;
  links: Pick<ChannelScheduleStorage, 'getDiscussion' | 'setDiscussion'>;
  communities: CommunityStorage;
  community: Communities;
  communityChats: CommunityChats;
  invites: CommunityInvites;
  clock: Clock;
}

/**
 * R114: a channel's discussion chat. Comments are thread replies (R89) in an open chat of a community
 * whose managers link it, end-to-end encrypted like any message there: the server stores the link and
 * who is in the chat, never which post a comment is on, nor counts. Moderation is the community's
 * (bans, mutes, deletions, R71, R80-R82): a banned person is out of the chat and can't come back.
 */
export class ChannelDiscussions {
  readonly #d: ChannelDiscussionsDeps;
  constructor(deps: ChannelDiscussionsDeps) {
    this.#d = deps;
  }

  /** A chat the caller may link: an open chat (not announcements) of a community where they hold `manageChats`. */
  async #linkable(auth: AuthContext, chatId: string, communityId?: string): Promise<ChannelDiscussion> {
    const link = await this.#d.communities.getCommunityChat(chatId);
    if (!link || (communityId !== undefined && link.communityId !== communityId)) throw new ParleyError('not_found', 'no such chat in a community of yours');
    const { me } = await this.#d.community.requireMember(link.communityId, auth.userId);
    if (!holds(me, 'manageChats')) throw new ParleyError('forbidden', 'linking a discussion chat takes the manageChats right in its community');
    if (link.kind === 'announcements' || !link.open) throw new ParleyError('bad_request', 'a discussion chat is an open chat of the community (not its announcements)');
    return { chatId, communityId: link.communityId };
  }

  async #set(key: string, auth: AuthContext, value: ChannelDiscussion | null): Promise<ChannelDiscussion | null> {
    const openSeq = value?.openSeq !== undefined ? { openSeq: value.openSeq } : {};
    await this.#d.links.setDiscussion(key, value && { channelId: key, chatId: value.chatId, linkedBy: auth.userId, linkedAt: this.#d.clock.now(), ...openSeq });
    return value;
  }

  async #get(key: string): Promise<ChannelDiscussion | null> {
    const row = await this.#d.links.getDiscussion(key);
    const link = row && (await this.#d.communities.getCommunityChat(row.chatId));
    return link && link.open ? { chatId: link.chatId, communityId: link.communityId, ...(row.openSeq !== undefined ? { openSeq: row.openSeq } : {}) } : null;
  }

  /**
   * A public channel's owner links (or, with null, unlinks) its discussion chat. R154: `openSeq`, where
   * the owner's device stated `open` in the community's announcements chat, is kept as it is given
   * (the server can't read the statement; devices that can check it).
   */
  async linkPublic(auth: AuthContext, channelId: string, chatId: string | null, openSeq?: number): Promise<ChannelDiscussion | null> {
    const channel = await this.#d.channels.getChannel(channelId);
    if (!channel) throw new ParleyError('channel_not_found', 'no such channel');
    if (channel.ownerId !== auth.userId) throw new ParleyError('channel_admin_only', 'only the channel\'s owner links its discussion chat');
    return this.#set(channelId, auth, chatId === null ? null : { ...(await this.#linkable(auth, chatId)), ...(openSeq !== undefined ? { openSeq } : {}) });
  }

  /** Public, as the channel is. */
  async getPublic(channelId: string): Promise<ChannelDiscussion | null> {
    if (!(await this.#d.channels.getChannel(channelId))) throw new ParleyError('channel_not_found', 'no such channel');
    return this.#get(channelId);
  }

  /**
   * Into a public channel's discussion: the caller becomes a member of its community (as an invite
   * join makes one, R68; a banned person: `community_banned`) and of the chat (one tap, R68).
   */
  async joinPublic(auth: AuthContext, channelId: string): Promise<ChatSummary> {
    const link = await this.getPublic(channelId);
    if (!link) throw new ParleyError('not_found', 'this channel has no discussion chat');
    if ((await this.#d.communities.getCommunityBan(link.communityId, auth.userId)) !== undefined) {
      throw new ParleyError('community_banned', 'you were banned from this channel\'s discussion');
    }
    await this.#d.invites.admit(auth, link.communityId, auth.userId);
    return this.#d.communityChats.join(auth, link.communityId, link.chatId);
  }

  /** R112: a private channel's discussion is an open chat of its own community; members join it with one tap. */
  async linkPrivate(auth: AuthContext, communityId: string, chatId: string | null): Promise<ChannelDiscussion | null> {
    const { community } = await this.#d.community.requireMember(communityId, auth.userId);
    if (community.settings.channel !== true) throw new ParleyError('bad_request', 'not a private channel');
    if (chatId === null) {
      const { me } = await this.#d.community.requireMember(communityId, auth.userId);
      if (!holds(me, 'manageChats')) throw new ParleyError('forbidden', 'unlinking takes the manageChats right');
      return this.#set(communityId, auth, null);
    }
    return this.#set(communityId, auth, await this.#linkable(auth, chatId, communityId));
  }

  async getPrivate(auth: AuthContext, communityId: string): Promise<ChannelDiscussion | null> {
    await this.#d.community.requireMember(communityId, auth.userId);
    return this.#get(communityId);
  }
}
