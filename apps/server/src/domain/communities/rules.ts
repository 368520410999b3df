import { ALL_COMMUNITY_RIGHTS, type CommunityRight, type CommunitySettings, type Role } from '@parley/protocol';
import type { CommunityInviteRow, CommunityMemberRow } from '../../storage/community-storage.ts';

/** R70: what a member may do. The owner holds every right; an admin those granted; a member none. */
export function rightsOf(member: Pick<CommunityMemberRow, 'role' | 'rights'>): CommunityRight[] {
  if (member.role === 'owner') return [...ALL_COMMUNITY_RIGHTS];
  if (member.role === 'admin') return ALL_COMMUNITY_RIGHTS.filter((r) => member.rights.includes(r));
  return [];
}

export function holds(member: Pick<CommunityMemberRow, 'role' | 'rights'> | undefined, right: CommunityRight): boolean {
  return member !== undefined && rightsOf(member).includes(right);
}

const RANK: Record<Role, number> = { owner: 2, admin: 1, member: 0 };

/** R71: removing or banning takes the right and a target below the actor's role (as R10 for chats). */
export function mayRemove(actor: CommunityMemberRow, target: CommunityMemberRow): boolean {
  return holds(actor, 'ban') && RANK[target.role] < RANK[actor.role];
}

/**
 * R70: the rights stored for a role: an admin keeps the set asked (or the one they had), a member
 * has none. Rights are the owner's to give: nobody but the owner changes anyone's (their own included).
 */
export function storedRights(role: Role, asked: readonly CommunityRight[] | undefined, had: readonly CommunityRight[]): CommunityRight[] {
  if (role !== 'admin') return [];
  return ALL_COMMUNITY_RIGHTS.filter((r) => (asked ?? had).includes(r));
}

/**
 * R72: in a school community that does not let students reach adults, a student may not start a
 * direct chat with (nor see the handle of) anyone not labelled student: teachers, parents, and the
 * unlabelled (staff, the owner).
 */
export function studentKeptFrom(settings: CommunitySettings, me: Pick<CommunityMemberRow, 'label'>, other: Pick<CommunityMemberRow, 'label'>): boolean {
  return settings.roleLabels === 'school' && !settings.studentsMayDm && me.label === 'student' && other.label !== 'student';
}

/** Why a community invite no longer admits anyone (R68: the chat invite rules of R42, with the `invite` right). */
export function inviteDeadReason(invite: CommunityInviteRow, creator: CommunityMemberRow | undefined, now: number, ttlMs: number): string | undefined {
  if (now >= Math.min(invite.expiresAt, invite.createdAt + ttlMs)) return 'it expired';
  if (invite.maxUses !== null && invite.uses >= invite.maxUses) return 'it was used up';
  if (!holds(creator, 'invite')) return 'the person who made it can no longer invite';
  return undefined;
}

/** Settings with the changes given (fields left out keep their value; `channel` and `wrapped` only at creation or by the server, R112, R141). */
export function withSettings(base: CommunitySettings, change: { roleLabels?: CommunitySettings['roleLabels'] | undefined; studentsMayDm?: boolean | undefined } | undefined,
  channel = base.channel === true, wrapped = base.wrapped === true): CommunitySettings {
  return {
    roleLabels: change?.roleLabels ?? base.roleLabels, studentsMayDm: change?.studentsMayDm ?? base.studentsMayDm,
    ...(channel ? { channel: true } : {}), ...(channel && wrapped ? { wrapped: true } : {}),
  };
}
