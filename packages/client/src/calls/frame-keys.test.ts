import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlsGroupSession } from '../mls/group-session.ts';
import { acceptCommit, addAndJoin, newDevice, utf8 } from '../mls/test-fixtures.ts';
import { mlsCallKeys, type CallExporter } from './call-keys.ts';
import { FRAME_KEY_GRACE_MS, FrameKeys, SFRAME_BASE_KEY_LABEL, indexBits, mlsKid, type CallEpochKey } from './frame-keys.ts';
import { SFrameError, decodeHeader, type SFrameErrorCode } from './sframe.ts';

/** What MlsCodec.exportForCall gives, straight from a session. */
async function epochKey(s: MlsGroupSession): Promise<CallEpochKey> {
  return { epoch: s.epoch, leafIndex: s.ownLeafIndex, leafCount: s.leafCount, baseKey: await s.exportSecret(SFRAME_BASE_KEY_LABEL, new Uint8Array(0), 16) };
}

async function rejectsWith(p: Promise<unknown>, code: SFrameErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof SFrameError && e.code === code, code);
}

/** Alice, Bob's phone and Carol in one group (real MLS: ts-mls). */
async function threeMembers() {
  const aliceDevice = await newDevice('alice');
  const alice = await MlsGroupSession.create(aliceDevice.identity, utf8('chat-1'));
  const [bob, carol] = await addAndJoin(alice, [], [await newDevice('bob'), await newDevice('carol')]);
  return { alice, bob: bob!, carol: carol! };
}

