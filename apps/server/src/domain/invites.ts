import { ParleyError, type ChatSummary, type CreateInviteRequest, type InviteInfo, type InviteResponse } from '@parley/protocol';
import type { InviteRow, Storage } from '../storage/storage.ts';
import type { AuthContext } from './accounts.ts';
import type { Chats } from './chats.ts';
import type { Clock, Random } from './ports.ts';
import type { RateLimiter } from './rate-limiter.ts';

export interface InvitesDeps {
  storage: Storage;
  chats: Chats;
  clock: Clock;
  random: Random;
  /** PARLEY_INVITE_TTL_MS: an invite's lifetime, and the longest a creator may choose. */
  ttlMs: number;
  /** Invites are rows that stay until they end: their creation rate bounds what one user stores (docs/SECURITY.md). */
  limiter: RateLimiter;
  invitesPerHour: number;
}

/** Why an invite no longer admits anyone; undefined while it is live. */
type DeadReason = 'expired' | 'used_up' | 'creator_lost_rights';

/**
 * Invite links (R42). An invite is live while it has not expired, has uses left, and its creator has
 * held admin or owner in the chat without a break since before it was made. All of that is checked
 * when someone uses it, so nothing has to be swept when a creator is demoted, removed or leaves: their
 * invites are dead from that moment, and stay dead if they become an admin again. Admins list the
 * live ones and revoke any of them.
 */
export class Invites {
  readonly #d: InvitesDeps;
  constructor(deps: InvitesDeps) {
    this.#d = deps;
  }

  async create(auth: AuthContext, chatId: string, input: CreateInviteRequest): Promise<InviteResponse> {
    await this.#d.chats.requireGroupAdmin(auth, chatId);
    const perHour = this.#d.invitesPerHour;
    await this.#d.limiter.take(`invites:${auth.userId}`, perHour / 3600, perHour);
    const now = this.#d.clock.now();
    const lifetime = Math.min(input.expiresInMs ?? this.#d.ttlMs, this.#d.ttlMs);
    const invite: InviteRow = {
      token: this.#d.random.id(18),
      chatId,
      createdBy: auth.userId,
      createdAt: now,
      expiresAt: now + lifetime,
      maxUses: input.maxUses ?? null,
      uses: 0,
    };
    await this.#d.storage.createInvite(invite);
    return { token: invite.token, chatId, expiresAt: this.#endsAt(invite), maxUses: invite.maxUses };
  }

  /** The chat's live invites, newest first (admins and the owner only). Dead ones are left out. */
  async list(auth: AuthContext, chatId: string): Promise<InviteInfo[]> {
    await this.#d.chats.requireGroupAdmin(auth, chatId);
    const now = this.#d.clock.now();
    const live: InviteInfo[] = [];
    for (const invite of await this.#d.storage.listInvites(chatId)) {
      if (await this.#deadReason(invite, now)) continue;
      live.push({
        token: invite.token, chatId, createdBy: invite.createdBy, createdAt: invite.createdAt,
        expiresAt: this.#endsAt(invite), uses: invite.uses, maxUses: invite.maxUses,
      });
    }
    return live;
  }

  /** Any admin or the owner revokes any of the chat's invites: revoking only ever takes access away. */
  async revoke(auth: AuthContext, chatId: string, token: string): Promise<void> {
    await this.#d.chats.requireGroupAdmin(auth, chatId);
    if (!(await this.#d.storage.deleteInvite(chatId, token))) throw new ParleyError('invite_invalid', 'this chat has no such invite');
  }

  async preview(auth: AuthContext, token: string): Promise<{ chatId: string; name: string; color: string; memberCount: number }> {
    const invite = await this.#usable(auth, token);
    const chat = await this.#d.storage.getChat(invite.chatId);
    if (!chat) throw new ParleyError('invite_invalid', 'this invite link is invalid or expired');
    const members = await this.#d.storage.getMembers(chat.chatId);
    return { chatId: chat.chatId, name: chat.name, color: chat.color, memberCount: members.length };
  }

  async join(auth: AuthContext, token: string): Promise<ChatSummary> {
    const invite = await this.#usable(auth, token);
    await this.#d.chats.join(auth, invite.chatId, auth.userId, { kind: 'member_joined', userId: auth.userId }, { token });
    return this.#d.chats.get(auth, invite.chatId);
  }

  /** The invite if it is live and the caller may use it; otherwise `invite_invalid`, one code for every reason. */
  async #usable(auth: AuthContext, token: string): Promise<InviteRow> {
    const invite = await this.#d.storage.getInvite(token);
    const now = this.#d.clock.now();
    const dead = invite ? await this.#deadReason(invite, now) : undefined;
    if (!invite || dead) {
      const why = dead === 'creator_lost_rights' ? ': the person who made it can no longer invite' : dead === 'used_up' ? ': it was used up' : '';
      throw new ParleyError('invite_invalid', `this invite link is invalid or expired${why}`);
    }
    // A member an admin removed rejoins only through an invite made after the removal: an older link
    // (perhaps the one they came in with) must not undo the admin's decision. A leave is not recorded.
    const removedAt = await this.#d.storage.getRemoval(invite.chatId, auth.userId);
    if (removedAt !== undefined && removedAt >= invite.createdAt && !(await this.#d.storage.getMember(invite.chatId, auth.userId))) {
      throw new ParleyError('invite_invalid', 'you were removed from this group after this invite was made: ask an admin for a new one');
    }
    return invite;
  }

  async #deadReason(invite: InviteRow, now: number): Promise<DeadReason | undefined> {
    if (now >= this.#endsAt(invite)) return 'expired';
    if (invite.maxUses !== null && invite.uses >= invite.maxUses) return 'used_up';
    const creator = await this.#d.storage.getMember(invite.chatId, invite.createdBy);
    if (!creator || creator.role === 'member') return 'creator_lost_rights';
    // Demoted (or removed and added back) since: the invite died then, and a new promotion does not revive it.
    if ((creator.adminSince ?? creator.joinedAt) > invite.createdAt) return 'creator_lost_rights';
    return undefined;
  }

  /** Its own expiry, but never later than the configured lifetime after creation (also for invites from before R42). */
  #endsAt(invite: InviteRow): number {
    const cap = invite.createdAt + this.#d.ttlMs;
    return invite.expiresAt === null ? cap : Math.min(invite.expiresAt, cap);
  }
}
