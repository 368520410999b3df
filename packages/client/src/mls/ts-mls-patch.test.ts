import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { decodeRatchetTree, encodeRatchetTree, type RatchetTree } from 'ts-mls/ratchetTree.js';
import { MlsGroupSession } from './group-session.ts';
import { decodeSession } from './session-codec.ts';
import { addAndJoin, newDevice } from './test-fixtures.ts';

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
});