describe('R64 call frame keys from the chat\'s MLS group', () => {
  it('R64 KIDs: epoch low bits, then the sender index in S bits, then the context (RFC 9605 §5.2)', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 64, 65].map(indexBits), [0, 1, 2, 2, 3, 6, 7]);
    // The RFC's example, E = 4, S = 6: epoch 14, index 3 → 0x3e; epoch 16, index 2, context 3 → 0xc20.
    assert.equal(mlsKid(14n, 3, 64), 0x3en);
    assert.equal(mlsKid(17n, 51, 64), 0x331n);
    assert.equal(mlsKid(16n, 2, 64, 3n), 0xc20n);
  });

  it('R64 two devices of the group derive the same base key and hear each other; another epoch\'s key differs', async () => {
    const { alice, bob, carol } = await threeMembers();
    const [a, b] = [await epochKey(alice), await epochKey(bob)];
    assert.equal(a.epoch, b.epoch);
    assert.deepEqual(a.baseKey, b.baseKey, 'same exporter secret on both devices');
    assert.notEqual(a.leafIndex, b.leafIndex);
    const aliceKeys = new FrameKeys();
    const bobKeys = new FrameKeys();
    aliceKeys.setEpoch(a);
    bobKeys.setEpoch(b);
    const frame = utf8('opus frame 1');
    const ct = await aliceKeys.encrypt(frame);
    assert.notDeepEqual(ct.subarray(ct.length - frame.length - 16, ct.length - 16), frame, 'not in the clear');
    const got = await bobKeys.decrypt(ct);
    assert.deepEqual(got.plaintext, frame);
    assert.equal(got.senderIndex, alice.ownLeafIndex);
    assert.equal(got.epoch, alice.epoch);
    assert.deepEqual((await aliceKeys.decrypt(await bobKeys.encrypt(utf8('back')))).plaintext, utf8('back'));

    const { commit } = await carol.update();
    await acceptCommit(carol, commit, [alice, bob]);
    const next = await epochKey(alice);
    assert.equal(next.epoch, a.epoch + 1n);
    assert.notDeepEqual(next.baseKey, a.baseKey, 'a new epoch, a new base key');
    assert.deepEqual((await epochKey(carol)).baseKey, next.baseKey);
  });

  it('R64 rotation: the sender moves to the new epoch at once; receivers read the old one for the grace period only; a removed member reads nothing of the new epoch', async () => {
    const { alice, bob, carol } = await threeMembers();
    let now = 1_000_000;
    const clock = () => now;
    const [aliceKeys, bobKeys, carolKeys] = [new FrameKeys({ now: clock }), new FrameKeys({ now: clock }), new FrameKeys({ now: clock })];
    aliceKeys.setEpoch(await epochKey(alice));
    bobKeys.setEpoch(await epochKey(bob));
    carolKeys.setEpoch(await epochKey(carol));
    const oldFromBob = await bobKeys.encrypt(utf8('bob, before'));
    assert.deepEqual((await carolKeys.decrypt(await aliceKeys.encrypt(utf8('hi carol')))).plaintext, utf8('hi carol'));

    // Alice removes Carol: a new epoch Carol has no key for.
    const { commit } = await alice.removeMembers([{ userId: 'carol', deviceId: 'phone' }]);
    await acceptCommit(alice, commit, [bob]);
    aliceKeys.setEpoch(await epochKey(alice));
    const afterRemoval = await aliceKeys.encrypt(utf8('carol is gone'));
    assert.equal(decodeHeader(afterRemoval).kid & 0xfn, alice.epoch & 0xfn, 'sent in the new epoch at once');
    await rejectsWith(carolKeys.decrypt(afterRemoval), 'unknown_kid');
    await rejectsWith(bobKeys.decrypt(afterRemoval), 'unknown_kid'); // Bob has not applied the commit yet

    bobKeys.setEpoch(await epochKey(bob));
    assert.deepEqual((await bobKeys.decrypt(afterRemoval)).plaintext, utf8('carol is gone'));
    // A frame of the old epoch (Bob's, a moment late) still plays within the grace period…
    assert.deepEqual((await aliceKeys.decrypt(oldFromBob)).plaintext, utf8('bob, before'));
    const oldFromCarol = await carolKeys.encrypt(utf8('carol, still sending'));
    now += FRAME_KEY_GRACE_MS - 1;
    assert.deepEqual((await bobKeys.decrypt(oldFromCarol)).plaintext, utf8('carol, still sending'));
    // …and not after it.
    now += 2;
    await rejectsWith(bobKeys.decrypt(await carolKeys.encrypt(utf8('carol, later'))), 'unknown_kid');
  });

  it('R64 refused: a replayed frame, an echo of this device\'s own KID, an index beyond the group, a wrong base key; nothing is sent before a key', async () => {
    const { alice, bob } = await threeMembers();
    const [a, b] = [await epochKey(alice), await epochKey(bob)];
    const aliceKeys = new FrameKeys();
    const bobKeys = new FrameKeys();
    await rejectsWith(aliceKeys.encrypt(utf8('too early')), 'unknown_kid');
    aliceKeys.setEpoch(a);
    bobKeys.setEpoch(b);
    const ct = await aliceKeys.encrypt(utf8('once'));
    await bobKeys.decrypt(ct);
    await rejectsWith(bobKeys.decrypt(ct), 'replayed');
    await rejectsWith(aliceKeys.decrypt(ct), 'unknown_kid'); // its own frame coming back
    const [three, beyond] = [new FrameKeys(), new FrameKeys()];
    three.setEpoch({ ...a, leafIndex: 0, leafCount: 3 });
    beyond.setEpoch({ ...a, leafIndex: 3, leafCount: 3 }); // index 3 fits S = 2 bits but names no leaf
    await rejectsWith(three.decrypt(await beyond.encrypt(utf8('index 3'))), 'unknown_kid');
    const wrong = new FrameKeys();
    wrong.setEpoch({ ...b, baseKey: crypto.getRandomValues(new Uint8Array(16)) });
    await rejectsWith(wrong.decrypt(await aliceKeys.encrypt(utf8('secret'))), 'auth_failed');
  });

  it('R64 an epoch 16 later has the same low bits: it replaces the old one at once, grace or not (RFC 9605 §5.2)', async () => {
    const base = (n: number) => new Uint8Array(16).fill(n);
    const [sender, receiver] = [new FrameKeys(), new FrameKeys()];
    sender.setEpoch({ epoch: 1n, leafIndex: 0, leafCount: 2, baseKey: base(1) });
    receiver.setEpoch({ epoch: 1n, leafIndex: 1, leafCount: 2, baseKey: base(1) });
    const old = await sender.encrypt(utf8('epoch 1'));
    receiver.setEpoch({ epoch: 17n, leafIndex: 1, leafCount: 2, baseKey: base(17) });
    await rejectsWith(receiver.decrypt(old), 'auth_failed'); // its KID now names epoch 17's key
    sender.setEpoch({ epoch: 17n, leafIndex: 0, leafCount: 2, baseKey: base(17) });
    assert.deepEqual((await receiver.decrypt(await sender.encrypt(utf8('epoch 17')))).plaintext, utf8('epoch 17'));
    assert.equal(receiver.epoch, 17n);
  });

  it('R64 two calls in the same epoch never share a (KID, CTR): each picks its own context', async () => {
    const { alice } = await threeMembers();
    const k = await epochKey(alice);
    const first = new FrameKeys();
    const second = new FrameKeys();
    first.setEpoch(k);
    second.setEpoch(k);
    const [h1, h2] = [decodeHeader(await first.encrypt(utf8('x'))), decodeHeader(await second.encrypt(utf8('x')))];
    assert.equal(h1.ctr, h2.ctr);
    assert.notEqual(h1.kid, h2.kid);
  });

  it('R64 mlsCallKeys asks the exporter for "SFrame 1.0 Base Key" and AEAD.Nk bytes', async () => {
    const asked: [string, number][] = [];
    const mls: CallExporter = {
      exportForCall: async (_chatId, label, length) => {
        asked.push([label, length]);
        return { epoch: 3n, leafIndex: 1, leafCount: 2, secret: new Uint8Array(length) };
      },
    };
    const key = await mlsCallKeys(mls)('chat-1');
    assert.deepEqual(asked, [['SFrame 1.0 Base Key', 16]]);
    assert.equal(key?.baseKey.length, 16);
    await mlsCallKeys(mls, 'AES_256_GCM_SHA512_128')('chat-1');
    assert.deepEqual(asked[1], ['SFrame 1.0 Base Key', 32]);
  });
});
