import type { Message, PushPayload } from '@parley/protocol';
import type { PushSubscriptionRow, Storage } from '../storage/storage.ts';
import type { Clock } from './ports.ts';

/** Sends one Web Push message; `gone` means the subscription is dead and should be dropped. */
export interface PushSender {
  readonly publicKey: string;
  send(subscription: PushSubscriptionRow, payload: string): Promise<{ gone: boolean }>;
}

export interface PushDeps {
  storage: Storage;
  sender: PushSender;
  clock: Clock;
  /** True while any of the user's devices is connected: no push needed. */
  isUserOnline: (userId: string) => boolean;
  minIntervalMs: number;
  onError: (err: unknown, context: Record<string, unknown>) => void;
}

/**
 * Wakes offline members with a Web Push that carries no text, no sender and no chat (R12):
 * the client opens and syncs over its own authenticated connection. At most one push per user
 * per `minIntervalMs`.
 */
export class PushNotifier {
  readonly #d: PushDeps;
  readonly #lastSent = new Map<string, number>();
  static readonly payload: PushPayload = { type: 'new_messages', v: 1 };

  constructor(deps: PushDeps) {
    this.#d = deps;
  }

  /** Fire-and-forget: called after a message is committed. */
  notify(message: Message): void {
    void this.#notify(message).catch((err) => this.#d.onError(err, { chatId: message.chatId }));
  }

  async #notify(message: Message): Promise<void> {
    const now = this.#d.clock.now();
    const members = await this.#d.storage.getMembers(message.chatId);
    for (const member of members) {
      if (member.userId === message.senderUserId || this.#d.isUserOnline(member.userId)) continue;
      const last = this.#lastSent.get(member.userId);
      if (last !== undefined && now - last < this.#d.minIntervalMs) continue;
      const subs = await this.#d.storage.listPushSubscriptions(member.userId);
      if (subs.length === 0) continue;
      this.#lastSent.set(member.userId, now);
      if (this.#lastSent.size > 100_000) this.#lastSent.clear();
      await Promise.all(subs.map(async (sub) => {
        const { gone } = await this.#d.sender.send(sub, JSON.stringify(PushNotifier.payload));
        if (gone) await this.#d.storage.deletePushSubscription(sub.endpoint);
      }));
    }
  }
}
