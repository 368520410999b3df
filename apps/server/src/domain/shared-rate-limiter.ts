import type { TokenBucketStore } from '../storage/token-bucket-store.ts';
import { MemoryRateLimiter } from './memory-rate-limiter.ts';
import type { Clock } from './ports.ts';
import { rateLimited, tokensNeeded, type RateLimiter } from './rate-limiter.ts';

export type StoreCallResult = 'granted' | 'refused' | 'failed';

export interface SharedRateLimiterDeps {
  store: TokenBucketStore;
  clock: Clock;
  /** How long leased tokens may be spent on this node; then they go back with its next lease. */
  leaseMs?: number;
  /** Longest wait for the store before a take is decided by this node's own buckets. */
  storeTimeoutMs?: number;
  /** After a store failure, how long takes use this node's own buckets before asking the store again. */
  retryStoreAfterMs?: number;
  /** How often this node sweeps idle buckets from the store, and how long a bucket must have been full. */
  sweepEveryMs?: number;
  sweepFullForMs?: number;
  /** Keys whose leases this node keeps at most (memory bound). */
  maxKeys?: number;
  /** A store call failed or timed out (at most once per `retryStoreAfterMs`), or a sweep failed. */
  onStoreError?: (err: unknown) => void;
  onStoreCall?: (result: StoreCallResult) => void;
}

/** What this node holds of one key's shared bucket. */
interface Lease {
  /** Leased and unspent; spent locally, without a round trip, until `expiresAt`. */
  tokens: number;
  expiresAt: number;
  /** Unspent tokens of an expired lease: returned to the bucket with the next lease. */
  refund: number;
  /** The bucket as this node's last lease left it: takes it could not satisfy are refused here. */
  seen: { tokens: number; at: number } | undefined;
  /** The lease in flight: other takes of this key wait for it instead of asking too. */
  pending: Promise<StoreCallResult> | undefined;
}

/**
 * Token buckets shared by every node of a cluster, so a device connected to N nodes gets its limit
 * once. The buckets live in a `TokenBucketStore` (PostgreSQL); a node leases tokens from a key's
 * bucket in chunks (`leaseChunk`) and spends them locally, so most takes cost no round trip. Leased
 * tokens a node has not spent within `leaseMs` go back to the bucket with its next lease of that key,
 * so no node sits on more than one chunk per key for long. The store never hands out more than
 * burst + perSec·t in all; a device gets less than its limit only by the chunks other nodes still
 * hold for it (it moved nodes within the last `leaseMs`).
 *
 * Each lease tells what it left in the bucket (`Lease.seen`): once a node has spent its tokens and
 * the bucket, as last seen, cannot have refilled a chunk, takes of that key are refused on this node
 * without a round trip. So a client hammering past its limit costs about one round trip per chunk of
 * refill per node, and is told to wait at most about a second (`leaseChunk`).
 *
 * If the store fails or is slow (`storeTimeoutMs`), takes are decided by this node's own in-memory
 * buckets (the limits hold per node, as on a single node) until `retryStoreAfterMs` has passed:
 * neither open (the limits are abuse brakes) nor closed (requests that do not need the database
 * would fail for the limiter's sake). `onStoreError` reports it.
 */
export class SharedRateLimiter implements RateLimiter {
  readonly #store: TokenBucketStore;
  readonly #clock: Clock;
  readonly #leaseMs: number;
  readonly #storeTimeoutMs: number;
  readonly #retryStoreAfterMs: number;
  readonly #sweepEveryMs: number;
  readonly #sweepFullForMs: number;
  readonly #maxKeys: number;
  readonly #onStoreError: (err: unknown) => void;
  readonly #onStoreCall: (result: StoreCallResult) => void;
  readonly #leases = new Map<string, Lease>();
  readonly #fallback: MemoryRateLimiter;
  #storeDownUntil = -Infinity;
  #nextSweep: number;

