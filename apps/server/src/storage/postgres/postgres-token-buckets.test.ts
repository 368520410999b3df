import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import { rateLimiterSuite } from '../../domain/rate-limiter.suite.ts';
import { SharedRateLimiter } from '../../domain/shared-rate-limiter.ts';
import { PostgresStorage } from './postgres-storage.ts';
import { PostgresTokenBuckets } from './postgres-token-buckets.ts';
import { migratedDatabases } from './migrated-databases.ts';

/** Against the real PostgreSQL (PARLEY_TEST_PG_URL); each test gets a database of its own (a copy of one migrated once). */
const database = migratedDatabases('parley_r');
const freshStorage = async (): Promise<PostgresStorage> => PostgresStorage.open(await database());

// Every node() is another node: its own leases, the same buckets.
rateLimiterSuite('SharedRateLimiter on PostgreSQL', async (clock) => {
  const storage = await freshStorage();
  const store = new PostgresTokenBuckets(storage.pool);
  return { node: () => new SharedRateLimiter({ store, clock }), close: () => storage.close() };
}, { shared: true });

describe('PostgresTokenBuckets', () => {
  const T0 = 1_700_000_000_000;

  it('a lease takes between min and max tokens or none, and reports what is left', async () => {
    const storage = await freshStorage();
    try {
      const store = new PostgresTokenBuckets(storage.pool);
      const lease = (now: number, min: number, max: number, refund = 0) => store.lease({ key: 'k', now, perSec: 10, burst: 100, min, max, refund });
      assert.deepEqual(await lease(T0, 1, 10), { granted: 10, tokens: 90 });
      assert.deepEqual(await lease(T0, 95, 95), { granted: 0, tokens: 90 });
      assert.deepEqual(await lease(T0, 1, 200), { granted: 90, tokens: 0 });
      assert.deepEqual(await lease(T0 + 500, 1, 10), { granted: 5, tokens: 0 }); // 0.5 s at 10/s
      assert.deepEqual(await lease(T0 + 500, 1, 1, 7), { granted: 1, tokens: 6 }); // a refund comes back first
      // A node whose clock lags adds no refill and does not move the bucket back in time.
      assert.deepEqual(await lease(T0 - 10_000, 1, 1), { granted: 1, tokens: 5 });
      assert.deepEqual(await lease(T0 + 1500, 1, 1), { granted: 1, tokens: 14 });
      // Never above burst, refund or not.
      assert.deepEqual(await lease(T0 + 3_600_000, 1, 1, 50), { granted: 1, tokens: 99 });
    } finally {
      await storage.close();
    }
  });

  it('the sweep deletes only buckets full for long enough; a swept bucket reads as full', async () => {
    const storage = await freshStorage();
    try {
      const store = new PostgresTokenBuckets(storage.pool);
      await store.lease({ key: 'fast', now: T0, perSec: 10, burst: 100, min: 100, max: 100, refund: 0 }); // full again at T0 + 10 s
      await store.lease({ key: 'slow', now: T0, perSec: 1 / 3600, burst: 30, min: 1, max: 1, refund: 0 }); // full again at T0 + 1 h
      assert.equal(await store.sweep(T0 + 10_000), 0);
      assert.equal(await store.sweep(T0 + 10_001), 1);
      const keys = (await storage.pool.query<{ key: string }>('SELECT key FROM rate_limit_buckets')).rows.map((r) => r.key);
      assert.deepEqual(keys, ['slow']);
      assert.deepEqual(await store.lease({ key: 'fast', now: T0 + 20_000, perSec: 10, burst: 100, min: 100, max: 100, refund: 0 }), { granted: 100, tokens: 0 });
    } finally {
      await storage.close();
    }
  });

  it('a node sweeps idle buckets now and then as it takes', async () => {
    const storage = await freshStorage();
    try {
      let now = T0;
      const limiter = new SharedRateLimiter({ store: new PostgresTokenBuckets(storage.pool), clock: { now: () => now }, sweepEveryMs: 60_000, sweepFullForMs: 60_000 });
      for (let i = 0; i < 5; i++) await limiter.take(`send:${i}`, 20, 100);
      const count = async () => Number((await storage.pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM rate_limit_buckets')).rows[0]?.n);
      assert.equal(await count(), 5);
      now += 2 * 60_000;
      await limiter.take('send:new', 20, 100);
      for (let i = 0; i < 100 && (await count()) !== 1; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await count(), 1);
    } finally {
      await storage.close();
    }
  });

  it('while PostgreSQL is unreachable, takes fall back to this node\'s own buckets and the error is reported', async () => {
    const storage = await freshStorage();
    const errors: unknown[] = [];
    const limiter = new SharedRateLimiter({ store: new PostgresTokenBuckets(storage.pool), clock: { now: () => T0 }, onStoreError: (err) => errors.push(err) });
    await storage.close();
    for (let i = 0; i < 10; i++) await limiter.take('k', 1, 10);
    await assert.rejects(limiter.take('k', 1, 10), (err: unknown) => err instanceof ParleyError && err.code === 'rate_limited');
    assert.equal(errors.length, 1);
  });
});
