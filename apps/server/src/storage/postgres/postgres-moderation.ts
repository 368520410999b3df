import type pg from 'pg';
import type { CommunityMemberRow } from '../community-storage.ts';
import type { ModerationStorage, MuteRow, ReportRow } from '../moderation-storage.ts';
import { toCommunityMember } from '../sqlite/sqlite-communities.ts';
import { CLAIM_SLOT_SQL, DELETE_REPORTS_SQL, RESOLVE_REPORT_SQL, reportFilter, toMute, toReport } from '../sqlite/sqlite-moderation.ts';

type Row = Record<string, unknown>;

/** Moderation (R80-R86) in the cluster's PostgreSQL database: the slow-mode slot holds across nodes (one upsert). */
export class PostgresModeration implements ModerationStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async #rows(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(sql, params)).rows;
  }

  async listModerators(communityId: string): Promise<CommunityMemberRow[]> {
    return (await this.#rows("SELECT * FROM community_members WHERE community_id = $1 AND role <> 'member' ORDER BY joined_at, user_id", [communityId])).map(toCommunityMember);
  }

  async putMute(m: MuteRow): Promise<void> {
    await this.#pool.query(`INSERT INTO community_mutes (community_id, user_id, until_ms, muted_by, muted_at) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (community_id, user_id) DO UPDATE SET until_ms = excluded.until_ms, muted_by = excluded.muted_by, muted_at = excluded.muted_at`,
    [m.communityId, m.userId, m.untilMs, m.by, m.at]);
  }

  async getMute(communityId: string, userId: string): Promise<MuteRow | undefined> {
    const r = (await this.#rows('SELECT * FROM community_mutes WHERE community_id = $1 AND user_id = $2', [communityId, userId]))[0];
    return r && toMute(r);
  }

  async deleteMute(communityId: string, userId: string): Promise<boolean> {
    return ((await this.#pool.query('DELETE FROM community_mutes WHERE community_id = $1 AND user_id = $2', [communityId, userId])).rowCount ?? 0) > 0;
  }

  async listMutes(communityId: string, now: number): Promise<MuteRow[]> {
    return (await this.#rows('SELECT * FROM community_mutes WHERE community_id = $1 AND until_ms > $2 ORDER BY until_ms, user_id', [communityId, now])).map(toMute);
  }

  async setSlowMode(chatId: string, ms: number): Promise<void> {
    await this.#pool.query('UPDATE community_chats SET slow_mode_ms = $2 WHERE chat_id = $1', [chatId, ms]);
  }

  async getSlowMode(chatId: string): Promise<number> {
    const r = (await this.#rows('SELECT slow_mode_ms FROM community_chats WHERE chat_id = $1', [chatId]))[0];
    return r ? Number(r['slow_mode_ms']) : 0;
  }

  async claimSlowModeSlot(chatId: string, userId: string, clientMsgId: string, now: number, intervalMs: number): Promise<number> {
    if ((await this.#rows(CLAIM_SLOT_SQL((n) => `$${n}`), [chatId, userId, now, clientMsgId, now - intervalMs])).length > 0) return 0;
    const r = (await this.#rows('SELECT last_at FROM community_slow_posts WHERE chat_id = $1 AND user_id = $2', [chatId, userId]))[0];
    return Math.max(1, Number(r?.['last_at'] ?? now) + intervalMs - now);
  }

  async addReport(r: ReportRow): Promise<void> {
    await this.#pool.query(`INSERT INTO community_reports (report_id, community_id, chat_id, seq, client_msg_id, sender_user_id, reporter_user_id, text, reason, sent_at, created_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [r.reportId, r.communityId, r.chatId, r.seq, r.clientMsgId, r.senderUserId, r.reporterUserId, r.text, r.reason, r.sentAt, r.createdAt]);
  }

  async listReports(opts: { communityId?: string; limit: number; state?: 'open' | 'resolved' | 'all' }): Promise<ReportRow[]> {
    const where = reportFilter(opts.state);
    const rows = opts.communityId !== undefined
      ? await this.#rows(`SELECT * FROM community_reports WHERE community_id = $1${where} ORDER BY created_at DESC, report_id DESC LIMIT $2`, [opts.communityId, opts.limit])
      : await this.#rows(`SELECT * FROM community_reports WHERE 1 = 1${where} ORDER BY created_at DESC, report_id DESC LIMIT $1`, [opts.limit]);
    return rows.map(toReport);
  }

  async resolveReport(communityId: string, reportId: string, resolved: NonNullable<ReportRow['resolved']>): Promise<ReportRow | undefined> {
    await this.#pool.query(RESOLVE_REPORT_SQL((n) => `$${n}`), [resolved.at, resolved.by, resolved.outcome, communityId, reportId]);
    const r = (await this.#rows('SELECT * FROM community_reports WHERE community_id = $1 AND report_id = $2', [communityId, reportId]))[0];
    return r ? toReport(r) : undefined;
  }

  async deleteReportsBefore(cutoff: number): Promise<number> {
    return (await this.#pool.query(DELETE_REPORTS_SQL((n) => `$${n}`), [cutoff])).rowCount ?? 0;
  }
}
