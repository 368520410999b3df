import { ParleyError, type ChatRequest, type ReportRequest } from '@parley/protocol';
import { userTopic, type Bus } from '../bus/bus.ts';
import type { ConsentLimits } from '../config.ts';
import type { ChatRequestRow, Storage } from '../storage/storage.ts';
import type { AuthContext } from './accounts.ts';
import type { Clock, Random } from './ports.ts';
import type { RateLimiter } from './rate-limiter.ts';

export interface RequestsDeps {
  storage: Storage;
  bus: Bus;
  clock: Clock;
  random: Random;
  limiter: RateLimiter;
  limits: ConsentLimits;
  /** Makes the person a member of the chat they accepted (Chats.join, with its `member_joined` line). */
  join(auth: AuthContext, chatId: string): Promise<void>;
  /** R91: of these users, the bots: they take anyone who writes to them without a request. */
  botsAmong?: (userIds: readonly string[]) => Promise<Set<string>>;
}

/** Most open requests listed at once (the newest beyond are listed when older ones are answered). */
const LIST_MAX = 200;

/**
 * R44 consent: nobody is put into a group or a direct chat by someone they share no chat with.
 * Such an add is a request the person answers (accept, decline, block, report); an accepted one
 * makes them a member. Sharing a chat is the relation: people who accepted each other, or who met
 * in a group either joined, add each other directly.
 */
export class Requests {
  readonly #d: RequestsDeps;
  constructor(deps: RequestsDeps) {
    this.#d = deps;
  }

