import type pg from 'pg';
import type { ChatRequestRow, ReportRow } from '../storage.ts';

/** The consent queries (R44) for PostgresStorage: requests, blocks, reports. */
type Queryable = pg.Pool | pg.PoolClient;
type Row = Record<string, unknown>;

const toRequest = (r: Row): ChatRequestRow => ({
  requestId: r['request_id'] as string, chatId: r['chat_id'] as string, fromUserId: r['from_user_id'] as string,
  toUserId: r['to_user_id'] as string, createdAt: r['created_at'] as number,
});
const toReport = (r: Row): ReportRow => ({
  reportId: r['report_id'] as string, reporterUserId: r['reporter_user_id'] as string, reportedUserId: r['reported_user_id'] as string,
  chatId: (r['chat_id'] as string | null) ?? null, reason: r['reason'] as string, note: (r['note'] as string | null) ?? null, createdAt: r['created_at'] as number,
});

export async function sharingChats(on: Queryable, userId: string, others: readonly string[]): Promise<Set<string>> {
  if (others.length === 0) return new Set();
  const { rows } = await on.query<{ user_id: string }>(`SELECT DISTINCT b.user_id FROM members a JOIN members b ON b.chat_id = a.chat_id
    WHERE a.user_id = $1 AND b.user_id = ANY($2::text[])`, [userId, others]);
  return new Set(rows.map((r) => r.user_id));
}

export async function countChatsForUser(on: Queryable, userId: string): Promise<number> {
  const { rows } = await on.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM members WHERE user_id = $1', [userId]);
  return rows[0]?.n ?? 0;
}

export async function addChatRequests(on: Queryable, rows: readonly ChatRequestRow[]): Promise<void> {
  for (const r of rows) {
    await on.query(`INSERT INTO chat_requests (request_id, chat_id, from_user_id, to_user_id, created_at) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (chat_id, to_user_id) DO NOTHING`, [r.requestId, r.chatId, r.fromUserId, r.toUserId, r.createdAt]);
  }
}

export async function getChatRequest(on: Queryable, requestId: string): Promise<ChatRequestRow | undefined> {
  const { rows } = await on.query<Row>('SELECT * FROM chat_requests WHERE request_id = $1', [requestId]);
  return rows[0] && toRequest(rows[0]);
}

export async function listChatRequestsTo(on: Queryable, userId: string, since: number, limit: number): Promise<ChatRequestRow[]> {
  const { rows } = await on.query<Row>('SELECT * FROM chat_requests WHERE to_user_id = $1 AND created_at >= $2 ORDER BY created_at, request_id LIMIT $3', [userId, since, limit]);
  return rows.map(toRequest);
}

export async function countChatRequestsTo(on: Queryable, userId: string, since: number): Promise<number> {
  const { rows } = await on.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM chat_requests WHERE to_user_id = $1 AND created_at >= $2', [userId, since]);
  return rows[0]?.n ?? 0;
}

export async function listChatRequestsFor(on: Queryable, chatId: string, since: number): Promise<ChatRequestRow[]> {
  const { rows } = await on.query<Row>('SELECT * FROM chat_requests WHERE chat_id = $1 AND created_at >= $2 ORDER BY created_at, request_id', [chatId, since]);
  return rows.map(toRequest);
}

export async function listChatRequestsBetween(on: Queryable, fromUserId: string, toUserId: string): Promise<ChatRequestRow[]> {
  const { rows } = await on.query<Row>('SELECT * FROM chat_requests WHERE from_user_id = $1 AND to_user_id = $2 ORDER BY created_at, request_id', [fromUserId, toUserId]);
  return rows.map(toRequest);
}

export async function deleteChatRequests(on: Queryable, requestIds: readonly string[]): Promise<number> {
  if (requestIds.length === 0) return 0;
  return (await on.query('DELETE FROM chat_requests WHERE request_id = ANY($1::text[])', [requestIds])).rowCount ?? 0;
}

export async function addBlock(on: Queryable, userId: string, blockedUserId: string, at: number): Promise<void> {
  await on.query('INSERT INTO user_blocks (user_id, blocked_user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [userId, blockedUserId, at]);
}

export async function isBlocked(on: Queryable, userId: string, otherUserId: string): Promise<boolean> {
  const { rows } = await on.query('SELECT 1 FROM user_blocks WHERE user_id = $1 AND blocked_user_id = $2', [userId, otherUserId]);
  return rows.length > 0;
}

export async function addReport(on: Queryable, r: ReportRow): Promise<void> {
  await on.query(`INSERT INTO reports (report_id, reporter_user_id, reported_user_id, chat_id, reason, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [r.reportId, r.reporterUserId, r.reportedUserId, r.chatId, r.reason, r.note, r.createdAt]);
}

export async function listReports(on: Queryable, since: number, limit: number): Promise<ReportRow[]> {
  const { rows } = await on.query<Row>('SELECT * FROM reports WHERE created_at >= $1 ORDER BY created_at, report_id LIMIT $2', [since, limit]);
  return rows.map(toReport);
}
