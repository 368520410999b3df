/**
 * Token buckets every node of a cluster shares (one per rate-limit key), from which
 * `SharedRateLimiter` leases tokens in small chunks. A missing bucket is a full one.
 */
export interface TokenBucketStore {
  /**
   * Refills the bucket `key` to now (at `perSec`, never above `burst`), puts `refund` back, and
   * takes between `min` and `max` tokens for the caller if at least `min` are there, else none:
   * one atomic step, so concurrent leases from all nodes never take more than the bucket holds.
   */
  lease(request: LeaseRequest): Promise<LeaseResult>;
  /** Deletes buckets that have been full since before `fullBefore` (ms); returns how many. */
  sweep(fullBefore: number): Promise<number>;
}

export interface LeaseRequest {
  key: string;
  /** The caller's clock (ms). A bucket's time never moves back, whatever a node's clock says. */
  now: number;
  perSec: number;
  burst: number;
  /** Grant nothing unless at least this many tokens are there (> 0). */
  min: number;
  /** Grant at most this many (≥ min). */
  max: number;
  /** Unspent tokens of the caller's expired lease, put back before taking (≥ 0). */
  refund: number;
}

export interface LeaseResult {
  /** Tokens taken for the caller: 0, or between min and max. */
  granted: number;
  /** Tokens left in the bucket after this lease. */
  tokens: number;
}
