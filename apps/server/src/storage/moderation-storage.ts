import type { CommunityMemberRow } from './community-storage.ts';

/** R82: a member muted in a community until `untilMs`. */
export interface MuteRow {
  communityId: string;
  userId: string;
  untilMs: number;
  by: string;
  at: number;
}

/** R84: a report, its content proven (R83) to be what `senderUserId` sent at (`chatId`, `seq`). */
export interface ReportRow {
  reportId: string;
  communityId: string;
  chatId: string;
  seq: number;
  clientMsgId: string;
  senderUserId: string;
  reporterUserId: string;
  text: string;
  reason: string | null;
  sentAt: number;
  createdAt: number;
  /** R84b: when and by whom it was handled, and how; null while open. */
  resolved: { at: number; by: string; outcome: 'acted' | 'dismissed' } | null;
}

/**
 * Where moderation lives (R80-R86), beside the communities it belongs to. SQLite and PostgreSQL
 * implement it and pass one suite (`moderation-storage.suite.ts`). Every write resolves after its commit.
 */
export interface ModerationStorage {
  /** R80: the community's owner and admins, oldest first (what chat summaries call `moderators`). */
  listModerators(communityId: string): Promise<CommunityMemberRow[]>;

  /** R82: mutes (or re-mutes with a new time) a member. */
  putMute(mute: MuteRow): Promise<void>;
  getMute(communityId: string, userId: string): Promise<MuteRow | undefined>;
  /** False when there was none. */
  deleteMute(communityId: string, userId: string): Promise<boolean>;
  /** The mutes still in force at `now`, the soonest to end first. */
  listMutes(communityId: string, now: number): Promise<MuteRow[]>;

  /** R82: a community chat's slow mode interval, 0 for off. */
  setSlowMode(chatId: string, ms: number): Promise<void>;
  getSlowMode(chatId: string): Promise<number>;
  /**
   * R82: takes the user's posting slot in the chat for `clientMsgId`, in one statement (two devices
   * of one person can't both pass): granted (0) when they posted nothing there within `intervalMs`
   * before `now`, or their last post was this same message (a resend, R1); else the ms left to wait.
   */
  claimSlowModeSlot(chatId: string, userId: string, clientMsgId: string, now: number, intervalMs: number): Promise<number>;

  /** R84 */
  addReport(report: ReportRow): Promise<void>;
  /** Newest first; of one community, or (the operator's view) of all; `state` filters (default all). */
  listReports(opts: { communityId?: string; limit: number; state?: 'open' | 'resolved' | 'all' }): Promise<ReportRow[]>;
  /**
   * R84b: marks an open report of the community resolved, in one statement (two moderators at once:
   * the first wins). Returns the report as it now is (resolved by whoever was first), undefined when
   * the community has no such report.
   */
  resolveReport(communityId: string, reportId: string, resolved: NonNullable<ReportRow['resolved']>): Promise<ReportRow | undefined>;
  /** R84b: deletes reports resolved before `cutoff`, and open ones filed before it; returns how many. */
  deleteReportsBefore(cutoff: number): Promise<number>;
}
