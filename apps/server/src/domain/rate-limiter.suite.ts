import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import type { Clock } from './ports.ts';
import type { RateLimiter } from './rate-limiter.ts';

export interface RateLimiterFixture {
  /**
   * A limiter as one node has it. For a shared implementation every call is another node on the
   * same store; for a per-node one the suite calls it once.
   */
  node(): RateLimiter;
  close(): Promise<void>;
}

/**
 * The RateLimiter contract (R11), run against the in-memory limiter and the shared one on
 * PostgreSQL, on a fake clock. `shared` adds the cluster rules: nodes on one store give one limit.
 */
export function rateLimiterSuite(name: string, open: (clock: Clock) => Promise<RateLimiterFixture>, opts: { shared: boolean }): void {
  describe(`${name}: rate limiter contract`, () => {
    let now = T0;
    const clock: Clock = { now: () => now };
    const advance = (ms: number) => {
      now += ms;
    };
    let fixture: RateLimiterFixture;
    beforeEach(async () => {
      now = T0;
      fixture = await open(clock);
    });
    afterEach(async () => {
      await fixture.close();
    });

    it('R11 up to burst at once, then rate_limited with a retryAfter in whole seconds', async () => {
      const limiter = fixture.node();
      for (let i = 0; i < 10; i++) await limiter.take('send:a', 1, 10);
      const wait = await refusal(limiter.take('send:a', 1, 10));
      assert.equal(wait, 1);
    });

    it('R11 a refused take takes nothing: after retryAfter seconds it passes, however often it was refused', async () => {
      const limiter = fixture.node();
      assert.equal(await drain([limiter], 'k', 2, 10), 10);
      const wait = await refusal(limiter.take('k', 2, 10, 5));
      assert.equal(wait, 3); // 5 tokens at 2/s
      for (let i = 0; i < 5; i++) await refusal(limiter.take('k', 2, 10, 5));
      advance(wait * 1000);
      await limiter.take('k', 2, 10, 5);
      await refusal(limiter.take('k', 2, 10, 5));
    });

    it('R11 a take of cost n needs n tokens; a refused one leaves them for a smaller take', async () => {
      const limiter = fixture.node();
      await limiter.take('k', 1, 10, 4);
      await refusal(limiter.take('k', 1, 10, 7));
      await limiter.take('k', 1, 10, 6);
      await refusal(limiter.take('k', 1, 10));
    });

    it('R40 a fractional cost takes that part of a token', async () => {
      const limiter = fixture.node();
      for (let i = 0; i < 8; i++) await limiter.take('k', 1, 2, 0.25);
      await refusal(limiter.take('k', 1, 2, 0.25));
    });

    it('R11 a cost above burst costs the whole bucket, and is not refused forever', async () => {
      const limiter = fixture.node();
      await limiter.take('k', 1, 10, 50);
      const wait = await refusal(limiter.take('k', 1, 10, 50));
      assert.equal(wait, 10);
      advance(wait * 1000);
      await limiter.take('k', 1, 10, 50);
    });

    it('R11 the bucket refills at perSec up to burst and never beyond', async () => {
      const limiter = fixture.node();
      assert.equal(await drain([limiter], 'k', 100, 1000), 1000);
      advance(3_600_000);
      assert.equal(await drain([limiter], 'k', 100, 1000), 1000);
    });

    it('R11 sustained: over 10 s a client taking as fast as it can gets about burst + perSec·t, never more', async () => {
      const limiter = fixture.node();
      let accepted = 0;
      for (let ms = 0; ms <= 10_000; ms += 50) {
        accepted += await drain([limiter], 'k', 20, 100);
        advance(50);
      }
      assert.ok(accepted <= 100 + 20 * 10, `accepted ${accepted}`);
      assert.ok(accepted >= 100 + 20 * 9, `accepted ${accepted}`);
    });

    it('R11 keys are separate buckets', async () => {
      const limiter = fixture.node();
      assert.equal(await drain([limiter], 'send:a', 1, 5), 5);
      await limiter.take('send:b', 1, 5);
      await limiter.take('typing:a', 1, 5);
    });

    it('R11 perSec 0 means unlimited', async () => {
      const limiter = fixture.node();
      for (let i = 0; i < 500; i++) await limiter.take('k', 0, 0);
    });

    it('R11 concurrent takes of one key never spend more than the bucket holds', async () => {
      const limiter = fixture.node();
      const results = await Promise.allSettled(Array.from({ length: 40 }, () => limiter.take('k', 1, 10)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 10);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as ParleyError).code, 'rate_limited');
    });

    if (!opts.shared) return;

    it('R11 cluster: one key over 3 nodes gets its limit once, not 3 times', async () => {
      const nodes = [fixture.node(), fixture.node(), fixture.node()];
      assert.equal(await drain(nodes, 'send:a', 20, 100), 100);
      advance(1000);
      assert.equal(await drain(nodes, 'send:a', 20, 100), 20);
      for (const node of nodes) assert.equal(await refusal(node.take('send:a', 20, 100)), 1);
    });

    it('R11 cluster: concurrent takes from 3 nodes never spend more than the bucket holds', async () => {
      const nodes = [fixture.node(), fixture.node(), fixture.node()];
      const results = await Promise.allSettled(nodes.flatMap((n) => Array.from({ length: 30 }, () => n.take('k', 1, 10))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 10);
      const big = await Promise.allSettled(nodes.flatMap((n) => Array.from({ length: 100 }, () => n.take('big', 20, 100))));
      assert.equal(big.filter((r) => r.status === 'fulfilled').length, 100);
    });

    it('R11 cluster: sustained over 3 nodes, a client gets about burst + perSec·t, never more', async () => {
      const nodes = [fixture.node(), fixture.node(), fixture.node()];
      let accepted = 0;
      for (let ms = 0; ms <= 10_000; ms += 50) {
        accepted += await drain(nodes, 'k', 20, 100);
        advance(50);
      }
      assert.ok(accepted <= 100 + 20 * 10, `accepted ${accepted}`);
      assert.ok(accepted >= 100 + 20 * 9, `accepted ${accepted}`);
    });

    it('R11 cluster: a node holds back at most a small chunk; low limits (burst ≤ 10) are leased one token at a time', async () => {
      const [a, b] = [fixture.node(), fixture.node()];
      await a.take('send:a', 20, 100);
      assert.ok(await drain([b], 'send:a', 20, 100) >= 100 - 10);
      await a.take('signup:ip', 30 / 3600, 30);
      assert.equal(await drain([b], 'signup:ip', 30 / 3600, 30), 29);
      await a.take('typing:a', 2, 4);
      assert.equal(await drain([b], 'typing:a', 2, 4), 3);
    });

    it('R11 cluster: tokens a node leased but did not spend go back to the bucket when its lease expires', async () => {
      const [a, b] = [fixture.node(), fixture.node()];
      await a.take('k', 10, 100);
      const heldByA = 100 - 1 - (await drain([b], 'k', 10, 100));
      assert.ok(heldByA > 0, 'a leased more than it took');
      advance(2000);
      // 20 refilled, and what a still held is back: both nodes together get all of it.
      assert.equal(await drain([a, b], 'k', 10, 100), 20 + heldByA);
    });
  });
}

const T0 = 1_700_000_000_000;

/** The retryAfter of a take that must be refused with rate_limited. */
async function refusal(take: Promise<void>): Promise<number> {
  try {
    await take;
  } catch (err) {
    assert.ok(err instanceof ParleyError && err.code === 'rate_limited', `rate_limited, got ${String(err)}`);
    assert.ok(Number.isInteger(err.retryAfter) && (err.retryAfter ?? 0) >= 1, `retryAfter ${err.retryAfter}`);
    return err.retryAfter ?? 0;
  }
  throw new assert.AssertionError({ message: 'the take passed; expected rate_limited' });
}

/** Takes one token at a time from the nodes in turn until each refuses once in a row; returns how many passed. */
async function drain(nodes: readonly RateLimiter[], key: string, perSec: number, burst: number): Promise<number> {
  let passed = 0;
  let refusedInARow = 0;
  for (let i = 0; refusedInARow < nodes.length; i++) {
    try {
      await nodes[i % nodes.length]!.take(key, perSec, burst);
      passed += 1;
      refusedInARow = 0;
    } catch (err) {
      if (!(err instanceof ParleyError) || err.code !== 'rate_limited') throw err;
      refusedInARow += 1;
    }
  }
  return passed;
}
