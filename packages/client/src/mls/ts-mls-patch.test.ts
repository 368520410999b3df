import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeRatchetTree, encodeRatchetTree, type RatchetTree } from 'ts-mls/ratchetTree.js';
import { MlsGroupSession } from './group-session.ts';
import { decodeSession } from './session-codec.ts';
import { addAndJoin, newDevice } from './test-fixtures.ts';

// patches/ts-mls+1.6.4.patch (applied by patch-package at npm install) makes ts-mls's vector encoder
// iterative. Unpatched, it recursed once per element and threw RangeError (stack overflow) for a
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
});
