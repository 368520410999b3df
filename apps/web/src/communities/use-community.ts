import { useCallback } from 'react';
import { useReloading } from '../state/use-reloading.ts';
import type { ParleyClient } from '@parley/client';
import type { Community, CommunityChat, CommunityMember, CommunityRight } from '@parley/protocol';
import type { Translate } from '../i18n/index.ts';

/** Runs `load` now and again whenever the server says a community changed (R74: `community_changed`, `community_removed`). */
export function useCommunityData<T>(client: ParleyClient, load: () => Promise<T>, communityId?: string) {
  return useReloading(load, (again) => client.on('community', (e) => { if (!communityId || e.communityId === communityId) again(); }), 'community');
}

/**
 * The person's communities, oldest first. Read again on community events and whenever the set of
 * communities their chats belong to changes (a community just made or joined on this or another
 * device, one left): a new community's event topic may not be heard yet.
 */
export function useCommunities(client: ParleyClient) {
  const seen = [...new Set(client.chats().flatMap((c) => (c.community ? [c.community.communityId] : [])))].sort().join(',');
  // `seen` is not used inside: it is what makes a new `load` (and so a read).
  const load = useCallback(() => client.communities.list(), [client, seen]);
  return useCommunityData(client, load);
}

export interface CommunityState {
  community: Community;
  chats: CommunityChat[];
}

/** One community and the chats this person may see in it. */
export function useCommunity(client: ParleyClient, communityId: string) {
  const load = useCallback(async (): Promise<CommunityState> => {
    const [community, chats] = await Promise.all([client.communities.get(communityId), client.communities.chats(communityId)]);
    return { community, chats };
  }, [client, communityId]);
  return useCommunityData(client, load, communityId);
}

export function useCommunityMembers(client: ParleyClient, communityId: string) {
  const load = useCallback(() => client.communities.members(communityId), [client, communityId]);
  return useCommunityData<CommunityMember[]>(client, load, communityId);
}

/** The owner holds every right (R66); others theirs. */
export function mayDo(community: Community, right: CommunityRight): boolean {
  return community.me.role === 'owner' || community.me.rights.includes(right);
}

/**
 * A community's name for this reader: with end-to-end encryption it is its announcements chat's name
 * (R66), known once this device reads that chat's `chat_info`; until then a placeholder.
 */
export function communityName(t: Translate, client: ParleyClient, community: Pick<Community, 'name' | 'announcementsChatId'>): string {
  return community.name || encName(client, community.announcementsChatId) || t('communityUnnamed');
}

function encName(client: ParleyClient, chatId: string): string {
  const chat = client.chat(chatId);
  // A group's title falls back to its members' names when no name is known: not a community name.
  if (!chat) return '';
  const fallback = chat.members.filter((m) => m.userId !== client.userId).map((m) => m.displayName).join(', ');
  return chat.title !== fallback ? chat.title : '';
}

/**
 * A chat of the community by the name this device knows: its own copy for joined chats, the
 * community's directory (R79) for open ones it is not in; read at each render, so a name that
 * arrives later shows at once.
 */
export function chatName(t: Translate, client: ParleyClient, community: Pick<Community, 'announcementsChatId'>, chat: CommunityChat): string {
  // The announcements chat carries the community's name (R66): in the community's own list it is "Announcements".
  if (chat.kind === 'announcements') return t('communityAnnouncements');
  if (chat.joined) {
    const known = encName(client, chat.chatId);
    if (known) return known;
  }
  const listed = client.communities.directory(community).find((e) => e.chatId === chat.chatId)?.name;
  if (listed) return listed;
  if (chat.name) return chat.name;
  return chat.kind === 'general' ? t('communityGeneral') : t('communityTopicUnnamed');
}