  /**
   * Of the people `adderId` wants in a chat, those who may be added directly; the others are to be
   * asked. A block outweighs a shared chat: someone who blocked the adder is "asked", and `ask` drops
   * that request unseen, so the adder learns no more than from a stranger who never answers. And one
   * adder puts one person into chats directly at most `directAddsPerDay` times; past that they ask,
   * so a co-member cannot fill someone's chats towards `chat_limit` faster than that.
   */
  async sort(adderId: string, userIds: readonly string[]): Promise<{ direct: string[]; ask: string[] }> {
    const others = [...new Set(userIds)].filter((u) => u !== adderId);
    if (!this.#d.limits.required) return { direct: others, ask: [] };
    const known = await this.#d.storage.sharingChats(adderId, others);
    const bots = (await this.#d.botsAmong?.(others)) ?? new Set<string>();
    const direct: string[] = [];
    const ask: string[] = [];
    for (const u of others) {
      if (bots.has(u)) direct.push(u); // R91
      else if (known.has(u) && !(await this.#d.storage.isBlocked(u, adderId)) && (await this.#directAdd(adderId, u))) direct.push(u);
      else ask.push(u);
    }
    return { direct, ask };
  }

  /**
   * Asks each person to join the chat. A sender's requests count against its daily budget; a person
   * with `maxPendingPerUser` open requests gets no more (`requests_full`). A person who blocked the
   * sender is not asked, and the sender is not told (the request just never gets an answer).
   */
  async ask(auth: AuthContext, chatId: string, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    const { limits, storage, limiter } = this.#d;
    await limiter.take(`requests:${auth.userId}`, limits.requestsPerDay / 86_400, limits.requestsPerDay, userIds.length);
    const now = this.#d.clock.now();
    const rows: ChatRequestRow[] = [];
    for (const toUserId of userIds) {
      if (await storage.isBlocked(toUserId, auth.userId)) continue;
      if ((await storage.countChatRequestsTo(toUserId, this.#since(now))) >= limits.maxPendingPerUser) {
        throw new ParleyError('requests_full', 'this person has too many open requests; try again later');
      }
      rows.push({ requestId: this.#d.random.id(), chatId, fromUserId: auth.userId, toUserId, createdAt: now });
    }
    await storage.addChatRequests(rows);
    for (const row of rows) {
      const stored = (await storage.listChatRequestsFor(chatId, this.#since(now))).find((r) => r.toUserId === row.toUserId);
      if (stored?.requestId === row.requestId) await this.#d.bus.publish(userTopic(row.toUserId), { type: 'chat_request', request: await this.#view(stored) });
    }
  }

  /** Takes one of the adder's direct adds of this person for the day; false when none is left. */
  async #directAdd(adderId: string, userId: string): Promise<boolean> {
    const perDay = this.#d.limits.directAddsPerDay;
    if (perDay <= 0) return true;
    try {
      await this.#d.limiter.take(`direct-add:${adderId}:${userId}`, perDay / 86_400, perDay);
      return true;
    } catch (err) {
      if (err instanceof ParleyError && err.code === 'rate_limited') return false;
      throw err;
    }
  }

  /** The caller's open requests, oldest first. */
  async list(auth: AuthContext): Promise<ChatRequest[]> {
    const rows = await this.#d.storage.listChatRequestsTo(auth.userId, this.#since(this.#d.clock.now()), LIST_MAX);
    return Promise.all(rows.map((r) => this.#view(r)));
  }

  /**
   * Who was asked to join a chat and has not answered (ChatSummary.requested), the oldest `max`.
   * The caller passes the seats the members left free (R44: members and people asked together are at
   * most PARLEY_MAX_GROUP_MEMBERS), so a summary never outgrows the send buffer even if requests made
   * before that bound, or in a race, number more.
   */
  async pending(chatId: string, max: number): Promise<{ userId: string; handle: string; displayName: string; requestedAt: number }[]> {
    if (max <= 0) return [];
    const rows = (await this.#d.storage.listChatRequestsFor(chatId, this.#since(this.#d.clock.now()))).slice(0, max);
    if (rows.length === 0) return [];
    const users = new Map((await this.#d.storage.getUsers(rows.map((r) => r.toUserId))).map((u) => [u.userId, u]));
    return rows.map((r) => ({
      userId: r.toUserId, handle: users.get(r.toUserId)?.handle ?? 'deleted', displayName: users.get(r.toUserId)?.displayName ?? 'Deleted account', requestedAt: r.createdAt,
    }));
  }

  /** How many people other than `exceptUserId` were asked into the chat and have not answered (seats they hold, R44). */
  async seatsHeld(chatId: string, exceptUserId: string): Promise<number> {
    const rows = await this.#d.storage.listChatRequestsFor(chatId, this.#since(this.#d.clock.now()));
    return rows.filter((r) => r.toUserId !== exceptUserId).length;
  }

  async accept(auth: AuthContext, requestId: string): Promise<string> {
    const request = await this.#mine(auth, requestId);
    await this.#d.join(auth, request.chatId); // within the caps on chats (chat_limit) and members (group_full); it calls joined()
    return request.chatId;
  }

  /** The person joined the chat (accepting, opening the direct chat themselves, an invite): their open request there is answered. */
  async joined(auth: AuthContext, chatId: string): Promise<void> {
    const open = (await this.#d.storage.listChatRequestsFor(chatId, 0)).filter((r) => r.toUserId === auth.userId);
    if (open.length > 0) await this.#close(auth, open);
  }

  async decline(auth: AuthContext, requestId: string): Promise<void> {
    await this.#close(auth, [await this.#mine(auth, requestId)]);
  }

  /** Declines, and no request of the sender reaches the caller again; their other open ones are declined too. */
  async block(auth: AuthContext, requestId: string): Promise<void> {
    const request = await this.#mine(auth, requestId);
    await this.#d.storage.addBlock(auth.userId, request.fromUserId, this.#d.clock.now());
    await this.#close(auth, await this.#d.storage.listChatRequestsBetween(request.fromUserId, auth.userId));
  }

  /** Declines and reports the sender to the operator (`parley-admin reports`); blocks too when asked. */
  async report(auth: AuthContext, requestId: string, input: ReportRequest): Promise<void> {
    const request = await this.#mine(auth, requestId);
    await this.#d.storage.addReport({
      reportId: this.#d.random.id(), reporterUserId: auth.userId, reportedUserId: request.fromUserId, chatId: request.chatId,
      reason: input.reason, note: input.note ?? null, createdAt: this.#d.clock.now(),
    });
    if (input.block) await this.block(auth, requestId);
    else await this.#close(auth, [request]);
  }

  /** A request to the caller that is still open, else `not_found` (an answered or expired one, or another's). */
  async #mine(auth: AuthContext, requestId: string): Promise<ChatRequestRow> {
    const request = await this.#d.storage.getChatRequest(requestId);
    if (!request || request.toUserId !== auth.userId || request.createdAt < this.#since(this.#d.clock.now())) {
      throw new ParleyError('not_found', 'no such open request');
    }
    return request;
  }

  async #close(auth: AuthContext, requests: readonly ChatRequestRow[]): Promise<void> {
    await this.#d.storage.deleteChatRequests(requests.map((r) => r.requestId));
    for (const r of requests) {
      await this.#d.bus.publish(userTopic(auth.userId), { type: 'chat_request_closed', requestId: r.requestId });
      await this.#d.bus.publish(userTopic(r.fromUserId), { type: 'chat_changed', chatId: r.chatId });
    }
  }

  async #view(r: ChatRequestRow): Promise<ChatRequest> {
    const { storage } = this.#d;
    const [from, chat, members] = await Promise.all([storage.getUser(r.fromUserId), storage.getChat(r.chatId), storage.getMembers(r.chatId)]);
    return {
      requestId: r.requestId,
      chatId: r.chatId,
      kind: chat?.kind ?? 'group',
      from: { userId: r.fromUserId, handle: from?.handle ?? 'deleted', displayName: from?.displayName ?? 'Deleted account' },
      memberCount: members.length,
      requestedAt: r.createdAt,
    };
  }

  /** Requests made before this have expired. */
  #since(now: number): number {
    return now - this.#d.limits.requestTtlMs;
  }
}
