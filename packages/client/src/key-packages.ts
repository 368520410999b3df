import {
  MAX_KEY_PACKAGES_PER_CALL, MAX_STORED_KEY_PACKAGES, ParleyError,
  type KeyPackageCountResponse, type UploadKeyPackagesRequest,
} from '@parley/protocol';
import { base64ToBytes, bytesToBase64 } from './encoding.ts';
import { MlsIdentity, generateKeyPackages, type GeneratedKeyPackage } from './mls/index.ts';
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
  /** Delay before retrying a failed pass, doubling per failure. Default 5 s to 5 min. */
  retry?: { minMs: number; maxMs: number };
  /** Injected clock (ms), for key package lifetimes and createdAt. */
  now?: () => number;
  /** A pass failed (it is retried later); never called for a successful one. */
  onError: (error: unknown) => void;
}

export interface ReplenishResult {
  /** Server counts after the pass. */
  available: number;
  lastResort: boolean;
  /** How many key packages this pass uploaded (the last-resort one included). */
  uploaded: number;
}

export const DEFAULT_KEY_PACKAGE_TARGET = 20;
export const DEFAULT_KEY_PACKAGE_REFILL_BELOW = 5;

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
  readonly #retry: { minMs: number; maxMs: number };
  readonly #now: () => number;
  #identity: Promise<MlsIdentity> | undefined;
  /** A new identity was made here: whatever the server holds for the device is not ours any more. */
  #identityIsNew = false;
  #running: Promise<void> | undefined;
  #again = false;
  #failures = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #last: ReplenishResult | undefined;

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
    this.#retry = options.retry ?? { minMs: 5_000, maxMs: 300_000 };
    this.#now = options.now ?? Date.now;
  }

  /** The result of the last successful pass, if any. */
  get last(): ReplenishResult | undefined {
    return this.#last;
  }

  /** The device's MLS identity: the stored one, or a new one (stored at once). */
  identity(): Promise<MlsIdentity> {
    this.#identity ??= this.#loadIdentity().catch((err: unknown) => {
      this.#identity = undefined;
      throw err;
    });
    return this.#identity;
  }

  /** Checks the server's count and tops it up, in the background. Call whenever the client comes online. */
  replenish(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#running = this.#pass().then(
      (result) => {
        this.#last = result;
        this.#failures = 0;
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
    const count = await this.#o.directory.count();
    const fresh = count.available < this.#refillBelow ? Math.max(0, this.#target - count.available) : 0;
    const needLastResort = !count.lastResort || this.#identityIsNew;
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
    if (lastResort) this.#identityIsNew = false;
    return { ...result, uploaded: all.length };
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
