import {
  ParleyError, type ChatSummary, type CommunityChat, type CreateCommunityChatRequest, type UpdateCommunityChatRequest,
} from '@parley/protocol';
import { userTopic, type Bus } from '../../bus/bus.ts';
import type { CommunityLimits } from '../../config.ts';
import type { CommunityChatRow, CommunityMemberRow, CommunityStorage } from '../../storage/community-storage.ts';
import type { ModerationStorage } from '../../storage/moderation-storage.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { Chats } from '../chats.ts';
import type { Clock } from '../ports.ts';
import type { Communities } from './communities.ts';
import { holds } from './rules.ts';

export interface CommunityChatsDeps {
  storage: Storage;
  communities: CommunityStorage;
  community: Communities;
  chats: Chats;
  bus: Bus;
  clock: Clock;
  limits: CommunityLimits;
  /** R82: slow mode lives with moderation. */
  moderation: Pick<ModerationStorage, 'getSlowMode' | 'setSlowMode'>;
  maxSlowModeMs: number;
}

/** The order a community's chats are listed in: announcements, general, then topics by age. */
const KIND_ORDER: Record<CommunityChatRow['kind'], number> = { announcements: 0, general: 1, topic: 2 };

/**
 * R67-R68: a community's chats. Each is an ordinary group chat linked to the community; its
 * membership is made the way an invite-link join makes it (R42), so a current member's device adds
 * the joiner's devices to the chat's MLS group (R18). Open chats: any member joins with one tap;
 * closed ones: only holders of `manageChats` see them unjoined and add people to them.
 */
export class CommunityChats {
  readonly #d: CommunityChatsDeps;
  constructor(deps: CommunityChatsDeps) {
    this.#d = deps;
  }

