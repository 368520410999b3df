import type Database from 'better-sqlite3';
import { ParleyError, type Role } from '@parley/protocol';
import type { InviteRow, MemberRow } from '../storage.ts';
import { toInvite } from './rows.ts';

/** The queries behind invites and the membership facts R42 checks, for SqliteStorage. */
type Query = (sql: string) => Database.Statement;
type Row = Record<string, unknown>;

export function insertMember(q: Query, m: MemberRow): void {
  q('INSERT INTO members (chat_id, user_id, role, joined_at, delivered_seq, read_seq, admin_since) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(m.chatId, m.userId, m.role, m.joinedAt, m.deliveredSeq, m.readSeq, m.adminSince);
}

/** A member's new role; rising from member starts adminSince at `at`, dropping to member clears it. */
export function setRole(q: Query, chatId: string, userId: string, role: Role, at: number): void {
  q(`UPDATE members SET admin_since = CASE WHEN ? = 'member' THEN NULL WHEN role = 'member' THEN ? ELSE COALESCE(admin_since, joined_at) END,
      role = ? WHERE chat_id = ? AND user_id = ?`).run(role, at, role, chatId, userId);
}

/** Inside a join's transaction: takes one use of the invite or throws invite_invalid (rolling back). */
export function useInvite(q: Query, chatId: string, token: string): void {
  const { changes } = q('UPDATE invites SET uses = uses + 1 WHERE token = ? AND chat_id = ? AND (max_uses IS NULL OR uses < max_uses)').run(token, chatId);
  if (changes === 0) throw new ParleyError('invite_invalid', 'this invite link is used up or was revoked');
}

export function recordRemoval(q: Query, chatId: string, userId: string, by: string, at: number): void {
  q(`INSERT INTO chat_removals (chat_id, user_id, removed_by, removed_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (chat_id, user_id) DO UPDATE SET removed_by = excluded.removed_by, removed_at = excluded.removed_at`).run(chatId, userId, by, at);
}

export function getRemoval(q: Query, chatId: string, userId: string): number | undefined {
  const r = q('SELECT removed_at FROM chat_removals WHERE chat_id = ? AND user_id = ?').get(chatId, userId) as { removed_at: number } | undefined;
  return r?.removed_at;
}

export function createInvite(q: Query, i: InviteRow): void {
  q('INSERT INTO invites (token, chat_id, created_by, created_at, expires_at, max_uses, uses) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(i.token, i.chatId, i.createdBy, i.createdAt, i.expiresAt, i.maxUses, i.uses);
}

export function getInvite(q: Query, token: string): InviteRow | undefined {
  const r = q('SELECT * FROM invites WHERE token = ?').get(token) as Row | undefined;
  return r && toInvite(r);
}

export function listInvites(q: Query, chatId: string): InviteRow[] {
  return (q('SELECT * FROM invites WHERE chat_id = ? ORDER BY created_at DESC, token').all(chatId) as Row[]).map(toInvite);
}

export function deleteInvite(q: Query, chatId: string, token: string): boolean {
  return q('DELETE FROM invites WHERE chat_id = ? AND token = ?').run(chatId, token).changes > 0;
}
