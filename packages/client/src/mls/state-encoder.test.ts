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
import { utf8 } from './test-fixtures.ts';

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
