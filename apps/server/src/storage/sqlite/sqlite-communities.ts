import type Database from 'better-sqlite3';
import { CommunityRight, CommunitySettings, ParleyError, type CommunityChatKind, type CommunityLabel, type Role } from '@parley/protocol';
import type {
  CommunityChatRow, CommunityInviteRow, CommunityMemberChange, CommunityMemberRow, CommunityRow, CommunityStorage,
} from '../community-storage.ts';
import { statementCache } from './statement-cache.ts';

type Row = Record<string, unknown>;

// Row ↔ domain for the community tables; the column shapes are the same in both dialects.
export function toCommunity(r: Row): CommunityRow {
  return {
    communityId: String(r['community_id']),
    name: String(r['name']),
    createdAt: Number(r['created_at']),
    ownerId: String(r['owner_id']),
    settings: CommunitySettings.parse(JSON.parse(String(r['settings']))),
  };
}

export function toCommunityMember(r: Row): CommunityMemberRow {
  const rights = String(r['rights']);
  return {
    communityId: String(r['community_id']),
    userId: String(r['user_id']),
    role: String(r['role']) as Role,
    rights: rights === '' ? [] : rights.split(',').map((x) => CommunityRight.parse(x)),
    label: r['label'] == null ? null : String(r['label']) as CommunityLabel,
    joinedAt: Number(r['joined_at']),
  };
}

export function toCommunityChat(r: Row): CommunityChatRow {
  return {
    chatId: String(r['chat_id']),
    communityId: String(r['community_id']),
    kind: String(r['kind']) as CommunityChatKind,
    open: Number(r['open']) === 1,
    createdAt: Number(r['created_at']),
  };
}

export function toCommunityInvite(r: Row): CommunityInviteRow {
  return {
    token: String(r['token']),
    communityId: String(r['community_id']),
    createdBy: String(r['created_by']),
    createdAt: Number(r['created_at']),
    expiresAt: Number(r['expires_at']),
    maxUses: r['max_uses'] == null ? null : Number(r['max_uses']),
    uses: Number(r['uses']),
    needsApproval: r['needs_approval'] === true || Number(r['needs_approval'] ?? 0) === 1,
  };
}

export const rightsColumn = (rights: readonly CommunityRight[]): string => [...new Set(rights)].sort().join(',');

/** The member row after `change` (shared by both dialects). */
export function changedMember(m: CommunityMemberRow, change: CommunityMemberChange): CommunityMemberRow {
  return {
    ...m,
    ...(change.role !== undefined ? { role: change.role } : {}),
    ...(change.rights !== undefined ? { rights: change.rights } : {}),
    ...(change.label !== undefined ? { label: change.label } : {}),
  };
}

