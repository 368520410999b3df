import type { CommunityChatKind, CommunityLabel, CommunityRight, CommunitySettings, Role } from '@parley/protocol';

export interface CommunityRow {
  communityId: string;
  /** '' when the name travels end-to-end encrypted (R66). */
  name: string;
  createdAt: number;
  ownerId: string;
  settings: CommunitySettings;
}

export interface CommunityMemberRow {
  communityId: string;
  userId: string;
  role: Role;
  /** An admin's rights; empty for members. The owner's are implied (all). */
  rights: CommunityRight[];
  label: CommunityLabel | null;
  joinedAt: number;
}

/** A group chat linked to a community (R67). The chat itself is an ordinary row of `chats`. */
export interface CommunityChatRow {
  chatId: string;
  communityId: string;
  kind: CommunityChatKind;
  open: boolean;
  createdAt: number;
}

export interface CommunityInviteRow {
  token: string;
  communityId: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  /** Joins it admits at most; null: no limit. */
  maxUses: number | null;
  uses: number;
  /** R100: the link admits nobody by itself: who opens it asks to join and an admin decides. */
  needsApproval: boolean;
}

export type CommunityMemberChange = { role?: Role; rights?: CommunityRight[]; label?: CommunityLabel | null };

/**
 * Where communities live (R66-R75): in the same database as the chats they link. SQLite and
 * PostgreSQL implement it and pass one suite (`community-storage.suite.ts`). Every write resolves
 * after its commit. Chat membership itself stays in `Storage` (members of `chats`).
 */
export interface CommunityStorage {
  /** The community, its owner's membership and its first chats (already created as chats), in one transaction. */
  createCommunity(community: CommunityRow, owner: CommunityMemberRow, chats: readonly CommunityChatRow[]): Promise<void>;
  getCommunity(communityId: string): Promise<CommunityRow | undefined>;
  updateCommunity(communityId: string, change: { name?: string; settings?: CommunitySettings }): Promise<void>;
  /** The user's communities, oldest first. */
  listCommunitiesForUser(userId: string): Promise<CommunityRow[]>;
  countCommunitiesForUser(userId: string): Promise<number>;

  getCommunityMember(communityId: string, userId: string): Promise<CommunityMemberRow | undefined>;
  /** Oldest first. */
  listCommunityMembers(communityId: string): Promise<CommunityMemberRow[]>;
  countCommunityMembers(communityId: string): Promise<number>;
  /**
   * Adds a member (a no-op returning false if they already are one). With `invite`, the join takes one
   * of that invite's uses in the same transaction: if it has none left (or is gone), nothing is
   * written and it throws ParleyError('invite_invalid'). With `maxMembers`, a community that already
   * has that many members throws ParleyError('community_limit'), checked under the same lock.
   */
  addCommunityMember(member: CommunityMemberRow, opts?: { invite?: string; maxMembers?: number }): Promise<boolean>;
  /** Changes the given fields of a member; false when they are not one. */
  setCommunityMember(communityId: string, userId: string, change: CommunityMemberChange): Promise<boolean>;
  /**
   * R70: in one transaction, `newOwnerId` becomes owner (rights cleared: the owner's are implied),
   * the previous owner becomes `formerOwnerRole` (an admin keeps every right, a member none) and the
   * community's owner id changes. False (nothing written) when `newOwnerId` is not a member.
   */
  transferOwnership(communityId: string, newOwnerId: string, formerOwnerRole: 'admin' | 'member'): Promise<boolean>;
  /** Removes the member; with `ban`, records the ban in the same transaction. False when they were no member. */
  removeCommunityMember(communityId: string, userId: string, ban?: { by: string; at: number }): Promise<boolean>;
  /** When the user was banned from the community, if they are. */
  getCommunityBan(communityId: string, userId: string): Promise<number | undefined>;
  /** Lifts a ban; false when there was none. */
  deleteCommunityBan(communityId: string, userId: string): Promise<boolean>;

  addCommunityChat(chat: CommunityChatRow): Promise<void>;
  getCommunityChat(chatId: string): Promise<CommunityChatRow | undefined>;
  /** Oldest first. */
  listCommunityChats(communityId: string): Promise<CommunityChatRow[]>;
  setCommunityChatOpen(chatId: string, open: boolean): Promise<void>;
  /** Unlinks the chat from its community (its members were removed from it first). */
  deleteCommunityChat(chatId: string): Promise<void>;

  createCommunityInvite(invite: CommunityInviteRow): Promise<void>;
  getCommunityInvite(token: string): Promise<CommunityInviteRow | undefined>;
}
