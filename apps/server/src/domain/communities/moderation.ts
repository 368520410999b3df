import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  frankingInput, ParleyError,
  type ChatCommunity, type CommunityMute, type CommunityReport, type CreateReportRequest, type ReportOutcome, type ReportState,
} from '@parley/protocol';
import { userTopic, type Bus } from '../../bus/bus.ts';
import type { ModerationLimits } from '../../config.ts';
import type { CommunityStorage } from '../../storage/community-storage.ts';
import type { ModerationStorage, MuteRow, ReportRow } from '../../storage/moderation-storage.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { Clock, Random } from '../ports.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import type { Communities } from './communities.ts';
import { holds, mayRemove, rightsOf } from './rules.ts';

export interface ModerationDeps {
  storage: Storage;
  communities: CommunityStorage;
  moderation: ModerationStorage;
  community: Communities;
  bus: Bus;
  clock: Clock;
  random: Random;
  limiter: RateLimiter;
  limits: ModerationLimits;
}


/**
 * Moderation that works under end-to-end encryption (R80-R86). What the server can enforce without
 * content it enforces: mutes and slow mode refuse `send`s (it knows every entry's sender, R82);
 * reports are checked against the franking commitment it kept at send time (R83, R84). What needs
 * content (a deletion by a moderator, a pin) the members' devices judge (R80).
 */
export class Moderation {
  readonly #d: ModerationDeps;
  constructor(deps: ModerationDeps) {
    this.#d = deps;
  }

