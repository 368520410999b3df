import type { Role } from '@parley/protocol';
import type { ChannelWrapStorage } from '../../storage/channel-wrap-storage.ts';
import type { CommunityMemberRow, CommunityStorage } from '../../storage/community-storage.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { Chats } from '../chats.ts';
import { holds } from '../communities/rules.ts';
import type { Clock } from '../ports.ts';

export interface ChannelAdminsGroupDeps {
  storage: Pick<Storage, 'getMember'>;
  communities: Pick<CommunityStorage, 'getCommunity' | 'listCommunityChats' | 'getCommunityMember'>;
  /** The community's members who hold any right (the owner and admins). */
  moderators(communityId: string): Promise<CommunityMemberRow[]>;
  chats: Pick<Chats, 'join' | 'changeForCommunity'>;
  wraps: Pick<ChannelWrapStorage, 'markRemoval'>;
  clock: Clock;
  /** The member's community role shown in the chat (`role_changed`), as for anyone put in a community's chat. */
  mirrorRole(auth: AuthContext, communityId: string, chatId: string, userId: string, role: Role): Promise<void>;
}

/**
 * R171: in wrapped mode a private channel's announcements chat is its admins' MLS group (R170's epoch
 * keys go there): the server keeps every holder of `postAnnouncements` in it and takes out one who
 * loses the right. Subscribers who were in it before the switch stay (they are members, and the key is
 * theirs anyway); a removal takes anyone out (R71). The adds and removals of leaves are committed by
 * the group's devices as for any chat (R18, R34): an admin's device, the only ones left in it.
 */
export class ChannelAdminsGroup {
  readonly #d: ChannelAdminsGroupDeps;
  constructor(deps: ChannelAdminsGroupDeps) {
    this.#d = deps;
  }

  /** A member gained (`now`) or lost `postAnnouncements` (a role or rights change, a handover). */
  async announcerChanged(auth: AuthContext, communityId: string, userId: string, now: { role: Role; holds: boolean }): Promise<void> {
    if (!(await this.#d.communities.getCommunity(communityId))?.settings.wrapped) return;
    const chatId = (await this.#d.communities.listCommunityChats(communityId)).find((c) => c.kind === 'announcements')?.chatId;
    if (!chatId) return;
    const inIt = (await this.#d.storage.getMember(chatId, userId)) !== undefined;
    if (now.holds && !inIt) {
      await this.#d.chats.join(auth, chatId, userId, { kind: 'member_added', userId });
      await this.#d.mirrorRole(auth, communityId, chatId, userId, now.role);
    }
    if (now.holds) return;
    // A demotion is a removal for the epoch key (R142): the next post opens an epoch the group no longer carries to them.
    if (inIt) await this.#d.chats.changeForCommunity(auth, chatId, { kind: 'remove_member', userId }, { kind: 'member_removed', userId });
    await this.#d.wraps.markRemoval(communityId, this.#d.clock.now());
  }

  /**
   * R178: when an epoch opens, every holder of `postAnnouncements` not in the admins' group (one promoted
   * before R171, whose rights have not changed since) is put in, as `announcerChanged` would. Only when the
   * caller holds `invite`: their SDK then states the admission (R152) that lets the group's devices send
   * there; from anyone else it would not count, and the group would hold every send, key messages
   * included, until an admin admitted them. Returns whom it put in.
   */
  async reconcile(auth: AuthContext, communityId: string): Promise<string[]> {
    if (!(await this.#d.communities.getCommunity(communityId))?.settings.wrapped) return [];
    if (!holds(await this.#d.communities.getCommunityMember(communityId, auth.userId), 'invite')) return [];
    const chatId = (await this.#d.communities.listCommunityChats(communityId)).find((c) => c.kind === 'announcements')?.chatId;
    if (!chatId) return [];
    const added: string[] = [];
    for (const m of await this.#d.moderators(communityId)) {
      if (!holds(m, 'postAnnouncements') || (await this.#d.storage.getMember(chatId, m.userId)) !== undefined) continue;
      await this.#d.chats.join(auth, chatId, m.userId, { kind: 'member_added', userId: m.userId });
      await this.#d.mirrorRole(auth, communityId, chatId, m.userId, m.role);
      added.push(m.userId);
    }
    return added;
  }
}
