import {
  DEVICE_LINK_CODE_DIGITS, ParleyError, normalizeDeviceLinkCode,
  type AddedDevice, type DeviceLinkStarted, type DeviceLinkState, type NewDevice, type PendingDeviceLink,
} from '@parley/protocol';
import { userTopic, type Bus } from '../bus/bus.ts';
import type { DeviceLinkRow, DeviceLinkStorage } from '../storage/device-link-storage.ts';
import type { DeviceRow, Storage } from '../storage/storage.ts';
import type { AuthContext } from './accounts.ts';
import { originHint, sourceOf, type OriginHint } from './client-source.ts';
import type { Clock, Random } from './ports.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { equalHex, sha256Hex } from './secrets.ts';

export interface DeviceLinksDeps {
  storage: Storage;
  links: DeviceLinkStorage;
  bus: Bus;
  clock: Clock;
  random: Random;
  limiter: RateLimiter;
  limits: {
    ttlMs: number; maxAttempts: number; maxPending: number; requestsPerHour: number; perAccountPerHour: number; pollPerSec: number;
    /** R43: what the account's devices are shown of where a request came from. */
    originHint: OriginHint;
  };
  /** A keyed hash (server secret) of a value: a source is stored only as such, per account. */
  keyedHash: (value: string) => string;
  /** The account's device-addition rate (Accounts.checkDeviceAddRate): throws `rate_limited` when spent. */
  checkDeviceAddRate: (userId: string) => Promise<void>;
  /** The same hook as Accounts' (a device was added by any path): chats re-check groups, login alerts. */
  onDeviceAdded: (userId: string, deviceId: string) => Promise<void>;
}

/** Ended links are kept this long after their expiry (polls still get their outcome), then deleted. */
const KEEP_AFTER_EXPIRY_MS = 86_400_000;

/**
 * Linking a new device from a signed-in one (R23-R26). The new device, holding no passkey and no
 * recovery code, asks to join an account by handle and shows a 6-digit code; the person types that
 * code on a device already signed in, which approves. Only then is the device added, and it signs
 * in with its own key as any device does. The code travels only from the new device's screen to the
 * person's eyes to the approving device: the server never shows it to the account's devices, so an
 * approval proves the person holds the new device (a stranger who knows the handle gets nowhere).
 */
export class DeviceLinks {
  readonly #d: DeviceLinksDeps;
  #nextCleanup = 0;

  constructor(deps: DeviceLinksDeps) {
    this.#d = deps;
  }

  /**
   * R23, R43: a new device asks; the account's devices are told (R26). Limited per source (the client
   * address; an IPv6 /64) over all accounts and per source for this account. Never refused because
   * the account's slots are full: the request takes the slot of its own source's earlier one, or else
   * of the oldest, so whoever wants to hold the slots must keep spending requests from many sources.
   */
  async request(ip: string, input: { handle: string; device: NewDevice }): Promise<DeviceLinkStarted> {
    const { limits } = this.#d;
    const source = sourceOf(ip);
    await this.#d.limiter.take(`link:${source}`, limits.requestsPerHour / 3600, limits.requestsPerHour);
    const user = await this.#d.storage.getUserByHandle(input.handle);
    if (!user) throw new ParleyError('user_not_found', 'no user with this handle');
    await this.#d.limiter.take(`linkto:${user.userId}:${source}`, limits.perAccountPerHour / 3600, limits.perAccountPerHour);
    const now = this.#d.clock.now();
    await this.#cleanup(now);
    const linkId = this.#d.random.id();
    const code = this.#newCode();
    const row: DeviceLinkRow = {
      linkId,
      userId: user.userId,
      deviceName: input.device.name,
      publicKey: input.device.publicKey,
      codeHash: codeHash(linkId, code),
      createdAt: now,
      expiresAt: now + limits.ttlMs,
      attempts: 0,
      status: 'pending',
      deviceId: null,
      closedAt: null,
      sourceKey: this.#d.keyedHash(`link-source:${user.userId}:${source}`),
      origin: originHint(ip, limits.originHint) ?? null,
      displacedAt: null,
    };
    const displaced = await this.#d.links.createLink(row, limits.maxPending, now);
    for (const link of displaced) await this.#closed(link, now);
    await this.#d.bus.publish(userTopic(user.userId), { type: 'device_link_request', link: this.#pending(row) });
    return { linkId, code, expiresAt: row.expiresAt };
  }

  /** R25: what the new device polls (no session: the link id is its only handle). */
  async state(ip: string, linkId: string): Promise<DeviceLinkState> {
    const perSec = this.#d.limits.pollPerSec;
    await this.#d.limiter.take(`linkpoll:${ip}`, perSec, perSec * 10);
    const link = await this.#d.links.getLink(linkId);
    if (!link) throw new ParleyError('link_not_found', 'no such link request');
    const status = this.#status(link, this.#d.clock.now());
    const state: DeviceLinkState = { linkId, status, expiresAt: link.expiresAt };
    if (status === 'approved' && link.deviceId) Object.assign(state, { userId: link.userId, deviceId: link.deviceId });
    return state;
  }

