import { ParleyError, type CommunityJoinRequest, type CreateJoinRequestRequest, type JoinRequestStatus } from '@parley/protocol';
import { userTopic, type Bus } from '../../bus/bus.ts';
import type { JoinRequestLimits } from '../../config.ts';
import type { CommunityStorage } from '../../storage/community-storage.ts';
import type { JoinRequestRow, JoinRequestStorage } from '../../storage/join-request-storage.ts';
import type { ModerationStorage } from '../../storage/moderation-storage.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { Chats } from '../chats.ts';
import type { Clock, Random } from '../ports.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import type { Communities } from './communities.ts';
import type { CommunityInvites } from './community-invites.ts';
import { holds } from './rules.ts';

export interface JoinRequestsDeps {
  storage: Storage;
  communities: CommunityStorage;
  joinRequests: JoinRequestStorage;
  /** Who holds `invite` is among the owner and admins. */
  moderation: Pick<ModerationStorage, 'listModerators'>;
  community: Communities;
  invites: CommunityInvites;
  chats: Chats;
  bus: Bus;
  clock: Clock;
  random: Random;
  limiter: RateLimiter;
  limits: JoinRequestLimits;
}

/** What a person sees of their own requests. */
const OWN_LIST_MAX = 50;

/**
 * R100-R101: joining a community through an invite link that needs approval. Whoever opens such a
 * link asks (with a short note); holders of the `invite` right see the pending requests and approve
 * (the person then joins exactly as by an invite, R68) or decline; the one who asked may cancel.
 * Everyone concerned hears each change (`community_join_request`).
 */
export class JoinRequests {
  readonly #d: JoinRequestsDeps;
  constructor(deps: JoinRequestsDeps) {
    this.#d = deps;
  }

