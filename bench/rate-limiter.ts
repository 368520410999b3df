// Cost of a rate-limit take: the cluster's SharedRateLimiter against the real PostgreSQL (leases in
// chunks, spends them locally) and the single node's MemoryRateLimiter, on one key and on 1,000 keys,
// sequential and with 50 takes in flight. "per take" is a lease round trip for limits leased one token
// at a time (burst ≤ 10), so that row is the cost of the lease statement itself; it is run again with
// the table made LOGGED, to show what UNLOGGED (migration 008) saves. In-process, no server: the
// figures are the limiter's and PostgreSQL's (pool of 10, loopback).
// Usage: node --import tsx bench/rate-limiter.ts [takes=10000]
import { ParleyError } from '@parley/protocol';
import { createTestDatabase } from '@parley/testing';
import { MemoryRateLimiter } from '../apps/server/src/domain/memory-rate-limiter.ts';
import { systemClock } from '../apps/server/src/domain/ports.ts';
import type { RateLimiter } from '../apps/server/src/domain/rate-limiter.ts';
import { SharedRateLimiter } from '../apps/server/src/domain/shared-rate-limiter.ts';
import { PostgresStorage } from '../apps/server/src/storage/postgres/postgres-storage.ts';
import { PostgresTokenBuckets } from '../apps/server/src/storage/postgres/postgres-token-buckets.ts';
import { round } from './lib/fixture.ts';

const takes = Number(process.argv[2] ?? 10_000);

interface Limit {
  name: string;
  perSec: number;
  burst: number;
}
const LIMITS: Limit[] = [
  { name: 'high (10,000/s, burst 10,000: chunks of 1,000)', perSec: 10_000, burst: 10_000 },
  { name: 'send default (20/s, burst 100: chunks of 10)', perSec: 20, burst: 100 },
  { name: 'one token per lease (burst 10, fast refill)', perSec: 1_000_000, burst: 10 },
];

async function run(limiter: RateLimiter, limit: Limit, keys: number, inFlight: number): Promise<{ passed: number; ms: number }> {
  let passed = 0;
  let next = 0;
  const one = async () => {
    while (next < takes) {
      const i = next++;
      try {
        await limiter.take(`send:${i % keys}`, limit.perSec, limit.burst);
        passed += 1;
      } catch (err) {
        if (!(err instanceof ParleyError) || err.code !== 'rate_limited') throw err;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, one));
  return { passed, ms: performance.now() - started };
}

const db = await createTestDatabase('parley_bench');
const storage = await PostgresStorage.open(db.url);
try {
  const store = new PostgresTokenBuckets(storage.pool);
  for (const logged of [false, true]) {
    if (logged) await storage.pool.query('ALTER TABLE rate_limit_buckets SET LOGGED');
    for (const limit of logged ? LIMITS.slice(2) : LIMITS) {
      for (const keys of [1, 1000]) {
        for (const inFlight of [1, 50]) {
          let roundTrips = 0;
          await storage.pool.query('TRUNCATE rate_limit_buckets');
          const shared = new SharedRateLimiter({ store, clock: systemClock, onStoreCall: () => (roundTrips += 1) });
          const r = await run(shared, limit, keys, inFlight);
          console.log(JSON.stringify({
            bench: 'rate limiter', impl: 'shared (postgres)', table: logged ? 'logged' : 'unlogged', limit: limit.name, keys, inFlight, takes,
            passed: r.passed, roundTrips, ms: round(r.ms), usPerTake: round((r.ms * 1000) / takes, 2), takesPerSec: Math.round(takes / (r.ms / 1000)),
          }));
        }
      }
    }
  }
  // The sweep scans the table (no index on full_at, so leases stay HOT updates): 100,000 buckets, half full.
  await storage.pool.query('ALTER TABLE rate_limit_buckets SET UNLOGGED');
  await storage.pool.query('TRUNCATE rate_limit_buckets');
  await storage.pool.query(`INSERT INTO rate_limit_buckets (key, tokens, updated_at, full_at, granted)
    SELECT 'send:' || i, 50, 0, CASE WHEN i % 2 = 0 THEN 0 ELSE 10000000 END, 0 FROM generate_series(1, 100000) i`);
  await storage.pool.query('VACUUM ANALYZE rate_limit_buckets');
  const sweepStarted = performance.now();
  const deleted = await store.sweep(1);
  console.log(JSON.stringify({ bench: 'rate limiter sweep', rows: 100_000, deleted, ms: round(performance.now() - sweepStarted) }));

  for (const limit of LIMITS) {
    for (const keys of [1, 1000]) {
      const r = await run(new MemoryRateLimiter(systemClock), limit, keys, 1);
      console.log(JSON.stringify({ bench: 'rate limiter', impl: 'memory', limit: limit.name, keys, inFlight: 1, takes, passed: r.passed, ms: round(r.ms), usPerTake: round((r.ms * 1000) / takes, 2) }));
    }
  }
} finally {
  await storage.close();
  await db.drop();
}
