import { ParleyError, type Message, type PushPayload } from '@parley/protocol';
import type { PushSubscriptionRow, Storage } from '../storage/storage.ts';
import type { AuthContext } from './accounts.ts';
import type { Clock } from './ports.ts';
import type { PushEndpointPolicy, PushTarget } from './push-endpoint-policy.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** Sends one Web Push message; `gone` means the subscription is dead and should be dropped. */
export interface PushSender {
  readonly publicKey: string;
  /**
   * Sends to `target`, which R37's policy checked just before: the connection goes only to
   * `target.addresses`, and no redirect is followed.
   */
  send(subscription: PushSubscriptionRow, payload: string, target: PushTarget, options?: PushSendOptions): Promise<{ gone: boolean }>;
}

/** R118: a call's push lives only while it rings and asks the push service to deliver at once. */
export interface PushSendOptions {
  ttlSeconds?: number;
  urgency?: 'normal' | 'high';
}

export interface PushSubscriptionsDeps {
  storage: Storage;
  clock: Clock;
  policy: PushEndpointPolicy;
  /** Subscriptions kept per device; a new one beyond it replaces the device's oldest (R37). */
  maxPerDevice: number;
}

/** R37: a device subscribes to Web Push only with an https endpoint of a public push service. */
export class PushSubscriptions {
  readonly #d: PushSubscriptionsDeps;
  constructor(deps: PushSubscriptionsDeps) {
    this.#d = deps;
  }

  async subscribe(auth: AuthContext, sub: { endpoint: string; keys: { p256dh: string; auth: string } }): Promise<void> {
    const checked = await this.#d.policy.check(sub.endpoint);
    // One message whatever the reason: the answer must not tell which internal names exist.
    if (!checked.ok) throw new ParleyError('push_endpoint_invalid', 'the push endpoint must be an https URL of a public push service');
    await this.#d.storage.upsertPushSubscription({
      endpoint: sub.endpoint,
      userId: auth.userId,
      deviceId: auth.deviceId,
      p256dh: sub.keys.p256dh,
      auth: sub.keys.auth,
      createdAt: this.#d.clock.now(),
    }, this.#d.maxPerDevice);
  }
}

export interface PushDeps {
  storage: Storage;
  sender: PushSender;
  clock: Clock;
  policy: PushEndpointPolicy;
  /** At most this many subscriptions per device get a push (the newest), even if more are stored. */
  maxPerDevice: number;
  /** True while any of the user's devices is connected to any node: no push needed. */
  isUserOnline: (userId: string) => Promise<boolean>;
  /** Holds `minIntervalMs` per user across the cluster (a bucket of one push). */
  limiter: RateLimiter;
  minIntervalMs: number;
  onError: (err: unknown, context: Record<string, unknown>) => void;
  /** A stored endpoint failed R37's check before a push (its DNS changed): not sent; dropped if forbidden. */
  onRefused: (detail: string, context: { deviceId: string; dropped: boolean }) => void;
}

/**
 * Wakes offline members with a Web Push that carries no text, no sender and no chat (R12):
 * the client opens and syncs over its own authenticated connection. At most one push per user
 * per `minIntervalMs`, whichever nodes the messages were sent through (a shared bucket of one push;
 * the node's own memory of what it sent spares it the lookups in between), to at most
 * `maxPerDevice` endpoints per device, each checked again (R37).
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
      // R48: a chat the member muted wakes none of their devices.
      if ((member.prefs?.mutedUntil ?? 0) > now) continue;
      const last = this.#lastSent.get(member.userId);
      if (last !== undefined && now - last < this.#d.minIntervalMs) continue;
      const subs = newestPerDevice(await this.#d.storage.listPushSubscriptions(member.userId), this.#d.maxPerDevice);
      // Presence last: in a cluster it is a question to every node, and most users have no subscription.
      if (subs.length === 0 || (await this.#d.isUserOnline(member.userId))) continue;
      if (!(await this.#mayPush(member.userId))) continue;
      this.#lastSent.set(member.userId, now);
      if (this.#lastSent.size > 100_000) this.#lastSent.clear();
      await Promise.all(subs.map((sub) => this.#push(sub).catch((err: unknown) => this.#d.onError(err, { chatId, deviceId: sub.deviceId }))));
    }
  }

  async #push(sub: PushSubscriptionRow): Promise<void> {
    await pushChecked(this.#d, sub, JSON.stringify(PushNotifier.payload));
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

/**
 * Sends one push to a stored subscription after R37's check: DNS may have changed since the device
 * subscribed, so it is checked again and the push goes to what was checked. A forbidden endpoint, or
 * one the push service says is gone, is deleted.
 */
export async function pushChecked(
  d: Pick<PushDeps, 'storage' | 'policy' | 'sender' | 'onRefused'>, sub: PushSubscriptionRow, payload: string, options?: PushSendOptions,
): Promise<void> {
  const checked = await d.policy.check(sub.endpoint);
  if (!checked.ok) {
    const dropped = checked.reason === 'forbidden';
    if (dropped) await d.storage.deletePushSubscription(sub.endpoint);
    d.onRefused(checked.detail, { deviceId: sub.deviceId, dropped });
    return;
  }
  const { gone } = await d.sender.send(sub, payload, checked.target, options);
  if (gone) await d.storage.deletePushSubscription(sub.endpoint);
}

/** Each device's newest `max` subscriptions (rows stored before the per-device limit existed may exceed it). */
export function newestPerDevice(subs: readonly PushSubscriptionRow[], max: number): PushSubscriptionRow[] {
  const byDevice = new Map<string, PushSubscriptionRow[]>();
  for (const sub of subs) byDevice.set(sub.deviceId, [...(byDevice.get(sub.deviceId) ?? []), sub]);
  return [...byDevice.values()].flatMap((rows) => rows.sort((a, b) => b.createdAt - a.createdAt).slice(0, max));
}
