import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PQ_HYBRID_CIPHERSUITE } from './ciphersuite.ts';
import { MlsGroupSession } from './group-session.ts';
import { MlsIdentity } from './identity.ts';
import { decodeKeyPackage, generateKeyPackages, isLastResort } from './key-packages.ts';
import { acceptCommit, addAndJoin, assertRoundTrip, newDevice, rejectsWith, text, utf8 } from './test-fixtures.ts';

const chatId = utf8('chat-42');

describe('MlsIdentity and key packages', () => {
  test('identity survives toBytes/fromBytes and JSON', async () => {
    const id = await MlsIdentity.generate({ userId: 'u1', deviceId: 'laptop' });
    const back = MlsIdentity.fromBytes(id.toBytes());
    assert.deepEqual(back.toJSON(), id.toJSON());
    assert.deepEqual(MlsIdentity.fromJSON(JSON.parse(JSON.stringify(id))).toJSON(), id.toJSON());
    assert.equal(text((back.credential as { identity: Uint8Array }).identity), 'u1:laptop');
  });

  test('bad identities are refused with typed errors', async () => {
    await rejectsWith(MlsIdentity.generate({ userId: 'a:b', deviceId: 'd' }), 'mls_invalid_identity');
    assert.throws(() => MlsIdentity.fromJSON({ v: 1, userId: 'x' }), { code: 'mls_invalid_state' });
    assert.throws(() => MlsIdentity.fromBytes(utf8('not json')), { code: 'mls_invalid_state' });
  });

  test('generateKeyPackages: count, distinct refs, last-resort extension, shared signature key', async () => {
    const id = await MlsIdentity.generate({ userId: 'u1', deviceId: 'd1' });
    const kps = await generateKeyPackages(id, 3);
    const [lr] = await generateKeyPackages(id, 1, { lastResort: true });
    assert.equal(kps.length, 3);
    assert.equal(new Set(kps.map((k) => Buffer.from(k.ref).toString('hex'))).size, 3);
    assert.ok(kps.every((k) => !k.lastResort && !isLastResort(decodeKeyPackage(k.keyPackage))));
    assert.ok(lr !== undefined && lr.lastResort && isLastResort(decodeKeyPackage(lr.keyPackage)));
    for (const k of [...kps, lr]) assert.deepEqual(decodeKeyPackage(k.keyPackage).leafNode.signaturePublicKey, id.signaturePublicKey);
  });
});

