import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MlsGroupSession } from './group-session.ts';
import { addAndJoin, assertRoundTrip, newDevice, rejectsWith, text, utf8 } from './test-fixtures.ts';

/**
 * The delivery service's one job in RFC 9420 §14: accept exactly one commit per epoch, first come
 * first served, and hand every member the accepted commits in order.
 */
class OrderingDeliveryService {
  epoch: bigint;
  readonly log: Uint8Array[] = [];
  constructor(epoch: bigint) {
    this.epoch = epoch;
  }
  submitCommit(forEpoch: bigint, commit: Uint8Array): boolean {
    if (forEpoch !== this.epoch) return false;
    this.log.push(commit);
    this.epoch += 1n;
    return true;
  }
}

describe('concurrent commits in one epoch', () => {
  test('the first accepted commit wins; the loser discards, follows, re-proposes; all converge', async () => {
    const [alice, bob, carol, dave] = await Promise.all([newDevice('alice'), newDevice('bob'), newDevice('carol'), newDevice('dave')]);
    const a = await MlsGroupSession.create(alice.identity, utf8('race'));
    const [b, c] = await addAndJoin(a, [], [bob, carol]);
    assert.ok(b && c);
    const ds = new OrderingDeliveryService(a.epoch);
    const epochN = a.epoch;

    // Both commit in epoch N. Alice reaches the delivery service first.
    const aliceCommit = (await a.update()).commit;
    const bobCommit = await b.addMembers([dave.keyPackages[0]!.keyPackage]);
    assert.equal(ds.submitCommit(epochN, aliceCommit), true);
    assert.equal(ds.submitCommit(epochN, bobCommit.commit), false, 'second commit for epoch N is refused');

    // Bob sent a message in epoch N before learning he lost; it is sequenced after Alice's commit.
    const lateFromBob = await b.encrypt(utf8('sent during the race'));

    const outcomes = [];
    for (const s of [a, b, c]) outcomes.push(await s.processHandshake(aliceCommit));
    assert.deepEqual(outcomes.map((o) => [o.committer, o.discardedPendingCommit]), [['own', false], ['member', true], ['member', false]]);
    assert.equal(b.hasPendingCommit, false);
    for (const s of [a, b, c]) assert.equal(s.epoch, epochN + 1n);
    // Had the refused commit been relayed anyway, members would reject it.
    await rejectsWith(c.processHandshake(bobCommit.commit), 'mls_wrong_epoch');
    // The late message from epoch N still reads (retainedEpochs defaults to 1).
    for (const s of [a, c]) assert.equal(text((await s.decrypt(lateFromBob)).plaintext), 'sent during the race');

    // Bob re-proposes in the new epoch; this time he is first.
    const retry = await b.addMembers([dave.keyPackages[0]!.keyPackage]);
    assert.equal(ds.submitCommit(b.epoch, retry.commit), true);
    for (const s of [a, b, c]) await s.processHandshake(retry.commit);
    const { session: d } = await MlsGroupSession.join(dave.identity, retry.welcome, dave.keyPackages);
    // Only accepted commits are in the log; the losing commit's Welcome must never be delivered.
    assert.equal(ds.log.length, 2);

    for (const s of [a, b, c, d]) assert.equal(s.epoch, epochN + 2n);
    assert.deepEqual(d.members().map((m) => m.userId), ['alice', 'bob', 'carol', 'dave']);
    await assertRoundTrip(a, [b, c, d], 'from alice');
    await assertRoundTrip(b, [a, c, d], 'from bob');
    await assertRoundTrip(d, [a, b, c], 'from dave');
  });

  test('two members racing updates: the loser can still update afterwards', async () => {
    const [alice, bob] = await Promise.all([newDevice('alice'), newDevice('bob')]);
    const a = await MlsGroupSession.create(alice.identity, utf8('race-2'));
    const [b] = await addAndJoin(a, [], [bob]);
    assert.ok(b);
    const ds = new OrderingDeliveryService(a.epoch);
    const bobCommit = (await b.update()).commit;
    const aliceCommit = (await a.update()).commit;
    assert.equal(ds.submitCommit(b.epoch, bobCommit), true); // this time Bob wins
    assert.equal(ds.submitCommit(a.epoch, aliceCommit), false);
    assert.equal((await a.processHandshake(bobCommit)).discardedPendingCommit, true);
    assert.equal((await b.processHandshake(bobCommit)).committer, 'own');
    const again = (await a.update()).commit;
    assert.equal(ds.submitCommit(a.epoch, again), true);
    await a.processHandshake(again);
    await b.processHandshake(again);
    assert.equal(a.epoch, b.epoch);
    await assertRoundTrip(a, [b], 'converged');
    await assertRoundTrip(b, [a], 'converged back');
  });
});
