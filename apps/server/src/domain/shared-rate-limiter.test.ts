import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import type { LeaseRequest, LeaseResult, TokenBucketStore } from '../storage/token-bucket-store.ts';
import { SharedRateLimiter, leaseChunk } from './shared-rate-limiter.ts';

/** The store's behaviour that SharedRateLimiter relies on is tested against PostgreSQL; these are its own rules. */
const T0 = 1_700_000_000_000;
const isRateLimited = (err: unknown) => err instanceof ParleyError && err.code === 'rate_limited';

/** A store whose every bucket is full: grants max, and counts calls. */
function generousStore(): TokenBucketStore & { calls: LeaseRequest[] } {
  const calls: LeaseRequest[] = [];
  return {
    calls,
    async lease(r): Promise<LeaseResult> {
      calls.push(r);
      return { granted: r.max, tokens: r.burst - r.max };
    },
    async sweep() {
      return 0;
    },
  };
}

describe('SharedRateLimiter', () => {
  it('chunks: a tenth of the burst, at most one second of refill; one token for low limits', () => {
    assert.equal(leaseChunk(20, 100), 10); // sends, REST calls
    assert.equal(leaseChunk(10_000, 10_000), 1000);
    assert.equal(leaseChunk(2, 20), 2); // link polls
    assert.equal(leaseChunk(30 / 3600, 30), 1); // sign-ups per hour
    assert.equal(leaseChunk(1, 10), 1);
    assert.equal(leaseChunk(1000, 1000), 100);
  });

  it('most takes cost no round trip: 100 sends at the default limit are 10 leases', async () => {
    const store = generousStore();
    const limiter = new SharedRateLimiter({ store, clock: { now: () => T0 } });
    for (let i = 0; i < 100; i++) await limiter.take('send:a', 20, 100);
    assert.equal(store.calls.length, 10);
  });

  it('past its limit a client costs at most one round trip per chunk of refill, however fast it asks', async () => {
    let now = T0;
    let calls = 0;
    let tokens = 0; // an empty bucket refilling at 20/s
    let at = T0;
    const store: TokenBucketStore = {
      async lease(r) {
        calls += 1;
        tokens = Math.min(r.burst, tokens + r.refund + (20 * (r.now - at)) / 1000);
        at = r.now;
        if (tokens < r.min) return { granted: 0, tokens };
        const granted = Math.min(r.max, tokens);
        tokens -= granted;
        return { granted, tokens };
      },
      async sweep() {
        return 0;
      },
    };
    const limiter = new SharedRateLimiter({ store, clock: { now: () => now } });
    let passed = 0;
    for (let i = 0; i < 1000; i++) { // 1,000 takes over 10 s
      await limiter.take('send:a', 20, 100).then(() => (passed += 1), (err: unknown) => assert.ok(isRateLimited(err)));
      now += 10;
    }
    assert.ok(passed >= 190 && passed <= 200, `passed ${passed}`); // 20/s for 10 s
    assert.ok(calls <= 200 / 10 + 2, `${calls} round trips`); // one per chunk of 10
  });

  it('a store that fails: per-node buckets decide, the error is reported once per retry period, then the store is asked again', async () => {
    let now = T0;
    let down = true;
    const errors: unknown[] = [];
    const healthy = generousStore();
    const store: TokenBucketStore = {
      lease: (r) => (down ? Promise.reject(new Error('connection refused')) : healthy.lease(r)),
      sweep: async () => 0,
    };
    const limiter = new SharedRateLimiter({ store, clock: { now: () => now }, retryStoreAfterMs: 1000, onStoreError: (err) => errors.push(err) });
    for (let i = 0; i < 10; i++) await limiter.take('k', 1, 10);
    await assert.rejects(limiter.take('k', 1, 10), isRateLimited);
    assert.equal(errors.length, 1);
    now += 1000;
    down = false;
    await limiter.take('k2', 1, 10);
    assert.equal(healthy.calls.length, 1);
  });

  it('a store that hangs: the take is decided here after storeTimeoutMs, and a late grant is still spent', async () => {
    let answer: ((r: LeaseResult) => void) | undefined;
    const errors: unknown[] = [];
    const store: TokenBucketStore = {
      lease: () => new Promise((resolve) => (answer = resolve)),
      sweep: async () => 0,
    };
    let now = T0;
    const limiter = new SharedRateLimiter({ store, clock: { now: () => now }, storeTimeoutMs: 50, retryStoreAfterMs: 100, onStoreError: (err) => errors.push(err) });
    const started = Date.now();
    await limiter.take('send:a', 20, 100);
    assert.ok(Date.now() - started >= 45);
    assert.match(String(errors[0]), /no answer within 50 ms/);
    answer?.({ granted: 10, tokens: 90 });
    await new Promise((r) => setImmediate(r));
    now += 500; // the store would be asked again, but the 10 tokens that came late are spent first
    answer = undefined;
    for (let i = 0; i < 10; i++) await limiter.take('send:a', 20, 100);
    assert.equal(answer, undefined);
  });

  it('holds lease state for at most maxKeys keys', async () => {
    let now = T0;
    const limiter = new SharedRateLimiter({ store: generousStore(), clock: { now: () => now }, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) {
      await limiter.take(`send:${i}`, 20, 100);
      now += 1;
    }
    assert.ok(limiter.size <= 100, `${limiter.size} keys`);
  });
});
