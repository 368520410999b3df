import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { decodeRatchetTree, encodeRatchetTree, type RatchetTree } from 'ts-mls/ratchetTree.js';
import { treeHashRoot } from 'ts-mls/treeHash.js';
import { DEFAULT_CIPHERSUITE, loadCiphersuite } from './ciphersuite.ts';
import { MlsGroupSession } from './group-session.ts';
import { decodeSession } from './session-codec.ts';
import { addAndJoin, assertRoundTrip, newDevice } from './test-fixtures.ts';

// patches/ts-mls+1.6.4.patch (applied by patch-package at npm install) makes ts-mls's vector encoder
// iterative, and its drop of an old epoch's secrets a loop (see the second test). Unpatched, it recursed once per element and threw RangeError (stack overflow) for a
// vector of ~6,000+ elements: the ratchet tree of a 5,000-member group has 9,999 nodes.
describe('ts-mls patch: vectors of any length encode', () => {
  test('a ratchet tree the size of a 6,000-member group (11,999 nodes) encodes and decodes back', async () => {
    const owner = await MlsGroupSession.create((await newDevice('owner')).identity, new TextEncoder().encode('big'));
    await addAndJoin(owner, [], [await newDevice('bob')]);
    const small = decodeSession(owner.serialize()).state.ratchetTree;
    const leaf = small.find((n) => n?.nodeType === 'leaf');
    assert.ok(leaf);
    // Structurally a full tree: leaves at even indices, blank parents (encoded as absent) between them.
    const nodes = 11_999;
    const tree: RatchetTree = Array.from({ length: nodes }, (_, i) => (i % 2 === 0 ? leaf : undefined));
    const bytes = encodeRatchetTree(tree);
    const decoded = decodeRatchetTree(bytes, 0);
    assert.ok(decoded);
    assert.equal(decoded[1], bytes.length);
    assert.deepEqual(decoded[0].slice(0, nodes).map((n) => n?.nodeType), tree.map((n) => n?.nodeType)); // the decoder pads to a full tree
    assert.equal(decoded[0].filter((n) => n?.nodeType === 'leaf').length, 6_000);
    assert.deepEqual(encodeRatchetTree(small), encodeRatchetTree(decodeRatchetTree(encodeRatchetTree(small), 0)![0]), 'small trees still round-trip byte for byte');
  });

  // A device that processed two commits since it opened a group drops the older epoch's secret tree:
  // ts-mls spread its ~4 values per node as call arguments, ~40,000 at 5,000 members, past what a
  // Chromium worker's stack holds (the web client's MLS worker failed every such commit,
  // bench/mls-main-thread.ts chromium). A Node worker with a small stack stands in for it.
  test('an old epoch of a 5,000-member group is dropped on a small stack (a web worker\'s)', async () => {
    const code = `
      const { parentPort } = require('node:worker_threads');
      import('ts-mls/clientState.js').then(({ addHistoricalReceiverData }) => {
        const secret = new Uint8Array(32);
        const node = () => ({ application: { secret, generation: 0, unusedGenerations: {} }, handshake: { secret, generation: 0, unusedGenerations: {} } });
        const tree = Array.from({ length: 10_199 }, node);
        const epoch = (n) => ({ secretTree: tree, ratchetTree: [], senderDataSecret: secret, groupContext: { epoch: n }, resumptionPsk: secret });
        const state = {
          historicalReceiverData: new Map([[1n, epoch(1n)]]), groupContext: { epoch: 2n }, secretTree: tree, ratchetTree: [],
          keySchedule: { senderDataSecret: secret, resumptionPsk: secret }, clientConfig: { keyRetentionConfig: { retainKeysForEpochs: 1 } },
        };
        const [kept] = addHistoricalReceiverData(state);
        parentPort.postMessage({ kept: [...kept.keys()].map(String) });
      }).catch((e) => parentPort.postMessage({ error: String(e) }));`;
    const worker = new Worker(code, { eval: true, resourceLimits: { stackSizeMb: 0.5 } });
    const answer = await new Promise<{ kept?: string[]; error?: string }>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
    await worker.terminate();
    assert.deepEqual(answer, { kept: ['2'] });
  });

  // Issue 12: every commit builds the next epoch's secret tree, and ts-mls derived handshake and
  // application ratchets at its parent nodes as well as its leaves, which nothing reads (RFC 9420
  // section 9 starts them at leaves). The patch derives leaves' ratchets only: a third less of the
  // commit's per-member key derivation, and a smaller stored state; the keys members use are the
  // same (interop-vectors.test.ts's secret-tree vectors).
  test('a commit derives message ratchets at leaves only, and members still read each other', async () => {
    const owner = await MlsGroupSession.create((await newDevice('owner')).identity, new TextEncoder().encode('ratchets'));
    const others = await addAndJoin(owner, [], await Promise.all(['bob', 'carol', 'dave', 'erin'].map((u) => newDevice(u))));
    for (const session of [owner, ...others]) {
      const tree = decodeSession(session.serialize()).state.secretTree;
      assert.deepEqual(tree.map((n, i) => (i % 2 === 0 ? 'leaf' : 'parent') + ':' + n!.handshake.secret.length + '/' + n!.application.secret.length),
        Array.from({ length: 15 }, (_, i) => (i % 2 === 0 ? 'leaf:32/32' : 'parent:0/0'))); // 5 members: a tree 8 leaves wide
    }
    await assertRoundTrip(owner, others, 'hello');
    await assertRoundTrip(others[3]!, [owner, ...others.slice(0, 3)], 'hi from erin');
  });

  // The patch remembers subtree hashes by the node objects they were made from (the tree is never
  // changed in place), so a commit no longer rehashes the whole tree two or three times. A changed or
  // blanked leaf must still change the hash, and a tree read back from bytes (all new objects) must
  // hash to the same value as the remembered one.
  test('tree hashes follow every change of the tree and match a tree read back from bytes', async () => {
    const { hash } = await loadCiphersuite(DEFAULT_CIPHERSUITE);
    const owner = await MlsGroupSession.create((await newDevice('owner')).identity, new TextEncoder().encode('hashes'));
    await addAndJoin(owner, [], await Promise.all(['bob', 'carol', 'dave', 'erin'].map((u) => newDevice(u))));
    const tree = decodeSession(owner.serialize()).state.ratchetTree;
    const fresh = async (t: RatchetTree) => Buffer.from(await treeHashRoot(decodeRatchetTree(encodeRatchetTree(t), 0)![0].slice(0, t.length), hash)).toString('hex');
    const hex = async (t: RatchetTree) => Buffer.from(await treeHashRoot(t, hash)).toString('hex');
    const before = await hex(tree);
    assert.equal(await hex(tree), before);
    assert.equal(before, await fresh(tree));
    const blanked = tree.slice();
    blanked[4] = undefined; // carol's leaf
    const swapped = tree.slice();
    swapped[4] = tree[6]; // dave's leaf object at carol's index
    const seen = new Set([before]);
    for (const t of [blanked, swapped, tree]) {
      const h = await hex(t);
      assert.equal(h, await fresh(t));
      if (t !== tree) { assert.ok(!seen.has(h)); seen.add(h); } else assert.equal(h, before);
    }
  });
});
