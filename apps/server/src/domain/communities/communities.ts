import {
  ALL_COMMUNITY_RIGHTS, DEFAULT_COMMUNITY_SETTINGS, ParleyError, type SystemEvent,
  type ChatCommunity, type Community, type CommunityMember, type CreateCommunityRequest, type Role, type SetCommunityMemberRequest,
  type TransferCommunityRequest, type UpdateCommunityRequest,
} from '@parley/protocol';
import { chatTopic, userTopic, type Bus } from '../../bus/bus.ts';
import type { CommunityLimits } from '../../config.ts';
import type { CommunityMemberRow, CommunityRow, CommunityStorage } from '../../storage/community-storage.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { ChatCommunityRules, Chats } from '../chats.ts';
import type { Clock, Random } from '../ports.ts';
import { holds, mayRemove, rightsOf, storedRights, studentKeptFrom, withSettings } from './rules.ts';

export interface CommunitiesDeps {
  storage: Storage;
  communities: CommunityStorage;
  chats: Chats;
  bus: Bus;
  clock: Clock;
  random: Random;
  limits: CommunityLimits;
  /** R142: a subscriber leaving a wrapped channel makes its next post need a new epoch. */
  onWrappedLeave?: (communityId: string, userId: string, at: number) => Promise<void>;
  /** R171: a member gained or lost `postAnnouncements` (a wrapped channel's admins' group follows it). */
  onAnnouncerChanged?: (auth: AuthContext, communityId: string, userId: string, now: { role: Role; holds: boolean }) => Promise<void>;
}

/**
 * Communities (R66-R75): members with roles, rights and labels, and group chats linked to them.
 * The server enforces what it can know: membership, who may change what, who may post in the
 * announcements chat (R69), the school rule on direct chats (R72). A non-member learns nothing, not
 * even that a community exists (`not_found`, R75). Chats, invites: community-chats.ts, community-invites.ts.
 */
export class Communities implements ChatCommunityRules {
  readonly #d: CommunitiesDeps;
  constructor(deps: CommunitiesDeps) {
    this.#d = deps;
  }

