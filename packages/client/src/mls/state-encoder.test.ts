import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  acceptAll, createApplicationMessage, createCommit, createGroup, emptyPskIndex, encodeGroupState, joinGroup, processMessage,
  type ClientState, type Proposal,
} from 'ts-mls';
import { loadCiphersuite } from './ciphersuite.ts';
import { MlsIdentity } from './identity.ts';
import { decodeKeyPackage, decodePrivateKeys, generateKeyPackages } from './key-packages.ts';
import { clientConfig } from './session-options.ts';
import { StateEncoder } from './state-encoder.ts';
import { addAndJoin, assertRoundTrip, newDevice, utf8 } from './test-fixtures.ts';
import { GroupRecords } from '../e2ee/group-records.ts';
import { MemoryStore } from '../stores/memory-store.ts';
import { MlsGroupSession } from './group-session.ts';
import { decodeSession, encodeSession } from './session-codec.ts';

/** Each step's state, encoded by one long-lived StateEncoder, must be encodeGroupState's bytes exactly. */
function same(enc: StateEncoder, ...states: ClientState[]): void {
  const got = enc.encode(states);
  states.forEach((s, i) => assert.deepEqual(got[i], encodeGroupState(s)));
}

describe('StateEncoder', () => {
  test('gives encodeGroupState\'s bytes through create, add, join, messages, a pending commit, a commit and a late message', async () => {
    const config = clientConfig({});
    const people = await Promise.all(['alice', 'bob', 'carol'].map(async (userId) => {
      const identity = await MlsIdentity.generate({ userId, deviceId: 'phone' });
      const [kp] = await generateKeyPackages(identity, 1);
      assert.ok(kp);
      return { identity, kp, keyPackage: decodeKeyPackage(kp.keyPackage), privateKeys: decodePrivateKeys(kp.privateKeys, identity) };
    }));
    const [alice, bob, carol] = people;
    assert.ok(alice && bob && carol);
    const cs = await loadCiphersuite(alice.identity.ciphersuite);
    const aEnc = new StateEncoder();
    const bEnc = new StateEncoder();

    let a: ClientState = await createGroup(utf8('chat'), alice.keyPackage, alice.privateKeys, [], cs, config);
    same(aEnc, a);
    const adds = [bob, carol].map((p): Proposal => ({ proposalType: 'add', add: { keyPackage: p.keyPackage } }));
    const added = await createCommit({ state: a, cipherSuite: cs }, { extraProposals: adds, ratchetTreeExtension: true });
    same(aEnc, a, added.newState); // the current state with its pending commit's, as a session stores them
    a = added.newState;
    same(aEnc, a);
    assert.ok(added.welcome);
    let b = await joinGroup(added.welcome, bob.keyPackage, bob.privateKeys, emptyPskIndex, cs, undefined, undefined, config);
    same(bEnc, b);

    // Messages both ways: each replaces one secret-tree node.
    for (let i = 0; i < 4; i++) {
      const sent = await createApplicationMessage(a, utf8(`hello ${i}`), cs);
      a = sent.newState;
      same(aEnc, a);
      const got = await processMessage({ wireformat: 'mls_private_message', privateMessage: sent.privateMessage }, b, emptyPskIndex, acceptAll, cs);
      assert.equal(got.kind, 'applicationMessage');
      b = got.newState;
      same(bEnc, b);
    }

    // A message made just before a commit arrives after it: decrypted from the retained past epoch.
    const late = await createApplicationMessage(a, utf8('sent before the commit'), cs);
    a = late.newState;
    const update = await createCommit({ state: a, cipherSuite: cs }, {});
    a = update.newState;
    same(aEnc, a);
    const commit = update.commit;
    assert.ok(commit.wireformat === 'mls_private_message' || commit.wireformat === 'mls_public_message');
    const applied = await processMessage(commit, b, emptyPskIndex, acceptAll, cs);
    assert.equal(applied.kind, 'newState');
    b = applied.newState;
    same(bEnc, b);
    assert.equal(b.historicalReceiverData.size, 1);
    const old = await processMessage({ wireformat: 'mls_private_message', privateMessage: late.privateMessage }, b, emptyPskIndex, acceptAll, cs);
    assert.equal(old.kind, 'applicationMessage');
    b = old.newState;
    same(bEnc, b);
    same(new StateEncoder(), b); // and from a cold cache
  });
});