  /** R100: asks to join through a live approval link; asking again while one is pending returns it. */
  async request(auth: AuthContext, token: string, input: CreateJoinRequestRequest): Promise<CommunityJoinRequest> {
    const invite = await this.#d.invites.usable(auth, token);
    if (!invite.needsApproval) throw new ParleyError('bad_request', 'this invite link needs no approval: join through it');
    if (await this.#d.communities.getCommunityMember(invite.communityId, auth.userId)) throw new ParleyError('bad_request', 'you are a member of this community already');
    const note = input.note ?? '';
    const max = this.#d.limits.maxNoteChars;
    if (note.length > max) throw new ParleyError('bad_request', `a note is at most ${max} characters`);
    const perHour = this.#d.limits.perHour;
    await this.#d.limiter.take(`join-requests:${auth.userId}`, perHour / 3600, perHour);
    const row: JoinRequestRow = {
      requestId: this.#d.random.id(), communityId: invite.communityId, userId: auth.userId, inviteToken: token, note, status: 'pending',
      createdAt: this.#d.clock.now(), decidedBy: null, decidedAt: null,
    };
    const stored = await this.#d.joinRequests.addJoinRequest(row, { maxPending: this.#d.limits.maxPendingPerCommunity });
    if (stored.requestId === row.requestId) await this.#tell(stored);
    return (await this.#views([stored]))[0] ?? fail();
  }

  /** The caller's own requests, newest first (the join screen shows whether one is still waiting). */
  async mine(auth: AuthContext): Promise<CommunityJoinRequest[]> {
    return this.#views(await this.#d.joinRequests.listJoinRequestsOfUser(auth.userId, OWN_LIST_MAX));
  }

  /** R101: the one who asked takes it back while it is pending. */
  async cancel(auth: AuthContext, requestId: string): Promise<void> {
    const row = await this.#d.joinRequests.getJoinRequest(requestId);
    if (!row || row.userId !== auth.userId) throw new ParleyError('not_found', 'no such request');
    await this.#close(row, 'cancelled', auth.userId);
  }

  /** R101: a community's pending requests, oldest first: for holders of `invite`. */
  async pending(auth: AuthContext, communityId: string): Promise<CommunityJoinRequest[]> {
    await this.#requireInviter(auth, communityId);
    return this.#views(await this.#d.joinRequests.listPendingJoinRequests(communityId, this.#d.limits.maxPendingPerCommunity));
  }

  /**
   * R101: approving makes the person a member as an invite join does (the announcements and general
   * chats; members' devices add theirs to the MLS groups, R68), with `member_added` lines by the
   * approving admin and a `join_approved` audit line in the announcements chat.
   */
  async approve(auth: AuthContext, communityId: string, requestId: string): Promise<CommunityJoinRequest> {
    const row = await this.#requestOf(auth, communityId, requestId);
    if ((await this.#d.communities.getCommunityBan(communityId, row.userId)) !== undefined) {
      throw new ParleyError('community_banned', 'this person is banned from the community: lift the ban first');
    }
    if (row.status === 'pending') await this.#d.community.requireRoomFor(row.userId);
    await this.#close(row, 'approved', auth.userId, false);
    try {
      await this.#d.invites.admit(auth, communityId, row.userId);
    } catch (err) {
      await this.#d.joinRequests.reopenJoinRequest(requestId);
      throw err;
    }
    // Told once they are in: their devices then find the chats they were put into.
    await this.#tell({ ...row, status: 'approved' });
    await this.#d.chats.auditLine(auth, await this.#d.community.announcementsChatId(communityId), { kind: 'moderation', action: 'join_approved', userId: row.userId });
    return this.#reread(requestId);
  }

  /** R101: declining leaves the person outside, tells them, and leaves a `join_declined` audit line in the announcements chat. */
  async decline(auth: AuthContext, communityId: string, requestId: string): Promise<CommunityJoinRequest> {
    const row = await this.#requestOf(auth, communityId, requestId);
    await this.#close(row, 'declined', auth.userId);
    await this.#d.chats.auditLine(auth, await this.#d.community.announcementsChatId(communityId), { kind: 'moderation', action: 'join_declined', userId: row.userId });
    return this.#reread(requestId);
  }

  async #requireInviter(auth: AuthContext, communityId: string): Promise<void> {
    const { me } = await this.#d.community.requireMember(communityId, auth.userId);
    if (!holds(me, 'invite')) throw new ParleyError('forbidden', 'join requests are for holders of the invite right');
  }

  async #requestOf(auth: AuthContext, communityId: string, requestId: string): Promise<JoinRequestRow> {
    await this.#requireInviter(auth, communityId);
    const row = await this.#d.joinRequests.getJoinRequest(requestId);
    if (!row || row.communityId !== communityId) throw new ParleyError('not_found', 'no such request in this community');
    return row;
  }

  /** Closes a pending request once (two admins at once: one decides) and tells everyone concerned. */
  async #close(row: JoinRequestRow, status: Exclude<JoinRequestStatus, 'pending'>, by: string, tell = true): Promise<void> {
    const now = this.#d.clock.now();
    if (row.status !== 'pending' || !(await this.#d.joinRequests.closeJoinRequest(row.requestId, status, by, now))) {
      const current = (await this.#d.joinRequests.getJoinRequest(row.requestId))?.status ?? row.status;
      throw new ParleyError('join_request_closed', `this request was ${current} already`);
    }
    if (tell) await this.#tell({ ...row, status });
  }

  /** The one who asked and every holder of `invite` hear it (their devices read the lists again). */
  async #tell(row: JoinRequestRow): Promise<void> {
    const event = { type: 'community_join_request', communityId: row.communityId, requestId: row.requestId, status: row.status } as const;
    const to = new Set([row.userId]);
    for (const m of await this.#d.moderation.listModerators(row.communityId)) if (holds(m, 'invite')) to.add(m.userId);
    for (const userId of to) await this.#d.bus.publish(userTopic(userId), event);
  }

  async #reread(requestId: string): Promise<CommunityJoinRequest> {
    const row = await this.#d.joinRequests.getJoinRequest(requestId);
    return (row && (await this.#views([row]))[0]) ?? fail();
  }

  async #views(rows: readonly JoinRequestRow[]): Promise<CommunityJoinRequest[]> {
    const users = new Map((await this.#d.storage.getUsers([...new Set(rows.map((r) => r.userId))])).map((u) => [u.userId, u]));
    return rows.map((r) => {
      const u = users.get(r.userId);
      return {
        requestId: r.requestId, communityId: r.communityId, userId: r.userId, displayName: u?.displayName ?? 'Deleted account',
        ...(u ? { handle: u.handle } : {}), note: r.note, status: r.status, createdAt: r.createdAt,
        ...(r.decidedBy !== null ? { decidedBy: r.decidedBy } : {}), ...(r.decidedAt !== null ? { decidedAt: r.decidedAt } : {}),
      };
    });
  }
}

function fail(): never {
  throw new ParleyError('internal', 'a join request vanished');
}
