import {
  ParleyError, type Community, type CommunityInvitePreview, type CommunityInviteResponse, type CreateCommunityInviteRequest,
} from '@parley/protocol';
import type { ChannelWrapLimits, CommunityLimits } from '../../config.ts';
import type { CommunityInviteRow, CommunityMemberRow, CommunityStorage } from '../../storage/community-storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { Clock, Random } from '../ports.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import type { Communities } from './communities.ts';
import type { CommunityChats } from './community-chats.ts';
import { holds, inviteDeadReason } from './rules.ts';

export interface CommunityInvitesDeps {
  communities: CommunityStorage;
  community: Communities;
  chats: CommunityChats;
  clock: Clock;
  random: Random;
  limiter: RateLimiter;
  limits: CommunityLimits;
  /** PARLEY_INVITE_TTL_MS: the longest an invite lives (R42). */
  ttlMs: number;
  invitesPerHour: number;
  /** R141: when a private channel switches to wrapped mode, and how big it then grows. */
  wrapLimits: ChannelWrapLimits;
  /** R148-R149: a member came into a wrapped channel (their connections hear its notices; its admins wrap for them). */
  onWrappedJoin?: (communityId: string, userId: string) => Promise<void>;
}

/**
 * R68: invite links to a community. The rules of chat invites (R42) with the community's `invite`
 * right: live while not expired, not used up, and its maker still holds the right. Joining makes
 * the person a member and puts them in the announcements and general chats, the way an invite-link
 * join of a chat does; a banned person is refused (`community_banned`, R71).
 */
export class CommunityInvites {
  readonly #d: CommunityInvitesDeps;
  constructor(deps: CommunityInvitesDeps) {
    this.#d = deps;
  }

  async create(auth: AuthContext, communityId: string, input: CreateCommunityInviteRequest): Promise<CommunityInviteResponse> {
    const { me } = await this.#d.community.requireMember(communityId, auth.userId);
    if (!holds(me, 'invite')) throw new ParleyError('forbidden', 'inviting takes the invite right');
    const perHour = this.#d.invitesPerHour;
    await this.#d.limiter.take(`invites:${auth.userId}`, perHour / 3600, perHour);
    const now = this.#d.clock.now();
    const invite: CommunityInviteRow = {
      token: this.#d.random.id(18), communityId, createdBy: auth.userId, createdAt: now,
      expiresAt: now + Math.min(input.expiresInMs ?? this.#d.ttlMs, this.#d.ttlMs), maxUses: input.maxUses ?? null, uses: 0,
      needsApproval: input.needsApproval ?? false,
    };
    await this.#d.communities.createCommunityInvite(invite);
    return { token: invite.token, communityId, expiresAt: invite.expiresAt, maxUses: invite.maxUses, needsApproval: invite.needsApproval };
  }

  async preview(auth: AuthContext, token: string): Promise<CommunityInvitePreview> {
    const invite = await this.usable(auth, token);
    const community = await this.#d.communities.getCommunity(invite.communityId);
    if (!community) throw new ParleyError('invite_invalid', 'this invite link is invalid or expired');
    return { communityId: community.communityId, name: community.name, memberCount: await this.#d.communities.countCommunityMembers(community.communityId),
      needsApproval: invite.needsApproval,
    };
  }

  async join(auth: AuthContext, token: string): Promise<Community> {
    const invite = await this.usable(auth, token);
    if (invite.needsApproval) throw new ParleyError('join_approval_required', 'this invite link needs an admin\'s approval: ask to join instead');
    await this.admit(auth, invite.communityId, auth.userId, token);
    return this.#d.community.get(auth, invite.communityId);
  }

  /**
   * Makes `userId` a member and puts them into the announcements and general chats, as an invite
   * join does (R68); `actor` is who does it: the joiner themselves (`member_joined` lines) or the admin
   * who approved their request (R101: `member_added` lines). With `invite`, the join takes one of its uses.
   */
  async admit(actor: AuthContext, communityId: string, userId: string, invite?: string): Promise<void> {
    if (await this.#d.communities.getCommunityMember(communityId, userId)) return;
    await this.#d.community.requireRoomFor(userId);
    const member: CommunityMemberRow = { communityId, userId, role: 'member', rights: [], label: null, joinedAt: this.#d.clock.now() };
    const wrapped = await this.#wrappedOnJoin(communityId);
    await this.#d.communities.addCommunityMember(member, {
      ...(invite !== undefined ? { invite } : {}), maxMembers: wrapped ? this.#d.wrapLimits.maxSubscribers : this.#d.limits.maxMembers,
    });
    try {
      for (const chat of await this.#d.communities.listCommunityChats(communityId)) {
        // R141: a wrapped channel's subscribers read posts through epoch keys; its MLS group is its admins'.
        if (chat.kind !== 'topic' && !wrapped) await this.#d.chats.enter(actor, member, chat.chatId, userId);
      }
    } catch (err) {
      // Not in the announcements chat, not a member: the community stays as it was (the use is spent).
      await this.#d.communities.removeCommunityMember(communityId, userId);
      await this.#d.community.outOfChats(actor, communityId, userId, undefined).catch(() => undefined);
      throw err;
    }
    await this.#d.community.membersChanged(communityId);
    if (wrapped) await this.#d.onWrappedJoin?.(communityId, userId);
  }

  /**
   * R141: whether a join comes into a private channel in wrapped mode; a channel one more member would
   * take past PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS switches to it now (for good).
   */
  async #wrappedOnJoin(communityId: string): Promise<boolean> {
    const community = await this.#d.communities.getCommunity(communityId);
    if (!community?.settings.channel) return false;
    if (community.settings.wrapped) return true;
    if ((await this.#d.communities.countCommunityMembers(communityId)) + 1 <= this.#d.wrapLimits.mlsMaxSubscribers) return false;
    await this.#d.communities.updateCommunity(communityId, { settings: { ...community.settings, wrapped: true } });
    await this.#d.community.changed(communityId);
    await this.#d.community.announcementsChanged(communityId);
    // R148: the members already there (the owner, the admins, the first subscribers) hear the channel's notices from now on, not from their next sign-in.
    for (const m of await this.#d.communities.listCommunityMembers(communityId)) await this.#d.onWrappedJoin?.(communityId, m.userId);
    return true;
  }

  /** A live invite of a community the caller is not banned from (R68, R71); else `invite_invalid` or `community_banned`. */
  async usable(auth: AuthContext, token: string): Promise<CommunityInviteRow> {
    const invite = await this.#d.communities.getCommunityInvite(token);
    const creator = invite && (await this.#d.communities.getCommunityMember(invite.communityId, invite.createdBy));
    const dead = invite ? inviteDeadReason(invite, creator, this.#d.clock.now(), this.#d.ttlMs) : 'no such invite';
    if (!invite || dead) throw new ParleyError('invite_invalid', `this invite link is invalid or expired: ${dead}`);
    if ((await this.#d.communities.getCommunityBan(invite.communityId, auth.userId)) !== undefined) {
      throw new ParleyError('community_banned', 'you were banned from this community');
    }
    return invite;
  }
}