  constructor(deps: SharedRateLimiterDeps) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#leaseMs = deps.leaseMs ?? 1000;
    this.#storeTimeoutMs = deps.storeTimeoutMs ?? 1000;
    this.#retryStoreAfterMs = deps.retryStoreAfterMs ?? 1000;
    this.#sweepEveryMs = deps.sweepEveryMs ?? 600_000;
    this.#sweepFullForMs = deps.sweepFullForMs ?? 600_000;
    this.#maxKeys = deps.maxKeys ?? 100_000;
    this.#onStoreError = deps.onStoreError ?? (() => undefined);
    this.#onStoreCall = deps.onStoreCall ?? (() => undefined);
    this.#fallback = new MemoryRateLimiter(deps.clock, this.#maxKeys);
    this.#nextSweep = deps.clock.now() + this.#sweepEveryMs;
  }

  /** Keys this node holds lease state for (for the memory-bound test). */
  get size(): number {
    return this.#leases.size;
  }

  async take(key: string, perSec: number, burst: number, cost = 1): Promise<void> {
    if (perSec <= 0) return;
    const need = tokensNeeded(cost, burst);
    const want = Math.max(need, leaseChunk(perSec, burst));
    this.#maybeSweep(this.#clock.now());
    for (;;) {
      const now = this.#clock.now();
      if (now < this.#storeDownUntil) return this.#fallback.take(key, perSec, burst, cost);
      const lease = this.#lease(key, now);
      if (lease.tokens >= need) {
        lease.tokens -= need;
        return;
      }
      if (!lease.pending) {
        if (lease.seen) {
          // What this node can count on: the bucket as last seen plus its refill since, its own refund and tokens.
          const expected = Math.min(burst, lease.seen.tokens + (Math.max(0, now - lease.seen.at) / 1000) * perSec) + lease.refund + lease.tokens;
          if (expected < want) throw rateLimited((want - expected) / perSec);
        }
        lease.pending = this.#refill(key, lease, perSec, burst, need, want, now);
      }
      if ((await lease.pending) === 'failed') return this.#fallback.take(key, perSec, burst, cost);
    }
  }

  /** This node's state for `key`, with an expired lease's tokens moved to its refund. */
  #lease(key: string, now: number): Lease {
    let lease = this.#leases.get(key);
    if (!lease) {
      if (this.#leases.size >= this.#maxKeys) this.#evict(now);
      lease = { tokens: 0, expiresAt: now, refund: 0, seen: undefined, pending: undefined };
      this.#leases.set(key, lease);
    } else if (lease.expiresAt <= now && lease.tokens > 0) {
      lease.refund += lease.tokens;
      lease.tokens = 0;
    }
    return lease;
  }

  /** One lease from the store: at least what this take lacks, up to a chunk. Never rejects. */
  async #refill(key: string, lease: Lease, perSec: number, burst: number, need: number, want: number, now: number): Promise<StoreCallResult> {
    const have = lease.tokens;
    const refund = lease.refund;
    lease.refund = 0;
    // The answer is applied whenever it comes, even after a timeout: what it granted is this node's.
    const answered = this.#store.lease({ key, now, perSec, burst, min: need - have, max: want - have, refund }).then((r): StoreCallResult => {
      lease.seen = { tokens: r.tokens, at: now };
      if (r.granted <= 0) return 'refused';
      lease.tokens += r.granted;
      lease.expiresAt = this.#clock.now() + this.#leaseMs;
      return 'granted';
    }, (err: unknown) => {
      lease.refund += refund;
      throw err;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`rate limit store: no answer within ${this.#storeTimeoutMs} ms`)), this.#storeTimeoutMs);
    });
    let result: StoreCallResult;
    try {
      result = await Promise.race([answered, timeout]);
    } catch (err) {
      this.#storeDownUntil = this.#clock.now() + this.#retryStoreAfterMs;
      this.#onStoreError(err);
      result = 'failed';
    } finally {
      clearTimeout(timer);
      lease.pending = undefined;
    }
    this.#onStoreCall(result);
    return result;
  }

  #maybeSweep(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + this.#sweepEveryMs;
    this.#store.sweep(now - this.#sweepFullForMs).catch(this.#onStoreError);
  }

  /** Drops idle keys down to 90% of maxKeys (their refunds are lost: the limit only gets stricter), then the oldest. */
  #evict(now: number): void {
    const target = this.#maxKeys * 0.9;
    for (const idleOnly of [true, false]) {
      for (const [key, lease] of this.#leases) {
        if (this.#leases.size < target) return;
        if (!lease.pending && (!idleOnly || lease.expiresAt <= now)) this.#leases.delete(key);
      }
    }
  }
}

/**
 * How many tokens a node leases at once: a tenth of the burst, but no more than one second of
 * refill (so a refused client is told to wait at most about a second for the next chunk). Low
 * limits (burst ≤ 10, or under one token a second: sign-ups, logins, link requests) lease one token
 * at a time, so a node never holds back any of them.
 */
export function leaseChunk(perSec: number, burst: number): number {
  if (burst <= 10) return 1;
  return Math.max(1, Math.min(Math.floor(burst / 10), Math.floor(perSec)));
}
