import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryRateLimiter } from './memory-rate-limiter.ts';
import { rateLimiterSuite } from './rate-limiter.suite.ts';

rateLimiterSuite('MemoryRateLimiter', async (clock) => {
  const limiter = new MemoryRateLimiter(clock);
  return { node: () => limiter, close: async () => undefined };
}, { shared: false });

describe('MemoryRateLimiter memory', () => {
  it('holds at most maxKeys buckets, however many keys it sees', async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter({ now: () => now }, 100);
    for (let i = 0; i < 1000; i++) {
      await limiter.take(`k${i}`, 1, 10);
      now += 1;
    }
    assert.ok(limiter.size <= 100, `${limiter.size} buckets`);
  });
});
