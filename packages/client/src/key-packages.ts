import {
  MAX_KEY_PACKAGES_PER_CALL, MAX_STORED_KEY_PACKAGES, ParleyError,
  type KeyPackageCountResponse, type UploadKeyPackagesRequest,
} from '@parley/protocol';
import { base64ToBytes, bytesToBase64 } from './encoding.ts';
import { KEY_PACKAGE_LIFETIME_MS, MlsIdentity, generateKeyPackages, keyPackageNotAfter, type GeneratedKeyPackage } from './mls/index.ts';
import type { MlsStateStore, StoredKeyPackage } from './store.ts';

/** The server's key package directory as this device sees it (R14); the client passes its REST calls. */
export interface KeyPackageDirectory {
  count(): Promise<KeyPackageCountResponse>;
  upload(request: UploadKeyPackagesRequest): Promise<KeyPackageCountResponse>;
}

export interface KeyPackageKeeperOptions {
  userId: string;
  deviceId: string;
  store: MlsStateStore;
  directory: KeyPackageDirectory;
  /** One-time key packages to have on the server after a refill. Default 20. */
  target?: number;
  /** Refill only when the server has fewer than this many left. Default min(5, target). */
  refillBelow?: number;
  /**
   * Replace the last-resort key package once the server says it was uploaded this long ago. Default
   * 14 days: below the server's max age (21 days by default), after which it is no longer handed out.
   */
  replaceLastResortAfterMs?: number;
  /** Besides each replenish() call, a pass this often while not stopped (a client online for weeks). Default 6 h. */
  checkEveryMs?: number;
  /** Delay before retrying a failed pass, doubling per failure. Default 5 s to 5 min. */
  retry?: { minMs: number; maxMs: number };
  /** Injected clock (ms), for key package lifetimes and createdAt, and for when private keys are dropped. */
  now?: () => number;
  /** A pass failed (it is retried later); never called for a successful one. */
  onError: (error: unknown) => void;
}

/** Server counts after the pass (fresh key packages only, R14). */
export interface ReplenishResult extends KeyPackageCountResponse {
  /** How many key packages this pass uploaded (the last-resort one included). */
  uploaded: number;
}

const DAY_MS = 86_400_000;
export const DEFAULT_KEY_PACKAGE_TARGET = 20;
export const DEFAULT_KEY_PACKAGE_REFILL_BELOW = 5;
export const DEFAULT_LAST_RESORT_REPLACE_AFTER_MS = 14 * DAY_MS;
export const DEFAULT_KEY_PACKAGE_CHECK_EVERY_MS = 6 * 3_600_000;

/**
 * How long after a key package's lifetime ends (notAfter, 4 weeks after it was made) its private
 * keys are kept. A Welcome names a key package only if it was made while the package was valid:
 * the server hands it out only within its max age of the upload (21 days by default, R14) and the
 * committer's ts-mls refuses to add an expired one. Joining from a Welcome does not check the
 * lifetime, so a Welcome made just before notAfter still works whenever this device reads it; but
 * it reads it only when it next comes online and syncs that chat, possibly days later, and the
 * committer's clock may run ahead of ours. A week covers that. A device offline for longer misses
 * such a Welcome and asks to be added again (R29), as after losing its state. The same holds for a
 * last-resort key package after it was replaced: it may have been claimed until then.
 */
export const KEEP_AFTER_EXPIRY_MS = 7 * DAY_MS;

/**
 * Keeps this device reachable for MLS: loads or creates its MlsIdentity, and keeps enough of its key
 * packages on the server (R14) for others to add it to groups, plus a last-resort one. The private
 * parts stay in the store until a Welcome uses them. Works in the background: a failed pass is
 * reported through onError and retried later, and nothing else waits for it.
 */
export class KeyPackageKeeper {
  readonly #o: KeyPackageKeeperOptions;
  readonly #target: number;
  readonly #refillBelow: number;
  readonly #replaceLastResortAfterMs: number;
  readonly #checkEveryMs: number;
  readonly #retry: { minMs: number; maxMs: number };
  readonly #now: () => number;
  #identity: Promise<MlsIdentity> | undefined;
  /** A new identity was made here: whatever the server holds for the device is not ours any more. */
  #identityIsNew = false;
  #running: Promise<void> | undefined;
  #again = false;
  #failures = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #checkTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #last: ReplenishResult | undefined;
  #reachableAt: number | undefined;

