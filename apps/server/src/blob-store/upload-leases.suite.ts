import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UploadLeases } from './upload-leases.ts';

/** The contract every UploadLeases passes (memory for one node, PostgreSQL for a cluster). */
export function uploadLeasesSuite(name: string, open: () => Promise<{ leases: UploadLeases; close(): Promise<void> }>): void {
  const T = 1_700_000_000_000;
  const ID = 'AAAAAAAAAAAAAAAAAAAAAA';

  describe(`${name} (UploadLeases contract)`, () => {
    it('one holder at a time; the holder may take it again; a release frees it', async () => {
      const { leases, close } = await open();
      try {
        assert.equal(await leases.acquire(ID, 'a', T, 1000), true);
        assert.equal(await leases.acquire(ID, 'b', T + 10, 1000), false, 'held by a');
        assert.equal(await leases.acquire(ID, 'a', T + 20, 1000), true, 'a again');
        assert.equal(await leases.acquire('BBBBBBBBBBBBBBBBBBBBBB', 'b', T, 1000), true, 'another upload is free');
        await leases.release(ID, 'b');
        assert.equal(await leases.acquire(ID, 'b', T + 30, 1000), false, 'b could not release what a holds');
        await leases.release(ID, 'a');
        assert.equal(await leases.acquire(ID, 'b', T + 40, 1000), true);
      } finally {
        await close();
      }
    });

    it('a lease that ran out (its node died) is taken; the old holder can no longer renew it', async () => {
      const { leases, close } = await open();
      try {
        assert.equal(await leases.acquire(ID, 'dead', T, 1000), true);
        assert.equal(await leases.renew(ID, 'dead', T + 500, 1000), true, 'renewed to T+1500');
        assert.equal(await leases.acquire(ID, 'b', T + 1400, 1000), false, 'still running');
        assert.equal(await leases.acquire(ID, 'b', T + 1500, 1000), true, 'ran out');
        assert.equal(await leases.renew(ID, 'dead', T + 1600, 1000), false);
        assert.equal(await leases.renew(ID, 'b', T + 1600, 1000), true);
      } finally {
        await close();
      }
    });

    it('of holders racing for a free upload, exactly one gets it', async () => {
      const { leases, close } = await open();
      try {
        const got = await Promise.all(Array.from({ length: 8 }, (_, i) => leases.acquire(ID, `h${i}`, T, 1000)));
        assert.equal(got.filter(Boolean).length, 1);
      } finally {
        await close();
      }
    });
  });
}
