import { ParleyError } from '@parley/protocol';

/**
 * Token buckets by key ("send:<deviceId>", "signup:<ip>"…): the abuse brakes of R11. Two
 * implementations: `MemoryRateLimiter` (one node) and `SharedRateLimiter` (a cluster: one bucket
 * per key for all nodes), both proven by `rate-limiter.suite.ts`.
 */
export interface RateLimiter {
  /**
   * Takes `cost` tokens (default 1, at most `burst`) from the bucket `key`, which holds up to
   * `burst` and refills at `perSec`; or rejects with `rate_limited` and the whole seconds to wait
   * before the same take would pass (`retryAfter`), taking none. `perSec` 0 means unlimited.
   */
  take(key: string, perSec: number, burst: number, cost?: number): Promise<void>;
}

/** The least a take costs: a fraction of a token (R40: a small read costs a small part of one). */
export const MIN_TAKE_COST = 0.01;

/** The tokens a take of `cost` needs: at least MIN_TAKE_COST, at most the whole bucket. */
export function tokensNeeded(cost: number, burst: number): number {
  return Math.max(MIN_TAKE_COST, Math.min(cost, burst));
}

/** The error every limiter throws: wait `seconds` (at least 1) and try again. */
export function rateLimited(seconds: number): ParleyError {
  return new ParleyError('rate_limited', 'too many requests, slow down', Math.max(1, Math.ceil(seconds)));
}
