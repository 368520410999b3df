import { useCallback } from 'react';
import { encName } from './community-list.ts';

export { communityName, useCommunities } from './community-list.ts';
import { useReloading } from '../state/use-reloading.ts';
import type { ParleyClient } from '@parley/client';
import type { Community, CommunityChat, CommunityMember, CommunityRight } from '@parley/protocol';
import type { Translate } from '../i18n/index.ts';

/** Runs `load` now and again whenever the server says a community changed (R74: `community_changed`, `community_removed`). */
export function useCommunityData<T>(client: ParleyClient, load: () => Promise<T>, communityId?: string) {
  return useReloading(load, (again) => client.on('community', (e) => { if (!communityId || e.communityId === communityId) again(); }), 'community');
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
