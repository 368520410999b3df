import type pg from 'pg';
import { ParleyError, type Role } from '@parley/protocol';
import type { InviteRow, MemberRow } from '../storage.ts';
import { toInvite } from '../sqlite/rows.ts';

/** The queries behind invites and the membership facts R42 checks, for PostgresStorage. */
type Queryable = pg.Pool | pg.PoolClient;
type Row = Record<string, unknown>;

export async function insertMember(on: Queryable, m: MemberRow): Promise<void> {
  await on.query('INSERT INTO members (chat_id, user_id, role, joined_at, delivered_seq, read_seq, admin_since) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [m.chatId, m.userId, m.role, m.joinedAt, m.deliveredSeq, m.readSeq, m.adminSince]);
}

/** A member's new role; rising from member starts adminSince at `at`, dropping to member clears it. */
export async function setRole(on: Queryable, chatId: string, userId: string, role: Role, at: number): Promise<void> {
  await on.query(`UPDATE members SET admin_since = CASE WHEN $1 = 'member' THEN NULL WHEN role = 'member' THEN $2 ELSE COALESCE(admin_since, joined_at) END,
      role = $1 WHERE chat_id = $3 AND user_id = $4`, [role, at, chatId, userId]);
}

/** Inside a join's transaction (holding the chat's lock): takes one use of the invite or throws invite_invalid. */
export async function useInvite(on: Queryable, chatId: string, token: string): Promise<void> {
  const { rowCount } = await on.query('UPDATE invites SET uses = uses + 1 WHERE token = $1 AND chat_id = $2 AND (max_uses IS NULL OR uses < max_uses)', [token, chatId]);
  if (!rowCount) throw new ParleyError('invite_invalid', 'this invite link is used up or was revoked');
}

export async function recordRemoval(on: Queryable, chatId: string, userId: string, by: string, at: number): Promise<void> {
  await on.query(`INSERT INTO chat_removals (chat_id, user_id, removed_by, removed_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (chat_id, user_id) DO UPDATE SET removed_by = excluded.removed_by, removed_at = excluded.removed_at`, [chatId, userId, by, at]);
}

export async function getRemoval(on: Queryable, chatId: string, userId: string): Promise<number | undefined> {
  const { rows } = await on.query<{ removed_at: number }>('SELECT removed_at FROM chat_removals WHERE chat_id = $1 AND user_id = $2', [chatId, userId]);
  return rows[0]?.removed_at;
}

export async function createInvite(on: Queryable, i: InviteRow): Promise<void> {
  await on.query('INSERT INTO invites (token, chat_id, created_by, created_at, expires_at, max_uses, uses) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [i.token, i.chatId, i.createdBy, i.createdAt, i.expiresAt, i.maxUses, i.uses]);
}

export async function getInvite(on: Queryable, token: string): Promise<InviteRow | undefined> {
  const r = (await on.query<Row>('SELECT * FROM invites WHERE token = $1', [token])).rows[0];
  return r && toInvite(r);
}

export async function listInvites(on: Queryable, chatId: string): Promise<InviteRow[]> {
  return (await on.query<Row>('SELECT * FROM invites WHERE chat_id = $1 ORDER BY created_at DESC, token', [chatId])).rows.map(toInvite);
}

export async function deleteInvite(on: Queryable, chatId: string, token: string): Promise<boolean> {
  return ((await on.query('DELETE FROM invites WHERE chat_id = $1 AND token = $2', [chatId, token])).rowCount ?? 0) > 0;
}