  /** R67, R80, R82: the chat's community as `userId` sees it, with who holds rights, slow mode and their own mute. */
  async chatCommunity(chatId: string, userId: string): Promise<ChatCommunity | undefined> {
    const base = await this.#d.community.chatCommunity(chatId, userId);
    if (!base) return undefined;
    const moderators = (await this.#d.moderation.listModerators(base.communityId)).map((m) => ({ userId: m.userId, rights: rightsOf(m) }));
    const slowModeMs = await this.#d.moderation.getSlowMode(chatId);
    const mute = await this.#d.moderation.getMute(base.communityId, userId);
    const muted = mute && mute.untilMs > this.#d.clock.now() ? mute.untilMs : undefined;
    return { ...base, moderators, ...(slowModeMs > 0 ? { slowModeMs } : {}), ...(muted !== undefined ? { mutedUntil: muted } : {}) };
  }

  // --- R82: mutes and slow mode ---------------------------------------------------------------

  /** A member below the caller's role is muted until `untilMs` (the `ban` right); a line in each of their chats says so. */
  async mute(auth: AuthContext, communityId: string, userId: string, untilMs: number): Promise<CommunityMute> {
    const { me } = await this.#d.community.requireMember(communityId, auth.userId);
    if (!holds(me, 'ban')) throw new ParleyError('forbidden', 'muting takes the ban right');
    const target = await this.#d.communities.getCommunityMember(communityId, userId);
    if (!target) throw new ParleyError('user_not_found', 'not a member of this community');
    if (!mayRemove(me, target)) throw new ParleyError('forbidden', 'you can only mute members below your role');
    const now = this.#d.clock.now();
    if (untilMs <= now || untilMs - now > this.#d.limits.maxMuteMs) {
      throw new ParleyError('bad_request', `a mute ends in the future and within ${this.#d.limits.maxMuteMs} ms`);
    }
    const row: MuteRow = { communityId, userId, untilMs, by: auth.userId, at: now };
    await this.#d.moderation.putMute(row);
    await this.#d.community.auditInChatsOf(auth, communityId, userId, { kind: 'moderation', action: 'muted', userId, untilMs });
    await this.#d.community.changed(communityId);
    return toMute(row);
  }

  async unmute(auth: AuthContext, communityId: string, userId: string): Promise<void> {
    const { me } = await this.#d.community.requireMember(communityId, auth.userId);
    if (!holds(me, 'ban')) throw new ParleyError('forbidden', 'lifting a mute takes the ban right');
    const mute = await this.#d.moderation.getMute(communityId, userId);
    if (!mute || !(await this.#d.moderation.deleteMute(communityId, userId))) throw new ParleyError('user_not_found', 'not muted in this community');
    if (mute.untilMs > this.#d.clock.now()) {
      await this.#d.community.auditInChatsOf(auth, communityId, userId, { kind: 'moderation', action: 'unmuted', userId });
    }
    await this.#d.community.changed(communityId);
  }

  async mutes(auth: AuthContext, communityId: string): Promise<CommunityMute[]> {
    const { me } = await this.#d.community.requireMember(communityId, auth.userId);
    if (!holds(me, 'ban')) throw new ParleyError('forbidden', 'the mute list takes the ban right');
    return (await this.#d.moderation.listMutes(communityId, this.#d.clock.now())).map(toMute);
  }

  /**
   * R82, before a `send` is ordered: a muted member's is refused (`community_muted`), and in a chat
   * with slow mode a member's (not an admin's or the owner's) second one within the interval
   * (`slow_mode`, with the wait). Commits are not posts and pass (R69).
   */
  async checkSend(userId: string, chatId: string, clientMsgId: string): Promise<void> {
    const link = await this.#d.communities.getCommunityChat(chatId);
    if (!link) return;
    const now = this.#d.clock.now();
    const mute = await this.#d.moderation.getMute(link.communityId, userId);
    if (mute && mute.untilMs > now) {
      throw new ParleyError('community_muted', `you are muted in this community until ${new Date(mute.untilMs).toISOString()}`);
    }
    const interval = await this.#d.moderation.getSlowMode(chatId);
    if (interval === 0) return;
    const member = await this.#d.communities.getCommunityMember(link.communityId, userId);
    if (member && member.role !== 'member') return;
    const wait = await this.#d.moderation.claimSlowModeSlot(chatId, userId, clientMsgId, now, interval);
    if (wait > 0) throw new ParleyError('slow_mode', `slow mode: your next message here in ${wait} ms`, Math.ceil(wait / 1000));
  }

  // --- R83, R84: franking and reports -------------------------------------------------------

  /** R83: a community's chat keeps the commitment a sender's device gives with an entry (on the entry). */
  async frankable(chatId: string): Promise<boolean> {
    return (await this.#d.communities.getCommunityChat(chatId)) !== undefined;
  }

  /**
   * R84: a member reports a message of a chat of the community they are in. Accepted only when the
   * content opens the commitment the server kept for that log position at send time (R83): then the
   * entry's sender (whom the server authenticated) sent exactly that text.
   */
  async report(auth: AuthContext, communityId: string, input: CreateReportRequest): Promise<CommunityReport> {
    await this.#d.community.requireMember(communityId, auth.userId);
    const link = await this.#d.communities.getCommunityChat(input.chatId);
    if (!link || link.communityId !== communityId || !(await this.#d.storage.getMember(input.chatId, auth.userId))) {
      throw new ParleyError('not_found', 'no such chat in this community');
    }
    await this.#d.limiter.take(`reports:${auth.userId}`, this.#d.limits.reportsPerHour / 3600, Math.max(1, this.#d.limits.reportsPerHour));
    const [entry] = await this.#d.storage.getMessages(input.chatId, { afterSeq: input.seq - 1, limit: 1 });
    const tag = entry?.frank;
    if (!entry || entry.seq !== input.seq || entry.clientMsgId !== input.clientMsgId || !entry.envelope || !tag
      || !opens(tag, input.frankingKey, frankingInput(input.chatId, input.clientMsgId, input.text))) {
      throw new ParleyError('report_invalid', 'the report\'s content does not match what was sent there');
    }
    const row: ReportRow = {
      reportId: this.#d.random.id(), communityId, chatId: input.chatId, seq: input.seq, clientMsgId: input.clientMsgId,
      senderUserId: entry.senderUserId, reporterUserId: auth.userId, text: input.text, reason: input.reason ?? null,
      sentAt: entry.sentAt, createdAt: this.#d.clock.now(), resolved: null,
    };
    await this.#d.moderation.addReport(row);
    await this.#tellModerators(communityId, row.reportId);
    return toReport(row);
  }

  /** R84, R84b: the community's reports, newest first: for holders of `ban` or `deleteMessages`. */
  async reports(auth: AuthContext, communityId: string, state: ReportState = 'all'): Promise<CommunityReport[]> {
    await this.#requireHandler(auth, communityId);
    return (await this.#d.moderation.listReports({ communityId, limit: this.#d.limits.reportsPageMax, state })).map(toReport);
  }

  /**
   * R84b: a moderator marks a report handled (`acted` or `dismissed`); the first one wins and a
   * later try gets the report as the first left it. Every moderator's list hears of it.
   */
  async resolveReport(auth: AuthContext, communityId: string, reportId: string, outcome: ReportOutcome): Promise<CommunityReport> {
    await this.#requireHandler(auth, communityId);
    const at = this.#d.clock.now();
    const row = await this.#d.moderation.resolveReport(communityId, reportId, { at, by: auth.userId, outcome });
    if (!row) throw new ParleyError('not_found', 'no such report in this community');
    if (row.resolved?.by === auth.userId && row.resolved.at === at) await this.#tellModerators(communityId, reportId);
    return toReport(row);
  }

  /** R84b: deletes reports resolved (or, unresolved, filed) longer than `retentionMs` ago; every node may run it. */
  async sweepReports(retentionMs: number): Promise<number> {
    return this.#d.moderation.deleteReportsBefore(this.#d.clock.now() - retentionMs);
  }

  async #requireHandler(auth: AuthContext, communityId: string): Promise<void> {
    const { me } = await this.#d.community.requireMember(communityId, auth.userId);
    if (!handlesReports(me)) throw new ParleyError('forbidden', 'reports go to holders of the ban or deleteMessages right');
  }

  async #tellModerators(communityId: string, reportId: string): Promise<void> {
    for (const m of await this.#d.moderation.listModerators(communityId)) {
      if (handlesReports(m)) await this.#d.bus.publish(userTopic(m.userId), { type: 'community_report', communityId, reportId });
    }
  }
}

const handlesReports = (m: Parameters<typeof holds>[0]) => holds(m, 'ban') || holds(m, 'deleteMessages');

/** R83: whether `key` opens the commitment `tag` to `input` (constant time). */
export function opens(tag: string, key: string, input: string): boolean {
  const expected = Buffer.from(tag, 'base64');
  const actual = createHmac('sha256', Buffer.from(key, 'base64')).update(input, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function toMute(m: MuteRow): CommunityMute {
  return { userId: m.userId, untilMs: m.untilMs, by: m.by, at: m.at };
}

export function toReport(r: ReportRow): CommunityReport {
  return {
    reportId: r.reportId, communityId: r.communityId, chatId: r.chatId, seq: r.seq, clientMsgId: r.clientMsgId, senderUserId: r.senderUserId,
    reporterUserId: r.reporterUserId, text: r.text, ...(r.reason !== null ? { reason: r.reason } : {}), sentAt: r.sentAt, createdAt: r.createdAt,
    ...(r.resolved ? { resolved: r.resolved } : {}),
  };
}
