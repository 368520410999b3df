import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERRORS } from '@tus/utils';
import { MemoryBus } from '../bus/memory-bus.ts';
import { MemoryUploadLeases } from './upload-leases.ts';
import { uploadLeasesSuite } from './upload-leases.suite.ts';
import { UploadLocker } from './upload-locker.ts';

uploadLeasesSuite('MemoryUploadLeases', async () => ({ leases: new MemoryUploadLeases(), close: async () => {} }));

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const never = new AbortController().signal;

describe('UploadLocker (tus lock across nodes)', () => {
  it('a second request asks the holder, on whichever node, to let go, and gets the lock once it has', async () => {
    const leases = new MemoryUploadLeases();
    const bus = new MemoryBus();
    // Two nodes: their own lockers, the leases and the bus shared as in a cluster.
    const node1 = new UploadLocker({ leases, bus, retryMs: 5 });
    const node2 = new UploadLocker({ leases, bus, retryMs: 5 });
    const first = node1.newLock(ID);
    let asked = 0;
    await first.lock(never, async () => {
      asked++;
      await first.unlock();
    });
    const second = node2.newLock(ID);
    await second.lock(never, () => {});
    assert.equal(asked, 1, 'the first holder was asked once');
    assert.equal(await leases.acquire(ID, 'third', Date.now(), 1000), false, 'the second holds it now');
    await second.unlock();
    assert.equal(await leases.acquire(ID, 'third', Date.now(), 1000), true, 'and let go');
  });

  it('a holder that never lets go (a dead node) is outwaited by its lease; a waiter gives up at its timeout', async () => {
    const leases = new MemoryUploadLeases();
    const bus = new MemoryBus();
    let now = 1_000_000;
    assert.equal(await leases.acquire(ID, 'dead node', now, 50), true);
    const patient = new UploadLocker({ leases, bus, retryMs: 5, clock: () => (now += 5), acquireTimeoutMs: 1000 });
    await patient.newLock(ID).lock(never, () => {});

    const leases2 = new MemoryUploadLeases();
    await leases2.acquire(ID, 'dead node', Date.now(), 60_000);
    const hasty = new UploadLocker({ leases: leases2, bus: new MemoryBus(), retryMs: 5, acquireTimeoutMs: 30 });
    await assert.rejects(hasty.newLock(ID).lock(never, () => {}), (err) => err === ERRORS.ERR_LOCK_TIMEOUT);
  });

  it('renews while held, and a holder whose lease was lost is asked to stop', async () => {
    const leases = new MemoryUploadLeases();
    let lost = false;
    // The store says the lease is gone (this process stalled past it and another node took it).
    const flaky = { acquire: leases.acquire.bind(leases), release: leases.release.bind(leases),
      renew: async (...a: Parameters<MemoryUploadLeases['renew']>) => !lost && leases.renew(...a) };
    const lock = new UploadLocker({ leases: flaky, bus: new MemoryBus(), leaseMs: 150 }).newLock(ID);
    let stopped = 0;
    await lock.lock(never, () => { stopped++; });
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await leases.acquire(ID, 'other', Date.now(), 1000), false, 'still held after two lease lengths: renewed');
    assert.equal(stopped, 0);
    lost = true;
    await new Promise((r) => setTimeout(r, 150));
    assert.ok(stopped >= 1, 'asked to stop writing');
    await lock.unlock();
  });
});
