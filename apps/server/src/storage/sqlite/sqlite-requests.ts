import type Database from 'better-sqlite3';
import type { ChatRequestRow, ReportRow } from '../storage.ts';

/** The consent queries (R44) for SqliteStorage: requests, blocks, reports. */
type Query = (sql: string) => Database.Statement;
type Row = Record<string, unknown>;

const toRequest = (r: Row): ChatRequestRow => ({
  requestId: r['request_id'] as string, chatId: r['chat_id'] as string, fromUserId: r['from_user_id'] as string,
  toUserId: r['to_user_id'] as string, createdAt: r['created_at'] as number,
});
const toReport = (r: Row): ReportRow => ({
  reportId: r['report_id'] as string, reporterUserId: r['reporter_user_id'] as string, reportedUserId: r['reported_user_id'] as string,
  chatId: (r['chat_id'] as string | null) ?? null, reason: r['reason'] as string, note: (r['note'] as string | null) ?? null, createdAt: r['created_at'] as number,
});

export function sharingChats(q: Query, userId: string, others: readonly string[]): Set<string> {
  if (others.length === 0) return new Set();
  const rows = q(`SELECT DISTINCT b.user_id FROM members a JOIN members b ON b.chat_id = a.chat_id
    WHERE a.user_id = ? AND b.user_id IN (SELECT value FROM json_each(?))`).all(userId, JSON.stringify(others)) as { user_id: string }[];
  return new Set(rows.map((r) => r.user_id));
}

export function countChatsForUser(q: Query, userId: string): number {
  return (q('SELECT COUNT(*) AS n FROM members WHERE user_id = ?').get(userId) as { n: number }).n;
}

/** Inside a write transaction. */
export function addChatRequests(q: Query, rows: readonly ChatRequestRow[]): void {
  const insert = q(`INSERT INTO chat_requests (request_id, chat_id, from_user_id, to_user_id, created_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (chat_id, to_user_id) DO NOTHING`);
  for (const r of rows) insert.run(r.requestId, r.chatId, r.fromUserId, r.toUserId, r.createdAt);
}

export function getChatRequest(q: Query, requestId: string): ChatRequestRow | undefined {
  const r = q('SELECT * FROM chat_requests WHERE request_id = ?').get(requestId) as Row | undefined;
  return r && toRequest(r);
}

export function listChatRequestsTo(q: Query, userId: string, since: number, limit: number): ChatRequestRow[] {
  return (q('SELECT * FROM chat_requests WHERE to_user_id = ? AND created_at >= ? ORDER BY created_at, request_id LIMIT ?').all(userId, since, limit) as Row[]).map(toRequest);
}

export function countChatRequestsTo(q: Query, userId: string, since: number): number {
  return (q('SELECT COUNT(*) AS n FROM chat_requests WHERE to_user_id = ? AND created_at >= ?').get(userId, since) as { n: number }).n;
}

export function listChatRequestsFor(q: Query, chatId: string, since: number): ChatRequestRow[] {
  return (q('SELECT * FROM chat_requests WHERE chat_id = ? AND created_at >= ? ORDER BY created_at, request_id').all(chatId, since) as Row[]).map(toRequest);
}

export function listChatRequestsBetween(q: Query, fromUserId: string, toUserId: string): ChatRequestRow[] {
  return (q('SELECT * FROM chat_requests WHERE from_user_id = ? AND to_user_id = ? ORDER BY created_at, request_id').all(fromUserId, toUserId) as Row[]).map(toRequest);
}

/** Inside a write transaction. */
export function deleteChatRequests(q: Query, requestIds: readonly string[]): number {
  if (requestIds.length === 0) return 0;
  return q('DELETE FROM chat_requests WHERE request_id IN (SELECT value FROM json_each(?))').run(JSON.stringify(requestIds)).changes;
}

/** Inside a write transaction. */
export function addBlock(q: Query, userId: string, blockedUserId: string, at: number): void {
  q('INSERT INTO user_blocks (user_id, blocked_user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(userId, blockedUserId, at);
}

export function isBlocked(q: Query, userId: string, otherUserId: string): boolean {
  return q('SELECT 1 FROM user_blocks WHERE user_id = ? AND blocked_user_id = ?').get(userId, otherUserId) !== undefined;
}

/** Inside a write transaction. */
export function addReport(q: Query, r: ReportRow): void {
  q(`INSERT INTO reports (report_id, reporter_user_id, reported_user_id, chat_id, reason, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    .run(r.reportId, r.reporterUserId, r.reportedUserId, r.chatId, r.reason, r.note, r.createdAt);
}

export function listReports(q: Query, since: number, limit: number): ReportRow[] {
  return (q('SELECT * FROM reports WHERE created_at >= ? ORDER BY created_at, report_id LIMIT ?').all(since, limit) as Row[]).map(toReport);
}
