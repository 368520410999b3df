import type Database from 'better-sqlite3';
import type { CommunityMemberRow } from '../community-storage.ts';
import type { ModerationStorage, MuteRow, ReportRow } from '../moderation-storage.ts';
import { toCommunityMember } from './sqlite-communities.ts';
import { statementCache } from './statement-cache.ts';

type Row = Record<string, unknown>;

// Row ↔ domain for the moderation tables; the column shapes are the same in both dialects.
export function toMute(r: Row): MuteRow {
  return { communityId: String(r['community_id']), userId: String(r['user_id']), untilMs: Number(r['until_ms']), by: String(r['muted_by']), at: Number(r['muted_at']) };
}

export function toReport(r: Row): ReportRow {
  return {
    reportId: String(r['report_id']), communityId: String(r['community_id']), chatId: String(r['chat_id']), seq: Number(r['seq']),
    clientMsgId: String(r['client_msg_id']), senderUserId: String(r['sender_user_id']), reporterUserId: String(r['reporter_user_id']),
    text: String(r['text']), reason: r['reason'] == null ? null : String(r['reason']), sentAt: Number(r['sent_at']), createdAt: Number(r['created_at']),
    resolved: r['resolved_at'] == null ? null
      : { at: Number(r['resolved_at']), by: String(r['resolved_by']), outcome: r['outcome'] === 'acted' ? 'acted' : 'dismissed' },
  };
}

/** Both dialects take the slot with this upsert: it writes (and returns a row) only when the slot is free; a resend keeps the first time. */
export const CLAIM_SLOT_SQL = (p: (n: number) => string) => `INSERT INTO community_slow_posts (chat_id, user_id, last_at, client_msg_id) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})
  ON CONFLICT (chat_id, user_id) DO UPDATE SET client_msg_id = excluded.client_msg_id,
    last_at = CASE WHEN community_slow_posts.client_msg_id = excluded.client_msg_id THEN community_slow_posts.last_at ELSE excluded.last_at END
  WHERE community_slow_posts.client_msg_id = excluded.client_msg_id OR community_slow_posts.last_at <= ${p(5)}
  RETURNING last_at`;

/** R84b: the WHERE clause of a report list, the same in both dialects. */
export function reportFilter(state: 'open' | 'resolved' | 'all' = 'all'): string {
  return state === 'open' ? ' AND resolved_at IS NULL' : state === 'resolved' ? ' AND resolved_at IS NOT NULL' : '';
}

/** R84b: both dialects resolve with this: only an open report changes (the first moderator wins). */
export const RESOLVE_REPORT_SQL = (p: (n: number) => string) => `UPDATE community_reports SET resolved_at = ${p(1)}, resolved_by = ${p(2)}, outcome = ${p(3)}
  WHERE community_id = ${p(4)} AND report_id = ${p(5)} AND resolved_at IS NULL`;

/** R84b: retention; an open report counts from when it was filed. */
export const DELETE_REPORTS_SQL = (p: (n: number) => string) => `DELETE FROM community_reports WHERE COALESCE(resolved_at, created_at) < ${p(1)}`;

/** Moderation (R80-R86) in the single node's SQLite database. */
export class SqliteModeration implements ModerationStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  async listModerators(communityId: string): Promise<CommunityMemberRow[]> {
    const rows = this.#q("SELECT * FROM community_members WHERE community_id = ? AND role <> 'member' ORDER BY joined_at, user_id").all(communityId) as Row[];
    return rows.map(toCommunityMember);
  }

  async putMute(m: MuteRow): Promise<void> {
    this.#q(`INSERT INTO community_mutes (community_id, user_id, until_ms, muted_by, muted_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (community_id, user_id) DO UPDATE SET until_ms = excluded.until_ms, muted_by = excluded.muted_by, muted_at = excluded.muted_at`)
      .run(m.communityId, m.userId, m.untilMs, m.by, m.at);
  }

  async getMute(communityId: string, userId: string): Promise<MuteRow | undefined> {
    const r = this.#q('SELECT * FROM community_mutes WHERE community_id = ? AND user_id = ?').get(communityId, userId) as Row | undefined;
    return r && toMute(r);
  }

  async deleteMute(communityId: string, userId: string): Promise<boolean> {
    return this.#q('DELETE FROM community_mutes WHERE community_id = ? AND user_id = ?').run(communityId, userId).changes > 0;
  }

  async listMutes(communityId: string, now: number): Promise<MuteRow[]> {
    const rows = this.#q('SELECT * FROM community_mutes WHERE community_id = ? AND until_ms > ? ORDER BY until_ms, user_id').all(communityId, now) as Row[];
    return rows.map(toMute);
  }

  async setSlowMode(chatId: string, ms: number): Promise<void> {
    this.#q('UPDATE community_chats SET slow_mode_ms = ? WHERE chat_id = ?').run(ms, chatId);
  }

  async getSlowMode(chatId: string): Promise<number> {
    const r = this.#q('SELECT slow_mode_ms FROM community_chats WHERE chat_id = ?').get(chatId) as Row | undefined;
    return r ? Number(r['slow_mode_ms']) : 0;
  }

  async claimSlowModeSlot(chatId: string, userId: string, clientMsgId: string, now: number, intervalMs: number): Promise<number> {
    return this.#db.transaction(() => {
      if (this.#q(CLAIM_SLOT_SQL(() => '?')).get(chatId, userId, now, clientMsgId, now - intervalMs)) return 0;
      const r = this.#q('SELECT last_at FROM community_slow_posts WHERE chat_id = ? AND user_id = ?').get(chatId, userId) as Row | undefined;
      return Math.max(1, Number(r?.['last_at'] ?? now) + intervalMs - now);
    }).immediate();
  }

  async addReport(r: ReportRow): Promise<void> {
    this.#q(`INSERT INTO community_reports (report_id, community_id, chat_id, seq, client_msg_id, sender_user_id, reporter_user_id, text, reason, sent_at, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(r.reportId, r.communityId, r.chatId, r.seq, r.clientMsgId, r.senderUserId, r.reporterUserId, r.text, r.reason, r.sentAt, r.createdAt);
  }

  async listReports(opts: { communityId?: string; limit: number; state?: 'open' | 'resolved' | 'all' }): Promise<ReportRow[]> {
    const where = reportFilter(opts.state);
    const rows = opts.communityId !== undefined
      ? this.#q(`SELECT * FROM community_reports WHERE community_id = ?${where} ORDER BY created_at DESC, report_id DESC LIMIT ?`).all(opts.communityId, opts.limit)
      : this.#q(`SELECT * FROM community_reports WHERE 1 = 1${where} ORDER BY created_at DESC, report_id DESC LIMIT ?`).all(opts.limit);
    return (rows as Row[]).map(toReport);
  }

  async resolveReport(communityId: string, reportId: string, resolved: NonNullable<ReportRow['resolved']>): Promise<ReportRow | undefined> {
    this.#q(RESOLVE_REPORT_SQL(() => '?')).run(resolved.at, resolved.by, resolved.outcome, communityId, reportId);
    const r = this.#q('SELECT * FROM community_reports WHERE community_id = ? AND report_id = ?').get(communityId, reportId) as Row | undefined;
    return r ? toReport(r) : undefined;
  }

  async deleteReportsBefore(cutoff: number): Promise<number> {
    return this.#q(DELETE_REPORTS_SQL(() => '?')).run(cutoff).changes;
  }
}