  /** The caller's membership, or `not_found` for a non-member, a banned one and an unknown id alike (R75). */
  async requireMember(communityId: string, userId: string): Promise<{ community: CommunityRow; me: CommunityMemberRow }> {
    const me = await this.#d.communities.getCommunityMember(communityId, userId);
    const community = me && (await this.#d.communities.getCommunity(communityId));
    if (!me || !community) throw new ParleyError('not_found', 'no such community');
    return { community, me };
  }

  /** R73: a user is in at most `maxPerUser` communities. */
  async requireRoomFor(userId: string): Promise<void> {
    const max = this.#d.limits.maxPerUser;
    if ((await this.#d.communities.countCommunitiesForUser(userId)) >= max) throw new ParleyError('community_limit', `a person is in at most ${max} communities`);
  }

  /**
   * R66: the creator becomes the owner; an announcements chat and a general chat are made as
   * ordinary group chats (the creator's device starts their MLS groups, as for any group) and linked.
   */
  async create(auth: AuthContext, input: CreateCommunityRequest): Promise<Community> {
    await this.requireRoomFor(auth.userId);
    const channel = input.settings?.channel === true;
    const announcements = await this.#d.chats.createGroup(auth, { name: input.name, memberIds: [] });
    // R112: a private channel is its announcements chat alone (a discussion chat is a topic it links, R114).
    const general = channel ? undefined : await this.#d.chats.createGroup(auth, { name: input.name === '' ? '' : 'General', memberIds: [] });
    const now = this.#d.clock.now();
    const community: CommunityRow = {
      communityId: this.#d.random.id(), name: input.name, createdAt: now, ownerId: auth.userId,
      settings: withSettings(DEFAULT_COMMUNITY_SETTINGS, input.settings, channel, channel && input.settings?.wrapped === true),
    };
    const owner: CommunityMemberRow = { communityId: community.communityId, userId: auth.userId, role: 'owner', rights: [], label: null, joinedAt: now };
    await this.#d.communities.createCommunity(community, owner, [
      { chatId: announcements.chatId, communityId: community.communityId, kind: 'announcements', open: false, createdAt: now },
      ...(general ? [{ chatId: general.chatId, communityId: community.communityId, kind: 'general' as const, open: true, createdAt: now }] : []),
    ]);
    // The chats were announced before they were linked: their summaries now carry the community.
    for (const chat of [announcements, ...(general ? [general] : [])]) await this.#d.bus.publish(userTopic(auth.userId), { type: 'chat_changed', chatId: chat.chatId });
    // R148: a channel wrapped from the start: its owner's open connections hear its notices now, not after a reconnect.
    if (community.settings.wrapped) await this.#d.bus.publish(userTopic(auth.userId), { type: 'wrapped_joined', communityId: community.communityId });
    return this.view(community, owner);
  }

  async get(auth: AuthContext, communityId: string): Promise<Community> {
    const { community, me } = await this.requireMember(communityId, auth.userId);
    return this.view(community, me);
  }

  async list(auth: AuthContext): Promise<Community[]> {
    const out: Community[] = [];
    for (const community of await this.#d.communities.listCommunitiesForUser(auth.userId)) {
      const me = await this.#d.communities.getCommunityMember(community.communityId, auth.userId);
      if (me) out.push(await this.view(community, me));
    }
    return out;
  }

  /** Name and settings: the owner or a holder of `manageChats`. */
  async update(auth: AuthContext, communityId: string, input: UpdateCommunityRequest): Promise<Community> {
    const { community, me } = await this.requireMember(communityId, auth.userId);
    if (!holds(me, 'manageChats')) throw new ParleyError('forbidden', 'changing the community takes the manageChats right');
    const settings = input.settings ? withSettings(community.settings, input.settings) : undefined;
    await this.#d.communities.updateCommunity(communityId, { ...(input.name !== undefined ? { name: input.name } : {}), ...(settings ? { settings } : {}) });
    if (input.name !== undefined && input.name !== '' && input.name !== community.name) {
      // A name the server knows (no end-to-end encryption) is the announcements chat's name too.
      const ann = await this.announcementsChatId(communityId);
      await this.#d.chats.changeForCommunity(auth, ann, { kind: 'update_chat', name: input.name }, { kind: 'renamed', name: input.name });
    }
    await this.changed(communityId);
    return this.get(auth, communityId);
  }

  /** R72: a student of a school community that keeps students from adults sees no adult's handle. */
  async members(auth: AuthContext, communityId: string): Promise<CommunityMember[]> {
    const { community, me } = await this.requireMember(communityId, auth.userId);
    const rows = await this.#d.communities.listCommunityMembers(communityId);
    const users = new Map((await this.#d.storage.getUsers(rows.map((r) => r.userId))).map((u) => [u.userId, u]));
    return rows.map((r) => {
      const u = users.get(r.userId);
      const hidden = studentKeptFrom(community.settings, me, r);
      return {
        userId: r.userId,
        ...(u && !hidden ? { handle: u.handle } : {}),
        displayName: u?.displayName ?? 'Deleted account',
        role: r.role,
        rights: rightsOf(r),
        ...(r.label ? { label: r.label } : {}),
        joinedAt: r.joinedAt,
      };
    });
  }

  /**
   * R70: roles, rights and labels are the owner's to set, for anyone but the owner: an admin can't
   * raise themselves or anyone else. A role change shows in each of the community's chats the member is in.
   */
  async setMember(auth: AuthContext, communityId: string, userId: string, input: SetCommunityMemberRequest): Promise<CommunityMember> {
    const { community, me } = await this.requireMember(communityId, auth.userId);
    if (me.role !== 'owner') throw new ParleyError('forbidden', 'only the owner sets roles, rights and labels');
    const target = await this.#d.communities.getCommunityMember(communityId, userId);
    if (!target) throw new ParleyError('user_not_found', 'not a member of this community');
    if (target.role === 'owner') throw new ParleyError('forbidden', 'the owner\'s role changes only by handing the community over');
    if (input.label !== undefined && input.label !== null && community.settings.roleLabels !== 'school') {
      throw new ParleyError('bad_request', 'labels are for communities with school role labels');
    }
    const role = input.role ?? target.role;
    const rights = storedRights(role, input.rights, target.rights);
    await this.#d.communities.setCommunityMember(communityId, userId, {
      role, rights, ...(input.label !== undefined ? { label: input.label } : {}),
    });
    if (role !== target.role) await this.#mirrorRole(auth, communityId, userId, role);
    else if (holds(target, 'postAnnouncements') !== holds({ role, rights }, 'postAnnouncements')) {
      // R69: the right alone changed no chat: the member's own devices read the announcements chat's summary (mayPost) again.
      await this.#d.bus.publish(userTopic(userId), { type: 'chat_changed', chatId: await this.announcementsChatId(communityId) });
    }
    await this.#rightsLine(auth, communityId, userId, target, { role, rights });
    await this.#announcer(auth, communityId, userId, target, { role, rights });
    await this.changed(communityId);
    const member = (await this.members(auth, communityId)).find((m) => m.userId === userId);
    if (!member) throw new ParleyError('user_not_found', 'not a member of this community');
    return member;
  }

  /**
   * R70: the owner hands the community over to a member. The old owner's rights end at once (they
   * become an admin with every right, or a member, as asked); every chat of the community they are
   * in logs both role changes, so every member sees it, and every member's devices hear the change.
   */
  async transfer(auth: AuthContext, communityId: string, input: TransferCommunityRequest): Promise<Community> {
    const { me } = await this.requireMember(communityId, auth.userId);
    if (me.role !== 'owner') throw new ParleyError('forbidden', 'only the owner hands the community over');
    if (input.userId === auth.userId) throw new ParleyError('bad_request', 'you are the owner already');
    const heir = await this.#d.communities.getCommunityMember(communityId, input.userId);
    if (!heir || !(await this.#d.communities.transferOwnership(communityId, input.userId, input.formerOwnerBecomes))) {
      throw new ParleyError('user_not_found', 'not a member of this community');
    }
    await this.#mirrorRole(auth, communityId, input.userId, 'owner');
    await this.#mirrorRole(auth, communityId, auth.userId, input.formerOwnerBecomes);
    await this.#rightsLine(auth, communityId, input.userId, heir, { role: 'owner', rights: [] });
    await this.#rightsLine(auth, communityId, auth.userId, me, { role: input.formerOwnerBecomes, rights: input.formerOwnerBecomes === 'admin' ? [...ALL_COMMUNITY_RIGHTS] : [] });
    await this.#announcer(auth, communityId, input.userId, heir, { role: 'owner', rights: [] });
    await this.#announcer(auth, communityId, auth.userId, me, { role: input.formerOwnerBecomes, rights: input.formerOwnerBecomes === 'admin' ? [...ALL_COMMUNITY_RIGHTS] : [] });
    await this.changed(communityId);
    return this.get(auth, communityId);
  }

  /** R71: leaving takes the member out of every chat of the community; the owner hands it over first. */
  async leave(auth: AuthContext, communityId: string): Promise<void> {
    const { me } = await this.requireMember(communityId, auth.userId);
    if (me.role === 'owner') throw new ParleyError('forbidden', 'hand the community over before leaving it');
    await this.#d.communities.removeCommunityMember(communityId, auth.userId);
    await this.outOfChats(auth, communityId, auth.userId, undefined);
  }

  /**
   * R71: removing (and banning) takes the `ban` right and a target below the actor's role. The person
   * is taken out of every chat of the community (so members' devices remove their leaves, R18);
   * a banned person can't come back through any invite until the ban is lifted.
   */
  async remove(auth: AuthContext, communityId: string, userId: string, ban: boolean): Promise<void> {
    const { me } = await this.requireMember(communityId, auth.userId);
    if (!holds(me, 'ban')) throw new ParleyError('forbidden', 'removing and banning take the ban right');
    const target = await this.#d.communities.getCommunityMember(communityId, userId);
    if (!target && !(ban && (await this.#d.storage.getUser(userId)))) throw new ParleyError('user_not_found', 'not a member of this community');
    if (target && !mayRemove(me, target)) throw new ParleyError('forbidden', 'you can only remove members below your role');
    const at = this.#d.clock.now();
    await this.#d.communities.removeCommunityMember(communityId, userId, ban ? { by: auth.userId, at } : undefined);
    if (target) await this.outOfChats(auth, communityId, userId, { by: auth.userId, at });
    // R81: a removal is its `member_removed` lines; a ban says so where every member reads it.
    if (ban) await this.#d.chats.auditLine(auth, await this.announcementsChatId(communityId), { kind: 'moderation', action: 'banned', userId });
  }

  async unban(auth: AuthContext, communityId: string, userId: string): Promise<void> {
    const { me } = await this.requireMember(communityId, auth.userId);
    if (!holds(me, 'ban')) throw new ParleyError('forbidden', 'lifting a ban takes the ban right');
    if (!(await this.#d.communities.deleteCommunityBan(communityId, userId))) throw new ParleyError('user_not_found', 'not banned from this community');
    await this.#d.chats.auditLine(auth, await this.announcementsChatId(communityId), { kind: 'moderation', action: 'unbanned', userId });
  }

  // --- what chats and delivery ask (R67, R69, R72) ------------------------------------------

  async chatCommunity(chatId: string, userId: string): Promise<ChatCommunity | undefined> {
    const link = await this.#d.communities.getCommunityChat(chatId);
    if (!link) return undefined;
    const member = link.kind === 'announcements' ? await this.#d.communities.getCommunityMember(link.communityId, userId) : undefined;
    const settings = link.kind === 'announcements' ? (await this.#d.communities.getCommunity(link.communityId))?.settings : undefined;
    return {
      communityId: link.communityId, kind: link.kind, mayPost: link.kind !== 'announcements' || holds(member, 'postAnnouncements'),
      ...(settings?.channel ? { channel: true as const } : {}), ...(settings?.wrapped ? { wrapped: true as const } : {}),
    };
  }

  /**
   * R72: in a chat of a school community that keeps students from adults, the members whose handle a
   * student viewer may not see: everyone in it who is not a fellow student (teachers, parents, staff,
   * the owner). Undefined when nothing is hidden from this viewer.
   */
  async hiddenHandles(chatId: string, viewerId: string): Promise<((userId: string) => boolean) | undefined> {
    const link = await this.#d.communities.getCommunityChat(chatId);
    if (!link) return undefined;
    const community = await this.#d.communities.getCommunity(link.communityId);
    const me = await this.#d.communities.getCommunityMember(link.communityId, viewerId);
    if (!community || !me || !studentKeptFrom(community.settings, me, { label: null })) return undefined;
    const students = new Set((await this.#d.communities.listCommunityMembers(link.communityId)).filter((m) => m.label === 'student').map((m) => m.userId));
    return (userId) => userId !== viewerId && !students.has(userId);
  }

  /** R69: application messages to an announcements chat only from holders of `postAnnouncements`. */
  async checkPost(userId: string, chatId: string): Promise<void> {
    const link = await this.#d.communities.getCommunityChat(chatId);
    if (link?.kind !== 'announcements') return;
    if (!holds(await this.#d.communities.getCommunityMember(link.communityId, userId), 'postAnnouncements')) {
      throw new ParleyError('announcements_only', 'only members with the postAnnouncements right post here');
    }
  }

  /** R72: in any school community the two share, a student starts no direct chat with an adult unless allowed. */
  async checkDirect(userId: string, otherId: string): Promise<void> {
    for (const community of await this.#d.communities.listCommunitiesForUser(userId)) {
      if (community.settings.roleLabels !== 'school' || community.settings.studentsMayDm) continue;
      const me = await this.#d.communities.getCommunityMember(community.communityId, userId);
      const other = await this.#d.communities.getCommunityMember(community.communityId, otherId);
      if (me && other && studentKeptFrom(community.settings, me, other)) {
        throw new ParleyError('dm_not_allowed', 'your community does not let students start direct chats with adults');
      }
    }
  }

  // --- shared with community-chats.ts and community-invites.ts -------------------------------

  async view(community: CommunityRow, me: CommunityMemberRow): Promise<Community> {
    return {
      communityId: community.communityId,
      name: community.name,
      createdAt: community.createdAt,
      owner: community.ownerId,
      settings: community.settings,
      memberCount: await this.#d.communities.countCommunityMembers(community.communityId),
      announcementsChatId: await this.announcementsChatId(community.communityId),
      me: { role: me.role, rights: rightsOf(me), ...(me.label ? { label: me.label } : {}) },
    };
  }

  async announcementsChatId(communityId: string): Promise<string> {
    const ann = (await this.#d.communities.listCommunityChats(communityId)).find((c) => c.kind === 'announcements');
    if (!ann) throw new ParleyError('internal', 'community without an announcements chat');
    return ann.chatId;
  }

  /** R74: one event on the announcements chat, which every member is in: their devices read the community again. */
  async changed(communityId: string): Promise<void> {
    await this.#d.bus.publish(chatTopic(await this.announcementsChatId(communityId)), { type: 'community_changed', communityId });
  }

  /** R141: the announcements chat's summary changed for everyone in it (a channel switched to wrapped mode): their devices read it again. */
  async announcementsChanged(communityId: string): Promise<void> {
    const chatId = await this.announcementsChatId(communityId);
    await this.#d.bus.publish(chatTopic(chatId), { type: 'chat_changed', chatId });
  }

  /**
   * R117: a join or leave changes only the member count: in a community of more than `largeMembers`
   * no event (every device reading the community again, per join); its chats' `members` frames say who.
   */
  async membersChanged(communityId: string): Promise<void> {
    if ((await this.#d.communities.countCommunityMembers(communityId)) > this.#d.limits.largeMembers) return;
    await this.#d.bus.publish(chatTopic(await this.announcementsChatId(communityId)), { type: 'community_changed', communityId });
  }

  /** A community member's role shown in each of its chats they are in (`role_changed` lines; R50 pins follow it). */
  async mirrorRole(auth: AuthContext, communityId: string, chatId: string, userId: string, role: Role): Promise<void> {
    const member = await this.#d.storage.getMember(chatId, userId);
    if (!member || member.role === role) return;
    await this.#d.chats.changeForCommunity(auth, chatId, { kind: 'set_role', userId, role, at: this.#d.clock.now() }, { kind: 'role_changed', userId, role });
  }

  /** R81: an audit line in each chat of the community the member is in (R80 folds rights over these). */
  async auditInChatsOf(auth: AuthContext, communityId: string, userId: string, system: SystemEvent): Promise<void> {
    for (const chat of await this.#d.communities.listCommunityChats(communityId)) {
      if (await this.#d.storage.getMember(chat.chatId, userId)) await this.#d.chats.auditLine(auth, chat.chatId, system);
    }
  }

  /** R80, R81: a member's rights changed (with their role, or alone): `rights_changed` with before and after. */
  async #rightsLine(auth: AuthContext, communityId: string, userId: string, was: Pick<CommunityMemberRow, 'role' | 'rights'>, now: Pick<CommunityMemberRow, 'role' | 'rights'>): Promise<void> {
    const before = { role: was.role, rights: rightsOf(was) };
    const after = rightsOf(now);
    if (before.role === now.role && before.rights.join() === after.join()) return;
    await this.auditInChatsOf(auth, communityId, userId, { kind: 'moderation', action: 'rights_changed', userId, role: now.role, rights: after, before });
  }

  /** R171: tells the wrapped channels' admins' group when a member gains or loses `postAnnouncements`. */
  async #announcer(auth: AuthContext, communityId: string, userId: string, was: Pick<CommunityMemberRow, 'role' | 'rights'>, now: Pick<CommunityMemberRow, 'role' | 'rights'>): Promise<void> {
    const holdsNow = holds(now, 'postAnnouncements');
    if (holds(was, 'postAnnouncements') !== holdsNow) await this.#d.onAnnouncerChanged?.(auth, communityId, userId, { role: now.role, holds: holdsNow });
  }

  async #mirrorRole(auth: AuthContext, communityId: string, userId: string, role: Role): Promise<void> {
    for (const chat of await this.#d.communities.listCommunityChats(communityId)) await this.mirrorRole(auth, communityId, chat.chatId, userId, role);
  }

  /** Takes the user out of every chat of the community, then tells them and the members. */
  async outOfChats(auth: AuthContext, communityId: string, userId: string, removal: { by: string; at: number } | undefined): Promise<void> {
    for (const chat of await this.#d.communities.listCommunityChats(communityId)) {
      if (!(await this.#d.storage.getMember(chat.chatId, userId))) continue;
      await this.#d.chats.changeForCommunity(auth, chat.chatId, removal ? { kind: 'remove_member', userId, removal } : { kind: 'remove_member', userId },
        removal ? { kind: 'member_removed', userId } : { kind: 'member_left', userId });
    }
    if ((await this.#d.communities.getCommunity(communityId))?.settings.wrapped) await this.#d.onWrappedLeave?.(communityId, userId, this.#d.clock.now());
    await this.#d.bus.publish(userTopic(userId), { type: 'community_removed', communityId, userId });
    await this.membersChanged(communityId);
  }
}
