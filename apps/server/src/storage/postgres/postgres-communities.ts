import type pg from 'pg';
import { CommunityRight, ParleyError, type CommunitySettings } from '@parley/protocol';
import { inTransaction } from './transaction.ts';
import type {
  CommunityChatRow, CommunityInviteRow, CommunityMemberChange, CommunityMemberRow, CommunityRow, CommunityStorage,
} from '../community-storage.ts';
import { changedMember, rightsColumn, toCommunity, toCommunityChat, toCommunityInvite, toCommunityMember } from '../sqlite/sqlite-communities.ts';

type Row = Record<string, unknown>;
type Q = Pick<pg.PoolClient, 'query'>;

/**
 * Communities (R66-R75) in the cluster's PostgreSQL database. Joins, role changes and handovers of
 * one community lock its row, so the member limit and a handover hold across nodes.
 */
export class PostgresCommunities implements CommunityStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  #tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.#pool, fn);
  }

  async #insertMember(c: Q, m: CommunityMemberRow): Promise<void> {
    await c.query('INSERT INTO community_members (community_id, user_id, role, rights, label, joined_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [m.communityId, m.userId, m.role, rightsColumn(m.rights), m.label, m.joinedAt]);
  }

  async #member(c: Q, communityId: string, userId: string): Promise<CommunityMemberRow | undefined> {
    const r = (await c.query<Row>('SELECT * FROM community_members WHERE community_id = $1 AND user_id = $2', [communityId, userId])).rows[0];
    return r && toCommunityMember(r);
  }

  async #lock(c: Q, communityId: string): Promise<Row | undefined> {
    return (await c.query<Row>('SELECT * FROM communities WHERE community_id = $1 FOR UPDATE', [communityId])).rows[0];
  }

  async createCommunity(community: CommunityRow, owner: CommunityMemberRow, chats: readonly CommunityChatRow[]): Promise<void> {
    await this.#tx(async (c) => {
      await c.query('INSERT INTO communities (community_id, name, created_at, owner_id, settings) VALUES ($1, $2, $3, $4, $5)',
        [community.communityId, community.name, community.createdAt, community.ownerId, JSON.stringify(community.settings)]);
      await this.#insertMember(c, owner);
      for (const chat of chats) await this.#insertChat(c, chat);
    });
  }

  async getCommunity(communityId: string): Promise<CommunityRow | undefined> {
    const r = (await this.#pool.query<Row>('SELECT * FROM communities WHERE community_id = $1', [communityId])).rows[0];
    return r && toCommunity(r);
  }

  async updateCommunity(communityId: string, change: { name?: string; settings?: CommunitySettings }): Promise<void> {
    await this.#pool.query('UPDATE communities SET name = COALESCE($2, name), settings = COALESCE($3, settings) WHERE community_id = $1',
      [communityId, change.name ?? null, change.settings ? JSON.stringify(change.settings) : null]);
  }

  async listCommunitiesForUser(userId: string): Promise<CommunityRow[]> {
    const rows = (await this.#pool.query<Row>(`SELECT c.* FROM communities c JOIN community_members m ON m.community_id = c.community_id
      WHERE m.user_id = $1 ORDER BY c.created_at, c.community_id`, [userId])).rows;
    return rows.map(toCommunity);
  }

  async countCommunitiesForUser(userId: string): Promise<number> {
    return Number((await this.#pool.query<Row>('SELECT COUNT(*) AS n FROM community_members WHERE user_id = $1', [userId])).rows[0]?.['n'] ?? 0);
  }

  async getCommunityMember(communityId: string, userId: string): Promise<CommunityMemberRow | undefined> {
    return this.#member(this.#pool, communityId, userId);
  }

  async listCommunityMembers(communityId: string): Promise<CommunityMemberRow[]> {
    const rows = (await this.#pool.query<Row>('SELECT * FROM community_members WHERE community_id = $1 ORDER BY joined_at, user_id', [communityId])).rows;
    return rows.map(toCommunityMember);
  }

  async countCommunityMembers(communityId: string): Promise<number> {
    return Number((await this.#pool.query<Row>('SELECT COUNT(*) AS n FROM community_members WHERE community_id = $1', [communityId])).rows[0]?.['n'] ?? 0);
  }

  async addCommunityMember(member: CommunityMemberRow, opts: { invite?: string; maxMembers?: number } = {}): Promise<boolean> {
    return this.#tx(async (c) => {
      await this.#lock(c, member.communityId);
      if (await this.#member(c, member.communityId, member.userId)) return false;
      if (opts.maxMembers !== undefined) {
        const n = Number((await c.query<Row>('SELECT COUNT(*) AS n FROM community_members WHERE community_id = $1', [member.communityId])).rows[0]?.['n'] ?? 0);
        if (n >= opts.maxMembers) throw new ParleyError('community_limit', `a community has at most ${opts.maxMembers} members`);
      }
      if (opts.invite !== undefined) {
        const used = await c.query(`UPDATE community_invites SET uses = uses + 1
          WHERE token = $1 AND community_id = $2 AND (max_uses IS NULL OR uses < max_uses)`, [opts.invite, member.communityId]);
        if (used.rowCount === 0) throw new ParleyError('invite_invalid', 'this invite link is invalid or used up');
      }
      await this.#insertMember(c, member);
      return true;
    });
  }

  async setCommunityMember(communityId: string, userId: string, change: CommunityMemberChange): Promise<boolean> {
    return this.#tx(async (c) => {
      await this.#lock(c, communityId);
      const m = await this.#member(c, communityId, userId);
      if (!m) return false;
      const next = changedMember(m, change);
      await c.query('UPDATE community_members SET role = $1, rights = $2, label = $3 WHERE community_id = $4 AND user_id = $5',
        [next.role, rightsColumn(next.rights), next.label, communityId, userId]);
      return true;
    });
  }

  async transferOwnership(communityId: string, newOwnerId: string, formerOwnerRole: 'admin' | 'member'): Promise<boolean> {
    return this.#tx(async (c) => {
      const community = await this.#lock(c, communityId);
      if (!community || !(await this.#member(c, communityId, newOwnerId))) return false;
      const former = String(community['owner_id']);
      const formerRights = formerOwnerRole === 'admin' ? rightsColumn(CommunityRight.options) : '';
      await c.query('UPDATE community_members SET role = $1, rights = $2 WHERE community_id = $3 AND user_id = $4', [formerOwnerRole, formerRights, communityId, former]);
      await c.query("UPDATE community_members SET role = 'owner', rights = '' WHERE community_id = $1 AND user_id = $2", [communityId, newOwnerId]);
      await c.query('UPDATE communities SET owner_id = $1 WHERE community_id = $2', [newOwnerId, communityId]);
      return true;
    });
  }

  async removeCommunityMember(communityId: string, userId: string, ban?: { by: string; at: number }): Promise<boolean> {
    return this.#tx(async (c) => {
      const removed = ((await c.query('DELETE FROM community_members WHERE community_id = $1 AND user_id = $2', [communityId, userId])).rowCount ?? 0) > 0;
      if (ban) {
        await c.query(`INSERT INTO community_bans (community_id, user_id, banned_by, banned_at) VALUES ($1, $2, $3, $4)
          ON CONFLICT (community_id, user_id) DO UPDATE SET banned_by = excluded.banned_by, banned_at = excluded.banned_at`, [communityId, userId, ban.by, ban.at]);
      }
      return removed;
    });
  }

  async getCommunityBan(communityId: string, userId: string): Promise<number | undefined> {
    const r = (await this.#pool.query<Row>('SELECT banned_at FROM community_bans WHERE community_id = $1 AND user_id = $2', [communityId, userId])).rows[0];
    return r ? Number(r['banned_at']) : undefined;
  }

  async deleteCommunityBan(communityId: string, userId: string): Promise<boolean> {
    return ((await this.#pool.query('DELETE FROM community_bans WHERE community_id = $1 AND user_id = $2', [communityId, userId])).rowCount ?? 0) > 0;
  }

  async #insertChat(c: Q, chat: CommunityChatRow): Promise<void> {
    await c.query('INSERT INTO community_chats (chat_id, community_id, kind, open, created_at) VALUES ($1, $2, $3, $4, $5)',
      [chat.chatId, chat.communityId, chat.kind, chat.open ? 1 : 0, chat.createdAt]);
  }

  async addCommunityChat(chat: CommunityChatRow): Promise<void> {
    await this.#insertChat(this.#pool, chat);
  }

  async getCommunityChat(chatId: string): Promise<CommunityChatRow | undefined> {
    const r = (await this.#pool.query<Row>('SELECT * FROM community_chats WHERE chat_id = $1', [chatId])).rows[0];
    return r && toCommunityChat(r);
  }

  async listCommunityChats(communityId: string): Promise<CommunityChatRow[]> {
    return (await this.#pool.query<Row>('SELECT * FROM community_chats WHERE community_id = $1 ORDER BY created_at, chat_id', [communityId])).rows.map(toCommunityChat);
  }

  async setCommunityChatOpen(chatId: string, open: boolean): Promise<void> {
    await this.#pool.query('UPDATE community_chats SET open = $1 WHERE chat_id = $2', [open ? 1 : 0, chatId]);
  }

  async deleteCommunityChat(chatId: string): Promise<void> {
    await this.#pool.query('DELETE FROM community_chats WHERE chat_id = $1', [chatId]);
  }

  async createCommunityInvite(invite: CommunityInviteRow): Promise<void> {
    await this.#pool.query(`INSERT INTO community_invites (token, community_id, created_by, created_at, expires_at, max_uses, uses, needs_approval)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [invite.token, invite.communityId, invite.createdBy, invite.createdAt, invite.expiresAt, invite.maxUses, invite.uses, invite.needsApproval]);
  }

  async getCommunityInvite(token: string): Promise<CommunityInviteRow | undefined> {
    const r = (await this.#pool.query<Row>('SELECT * FROM community_invites WHERE token = $1', [token])).rows[0];
    return r && toCommunityInvite(r);
  }
}
