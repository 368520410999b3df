import { memberDigest, ParleyError, type ChatCommunity, type ChatDevice, type ChatSummary, type Member, type Role, type SystemEvent } from '@parley/protocol';
import { chatTopic, userTopic, type Bus } from '../bus/bus.ts';
import type { ConsentLimits, RateLimits } from '../config.ts';
import type { ChatMutation, ChatRow, MemberRow, Storage } from '../storage/storage.ts';
import type { AuthContext } from './accounts.ts';
import type { Clock, Random } from './ports.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { Requests } from './requests.ts';

export interface ChatsDeps {
  storage: Storage;
  bus: Bus;
  clock: Clock;
  random: Random;
  limiter: RateLimiter;
  /** What one member may make a chat's other members' devices do (docs/SECURITY.md). */
  rates: Pick<RateLimits, 'memberChangesPerMin' | 'rejoinPerHour' | 'chatsPerHour' | 'historyPerSec' | 'historyBurst'>;
  maxGroupMembers: number;
  /** R117: a group of more than this many members hears joins and leaves as `members` frames (PARLEY_LARGE_CHAT_MEMBERS). */
  largeChatMembers: number;
  /** R44: who may be added directly, requests for the others, and the caps on chats. */
  requests: Pick<Requests, 'sort' | 'ask' | 'pending' | 'joined' | 'seatsHeld'>;
  consent: Pick<ConsentLimits, 'maxChatsPerUser'>;
  /** R40: one page of the chat list holds at most `max` chats (PARLEY_CHAT_PAGE_MAX) and about `bytes` of JSON. */
  chatPage: { max: number; bytes: number };
  /** R67/R72: what communities say about a chat and a direct chat (domain/communities). */
  communities?: ChatCommunityRules;
  /** R91: whether an account is a bot (a bot talks only to people who wrote to it). */
  isBot?: (userId: string) => Promise<boolean>;
  /** R91: of these users, the bots (members are marked `bot: true`). */
  botsAmong?: (userIds: readonly string[]) => Promise<Set<string>>;
  /** R129: of these bots, those whose gateway runs on this server (members are marked `botRunsOn`). */
  botsOnServer?: (userIds: readonly string[]) => Promise<Set<string>>;
  /** R143: of these bots, those with an avatar: its blob id (members carry `botAvatar`). */
  botAvatars?: (userIds: readonly string[]) => Promise<Map<string, string>>;
  /** After a member left or was removed (R62: out of the chat's group call). */
  onMemberRemoved?: (chatId: string, userId: string) => Promise<void>;
}

/** What the chat rules ask of communities (R67, R72). */
export interface ChatCommunityRules {
  /** The community the chat belongs to, as `userId` sees it; undefined for a chat of none. */
  chatCommunity(chatId: string, userId: string): Promise<ChatCommunity | undefined>;
  /** R72: throws `dm_not_allowed` when a community keeps `userId` from starting a direct chat with `otherId`. */
  checkDirect(userId: string, otherId: string): Promise<void>;
  /** R72: whose handle `viewerId` may not see in the chat; undefined when nothing is hidden. */
  hiddenHandles(chatId: string, viewerId: string): Promise<((userId: string) => boolean) | undefined>;
}

/** R40: a page of the chat list costs one history token per this many chats asked for (a full page of 200: 2). */
const CHATS_PER_HISTORY_TOKEN = 100;

const COLORS = ['#e57373', '#f06292', '#ba68c8', '#7986cb', '#4fc3f7', '#4db6ac', '#81c784', '#ffb74d', '#a1887f', '#90a4ae'];

/** Chats and membership: who may see, post to and change a chat. */
export class Chats {
  readonly #d: ChatsDeps;
  constructor(deps: ChatsDeps) {
    this.#d = deps;
  }

  /** The caller's membership, or `not_member` (which also covers unknown chats: no existence oracle). */
  async requireMember(chatId: string, userId: string): Promise<MemberRow> {
    const member = await this.#d.storage.getMember(chatId, userId);
    if (!member) throw new ParleyError('not_member', 'you are not a member of this chat');
    return member;
  }

