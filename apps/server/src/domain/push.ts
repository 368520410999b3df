import { ParleyError, type Message, type PushPayload } from '@parley/protocol';
import type { PushSubscriptionRow, Storage } from '../storage/storage.ts';
import type { Clock } from './ports.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** Sends one Web Push message; `gone` means the subscription is dead and should be dropped. */
export interface PushSender {
  readonly publicKey: string;
  send(subscription: PushSubscriptionRow, payload: string): Promise<{ gone: boolean }>;
}

export interface PushDeps {
  storage: Storage;
  sender: PushSender;
  clock: Clock;
  /** True while any of the user's devices is connected to any node: no push needed. */
  isUserOnline: (userId: string) => Promise<boolean>;
  /** Holds `minIntervalMs` per user across the cluster (a bucket of one push). */
  limiter: RateLimiter;
  minIntervalMs: number;
  onError: (err: unknown, context: Record<string, unknown>) => void;
}

/**
 * Wakes offline members with a Web Push that carries no text, no sender and no chat (R12):
 * the client opens and syncs over its own authenticated connection. At most one push per user
 * per `minIntervalMs`, whichever nodes the messages were sent through (a shared bucket of one push;
 * the node's own memory of what it sent spares it the lookups in between).
 */
export class PushNotifier {
  readonly #d: PushDeps;
  readonly #lastSent = new Map<string, number>();
  readonly #pending = new Map<string, Set<string>>();
  static readonly payload: PushPayload = { type: 'new_messages', v: 1 };
  static readonly COALESCE_MS = 250;

  constructor(deps: PushDeps) {
    this.#d = deps;
  }

  /**
   * Fire-and-forget: called after a message is committed. Messages of one chat within
   * COALESCE_MS share one membership lookup: a busy chat costs one query per window, not one per
   * message (a push is at most one per user per `minIntervalMs` anyway).
   */
  notify(message: Message): void {
    const pending = this.#pending.get(message.chatId);
    if (pending) {
      pending.add(message.senderUserId);
      return;
    }
    const senders = new Set([message.senderUserId]);
    this.#pending.set(message.chatId, senders);
    setTimeout(() => {
      this.#pending.delete(message.chatId);
      void this.#notify(message.chatId, senders).catch((err) => this.#d.onError(err, { chatId: message.chatId }));
    }, PushNotifier.COALESCE_MS).unref();
  }

  async #notify(chatId: string, senders: ReadonlySet<string>): Promise<void> {
    const now = this.#d.clock.now();
    const members = await this.#d.storage.getMembers(chatId);
    for (const member of members) {
      // Someone who only heard from themselves in this window has nothing new.
      if (senders.size === 1 && senders.has(member.userId)) continue;
      const last = this.#lastSent.get(member.userId);
      if (last !== undefined && now - last < this.#d.minIntervalMs) continue;
      const subs = await this.#d.storage.listPushSubscriptions(member.userId);
      // Presence last: in a cluster it is a question to every node, and most users have no subscription.
      if (subs.length === 0 || (await this.#d.isUserOnline(member.userId))) continue;
      if (!(await this.#mayPush(member.userId))) continue;
      this.#lastSent.set(member.userId, now);
      if (this.#lastSent.size > 100_000) this.#lastSent.clear();
      await Promise.all(subs.map(async (sub) => {
        const { gone } = await this.#d.sender.send(sub, JSON.stringify(PushNotifier.payload));
        if (gone) await this.#d.storage.deletePushSubscription(sub.endpoint);
      }));
    }
  }

  /** Whether the user's cluster-wide push bucket has its one push: another node may have just sent one. */
  async #mayPush(userId: string): Promise<boolean> {
    const { minIntervalMs } = this.#d;
    if (minIntervalMs <= 0) return true;
    try {
      await this.#d.limiter.take(`push:${userId}`, 1000 / minIntervalMs, 1);
      return true;
    } catch (err) {
      if (err instanceof ParleyError && err.code === 'rate_limited') return false;
      throw err;
    }
  }
}