describe('MlsGroupSession', () => {
  test('two devices: create, add, join, messages both ways', async () => {
    const alice = await newDevice('alice');
    const bob = await newDevice('bob');
    const a = await MlsGroupSession.create(alice.identity, chatId);
    assert.equal(a.epoch, 0n);
    const [b] = await addAndJoin(a, [], [bob]);
    assert.ok(b);
    assert.equal(a.epoch, 1n);
    assert.equal(b.epoch, 1n);
    assert.deepEqual(b.groupId, chatId);
    assert.deepEqual(b.members().map((m) => `${m.userId}:${m.deviceId}@${m.leafIndex}`), ['alice:phone@0', 'bob:phone@1']);
    const fromAlice = await b.decrypt(await a.encrypt(utf8('hello bob')));
    assert.equal(text(fromAlice.plaintext), 'hello bob');
    assert.deepEqual(fromAlice.sender, { userId: 'alice', deviceId: 'phone' });
    const fromBob = await a.decrypt(await b.encrypt(utf8('hi alice')));
    assert.equal(text(fromBob.plaintext), 'hi alice');
    assert.deepEqual(fromBob.sender, { userId: 'bob', deviceId: 'phone' });
  });

  test('three devices (two devices of one user): everyone reads everyone', async () => {
    const alice = await newDevice('alice');
    const bobPhone = await newDevice('bob', 'phone');
    const bobLaptop = await newDevice('bob', 'laptop');
    const a = await MlsGroupSession.create(alice.identity, chatId);
    const [b1, b2] = await addAndJoin(a, [], [bobPhone, bobLaptop]);
    assert.ok(b1 && b2);
    assert.equal(a.members().length, 3);
    await assertRoundTrip(a, [b1, b2], 'from alice');
    await assertRoundTrip(b1, [a, b2], 'from bob phone');
    await assertRoundTrip(b2, [a, b1], 'from bob laptop');
  });

  test('a new member cannot decrypt messages sent before it joined', async () => {
    const [alice, bob, carol] = await Promise.all([newDevice('alice'), newDevice('bob'), newDevice('carol')]);
    const a = await MlsGroupSession.create(alice.identity, chatId);
    const [b] = await addAndJoin(a, [], [bob]);
    assert.ok(b);
    const before = await a.encrypt(utf8('before carol'));
    assert.equal(text((await b.decrypt(before)).plaintext), 'before carol');
    const [c] = await addAndJoin(a, [b], [carol]);
    assert.ok(c);
    await rejectsWith(c.decrypt(before), 'mls_wrong_epoch');
    await assertRoundTrip(a, [b, c], 'after carol');
  });

  test('a removed member cannot decrypt messages sent after its removal', async () => {
    const [alice, bob, carol] = await Promise.all([newDevice('alice'), newDevice('bob'), newDevice('carol')]);
    const a = await MlsGroupSession.create(alice.identity, chatId);
    const [b, c] = await addAndJoin(a, [], [bob, carol]);
    assert.ok(b && c);
    const { commit } = await a.removeMembers([{ userId: 'carol', deviceId: 'phone' }]);
    await acceptCommit(a, commit, [b]);
    const outcome = await c.processHandshake(commit);
    assert.equal(outcome.removed, true);
    assert.equal(c.isActive, false);
    assert.deepEqual(a.members().map((m) => m.userId), ['alice', 'bob']);

    const after = await a.encrypt(utf8('carol is gone'));
    assert.equal(text((await b.decrypt(after)).plaintext), 'carol is gone');
    await rejectsWith(c.decrypt(after), 'mls_not_member');
    await rejectsWith(c.encrypt(utf8('still here?')), 'mls_not_member');
    // Carol is no longer a member anyone can name.
    await rejectsWith(a.removeMembers([{ userId: 'carol', deviceId: 'phone' }]), 'mls_not_member');
  });

  test('removed member state copied before the removal still cannot decrypt the next epoch', async () => {
    const [alice, bob] = await Promise.all([newDevice('alice'), newDevice('bob')]);
    const a = await MlsGroupSession.create(alice.identity, chatId);
    const [b] = await addAndJoin(a, [], [bob]);
    assert.ok(b);
    const bobSnapshot = await MlsGroupSession.deserialize(b.serialize());
    const { commit } = await a.removeMembers([{ userId: 'bob', deviceId: 'phone' }]);
    a.mergePendingCommit();
    await rejectsWith(bobSnapshot.decrypt(await a.encrypt(utf8('secret'))), 'mls_wrong_epoch');
    await b.processHandshake(commit);
    assert.equal(b.isActive, false);
  });

  test('update() advances the epoch for everyone and rotates the committer leaf key', async () => {
    const [alice, bob, carol] = await Promise.all([newDevice('alice'), newDevice('bob'), newDevice('carol')]);
    const a = await MlsGroupSession.create(alice.identity, chatId);
    const [b, c] = await addAndJoin(a, [], [bob, carol]);
    assert.ok(b && c);
    const epoch = a.epoch;
    const { commit } = await b.update();
    assert.equal(b.epoch, epoch, 'a pending commit does not move the epoch');
    await acceptCommit(b, commit, [a, c]);
    for (const s of [a, b, c]) assert.equal(s.epoch, epoch + 1n);
    await assertRoundTrip(b, [a, c], 'after update');
    await assertRoundTrip(c, [a, b], 'and back');
  });

  test('state survives serialize → deserialize, including a pending commit', async () => {
    const [alice, bob] = await Promise.all([newDevice('alice'), newDevice('bob')]);
    const a0 = await MlsGroupSession.create(alice.identity, chatId);
    const [b0] = await addAndJoin(a0, [], [bob]);
    assert.ok(b0);
    await assertRoundTrip(a0, [b0], 'before restart');
    let a = await MlsGroupSession.deserialize(a0.serialize());
    const b = await MlsGroupSession.deserialize(b0.serialize());
    assert.equal(a.epoch, a0.epoch);
    assert.deepEqual(a.members(), a0.members());
    await assertRoundTrip(a, [b], 'after restart');
    await assertRoundTrip(b, [a], 'and back');

    const { commit } = await a.update();
    a = await MlsGroupSession.deserialize(a.serialize());
    assert.equal(a.hasPendingCommit, true);
    assert.equal((await a.processHandshake(commit)).committer, 'own');
    await b.processHandshake(commit);
    assert.equal(a.epoch, b.epoch);
    await assertRoundTrip(b, [a], 'after restarted commit');
    await rejectsWith(MlsGroupSession.deserialize(utf8('garbage')), 'mls_invalid_state');
  });

  test('join refuses a Welcome made for someone else', async () => {
    const [alice, bob, eve] = await Promise.all([newDevice('alice'), newDevice('bob'), newDevice('eve')]);
    const a = await MlsGroupSession.create(alice.identity, chatId);
    const { welcome } = await a.addMembers([bob.keyPackages[0]!.keyPackage]);
    await rejectsWith(MlsGroupSession.join(eve.identity, welcome, eve.keyPackages), 'mls_welcome_not_for_us');
    await rejectsWith(a.update(), 'mls_pending_commit');
    a.discardPendingCommit();
    assert.throws(() => a.mergePendingCommit(), { code: 'mls_no_pending_commit' });
    assert.equal(a.epoch, 0n);
  });

  test('a last-resort key package can be used by two groups', async () => {
    const [alice, bob] = await Promise.all([newDevice('alice'), newDevice('bob')]);
    const [lr] = await generateKeyPackages(bob.identity, 1, { lastResort: true });
    assert.ok(lr);
    const sessions = [];
    for (const g of ['g1', 'g2']) {
      const a = await MlsGroupSession.create(alice.identity, utf8(g));
      const [b] = await addAndJoin(a, [], [{ identity: bob.identity, keyPackages: [lr] }]);
      assert.ok(b);
      sessions.push([a, b] as const);
    }
    for (const [a, b] of sessions) await assertRoundTrip(a, [b], 'via last resort');
  });

  test('post-quantum hybrid suite (X-Wing) works end to end', async () => {
    const alice = await newDevice('alice', 'phone', PQ_HYBRID_CIPHERSUITE);
    const bob = await newDevice('bob', 'phone', PQ_HYBRID_CIPHERSUITE);
    const a = await MlsGroupSession.create(alice.identity, chatId);
    const [b] = await addAndJoin(a, [], [bob]);
    assert.ok(b);
    await assertRoundTrip(a, [b], 'quantum-safe hello');
    const { commit } = await b.update();
    await acceptCommit(b, commit, [a]);
    await assertRoundTrip(a, [b], 'after pq update');
    // A suite-1 key package cannot be added to a PQ group.
    const carol = await newDevice('carol');
    await rejectsWith(a.addMembers([carol.keyPackages[0]!.keyPackage]), 'mls_invalid_key_package');
    assert.equal(a.hasPendingCommit, false);
  });
});