/** A MemoryStore that counts the bytes each putMlsGroup writes. */
class CountingStore extends MemoryStore {
  writes: { key: string; bytes: number }[] = [];
  override async putMlsGroup(chatId: string, state: Uint8Array): Promise<void> {
    this.writes.push({ key: chatId, bytes: state.length });
    await super.putMlsGroup(chatId, state);
  }
  take(): { key: string; bytes: number }[] {
    const w = this.writes;
    this.writes = [];
    return w;
  }
}

// Issue 12: a message sent or read in a big group wrote the whole state, ratchet tree included
// (~1.8 MB at 5,000 members); the trees now go to a record of their own, written once an epoch.
describe('the group state stored in two records', () => {
  test('a message writes only the small record; a commit writes the trees again; the state read back continues the group', async () => {
    const owner = await newDevice('owner');
    const alice = await MlsGroupSession.create(owner.identity, utf8('chat_split'));
    const others = await addAndJoin(alice, [], await Promise.all(Array.from({ length: 30 }, (_, i) => newDevice(`u${i}`))));
    const bob = others[0]!;
    const store = new CountingStore();
    const records = new GroupRecords(store);
    await records.put('chat_split', bob.serialize());
    const first = store.take();
    assert.deepEqual(first.map((w) => w.key), ['chat_split\u0000mls-trees-0', 'chat_split'], 'the trees, then the record naming them');
    const treesBytes = first[0]!.bytes;

    // Messages both ways: each writes the chat's record alone, a small part of the state.
    for (let i = 0; i < 3; i++) {
      await assertRoundTrip(alice, [bob], `to bob ${i}`);
      await records.put('chat_split', bob.serialize());
      await assertRoundTrip(bob, [alice], `from bob ${i}`);
      await records.put('chat_split', bob.serialize());
    }
    const perMessage = store.take();
    assert.equal(perMessage.length, 6);
    assert.ok(perMessage.every((w) => w.key === 'chat_split' && w.bytes * 4 < treesBytes), `a message writes ${perMessage.map((w) => w.bytes).join(', ')} bytes, the trees are ${treesBytes}`);

    // Read back from the two records (another run of the app): it reads and sends.
    let reopened = await MlsGroupSession.deserialize((await new GroupRecords(store).get('chat_split'))!);
    await assertRoundTrip(alice, [reopened], 'to the reopened bob');
    await assertRoundTrip(reopened, [alice, ...others.slice(1)], 'from the reopened bob');
    const after = new GroupRecords(store);
    await after.get('chat_split');
    await after.put('chat_split', reopened.serialize());
    assert.deepEqual(store.take().map((w) => w.key), ['chat_split'], 'the trees read back are not written again');

    // A commit (a member leaves): the new trees go to the other slot, then the record names them.
    const { commit } = await alice.removeMembers([{ userId: 'u5', deviceId: 'phone' }]);
    alice.mergePendingCommit();
    await reopened.processHandshake(commit);
    await after.put('chat_split', reopened.serialize());
    assert.deepEqual(store.take().map((w) => w.key), ['chat_split\u0000mls-trees-1', 'chat_split']);
    reopened = await MlsGroupSession.deserialize((await new GroupRecords(store).get('chat_split'))!);
    await assertRoundTrip(alice, [reopened], 'after the commit, to bob read back');
    await assertRoundTrip(reopened, [alice], 'after the commit, from bob read back');

    // A state stored in one record (version 1, before the split) still reads, and is written split.
    await store.putMlsGroup('chat_old', encodeSession(decodeSession(reopened.serialize())));
    store.take();
    const old = new GroupRecords(store);
    const fromOld = await MlsGroupSession.deserialize((await old.get('chat_old'))!);
    await assertRoundTrip(alice, [fromOld], 'to bob read from one record');
    await old.put('chat_old', fromOld.serialize());
    assert.deepEqual(store.take().map((w) => w.key), ['chat_old\u0000mls-trees-0', 'chat_old']);
  });
});