  /** R26: the caller's account's requests waiting for approval. */
  async pending(auth: AuthContext): Promise<PendingDeviceLink[]> {
    return (await this.#d.links.listPendingLinks(auth.userId, this.#d.clock.now())).map((l) => this.#pending(l));
  }

  /** R24: a device of the account approves with the code the new device shows; the device is added. */
  async approve(auth: AuthContext, linkId: string, typed: string): Promise<AddedDevice> {
    const now = this.#d.clock.now();
    const link = await this.#own(auth, linkId);
    this.#mustBeOpen(link, now);
    if (!equalHex(codeHash(linkId, normalizeDeviceLinkCode(typed)), link.codeHash)) {
      const after = await this.#d.links.recordWrongCode(linkId, this.#d.limits.maxAttempts, now);
      if (after?.status === 'locked') {
        await this.#closed(after, now);
        throw new ParleyError('link_locked', 'too many wrong codes: the new device must ask again');
      }
      if (after) this.#mustBeOpen(after, now);
      const left = this.#d.limits.maxAttempts - (after?.attempts ?? 0);
      throw new ParleyError('link_code_wrong', `wrong code (${left} ${left === 1 ? 'try' : 'tries'} left)`);
    }
    // Only a right code spends one of the account's device additions; refused, the request stays pending.
    await this.#d.checkDeviceAddRate(link.userId);
    const device: DeviceRow = {
      deviceId: this.#d.random.id(),
      userId: link.userId,
      name: link.deviceName,
      publicKey: link.publicKey,
      createdAt: now,
      lastSeenAt: null,
      revokedAt: null,
    };
    const after = await this.#d.links.approveLink(linkId, device, now);
    if (!after || after.deviceId !== device.deviceId) {
      // Another approval, a denial or the expiry won the race.
      this.#mustBeOpen(after ?? link, now);
      throw new ParleyError('link_closed', 'this sign-in request was answered already');
    }
    await this.#closed(after, now);
    await this.#d.onDeviceAdded(link.userId, device.deviceId);
    return { deviceId: device.deviceId, name: device.name, createdAt: device.createdAt };
  }

  /** R24: a device of the account refuses the request; the new device's poll says `denied`. */
  async deny(auth: AuthContext, linkId: string): Promise<void> {
    const now = this.#d.clock.now();
    const link = await this.#own(auth, linkId);
    this.#mustBeOpen(link, now);
    const after = await this.#d.links.denyLink(linkId, now);
    if (after?.status !== 'denied') {
      this.#mustBeOpen(after ?? link, now);
      throw new ParleyError('link_closed', 'this sign-in request was answered already');
    }
    await this.#closed(after, now);
  }

  async #own(auth: AuthContext, linkId: string): Promise<DeviceLinkRow> {
    const link = await this.#d.links.getLink(linkId);
    // Another account's link is "not found": its existence is none of the caller's business.
    if (!link || link.userId !== auth.userId) throw new ParleyError('link_not_found', 'no such link request');
    return link;
  }

  /** Throws the stable error for a link that can no longer be answered. */
  #mustBeOpen(link: DeviceLinkRow, now: number): void {
    const status = this.#status(link, now);
    switch (status) {
      case 'pending': return;
      case 'expired': throw new ParleyError('link_expired', 'this sign-in request expired: the new device must ask again');
      case 'locked': throw new ParleyError('link_locked', 'too many wrong codes: the new device must ask again');
      case 'approved':
      case 'denied': throw new ParleyError('link_closed', 'this sign-in request was answered already');
      case 'displaced': throw new ParleyError('link_closed', 'a newer sign-in request for this account took this one\'s place');
    }
  }

  #status(link: DeviceLinkRow, now: number): DeviceLinkState['status'] {
    if (link.status !== 'pending') return link.status;
    if (link.displacedAt !== null) return 'displaced';
    return link.expiresAt <= now ? 'expired' : 'pending';
  }

  async #closed(link: DeviceLinkRow, now: number): Promise<void> {
    await this.#d.bus.publish(userTopic(link.userId), { type: 'device_link_closed', linkId: link.linkId, status: this.#status(link, now) });
  }

  /** R43: the facts the server knows (time, origin as allowed) beside the name the new device gave itself. */
  #pending(link: DeviceLinkRow): PendingDeviceLink {
    const pending: PendingDeviceLink = {
      linkId: link.linkId,
      deviceName: link.deviceName,
      requestedAt: link.createdAt,
      expiresAt: link.expiresAt,
      attemptsLeft: Math.max(0, this.#d.limits.maxAttempts - link.attempts),
    };
    if (link.origin !== null) pending.origin = link.origin;
    return pending;
  }

  /** A uniform 6-digit code (rejection sampling: no modulo bias). */
  #newCode(): string {
    const range = 10 ** DEVICE_LINK_CODE_DIGITS;
    const limit = Math.floor(0x1_0000_0000 / range) * range;
    for (;;) {
      const b = this.#d.random.bytes(4);
      const n = (((b[0] ?? 0) << 24) >>> 0) + ((b[1] ?? 0) << 16) + ((b[2] ?? 0) << 8) + (b[3] ?? 0);
      if (n < limit) return String(n % range).padStart(DEVICE_LINK_CODE_DIGITS, '0');
    }
  }

  /** At most once a minute, on a request: drops links that ended a day ago. */
  async #cleanup(now: number): Promise<void> {
    if (now < this.#nextCleanup) return;
    this.#nextCleanup = now + 60_000;
    await this.#d.links.deleteLinksBefore(now - KEEP_AFTER_EXPIRY_MS);
  }
}

function codeHash(linkId: string, code: string): string {
  return sha256Hex(`${linkId}:${code}`);
}
