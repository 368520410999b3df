import type { Clock } from './ports.ts';
import { rateLimited, tokensNeeded, type RateLimiter } from './rate-limiter.ts';

/**
 * Token buckets in this process's memory: the limiter of a single node (SQLite), and what a cluster
 * node falls back to while its shared store is unreachable. Memory is bounded: idle full buckets are
 * dropped on a sweep, and at most `maxKeys` are kept (oldest evicted first).
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #clock: Clock;
  readonly #maxKeys: number;

  constructor(clock: Clock, maxKeys = 100_000) {
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  /** How many buckets are held (for the memory-bound test). */
  get size(): number {
    return this.#buckets.size;
  }

  async take(key: string, perSec: number, burst: number, cost = 1): Promise<void> {
    if (perSec <= 0) return;
    const need = tokensNeeded(cost, burst);
    const now = this.#clock.now();
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.#maxKeys) this.#evict(now);
      bucket = { tokens: burst, at: now };
      this.#buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * perSec);
      bucket.at = Math.max(bucket.at, now);
    }
    if (bucket.tokens < need) throw rateLimited((need - bucket.tokens) / perSec);
    bucket.tokens -= need;
  }

  #evict(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (now - bucket.at > 3_600_000 || this.#buckets.size >= this.#maxKeys) this.#buckets.delete(key);
      if (this.#buckets.size < this.#maxKeys * 0.9) break;
    }
  }
}