describe('R35b a Welcome without the ratchet tree', () => {
  test('past welcomeTreeMaxBytes the Welcome leaves the tree out: the joiner needs it, joins with the right one, and refuses an altered one', async () => {
    const [owner, bob] = [await newDevice('owner'), await newDevice('bob')];
    const small = await MlsGroupSession.create(owner.identity, chatId);
    const inline = await small.addMembers([bob.keyPackages[0]!.keyPackage]);
    const big = await MlsGroupSession.create(owner.identity, chatId, { welcomeTreeMaxBytes: 0 });
    const made = await big.addMembers([bob.keyPackages[0]!.keyPackage]);
    assert.ok(made.welcome.length < inline.welcome!.length, `${made.welcome.length} < ${inline.welcome!.length}: no tree inside`);
    big.mergePendingCommit();
    await rejectsWith(MlsGroupSession.join(bob.identity, made.welcome, bob.keyPackages), 'mls_tree_missing');
    const tree = big.ratchetTreeBytes();
    // One byte of the last leaf's signature changed: the tree hash the GroupInfo carries no longer matches.
    const altered = tree.slice();
    altered[altered.length - 5]! ^= 1;
    await assert.rejects(MlsGroupSession.join(bob.identity, made.welcome, bob.keyPackages, {}, altered));
    const { session } = await MlsGroupSession.join(bob.identity, made.welcome, bob.keyPackages, {}, tree);
    assert.deepEqual(session.members().map((m) => m.userId).sort(), ['bob', 'owner']);
    await assertRoundTrip(big, [session], 'a tree from the delivery service, checked by its hash');
  });
});

