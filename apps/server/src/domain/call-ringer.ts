import { ParleyError, type CallPushPayload } from '@parley/protocol';
import type { Storage } from '../storage/storage.ts';
import type { AuthContext } from './accounts.ts';
import type { Clock } from './ports.ts';
import type { PushEndpointPolicy } from './push-endpoint-policy.ts';
import { newestPerDevice, pushChecked, type PushSender } from './push.ts';
import type { RateLimiter } from './rate-limiter.ts';

export interface CallRingerDeps {
  storage: Storage;
  sender: PushSender;
  clock: Clock;
  policy: PushEndpointPolicy;
  limiter: RateLimiter;
  /** Throws `not_member` unless `userId` is a member of `chatId`. */
  requireMember(chatId: string, userId: string): Promise<unknown>;
  /** The user's devices connected to any node (cluster-wide presence). */
  onlineDevices(userId: string): Promise<ReadonlySet<string>>;
  maxPerDevice: number;
  ringMs: number;
  ringRequestsPerMin: number;
  pushesPerMin: number;
  /** R124: groups of more members than this don't ring. */
  ringMaxMembers: number;
  onError: (err: unknown, context: Record<string, unknown>) => void;
  onRefused: (detail: string, context: { deviceId: string; dropped: boolean }) => void;
}

/**
 * R118: wakes a callee's closed apps for a ringing 1:1 call (R124: or the members of a small group
 * whose call just started). The offer itself is end-to-end encrypted
 * in the chat's log (R61), so the server can't see it ring: the caller's device says so with
 * `ring(chatId)` right after posting the offer. The push goes to the other person's devices that
 * turned ringing on and have no live connection (a connected device rings from the log already),
 * and says only which chat and until when: no name, no call id, no SDP.
 */
export class CallRinger {
  readonly #d: CallRingerDeps;

  constructor(deps: CallRingerDeps) {
    this.#d = deps;
  }

  async enable(auth: AuthContext): Promise<void> {
    await this.#d.storage.setCallRinging(auth.deviceId, auth.userId, this.#d.clock.now());
  }

  async disable(auth: AuthContext): Promise<void> {
    await this.#d.storage.clearCallRinging(auth.deviceId);
  }

  /**
   * Answers once every push was handed to its push service or failed (each is bounded by R37's
   * timeout; a failure is logged, not the caller's error): the SDK rings in the background.
   */
  async ring(auth: AuthContext, chatId: string): Promise<void> {
    await this.#d.requireMember(chatId, auth.userId);
    const chat = await this.#d.storage.getChat(chatId);
    if (chat?.kind !== 'direct' && chat?.kind !== 'group') throw new ParleyError('bad_request', 'only a direct or group chat rings');
    const members = await this.#d.storage.getMembers(chatId);
    // R124: a large group's call is joined from its banner, not rung into everyone's pocket.
    if (chat.kind === 'group' && members.length > this.#d.ringMaxMembers) throw new ParleyError('bad_request', `a group of more than ${this.#d.ringMaxMembers} members does not ring`);
    const perMin = this.#d.ringRequestsPerMin;
    await this.#d.limiter.take(`call-ring:${auth.deviceId}`, perMin / 60, perMin);
    const now = this.#d.clock.now();
    // R134: whether it is a group's call, as 0/1 so both kinds of push have the same length.
    const payload: CallPushPayload = { type: 'incoming_call', v: 1, chatId, until: now + this.#d.ringMs, group: chat.kind === 'group' ? 1 : 0 };
    // R48: a chat the person muted wakes none of their devices, calls included.
    await Promise.all(members.filter((m) => m.userId !== auth.userId && (m.prefs?.mutedUntil ?? 0) <= now)
      .map((m) => this.#ringUser(m.userId, payload).catch((err: unknown) => this.#d.onError(err, { chatId }))));
  }

  async #ringUser(userId: string, payload: CallPushPayload): Promise<void> {
    const ringing = new Set(await this.#d.storage.listCallRingingDevices(userId));
    if (ringing.size === 0) return;
    const online = await this.#d.onlineDevices(userId);
    const subs = newestPerDevice(
      (await this.#d.storage.listPushSubscriptions(userId)).filter((s) => ringing.has(s.deviceId) && !online.has(s.deviceId)),
      this.#d.maxPerDevice);
    if (subs.length === 0) return;
    try {
      const perMin = this.#d.pushesPerMin;
      await this.#d.limiter.take(`call-push:${userId}`, perMin / 60, perMin);
    } catch (err) {
      if (err instanceof ParleyError && err.code === 'rate_limited') return;
      throw err;
    }
    const body = JSON.stringify(payload);
    const ttlSeconds = Math.ceil(this.#d.ringMs / 1000);
    await Promise.all(subs.map((sub) => pushChecked(this.#d, sub, body, { ttlSeconds, urgency: 'high' })
      .catch((err: unknown) => this.#d.onError(err, { deviceId: sub.deviceId }))));
  }
}