  async summary(chat: ChatRow, userId: string): Promise<ChatSummary> {
    const rows = await this.#d.storage.getMembers(chat.chatId);
    const members = await this.#entries(chat, rows, userId);
    const me = rows.find((r) => r.userId === userId);
    const unread = me ? await this.#d.storage.countUnread(chat.chatId, userId, me.readSeq) : 0;
    const requested = await this.#d.requests.pending(chat.chatId, this.#d.maxGroupMembers - rows.length);
    const community = chat.kind === 'group' ? await this.#d.communities?.chatCommunity(chat.chatId, userId) : undefined;
    return {
      ...(community ? { community } : {}),
      ...(requested.length > 0 ? { requested } : {}),
      ...(me?.prefs ? { prefs: me.prefs } : {}),
      chatId: chat.chatId,
      kind: chat.kind,
      name: chat.name,
      color: chat.color,
      members,
      lastSeq: chat.lastSeq,
      unread,
      createdAt: chat.createdAt,
      mlsEpoch: chat.mlsEpoch,
    };
  }

  /** Members as `viewerId` sees them in a summary (R72: some handles hidden; R91: bots marked). */
  async #entries(chat: ChatRow, rows: MemberRow[], viewerId: string): Promise<Member[]> {
    const users = new Map((await this.#d.storage.getUsers(rows.map((r) => r.userId))).map((u) => [u.userId, u]));
    const hidden = chat.kind === 'group' && rows.length > 0 ? await this.#d.communities?.hiddenHandles(chat.chatId, viewerId) : undefined;
    const bots = rows.length > 0 ? (await this.#d.botsAmong?.(rows.map((r) => r.userId))) ?? new Set<string>() : new Set<string>();
    const hosted = bots.size > 0 ? (await this.#d.botsOnServer?.([...bots])) ?? new Set<string>() : new Set<string>();
    const avatars = bots.size > 0 ? (await this.#d.botAvatars?.([...bots])) ?? new Map<string, string>() : new Map<string, string>();
    return rows.map((r) => {
      const avatar = avatars.get(r.userId);
      const u = users.get(r.userId);
      return {
        userId: r.userId,
        ...(hidden?.(r.userId) ? {} : { handle: u?.handle ?? 'deleted' }),
        displayName: u?.displayName ?? 'Deleted account',
        ...(bots.has(r.userId) ? { bot: true as const, botRunsOn: hosted.has(r.userId) ? 'server' as const : 'owner' as const } : {}),
        ...(avatar ? { botAvatar: avatar } : {}),
        role: r.role,
        deliveredSeq: r.deliveredSeq,
        readSeq: r.readSeq,
      };
    });
  }

  /**
   * R117: the summary entries of `userIds` (those still members) as `viewerId` sees them: what a
   * `members` frame carries instead of the whole summary, read once per device and join, not per member.
   */
  async membersFor(viewerId: string, chatId: string, userIds: readonly string[]): Promise<Member[]> {
    const chat = await this.#d.storage.getChat(chatId);
    if (!chat) return [];
    const rows = (await Promise.all(userIds.map((id) => this.#d.storage.getMember(chatId, id)))).filter((r): r is MemberRow => r !== null && r !== undefined);
    return this.#entries(chat, rows, viewerId);
  }

  /**
   * R40: a page of the user's chat list, by chat id after `after`: at most `limit` chats and about
   * `chatPage.bytes` of JSON (always at least one chat, so a list never stalls on a big one), so the
   * frame that carries it fits the connection's send buffer whatever the number of chats. `next` is
   * the cursor for the following page, absent on the last.
   */
  async page(auth: AuthContext, q: { after?: string | undefined; limit?: number | undefined }): Promise<{ chats: ChatSummary[]; next?: string }> {
    const { max, bytes: maxBytes } = this.#d.chatPage;
    const limit = Math.max(1, Math.min(q.limit ?? max, max));
    const rows = await this.#d.storage.listChatsForUser(auth.userId, { afterChatId: q.after, limit: limit + 1 });
    const more = rows.length > limit;
    const chats: ChatSummary[] = [];
    let bytes = 0;
    for (const row of rows.slice(0, limit)) {
      const summary = await this.summary(row, auth.userId);
      bytes += JSON.stringify(summary).length;
      if (chats.length > 0 && bytes > maxBytes) return { chats, next: chats.at(-1)!.chatId };
      chats.push(summary);
    }
    return more ? { chats, next: chats.at(-1)!.chatId } : { chats };
  }

  /**
   * A page asked for by a `chats` frame: it spends the device's history bucket first, so a device
   * reading its list in a loop spends its own budget, not the database's time. (The first page comes
   * with `auth_ok`, whose sign-in is limited on its own; REST pages by the API limit.)
   */
  async readPage(auth: AuthContext, q: { after?: string | undefined; limit?: number | undefined }): Promise<{ chats: ChatSummary[]; next?: string }> {
    const limit = Math.max(1, Math.min(q.limit ?? this.#d.chatPage.max, this.#d.chatPage.max));
    const { historyPerSec, historyBurst } = this.#d.rates;
    await this.#d.limiter.take(`history:${auth.deviceId}`, historyPerSec, historyBurst, limit / CHATS_PER_HISTORY_TOKEN);
    return this.page(auth, { ...q, limit });
  }

  /** R48: the caller's own settings for a chat; their devices hear it as the chat changing (nobody else does). */
  async setPrefs(auth: AuthContext, chatId: string, update: { archived?: boolean | undefined; mutedUntil?: number | undefined; markedUnread?: boolean | undefined }): Promise<ChatSummary> {
    await this.requireMember(chatId, auth.userId);
    const prefs = {
      ...(update.archived !== undefined ? { archived: update.archived } : {}),
      ...(update.mutedUntil !== undefined ? { mutedUntil: update.mutedUntil } : {}),
      ...(update.markedUnread !== undefined ? { markedUnread: update.markedUnread } : {}),
    };
    if (!(await this.#d.storage.setMemberPrefs(chatId, auth.userId, prefs))) throw new ParleyError('not_member', 'you are not a member of this chat');
    await this.#d.bus.publish(userTopic(auth.userId), { type: 'chat_changed', chatId });
    return this.get(auth, chatId);
  }

  /** The ids of every chat the user is in (the topics a connection hears). */
  async ids(userId: string): Promise<string[]> {
    return (await this.#d.storage.listChatsForUser(userId)).map((c) => c.chatId);
  }

  /**
   * The devices that should be leaves of the chat's MLS group: every non-revoked device of every
   * member (R18). Members' devices reconcile the group against it.
   */
  async devices(auth: AuthContext, chatId: string): Promise<ChatDevice[]> {
    await this.requireMember(chatId, auth.userId);
    const members = await this.#d.storage.getMembers(chatId);
    const lists = await Promise.all(members.map((m) => this.#d.storage.listDevices(m.userId)));
    return lists.flat().filter((d) => d.revokedAt === null).map((d) => ({ userId: d.userId, deviceId: d.deviceId }));
  }

  /**
   * R29: the caller's device is a member's device that can't read the chat's MLS group (its Welcome
   * failed, its state was lost): the other members' devices hear it and add it again.
   */
  async requestRejoin(auth: AuthContext, chatId: string): Promise<void> {
    await this.requireMember(chatId, auth.userId);
    // Each request can make a member's device commit (remove and re-add the asking device).
    const perHour = this.#d.rates.rejoinPerHour;
    await this.#d.limiter.take(`rejoin:${chatId}:${auth.deviceId}`, perHour / 3600, perHour);
    await this.#d.bus.publish(chatTopic(chatId), { type: 'rejoin_requested', chatId, userId: auth.userId, deviceId: auth.deviceId });
  }

  /** A user's devices changed: every chat of theirs hears `chat_changed`, so members re-check their groups (R18). */
  async devicesChanged(userId: string): Promise<void> {
    const chats = await this.#d.storage.listChatsForUser(userId);
    await Promise.all(chats.map((c) => this.#d.bus.publish(chatTopic(c.chatId), { type: 'chat_changed', chatId: c.chatId })));
  }

  async get(auth: AuthContext, chatId: string): Promise<ChatSummary> {
    await this.requireMember(chatId, auth.userId);
    return this.summary(await this.#chat(chatId), auth.userId);
  }

  /**
   * A group with the caller as owner. People who share a chat with the caller are members at once;
   * the others are asked (R44) and become members when they accept.
   */
  async createGroup(auth: AuthContext, input: { name: string; color?: string | undefined; memberIds: string[]; creatorRole?: Role }): Promise<ChatSummary> {
    await this.#notBot(auth, 'a bot makes no groups; people add it to theirs');
    const ids = [...new Set(input.memberIds.filter((id) => id !== auth.userId))];
    if (ids.length + 1 > this.#d.maxGroupMembers) throw new ParleyError('group_full', `a group holds at most ${this.#d.maxGroupMembers} members`);
    const found = await this.#d.storage.getUsers(ids);
    if (found.length !== ids.length) throw new ParleyError('user_not_found', 'some members do not exist');
    await this.#takeChatCreation(auth);
    const { direct, ask } = await this.#d.requests.sort(auth.userId, ids);
    for (const id of [auth.userId, ...direct]) await this.#roomFor(id);
    const now = this.#d.clock.now();
    const chat: ChatRow = {
      chatId: this.#d.random.id(),
      kind: 'group',
      name: input.name,
      color: input.color ?? this.#pickColor(),
      createdAt: now,
      lastSeq: 0,
      mlsEpoch: 0,
      directKey: null,
    };
    const members: MemberRow[] = [auth.userId, ...direct].map((userId, i) => ({
      chatId: chat.chatId, userId, role: i === 0 ? input.creatorRole ?? 'owner' : 'member', joinedAt: now, deliveredSeq: 0, readSeq: 0,
      adminSince: i === 0 && input.creatorRole !== 'member' ? now : null,
    }));
    await this.#d.storage.createChat(chat, members, this.#event(auth, chat.chatId, { kind: 'created', name: input.name }));
    await Promise.all(members.map((m) => this.#d.bus.publish(userTopic(m.userId), { type: 'chat_changed', chatId: chat.chatId })));
    await this.#d.requests.ask(auth, chat.chatId, ask);
    return this.get(auth, chat.chatId);
  }

  /**
   * The direct chat between the caller and `userId`, created on first use (idempotent). With
   * someone the caller shares no chat with (R44) it starts with the caller alone and asks the other
   * person; they become a member when they accept, or when they open the chat with the caller
   * themselves (that is consent too).
   */
  async openDirect(auth: AuthContext, userId: string): Promise<ChatSummary> {
    if (!(await this.#d.storage.getUser(userId))) throw new ParleyError('user_not_found', 'no such user');
    if (userId !== auth.userId) await this.#d.communities?.checkDirect(auth.userId, userId);
    const directKey = [auth.userId, userId].sort().join(':');
    const existing = await this.#d.storage.getDirectChat(directKey);
    // R91: a bot writes only to a person who opened the chat with it (wrote to it) first.
    if (userId !== auth.userId && (!existing || !(await this.#d.storage.getMember(existing.chatId, userId)))) {
      await this.#notBot(auth, 'a bot writes only to people who wrote to it first');
    }
    if (existing) {
      if (!(await this.#d.storage.getMember(existing.chatId, auth.userId))) {
        await this.join(auth, existing.chatId, auth.userId, { kind: 'member_joined', userId: auth.userId });
      }
      return this.get(auth, existing.chatId);
    }
    const { direct, ask } = await this.#d.requests.sort(auth.userId, [userId]);
    await this.#takeChatCreation(auth);
    await this.#roomFor(auth.userId);
    for (const id of direct) await this.#roomFor(id);
    const now = this.#d.clock.now();
    const chat: ChatRow = {
      chatId: this.#d.random.id(), kind: 'direct', name: '', color: this.#pickColor(), createdAt: now, lastSeq: 0, mlsEpoch: 0, directKey,
    };
    // With oneself it is a note-to-self chat of one member: the user's devices share history there.
    const members: MemberRow[] = [auth.userId, ...direct].map((id) => ({
      chatId: chat.chatId, userId: id, role: 'member', joinedAt: now, deliveredSeq: 0, readSeq: 0, adminSince: null,
    }));
    try {
      await this.#d.storage.createChat(chat, members, this.#event(auth, chat.chatId, { kind: 'created' }));
    } catch (err) {
      // Both people opened it at the same moment: the other creation won.
      const winner = await this.#d.storage.getDirectChat(directKey);
      if (winner) return this.openDirect(auth, userId);
      throw err;
    }
    await Promise.all(members.map((m) => this.#d.bus.publish(userTopic(m.userId), { type: 'chat_changed', chatId: chat.chatId })));
    await this.#d.requests.ask(auth, chat.chatId, ask);
    return this.get(auth, chat.chatId);
  }

  async update(auth: AuthContext, chatId: string, input: { name?: string | undefined; color?: string | undefined }): Promise<ChatSummary> {
    const { chat } = await this.requireGroupAdmin(auth, chatId);
    const renamed = input.name !== undefined && input.name !== chat.name;
    const recolored = input.color !== undefined && input.color !== chat.color;
    if (renamed || recolored) await this.#takeMemberChange(chatId, Number(renamed) + Number(recolored));
    if (input.name !== undefined && input.name !== chat.name) {
      await this.#change(auth, chatId, { kind: 'update_chat', name: input.name }, { kind: 'renamed', name: input.name });
    }
    if (input.color !== undefined && input.color !== chat.color) {
      await this.#change(auth, chatId, { kind: 'update_chat', color: input.color }, { kind: 'recolored', color: input.color });
    }
    return this.get(auth, chatId);
  }

  /** An admin adds someone: at once if they share a chat with the admin, else they are asked (R44). */
  async addMember(auth: AuthContext, chatId: string, userId: string): Promise<ChatSummary> {
    await this.requireGroupAdmin(auth, chatId);
    await this.#notBot(auth, 'a bot adds nobody to chats');
    if (!(await this.#d.storage.getUser(userId))) throw new ParleyError('user_not_found', 'no such user');
    if (await this.#d.storage.getMember(chatId, userId)) return this.get(auth, chatId);
    const { direct } = await this.#d.requests.sort(auth.userId, [userId]);
    if (direct.length > 0) {
      await this.join(auth, chatId, userId, { kind: 'member_added', userId });
    } else {
      await this.#requireSeat(chatId, userId); // R44: people asked hold seats, so `requested` stays within the member limit
      await this.#d.requests.ask(auth, chatId, [userId]);
    }
    return this.get(auth, chatId);
  }

  /** Removes `userId`; removing oneself is leaving. */
  async removeMember(auth: AuthContext, chatId: string, userId: string): Promise<void> {
    if (userId === auth.userId) return this.leave(auth, chatId);
    const { me } = await this.requireGroupAdmin(auth, chatId);
    const target = await this.#d.storage.getMember(chatId, userId);
    if (!target) throw new ParleyError('user_not_found', 'not a member of this chat');
    if (rank(target.role) >= rank(me.role)) throw new ParleyError('forbidden', 'you can only remove members below your role');
    // Recorded (R42): the removed member rejoins only through an invite made after this.
    const removal = { by: auth.userId, at: this.#d.clock.now() };
    await this.#change(auth, chatId, { kind: 'remove_member', userId, removal }, { kind: 'member_removed', userId });
    await this.#d.bus.publish(userTopic(userId), { type: 'chat_removed', chatId, userId });
    await this.#d.onMemberRemoved?.(chatId, userId);
  }

  async leave(auth: AuthContext, chatId: string): Promise<void> {
    const me = await this.requireMember(chatId, auth.userId);
    const chat = await this.#chat(chatId);
    if (chat.kind !== 'group') throw new ParleyError('forbidden', 'you cannot leave a direct chat');
    const community = await this.#d.communities?.chatCommunity(chatId, auth.userId);
    // R67: the announcements chat is the community's own: one leaves it by leaving the community.
    if (community?.kind === 'announcements') throw new ParleyError('forbidden', 'leave the community to leave its announcements chat');
    if (me.role === 'owner' && !community) {
      // Hand the group to the longest-standing admin, else member, so it is never ownerless.
      const others = (await this.#d.storage.getMembers(chatId)).filter((m) => m.userId !== auth.userId);
      const heir = others.sort((a, b) => rank(b.role) - rank(a.role) || a.joinedAt - b.joinedAt)[0];
      if (heir) {
        const handover = { kind: 'set_role', userId: heir.userId, role: 'owner', at: this.#d.clock.now() } as const;
        await this.#change(auth, chatId, handover, { kind: 'role_changed', userId: heir.userId, role: 'owner' });
      }
    }
    await this.#change(auth, chatId, { kind: 'remove_member', userId: auth.userId }, { kind: 'member_left', userId: auth.userId });
    await this.#d.bus.publish(userTopic(auth.userId), { type: 'chat_removed', chatId, userId: auth.userId });
    await this.#d.onMemberRemoved?.(chatId, auth.userId);
  }

  async setRole(auth: AuthContext, chatId: string, userId: string, role: Exclude<Role, 'owner'>): Promise<ChatSummary> {
    const { me } = await this.requireGroupAdmin(auth, chatId);
    if (me.role !== 'owner') throw new ParleyError('forbidden', 'only the owner can change roles');
    const target = await this.#d.storage.getMember(chatId, userId);
    if (!target || target.role === 'owner') throw new ParleyError('forbidden', 'cannot change this member');
    if (target.role !== role) {
      await this.#takeMemberChange(chatId);
      await this.#change(auth, chatId, { kind: 'set_role', userId, role, at: this.#d.clock.now() }, { kind: 'role_changed', userId, role });
    }
    return this.get(auth, chatId);
  }

  /**
   * Adds `userId` as a member and tells the chat; a no-op for a member. The caller has checked the
   * right to (an admin adding, R10; a live invite, R42). With `invite`, the join takes
   * one of the invite's uses in the same transaction (R42: `invite_invalid` when it has none left).
   */
  async join(auth: AuthContext, chatId: string, userId: string, event: SystemEvent, invite?: { token: string }): Promise<void> {
    if (await this.#d.storage.getMember(chatId, userId)) return;
    await this.#requireSeat(chatId, userId);
    await this.#roomFor(userId);
    await this.#takeMemberChange(chatId);
    const now = this.#d.clock.now();
    const member: MemberRow = { chatId, userId, role: 'member', joinedAt: now, deliveredSeq: 0, readSeq: 0, adminSince: null };
    await this.#change(auth, chatId, invite ? { kind: 'add_member', member, invite } : { kind: 'add_member', member }, event);
    await this.#d.bus.publish(userTopic(userId), { type: 'chat_changed', chatId });
    if (userId === auth.userId) await this.#d.requests.joined(auth, chatId); // R44: joining answers a request to join
  }

  /**
   * Adds, joins, role and look changes of one chat draw on one bucket: each is a log entry and a
   * `chat_changed` that every member's device answers by reading the chat again, and an add makes
   * one of them commit (MLS). Removals and leaving are free: each undoes an add, so they are bounded
   * by the adds, and nobody is kept from leaving or from removing someone.
   */
  async #notBot(auth: AuthContext, why: string): Promise<void> {
    if (await this.#d.isBot?.(auth.userId)) throw new ParleyError('bot_chat_forbidden', why);
  }

  async #takeMemberChange(chatId: string, cost = 1): Promise<void> {
    const perMin = this.#d.rates.memberChangesPerMin;
    await this.#d.limiter.take(`members:${chatId}`, perMin / 60, perMin, cost);
  }

  /**
   * R44: members and people asked who have not answered (their own request aside) are together at
   * most `maxGroupMembers` (`group_full`): each is an entry of the chat's summary, which every
   * member's device gets in one frame, so the config check (R40) that a full group fits the send
   * buffer covers both.
   */
  async #requireSeat(chatId: string, userId: string): Promise<void> {
    const max = this.#d.maxGroupMembers;
    const taken = (await this.#d.storage.getMembers(chatId)).length + (await this.#d.requests.seatsHeld(chatId, userId));
    if (taken >= max) throw new ParleyError('group_full', `a group holds at most ${max} members and people asked to join`);
  }

  /** A new chat puts its members' devices to work (a chat event each, an MLS group to join). */
  async #takeChatCreation(auth: AuthContext): Promise<void> {
    const perHour = this.#d.rates.chatsPerHour;
    await this.#d.limiter.take(`chats:${auth.userId}`, perHour / 3600, perHour);
  }

  /** R44: a user is in at most `maxChatsPerUser` chats (`chat_limit`). */
  async #roomFor(userId: string): Promise<void> {
    const max = this.#d.consent.maxChatsPerUser;
    if ((await this.#d.storage.countChatsForUser(userId)) >= max) {
      throw new ParleyError('chat_limit', `a person is in at most ${max} chats`);
    }
  }

  /** The caller's membership of a group in which they are an admin or the owner, else `not_member` / `forbidden`. */
  async requireGroupAdmin(auth: AuthContext, chatId: string): Promise<{ chat: ChatRow; me: MemberRow }> {
    const me = await this.requireMember(chatId, auth.userId);
    const chat = await this.#chat(chatId);
    if (chat.kind !== 'group') throw new ParleyError('forbidden', 'direct chats cannot be changed');
    // R67: a community's chats are changed through the community, by the rights it grants.
    if (await this.#d.communities?.chatCommunity(chatId, auth.userId)) throw new ParleyError('forbidden', 'this chat is managed by its community');
    if (me.role === 'member') throw new ParleyError('forbidden', 'only owners and admins can do this');
    return { chat, me };
  }

  /**
   * R67/R71: a change a community makes to one of its chats (a removal, a role it mirrors, a name):
   * the caller (domain/communities) has checked the right to. Logged and announced like any change.
   */
  async changeForCommunity(auth: AuthContext, chatId: string, mutation: ChatMutation, system: SystemEvent): Promise<void> {
    await this.#change(auth, chatId, mutation, system);
    if (mutation.kind === 'remove_member') await this.#d.bus.publish(userTopic(mutation.userId), { type: 'chat_removed', chatId, userId: mutation.userId });
  }

  /** R81: an audit line (a community admin's action the server performed) in the chat's log, changing nothing else. */
  async auditLine(auth: AuthContext, chatId: string, system: SystemEvent): Promise<void> {
    await this.#change(auth, chatId, { kind: 'update_chat' }, system);
  }

  async #chat(chatId: string): Promise<ChatRow> {
    const chat = await this.#d.storage.getChat(chatId);
    if (!chat) throw new ParleyError('not_member', 'you are not a member of this chat');
    return chat;
  }

  /** Commits a change with its log entry, then tells the chat's devices. */
  async #change(auth: AuthContext, chatId: string, mutation: ChatMutation, system: SystemEvent): Promise<void> {
    const message = await this.#d.storage.applyChatChange(chatId, mutation, this.#event(auth, chatId, system));
    await this.#d.bus.publish(chatTopic(chatId), { type: 'message', message });
    // R117: in a large group (more than largeChatMembers before or after) a join or leave reaches each
    // device as that member alone, not a summary of every member to read again (O(members) per device per join).
    const delta = mutation.kind === 'add_member' ? { added: [mutation.member.userId], removed: [] }
      : mutation.kind === 'remove_member' ? { added: [], removed: [mutation.userId] } : undefined;
    const members = delta && await this.#d.storage.getMembers(chatId);
    if (delta && members && members.length + delta.removed.length > this.#d.largeChatMembers) {
      // R131: with the digest of who is a member now, so a device that missed a frame notices.
      await this.#d.bus.publish(chatTopic(chatId), { type: 'members_changed', chatId, ...delta, lastSeq: message.seq, digest: memberDigest(members.map((m) => m.userId)) });
      return;
    }
    await this.#d.bus.publish(chatTopic(chatId), { type: 'chat_changed', chatId });
  }

  #event(auth: AuthContext, chatId: string, system: SystemEvent) {
    return {
      chatId,
      clientMsgId: `sys_${this.#d.random.id(12)}`,
      senderUserId: auth.userId,
      senderDeviceId: auth.deviceId,
      sentAt: this.#d.clock.now(),
      envelope: null,
      system,
    };
  }

  #pickColor(): string {
    return COLORS[(this.#d.random.bytes(1)[0] ?? 0) % COLORS.length] ?? '#7986cb';
  }
}

export function rank(role: Role): number {
  return role === 'owner' ? 2 : role === 'admin' ? 1 : 0;
}