/** Communities (R66-R75) in the single node's SQLite database; writes in immediate transactions. */
export class SqliteCommunities implements CommunityStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  #insertMember(m: CommunityMemberRow): void {
    this.#q('INSERT INTO community_members (community_id, user_id, role, rights, label, joined_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(m.communityId, m.userId, m.role, rightsColumn(m.rights), m.label, m.joinedAt);
  }

  #insertChat(c: CommunityChatRow): void {
    this.#q('INSERT INTO community_chats (chat_id, community_id, kind, open, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(c.chatId, c.communityId, c.kind, c.open ? 1 : 0, c.createdAt);
  }

  #member(communityId: string, userId: string): CommunityMemberRow | undefined {
    const r = this.#q('SELECT * FROM community_members WHERE community_id = ? AND user_id = ?').get(communityId, userId) as Row | undefined;
    return r && toCommunityMember(r);
  }

  async createCommunity(community: CommunityRow, owner: CommunityMemberRow, chats: readonly CommunityChatRow[]): Promise<void> {
    this.#db.transaction(() => {
      this.#q('INSERT INTO communities (community_id, name, created_at, owner_id, settings) VALUES (?, ?, ?, ?, ?)')
        .run(community.communityId, community.name, community.createdAt, community.ownerId, JSON.stringify(community.settings));
      this.#insertMember(owner);
      for (const c of chats) this.#insertChat(c);
    }).immediate();
  }

  async getCommunity(communityId: string): Promise<CommunityRow | undefined> {
    const r = this.#q('SELECT * FROM communities WHERE community_id = ?').get(communityId) as Row | undefined;
    return r && toCommunity(r);
  }

  async updateCommunity(communityId: string, change: { name?: string; settings?: CommunitySettings }): Promise<void> {
    this.#db.transaction(() => {
      if (change.name !== undefined) this.#q('UPDATE communities SET name = ? WHERE community_id = ?').run(change.name, communityId);
      if (change.settings !== undefined) this.#q('UPDATE communities SET settings = ? WHERE community_id = ?').run(JSON.stringify(change.settings), communityId);
    }).immediate();
  }

  async listCommunitiesForUser(userId: string): Promise<CommunityRow[]> {
    const rows = this.#q(`SELECT c.* FROM communities c JOIN community_members m ON m.community_id = c.community_id
      WHERE m.user_id = ? ORDER BY c.created_at, c.community_id`).all(userId) as Row[];
    return rows.map(toCommunity);
  }

  async countCommunitiesForUser(userId: string): Promise<number> {
    return Number((this.#q('SELECT COUNT(*) AS n FROM community_members WHERE user_id = ?').get(userId) as Row)['n']);
  }

  async getCommunityMember(communityId: string, userId: string): Promise<CommunityMemberRow | undefined> {
    return this.#member(communityId, userId);
  }

  async listCommunityMembers(communityId: string): Promise<CommunityMemberRow[]> {
    const rows = this.#q('SELECT * FROM community_members WHERE community_id = ? ORDER BY joined_at, user_id').all(communityId) as Row[];
    return rows.map(toCommunityMember);
  }

  async countCommunityMembers(communityId: string): Promise<number> {
    return Number((this.#q('SELECT COUNT(*) AS n FROM community_members WHERE community_id = ?').get(communityId) as Row)['n']);
  }

  async addCommunityMember(member: CommunityMemberRow, opts: { invite?: string; maxMembers?: number } = {}): Promise<boolean> {
    return this.#db.transaction(() => {
      if (this.#member(member.communityId, member.userId)) return false;
      if (opts.maxMembers !== undefined) {
        const n = Number((this.#q('SELECT COUNT(*) AS n FROM community_members WHERE community_id = ?').get(member.communityId) as Row)['n']);
        if (n >= opts.maxMembers) throw new ParleyError('community_limit', `a community has at most ${opts.maxMembers} members`);
      }
      if (opts.invite !== undefined) {
        const used = this.#q(`UPDATE community_invites SET uses = uses + 1
          WHERE token = ? AND community_id = ? AND (max_uses IS NULL OR uses < max_uses)`).run(opts.invite, member.communityId);
        if (used.changes === 0) throw new ParleyError('invite_invalid', 'this invite link is invalid or used up');
      }
      this.#insertMember(member);
      return true;
    }).immediate();
  }

  async setCommunityMember(communityId: string, userId: string, change: CommunityMemberChange): Promise<boolean> {
    return this.#db.transaction(() => {
      const m = this.#member(communityId, userId);
      if (!m) return false;
      const next = changedMember(m, change);
      this.#q('UPDATE community_members SET role = ?, rights = ?, label = ? WHERE community_id = ? AND user_id = ?')
        .run(next.role, rightsColumn(next.rights), next.label, communityId, userId);
      return true;
    }).immediate();
  }

  async transferOwnership(communityId: string, newOwnerId: string, formerOwnerRole: 'admin' | 'member'): Promise<boolean> {
    return this.#db.transaction(() => {
      const community = this.#q('SELECT owner_id FROM communities WHERE community_id = ?').get(communityId) as Row | undefined;
      if (!community || !this.#member(communityId, newOwnerId)) return false;
      const former = String(community['owner_id']);
      const formerRights = formerOwnerRole === 'admin' ? rightsColumn(CommunityRight.options) : '';
      this.#q('UPDATE community_members SET role = ?, rights = ? WHERE community_id = ? AND user_id = ?').run(formerOwnerRole, formerRights, communityId, former);
      this.#q("UPDATE community_members SET role = 'owner', rights = '' WHERE community_id = ? AND user_id = ?").run(communityId, newOwnerId);
      this.#q('UPDATE communities SET owner_id = ? WHERE community_id = ?').run(newOwnerId, communityId);
      return true;
    }).immediate();
  }

  async removeCommunityMember(communityId: string, userId: string, ban?: { by: string; at: number }): Promise<boolean> {
    return this.#db.transaction(() => {
      const removed = this.#q('DELETE FROM community_members WHERE community_id = ? AND user_id = ?').run(communityId, userId).changes > 0;
      if (ban) {
        this.#q(`INSERT INTO community_bans (community_id, user_id, banned_by, banned_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (community_id, user_id) DO UPDATE SET banned_by = excluded.banned_by, banned_at = excluded.banned_at`).run(communityId, userId, ban.by, ban.at);
      }
      return removed;
    }).immediate();
  }

  async getCommunityBan(communityId: string, userId: string): Promise<number | undefined> {
    const r = this.#q('SELECT banned_at FROM community_bans WHERE community_id = ? AND user_id = ?').get(communityId, userId) as Row | undefined;
    return r ? Number(r['banned_at']) : undefined;
  }

  async deleteCommunityBan(communityId: string, userId: string): Promise<boolean> {
    return this.#q('DELETE FROM community_bans WHERE community_id = ? AND user_id = ?').run(communityId, userId).changes > 0;
  }

  async addCommunityChat(chat: CommunityChatRow): Promise<void> {
    this.#insertChat(chat);
  }

  async getCommunityChat(chatId: string): Promise<CommunityChatRow | undefined> {
    const r = this.#q('SELECT * FROM community_chats WHERE chat_id = ?').get(chatId) as Row | undefined;
    return r && toCommunityChat(r);
  }

  async listCommunityChats(communityId: string): Promise<CommunityChatRow[]> {
    return (this.#q('SELECT * FROM community_chats WHERE community_id = ? ORDER BY created_at, chat_id').all(communityId) as Row[]).map(toCommunityChat);
  }

  async setCommunityChatOpen(chatId: string, open: boolean): Promise<void> {
    this.#q('UPDATE community_chats SET open = ? WHERE chat_id = ?').run(open ? 1 : 0, chatId);
  }

  async deleteCommunityChat(chatId: string): Promise<void> {
    this.#q('DELETE FROM community_chats WHERE chat_id = ?').run(chatId);
  }

  async createCommunityInvite(invite: CommunityInviteRow): Promise<void> {
    this.#q(`INSERT INTO community_invites (token, community_id, created_by, created_at, expires_at, max_uses, uses, needs_approval)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(invite.token, invite.communityId, invite.createdBy, invite.createdAt, invite.expiresAt, invite.maxUses, invite.uses, invite.needsApproval ? 1 : 0);
  }

  async getCommunityInvite(token: string): Promise<CommunityInviteRow | undefined> {
    const r = this.#q('SELECT * FROM community_invites WHERE token = ?').get(token) as Row | undefined;
    return r && toCommunityInvite(r);
  }
}
