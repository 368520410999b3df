import { ParleyError } from '@parley/protocol';
import type { Clock } from './ports.ts';

/**
 * Token buckets by key ("send:<deviceId>", "signup:<ip>"…). Memory is bounded: idle full buckets
 * are dropped on a sweep, and at most `maxKeys` are kept (oldest evicted first).
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #clock: Clock;
  readonly #maxKeys: number;

  constructor(clock: Clock, maxKeys = 100_000) {
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  /**
   * Takes `cost` tokens (default 1, at most `burst`) or throws `rate_limited` with the seconds to
   * wait, taking none. `perSec` 0 means unlimited.
   */
  take(key: string, perSec: number, burst: number, cost = 1): void {
    if (perSec <= 0) return;
    const need = Math.max(1, Math.min(cost, burst));
    const now = this.#clock.now();
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.#maxKeys) this.#evict(now);
      bucket = { tokens: burst, at: now };
      this.#buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSec);
      bucket.at = now;
    }
    if (bucket.tokens < need) {
      const wait = Math.ceil((need - bucket.tokens) / perSec);
      throw new ParleyError('rate_limited', 'too many requests, slow down', wait);
    }
    bucket.tokens -= need;
  }

  #evict(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (now - bucket.at > 3_600_000 || this.#buckets.size >= this.#maxKeys) this.#buckets.delete(key);
      if (this.#buckets.size < this.#maxKeys * 0.9) break;
    }
  }
}
