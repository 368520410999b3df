import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createCommit, encodeMlsMessage, type GroupState, type Proposal } from 'ts-mls';
import { contramapBufferEncoders, encode } from 'ts-mls/codec/tlsEncoder.js';
import { bigintMapEncoder, varLenDataEncoder, varLenTypeEncoder } from 'ts-mls/codec/variableLength.js';
import type { EpochReceiverData } from 'ts-mls/epochReceiverData.js';
import { groupActiveStateEncoder } from 'ts-mls/groupActiveState.js';
import { groupContextEncoder } from 'ts-mls/groupContext.js';
import { keyScheduleEncoder } from 'ts-mls/keySchedule.js';
import { privateKeyPathEncoder } from 'ts-mls/privateKeyPath.js';
import { decodeRatchetTree, encodeRatchetTree, ratchetTreeEncoder, type RatchetTree } from 'ts-mls/ratchetTree.js';
import {
  createEagerSecretTree, createSecretTree, decodeSecretTree, deriveKey, deriveNonce, expandSecretTreeLeaf, secretTreeEncoder, secretTreeNodeEncoder,
  type SecretTree, type SecretTreeEntry, type SecretTreeNode,
} from 'ts-mls/secretTree.js';
import { treeHashRoot } from 'ts-mls/treeHash.js';
import { seedTreeHashes } from 'ts-mls/treeHashSeeds.js';
import { unappliedProposalsEncoder } from 'ts-mls/unappliedProposals.js';
import { DEFAULT_CIPHERSUITE, loadCiphersuite } from './ciphersuite.ts';
import { MlsGroupSession } from './group-session.ts';
import { decodeKeyPackage, generateKeyPackages } from './key-packages.ts';
import { clientConfig } from './session-options.ts';
import { decodeSession, encodeSession } from './session-codec.ts';
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

  // Issue 12: every commit and Welcome built the next epoch's whole secret tree (2N-1 expansions and
  // two ratchet roots per leaf: about half of a join's cost on every member's device at 5,000). The
  // patch keeps only the tree's root and derives a leaf along its path when its ratchets are first
  // needed (our own leaf when we send, the sender's when we read), keeping the siblings derived on
  // the way and deleting the parents it split (RFC 9420 section 9). Unpatched, every leaf's ratchets
  // were there from the start.
  test('a new epoch\'s secret tree is its root; a leaf is derived when it first sends, siblings kept, parents deleted', async () => {
    const owner = await MlsGroupSession.create((await newDevice('owner')).identity, new TextEncoder().encode('ratchets'));
    const others = await addAndJoin(owner, [], await Promise.all(['bob', 'carol', 'dave', 'erin'].map((u) => newDevice(u))));
    const held = (session: MlsGroupSession) => decodeSession(session.serialize()).state.secretTree
      .map((n, i) => (n === undefined ? undefined : `${i}:${n instanceof Uint8Array ? 'secret' : 'ratchets'}`)).filter((x) => x !== undefined);
    for (const session of [owner, ...others]) assert.deepEqual(held(session), ['7:secret']); // 5 members: 8 leaves wide, root 7
    await assertRoundTrip(owner, others, 'hello'); // leaf 0 (node 0) sends: its path 7 > 3 > 1 > 0
    for (const session of [owner, ...others]) assert.deepEqual(held(session), ['0:ratchets', '2:secret', '5:secret', '11:secret']);
    await assertRoundTrip(others[3]!, [owner, ...others.slice(0, 3)], 'hi from erin'); // leaf 4 (node 8): 11 > 9 > 8
    for (const session of [owner, ...others]) assert.deepEqual(held(session), ['0:ratchets', '2:secret', '5:secret', '8:ratchets', '10:secret', '13:secret']);
    await assertRoundTrip(others[0]!, [owner, ...others.slice(1)], 'and bob'); // leaf 1: its secret was kept at node 2
    assert.deepEqual(held(others[2]!), ['0:ratchets', '2:ratchets', '5:secret', '8:ratchets', '10:secret', '13:secret']);
    // A session read back from its bytes goes on from the same sparse tree.
    const carol = await MlsGroupSession.deserialize(others[1]!.serialize());
    await assertRoundTrip(others[2]!, [carol, owner], 'from dave');
    await assertRoundTrip(carol, [owner, ...others.filter((_, i) => i !== 1)], 'from carol');
  });

  test('every leaf\'s keys from the lazy tree, derived in any order, are the eager derivation\'s', async () => {
    const { kdf } = await loadCiphersuite(DEFAULT_CIPHERSUITE);
    const cs = await loadCiphersuite(DEFAULT_CIPHERSUITE);
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const keys = async (node: SecretTreeEntry | undefined) => {
      assert.ok(node && !(node instanceof Uint8Array));
      return [await deriveKey(node.handshake.secret, 0, cs), await deriveNonce(node.handshake.secret, 0, cs), await deriveKey(node.application.secret, 0, cs), await deriveNonce(node.application.secret, 0, cs)].map(hex);
    };
    for (const leaves of [1, 2, 8, 64, 512]) {
      const encryptionSecret = crypto.getRandomValues(new Uint8Array(32));
      const eager = await createEagerSecretTree(leaves, encryptionSecret, kdf);
      let lazy = await createSecretTree(leaves, encryptionSecret, kdf);
      encryptionSecret.fill(0); // as ts-mls does after making the tree: the lazy tree keeps its own copy
      const order = Array.from({ length: leaves }, (_, i) => i).sort(() => Math.random() - 0.5);
      const consumed: Uint8Array[] = [];
      for (const [n, leaf] of order.entries()) {
        const [next, used] = await expandSecretTreeLeaf(lazy, leaf * 2, kdf);
        consumed.push(...used);
        assert.deepEqual(await keys(next[leaf * 2]), await keys(eager[leaf * 2]), `${leaves} leaves: leaf ${leaf}`);
        assert.deepEqual((await expandSecretTreeLeaf(next, leaf * 2, kdf))[1], [], 'derived once');
        if (n === Math.floor(leaves / 2)) { // halfway: the sparse tree's bytes decode to the same tree
          const decoded = decodeSecretTree(encode(secretTreeEncoder)(next), 0);
          assert.ok(decoded);
          assert.deepEqual([...decoded[0]], [...next]); // holes and undefined alike
        }
        lazy = next;
      }
      // Every node's secret was consumed once (2N-1 nodes), none is left but the leaves' ratchets.
      assert.equal(consumed.length, 2 * leaves - 1);
      assert.ok(lazy.every((n, i) => (i % 2 === 0 ? n !== undefined && !(n instanceof Uint8Array) : n === undefined)));
    }
  });

  // Devices store their state (IndexedDB, SQLite) in the eager layout written before this patch: a
  // vector of every node of the tree, in the current epoch and the retained past one. It must still open.
  test('a state stored in the eager layout (before the lazy tree) opens and its keys still work', async () => {
    const { kdf } = await loadCiphersuite(DEFAULT_CIPHERSUITE);
    const owner = await MlsGroupSession.create((await newDevice('owner')).identity, new TextEncoder().encode('stored'));
    const [bob] = await addAndJoin(owner, [], [await newDevice('bob')]);
    assert.ok(bob);
    await assertRoundTrip(owner, [bob], 'in epoch 1');
    const late = await bob.encrypt(new TextEncoder().encode('sent in epoch 1, read in epoch 2'));
    const [carol] = await addAndJoin(owner, [bob], [await newDevice('carol')]);
    assert.ok(carol);
    await assertRoundTrip(bob, [owner, carol], 'in epoch 2');
    // What the eager version stored: every leaf's ratchets (as far as they had moved), a parent an
    // empty placeholder (a published ts-mls had ratchets there; either is read the same).
    const placeholder = { secret: new Uint8Array(0), generation: 0, unusedGenerations: {} };
    const eagerOf = async (tree: SecretTree): Promise<SecretTreeNode[]> => {
      for (let i = 0; i < tree.length; i += 2) [tree] = await expandSecretTreeLeaf(tree, i, kdf);
      return Array.from(tree, (n, i) => (i % 2 === 0 ? n as SecretTreeNode : { handshake: placeholder, application: placeholder }));
    };
    const eagerTree = varLenTypeEncoder(secretTreeNodeEncoder);
    const receiverData = contramapBufferEncoders(
      [varLenDataEncoder, eagerTree, ratchetTreeEncoder, varLenDataEncoder, groupContextEncoder],
      (d: EpochReceiverData & { eager: SecretTreeNode[] }) => [d.resumptionPsk, d.eager, d.ratchetTree, d.senderDataSecret, d.groupContext] as const,
    );
    const stateEncoder = contramapBufferEncoders(
      [groupContextEncoder, keyScheduleEncoder, eagerTree, ratchetTreeEncoder, privateKeyPathEncoder, varLenDataEncoder, unappliedProposalsEncoder, varLenDataEncoder, bigintMapEncoder(receiverData), groupActiveStateEncoder],
      (s: GroupState & { eager: SecretTreeNode[]; eagerPast: Map<bigint, EpochReceiverData & { eager: SecretTreeNode[] }> }) =>
        [s.groupContext, s.keySchedule, s.eager, s.ratchetTree, s.privatePath, s.signaturePrivateKey, s.unappliedProposals, s.confirmationTag, s.eagerPast, s.groupActiveState] as const,
    );
    const stored = decodeSession(owner.serialize());
    const eager = await eagerOf(stored.state.secretTree);
    const eagerPast = new Map<bigint, EpochReceiverData & { eager: SecretTreeNode[] }>();
    for (const [epoch, d] of stored.state.historicalReceiverData) eagerPast.set(epoch, { ...d, eager: await eagerOf(d.secretTree) });
    assert.equal(eagerPast.size, 1);
    const oldBytes = encodeSession(stored, (states) => states.map((s) => encode(stateEncoder)({ ...s, eager, eagerPast })));

    const read = decodeSession(oldBytes).state.secretTree;
    assert.equal(read.length, 7); // 3 members: 4 leaves wide
    assert.ok(read.every((n, i) => (i % 2 === 0 ? n !== undefined && !(n instanceof Uint8Array) : n === undefined)), 'leaves keep their ratchets, parents dropped');
    const reopened = await MlsGroupSession.deserialize(oldBytes);
    assert.equal(new TextDecoder().decode((await reopened.decrypt(late)).plaintext), 'sent in epoch 1, read in epoch 2'); // the past epoch's tree
    await assertRoundTrip(reopened, [bob, carol], 'after reopening');
    await assertRoundTrip(carol, [reopened], 'to the reopened device');
    const again = reopened.serialize();
    assert.ok(again.length < oldBytes.length, 'stored again, in the sparse layout');
    await assertRoundTrip(bob, [await MlsGroupSession.deserialize(again)], 'and once more');
  });

  // Issue 12: a state read from storage is all new objects, so the first commit after a read hashed
  // the whole ratchet tree again (~75% of a join on a stored state at 5,000 members). The session now
  // stores its larger subtrees' hashes with the state (an optional last part of the envelope) and
  // takes them back on reading: that commit hashes only around what it changed, to the same hash
  // (the commit's confirmation tag covers the tree hash: a wrong one fails processing).
  test('a state read back with its subtree hashes: the next commit hashes only what it changed', async () => {
    const cs = await loadCiphersuite(DEFAULT_CIPHERSUITE); // the sessions' (cached) suite
    const owner = await MlsGroupSession.create((await newDevice('owner')).identity, new TextEncoder().encode('hashes stored'));
    const others = await addAndJoin(owner, [], await Promise.all(Array.from({ length: 19 }, (_, i) => newDevice(`m${i}`))));
    const bytes = others[0]!.serialize();
    const stored = decodeSession(bytes);
    assert.equal(stored.state.ratchetTree.length, 63); // 20 members: 32 leaves wide
    assert.equal(stored.treeHashes?.length, 7 * 32, 'the 7 subtrees of 8 leaves or more, SHA-256');
    const without = encodeSession({ ...stored, treeHashes: undefined }); // as stored before this change
    assert.equal(decodeSession(without).treeHashes, undefined);
    // Stored hashes serve a later tree only where its nodes are the stored tree's: any change below a
    // subtree gives that subtree's true hash (a tree read from bytes: new objects, hashed from scratch).
    const tree = stored.state.ratchetTree;
    assert.ok(seedTreeHashes(tree, stored.treeHashes!, cs.hash));
    const fresh = async (t: RatchetTree) => Buffer.from(await treeHashRoot(decodeRatchetTree(encodeRatchetTree(t), 0)![0].slice(0, t.length), cs.hash)).toString('hex');
    const variants: RatchetTree[] = [tree, tree.slice(), tree.slice(), tree.slice(), tree.slice()];
    variants[2]![0] = undefined; // the first member's leaf blanked
    variants[3]![38] = undefined; // the last one's
    [variants[4]![10], variants[4]![12]] = [tree[12], tree[10]]; // two leaves swapped
    for (const [i, t] of variants.entries()) assert.equal(Buffer.from(await treeHashRoot(t, cs.hash)).toString('hex'), await fresh(t), `variant ${i}`);

    const { commit } = await owner.addMembers([(await newDevice('late')).keyPackages[0]!.keyPackage]);
    owner.mergePendingCommit();
    const digestsFor = async (session: Promise<MlsGroupSession>) => {
      const s = await session;
      const digest = cs.hash.digest;
      let n = 0;
      cs.hash.digest = (data) => { n++; return digest.call(cs.hash, data); };
      try {
        await s.processHandshake(commit);
      } finally {
        cs.hash.digest = digest;
      }
      await assertRoundTrip(owner, [s], `read back, ${n} digests`);
      return n;
    };
    const seeded = await digestsFor(MlsGroupSession.deserialize(bytes));
    const unseeded = await digestsFor(MlsGroupSession.deserialize(without));
    // Without them every member's leaf and every parent over one is hashed again (new objects: 20 + 19;
    // blank leaves' hashes are remembered by index); with them, the path of the added leaf and the
    // small subtrees beside it (here 15 digests with the commit's other hashes, against 46).
    assert.ok(unseeded >= 39, `without them, the members' part of the tree is hashed again: ${unseeded}`);
    assert.ok(seeded * 2 < unseeded, `with them, far fewer: ${seeded} against ${unseeded}`);
  });

  // Issue 12: a commit adding many devices checked each added key package against the whole tree
  // (the tree's keys rescanned per added leaf, and every leaf compared with every added key package):
  // two thirds of a 100-device add at 5,000 members. The patch scans the tree once per commit and
  // looks the adds up by signature key; the answers must be the same: several new devices go in,
  // and a device already in the group is refused among others, by the committer and by a member.
  test('a commit adding several devices: each checked against the tree once, a member already in the group refused', async () => {
    const owner = await MlsGroupSession.create((await newDevice('owner')).identity, new TextEncoder().encode('adds'));
    const bobDevice = await newDevice('bob');
    const others = await addAndJoin(owner, [], [bobDevice, await newDevice('carol')]);
    const more = await addAndJoin(owner, others, await Promise.all(['dave', 'erin', 'frank'].map((u) => newDevice(u))));
    await assertRoundTrip(more[2]!, [owner, ...others, ...more.slice(0, 2)], 'three joined at once');
    const [again] = await generateKeyPackages(bobDevice.identity, 1); // bob's signature key, a new key package
    assert.ok(again);
    const gina = await newDevice('gina');
    await assert.rejects(owner.addMembers([gina.keyPackages[0]!.keyPackage, again.keyPackage]), /already in the group/);
    assert.equal(owner.hasPendingCommit, false);
    // A member refuses such a commit too: made here by a committer that skips its own checks.
    const cs = await loadCiphersuite(DEFAULT_CIPHERSUITE);
    const state = decodeSession(owner.serialize()).state;
    const proposals = [gina.keyPackages[0]!.keyPackage, again.keyPackage].map((kp): Proposal => ({ proposalType: 'add', add: { keyPackage: decodeKeyPackage(kp) } }));
    const noChecks = { ...state, clientConfig: { ...clientConfig({}), keyPackageEqualityConfig: { compareKeyPackages: () => false, compareKeyPackageToLeafNode: () => false } } };
    const forged = await createCommit({ state: noChecks, cipherSuite: cs }, { extraProposals: proposals, wireAsPublicMessage: true });
    await assert.rejects(others[1]!.processHandshake(encodeMlsMessage(forged.commit)), /already in the group/);
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