  /** The chats the caller may see: open ones, those they are in, and all of them for holders of `manageChats`. */
  async list(auth: AuthContext, communityId: string): Promise<CommunityChat[]> {
    const { me } = await this.#d.community.requireMember(communityId, auth.userId);
    const out: CommunityChat[] = [];
    const links = await this.#d.communities.listCommunityChats(communityId);
    for (const link of links.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.createdAt - b.createdAt)) {
      const joined = (await this.#d.storage.getMember(link.chatId, auth.userId)) !== undefined;
      if (!link.open && !joined && !holds(me, 'manageChats')) continue;
      const chat = await this.#d.storage.getChat(link.chatId);
      if (!chat) continue;
      const memberCount = (await this.#d.storage.getMembers(link.chatId)).length;
      out.push({ chatId: link.chatId, kind: link.kind, open: link.open, name: chat.name, memberCount, joined });
    }
    return out;
  }

  /** A topic chat (`manageChats`): its creator is its first member, and starts its MLS group as for any group. */
  async create(auth: AuthContext, communityId: string, input: CreateCommunityChatRequest): Promise<ChatSummary> {
    const { me } = await this.#d.community.requireMember(communityId, auth.userId);
    this.#requireManager(me);
    const max = this.#d.limits.maxChats;
    if ((await this.#d.communities.listCommunityChats(communityId)).length >= max) throw new ParleyError('community_limit', `a community has at most ${max} chats`);
    const chat = await this.#d.chats.createGroup(auth, { name: input.name, memberIds: [], creatorRole: me.role });
    await this.#d.communities.addCommunityChat({ chatId: chat.chatId, communityId, kind: 'topic', open: input.open, createdAt: this.#d.clock.now() });
    await this.#d.chats.auditLine(auth, await this.#d.community.announcementsChatId(communityId), { kind: 'moderation', action: 'chat_created', chatId: chat.chatId });
    await this.#d.bus.publish(userTopic(auth.userId), { type: 'chat_changed', chatId: chat.chatId });
    await this.#d.community.changed(communityId);
    return this.#d.chats.get(auth, chat.chatId);
  }

  /** A name the server keeps (end-to-end encrypted names are `chat_info` in the chat) and open/closed (`manageChats`). */
  async update(auth: AuthContext, communityId: string, chatId: string, input: UpdateCommunityChatRequest): Promise<CommunityChat> {
    const { me } = await this.#d.community.requireMember(communityId, auth.userId);
    const link = await this.#link(communityId, chatId, me);
    this.#requireManager(me);
    if (input.open !== undefined && link.kind === 'announcements') throw new ParleyError('forbidden', 'every member is in the announcements chat');
    if (input.slowModeMs !== undefined && input.slowModeMs > this.#d.maxSlowModeMs) throw new ParleyError('bad_request', `slow mode is at most ${this.#d.maxSlowModeMs} ms`);
    if (input.name !== undefined) {
      await this.#d.chats.changeForCommunity(auth, chatId, { kind: 'update_chat', name: input.name }, { kind: 'renamed', name: input.name });
    }
    if (input.open !== undefined && input.open !== link.open) {
      await this.#d.communities.setCommunityChatOpen(chatId, input.open);
      await this.#d.chats.auditLine(auth, chatId, { kind: 'moderation', action: input.open ? 'chat_opened' : 'chat_closed' });
    }
    if (input.slowModeMs !== undefined) await this.#slowMode(auth, chatId, input.slowModeMs);
    await this.#d.community.changed(communityId);
    const updated = (await this.list(auth, communityId)).find((c) => c.chatId === chatId);
    if (!updated) throw new ParleyError('not_found', 'no such chat in this community');
    return updated;
  }

  /** A topic chat is deleted (`manageChats`): everyone is taken out of it and it leaves the community. */
  async delete(auth: AuthContext, communityId: string, chatId: string): Promise<void> {
    const { me } = await this.#d.community.requireMember(communityId, auth.userId);
    const link = await this.#link(communityId, chatId, me);
    this.#requireManager(me);
    if (link.kind !== 'topic') throw new ParleyError('forbidden', 'the announcements and general chats stay as long as the community');
    for (const m of await this.#d.storage.getMembers(chatId)) {
      await this.#d.chats.changeForCommunity(auth, chatId, { kind: 'remove_member', userId: m.userId }, { kind: 'member_removed', userId: m.userId });
    }
    await this.#d.communities.deleteCommunityChat(chatId);
    await this.#d.chats.auditLine(auth, await this.#d.community.announcementsChatId(communityId), { kind: 'moderation', action: 'chat_deleted', chatId });
    await this.#d.community.changed(communityId);
  }

  /** R68: one tap: a member joins an open chat of the community (a closed one is not found, unless they manage chats). */
  async join(auth: AuthContext, communityId: string, chatId: string): Promise<ChatSummary> {
    const { me } = await this.#d.community.requireMember(communityId, auth.userId);
    const link = await this.#link(communityId, chatId, me);
    if (!link.open && !holds(me, 'manageChats')) throw new ParleyError('not_found', 'no such chat in this community');
    await this.enter(auth, me, chatId, auth.userId);
    return this.#d.chats.get(auth, chatId);
  }

  /** R68: a holder of `manageChats` adds a member of the community to one of its chats (closed ones too). */
  async addMember(auth: AuthContext, communityId: string, chatId: string, userId: string): Promise<ChatSummary> {
    const { me } = await this.#d.community.requireMember(communityId, auth.userId);
    await this.#link(communityId, chatId, me);
    this.#requireManager(me);
    const target = await this.#d.communities.getCommunityMember(communityId, userId);
    if (!target) throw new ParleyError('user_not_found', 'not a member of this community');
    await this.enter(auth, target, chatId, userId);
    return this.#d.chats.get(auth, chatId);
  }

  /** Makes `member` a member of the chat as an invite-link join does (R42), with their community role shown. */
  async enter(auth: AuthContext, member: CommunityMemberRow, chatId: string, userId: string): Promise<void> {
    const event = userId === auth.userId ? { kind: 'member_joined', userId } as const : { kind: 'member_added', userId } as const;
    await this.#d.chats.join(auth, chatId, userId, event);
    if (member.role !== 'member') await this.#d.community.mirrorRole(auth, member.communityId, chatId, userId, member.role);
  }

  /** The chat's link to this community, if the caller may know of it; else `not_found` (R75). */
  async #link(communityId: string, chatId: string, me: CommunityMemberRow): Promise<CommunityChatRow> {
    const link = await this.#d.communities.getCommunityChat(chatId);
    if (!link || link.communityId !== communityId) throw new ParleyError('not_found', 'no such chat in this community');
    if (!link.open && !holds(me, 'manageChats') && !(await this.#d.storage.getMember(chatId, me.userId))) {
      throw new ParleyError('not_found', 'no such chat in this community');
    }
    return link;
  }

  /** R82: slow mode (`manageChats` and the bound, checked before): a member's messages there at least `ms` apart; 0 is off. */
  async #slowMode(auth: AuthContext, chatId: string, ms: number): Promise<void> {
    if ((await this.#d.moderation.getSlowMode(chatId)) === ms) return;
    await this.#d.moderation.setSlowMode(chatId, ms);
    await this.#d.chats.auditLine(auth, chatId, { kind: 'moderation', action: 'slow_mode', slowModeMs: ms });
  }

  #requireManager(me: CommunityMemberRow): void {
    if (!holds(me, 'manageChats')) throw new ParleyError('forbidden', 'this takes the manageChats right');
  }
}