  constructor(options: KeyPackageKeeperOptions) {
    this.#o = options;
    this.#target = options.target ?? DEFAULT_KEY_PACKAGE_TARGET;
    this.#refillBelow = options.refillBelow ?? Math.min(DEFAULT_KEY_PACKAGE_REFILL_BELOW, this.#target);
    if (!Number.isInteger(this.#target) || this.#target < 1 || this.#target > MAX_STORED_KEY_PACKAGES) {
      throw new RangeError(`key package target must be 1..${MAX_STORED_KEY_PACKAGES}, got ${this.#target}`);
    }
    if (!Number.isInteger(this.#refillBelow) || this.#refillBelow < 1 || this.#refillBelow > this.#target) {
      throw new RangeError(`refillBelow must be 1..target, got ${this.#refillBelow}`);
    }
    this.#replaceLastResortAfterMs = options.replaceLastResortAfterMs ?? DEFAULT_LAST_RESORT_REPLACE_AFTER_MS;
    this.#checkEveryMs = options.checkEveryMs ?? DEFAULT_KEY_PACKAGE_CHECK_EVERY_MS;
    if (!Number.isFinite(this.#replaceLastResortAfterMs) || this.#replaceLastResortAfterMs <= 0) {
      throw new RangeError(`replaceLastResortAfterMs must be positive, got ${this.#replaceLastResortAfterMs}`);
    }
    // setTimeout fires at once for a delay past 2^31 - 1 ms (about 24.8 days).
    if (!Number.isInteger(this.#checkEveryMs) || this.#checkEveryMs <= 0 || this.#checkEveryMs > 2 ** 31 - 1) {
      throw new RangeError(`checkEveryMs must be 1..${2 ** 31 - 1}, got ${this.#checkEveryMs}`);
    }
    this.#retry = options.retry ?? { minMs: 5_000, maxMs: 300_000 };
    this.#now = options.now ?? Date.now;
  }

  /** The result of the last successful pass, if any. */
  get last(): ReplenishResult | undefined {
    return this.#last;
  }

  /**
   * When (this client's clock) a pass of this client uploaded key packages while the server held none
   * for this device's identity (its first ones, or a new identity's): until then no one could add it to a group (R29).
   */
  get reachableAt(): number | undefined {
    return this.#reachableAt;
  }

  /** The device's MLS identity: the stored one, or a new one (stored at once). */
  identity(): Promise<MlsIdentity> {
    this.#identity ??= this.#loadIdentity().catch((err: unknown) => {
      this.#identity = undefined;
      throw err;
    });
    return this.#identity;
  }

  /**
   * Checks the server's count and tops it up, in the background. Call whenever the client comes
   * online; after a successful pass the next one also runs by itself in checkEveryMs.
   */
  replenish(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    clearTimeout(this.#checkTimer);
    this.#checkTimer = undefined;
    this.#running = this.#pass().then(
      (result) => {
        this.#last = result;
        this.#failures = 0;
        if (!this.#stopped) this.#scheduleCheck();
      },
      (err: unknown) => {
        this.#failures += 1;
        if (!this.#stopped) this.#scheduleRetry(err);
        this.#o.onError(err);
      },
    ).finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.replenish();
      }
    });
  }

  /** Resolves when no pass is running (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** No more passes or retries; a running pass finishes (await idle()). */
  stop(): void {
    this.#stopped = true;
    this.#again = false;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    clearTimeout(this.#checkTimer);
    this.#checkTimer = undefined;
  }

  /** This device's unused key packages with their private keys, as MlsGroupSession.join takes them. */
  async ownKeyPackages(): Promise<GeneratedKeyPackage[]> {
    return (await this.#o.store.listKeyPackages()).map((p) => ({
      keyPackage: p.keyPackage, ref: base64ToBytes(p.ref), lastResort: p.lastResort, privateKeys: p.privateKeys,
    }));
  }

  /** A Welcome used this key package: forget its private keys, unless it is a last-resort one. */
  async used(ref: Uint8Array): Promise<void> {
    const key = bytesToBase64(ref);
    const stored = (await this.#o.store.listKeyPackages()).find((p) => p.ref === key);
    if (stored && !stored.lastResort) await this.#o.store.deleteKeyPackages([key]);
  }

  async #loadIdentity(): Promise<MlsIdentity> {
    const { store, userId, deviceId } = this.#o;
    const bytes = await store.getMlsIdentity();
    if (bytes) {
      const stored = MlsIdentity.fromBytes(bytes);
      if (stored.userId === userId && stored.deviceId === deviceId) return stored;
      // One store per device, so this is a store reused by mistake: its key packages are not ours.
      await store.deleteKeyPackages((await store.listKeyPackages()).map((p) => p.ref));
    }
    const identity = await MlsIdentity.generate({ userId, deviceId });
    await store.putMlsIdentity(identity.toBytes());
    this.#identityIsNew = true;
    return identity;
  }

  async #pass(): Promise<ReplenishResult> {
    const identity = await this.identity();
    await this.#dropExpired();
    const count = await this.#o.directory.count();
    // A new identity can't use what the server holds for the device: those are replaced, not counted.
    const replaceOneTime = this.#identityIsNew;
    const available = replaceOneTime ? 0 : count.available;
    const fresh = available < this.#refillBelow ? Math.max(0, this.#target - available) : 0;
    const needLastResort = !count.lastResort || replaceOneTime || (await this.#lastResortAge(count)) >= this.#replaceLastResortAfterMs;
    if (fresh === 0 && !needLastResort) return { ...count, uploaded: 0 };

    const now = this.#now();
    const generated = await generateKeyPackages(identity, fresh, { now: this.#now });
    const [lastResort] = needLastResort ? await generateKeyPackages(identity, 1, { lastResort: true, now: this.#now }) : [];
    const all = lastResort ? [...generated, lastResort] : generated;
    // Private parts first: a claimer may send its Welcome as soon as the upload lands.
    await this.#o.store.putKeyPackages(all.map((p): StoredKeyPackage => ({
      ref: bytesToBase64(p.ref), keyPackage: p.keyPackage, privateKeys: p.privateKeys, lastResort: p.lastResort, createdAt: now,
    })));

    let result: KeyPackageCountResponse = count;
    let sent = 0;
    try {
      do {
        const chunk = generated.slice(sent, sent + MAX_KEY_PACKAGES_PER_CALL);
        const request: UploadKeyPackagesRequest = { keyPackages: chunk.map((p) => bytesToBase64(p.keyPackage)) };
        if (lastResort && sent === 0) request.lastResort = bytesToBase64(lastResort.keyPackage);
        if (replaceOneTime && sent === 0) request.replaceOneTime = true;
        result = await this.#o.directory.upload(request);
        sent += chunk.length;
      } while (sent < generated.length);
    } catch (err) {
      // A refusal means those never reached the server: drop them. After a network error they may have.
      if (err instanceof ParleyError && err.code !== 'internal') {
        const unsent = generated.slice(sent);
        if (lastResort && sent === 0) unsent.push(lastResort);
        await this.#o.store.deleteKeyPackages(unsent.map((p) => bytesToBase64(p.ref)));
      }
      throw err;
    }
    if (replaceOneTime || (!count.lastResort && count.available === 0)) this.#reachableAt = this.#now();
    if (lastResort) this.#identityIsNew = false;
    return { ...result, uploaded: all.length };
  }

  /** The server's age of its last-resort key package; a server without lastResortAgeMs: our newest one's. */
  async #lastResortAge(count: KeyPackageCountResponse): Promise<number> {
    if (count.lastResortAgeMs !== undefined) return count.lastResortAgeMs;
    const newest = (await this.#o.store.listKeyPackages()).filter((p) => p.lastResort).at(-1);
    return newest ? this.#now() - newest.createdAt : Number.POSITIVE_INFINITY;
  }

  /** Forgets the private keys no Welcome can need any more (see KEEP_AFTER_EXPIRY_MS). */
  async #dropExpired(): Promise<void> {
    const now = this.#now();
    const expired = (await this.#o.store.listKeyPackages()).filter((p) => expiresAt(p) + KEEP_AFTER_EXPIRY_MS < now);
    if (expired.length > 0) await this.#o.store.deleteKeyPackages(expired.map((p) => p.ref));
  }

  #scheduleCheck(): void {
    this.#checkTimer = setTimeout(() => {
      this.#checkTimer = undefined;
      this.replenish();
    }, this.#checkEveryMs);
    (this.#checkTimer as { unref?: () => void }).unref?.();
  }

  #scheduleRetry(err: unknown): void {
    const backoff = Math.min(this.#retry.maxMs, this.#retry.minMs * 2 ** Math.min(this.#failures - 1, 30));
    const asked = err instanceof ParleyError && err.retryAfter !== undefined ? err.retryAfter * 1000 : 0;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.replenish();
    }, Math.max(backoff, asked));
    // A pending retry alone should not keep a Node process alive.
    (this.#retryTimer as { unref?: () => void }).unref?.();
  }
}

/**
 * A stored key package's notAfter. One that does not decode (a damaged record) gets the lifetime
 * generateKeyPackages gives, so it still ages out instead of failing every pass.
 */
function expiresAt(p: StoredKeyPackage): number {
  try {
    return keyPackageNotAfter(p.keyPackage);
  } catch {
    return p.createdAt + KEY_PACKAGE_LIFETIME_MS;
  }
}
