import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ParleyError } from '@parley/protocol';
import type { AuthenticationService, GroupContext, LeafIndex, RatchetTree, UpdatePath } from 'ts-mls';
import { decodeRatchetTree, encodeRatchetTree } from 'ts-mls/ratchetTree.js';
import { treeHashRoot } from 'ts-mls/treeHash.js';
import { applyUpdatePath, decodeUpdatePath } from 'ts-mls/updatePath.js';
import { DEFAULT_CIPHERSUITE, loadPublicSuite } from './suite.ts';
import { applyPublicUpdatePath, checkRatchetTree } from './tree-checks.ts';
import { treeHashFrom } from './tree-hash.ts';

/**
 * The delivery service's tree checks (R35) against the MLS working group's published vectors
 * (mlswg/mls-implementations test-vectors, suite 1): every published tree and update path is
 * accepted and gives the published tree hash; each one changed in one place is refused.
 */
const dir = process.env.MLS_TEST_VECTORS_DIR;
const skip = dir === undefined || !existsSync(join(dir, 'tree-validation.json')) ? 'MLS_TEST_VECTORS_DIR not set to an mls-implementations test-vectors/ folder' : false;

type Hex = string;
const hex = (h: Hex): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): Hex => Buffer.from(b).toString('hex');

function vectors<T>(file: string): T[] {
  const all = JSON.parse(readFileSync(join(dir ?? '', file), 'utf8')) as (T & { cipher_suite: number })[];
  const chosen = all.filter((v) => v.cipher_suite === 1);
  assert.ok(chosen.length > 0, `${file}: no suite-1 vectors`);
  return chosen;
}

function decodeAll<T>(decode: (b: Uint8Array, offset: number) => [T, number] | undefined, h: Hex): T {
  const bytes = hex(h);
  const r = decode(bytes, 0);
  assert.ok(r && r[1] === bytes.length, 'decodes whole');
  return r[0];
}

/** The vectors' credentials are not Parley's `userId:deviceId`: here every credential is accepted; only the tree is checked. */
const anyCredential: AuthenticationService = { validateCredential: async () => true };
const noCredential: AuthenticationService = { validateCredential: async () => false };

async function refusedInvalid(p: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ParleyError && e.code === 'mls_commit_invalid', what);
}

const flipped = (b: Uint8Array, at = 0): Uint8Array => {
  const out = b.slice();
  out[at] = (out[at] ?? 0) ^ 1;
  return out;
};

describe('R35 tree checks against the MLS interop vectors (suite 1)', { skip }, () => {
  test('tree-validation: each published tree passes; a changed parent hash, leaf signature, tree hash or credential fails', async () => {
    type V = { tree: Hex; group_id: Hex };
    const cs = await loadPublicSuite(DEFAULT_CIPHERSUITE);
    let parents = 0;
    for (const [n, v] of vectors<V>('tree-validation.json').entries()) {
      const tree = decodeAll(decodeRatchetTree, v.tree);
      const gc: GroupContext = {
        version: 'mls10', cipherSuite: DEFAULT_CIPHERSUITE, groupId: hex(v.group_id), epoch: 0n,
        treeHash: await treeHashRoot(tree, cs.hash), confirmedTranscriptHash: new Uint8Array(), extensions: [],
      };
      await checkRatchetTree(tree, gc, anyCredential, cs);
      await refusedInvalid(checkRatchetTree(tree, { ...gc, treeHash: flipped(gc.treeHash) }, anyCredential, cs), `tree ${n}: another tree hash`);
      await refusedInvalid(checkRatchetTree(tree, gc, noCredential, cs), `tree ${n}: a refused credential`);
      const leafAt = tree.findIndex((x) => x?.nodeType === 'leaf');
      const leaf = tree[leafAt];
      assert.ok(leaf?.nodeType === 'leaf');
      const badSig: RatchetTree = tree.slice();
      badSig[leafAt] = { nodeType: 'leaf', leaf: { ...leaf.leaf, signature: flipped(leaf.leaf.signature) } };
      await refusedInvalid(checkRatchetTree(badSig, { ...gc, treeHash: await treeHashRoot(badSig, cs.hash) }, anyCredential, cs), `tree ${n}: leaf signature`);
      const parentAt = tree.findIndex((x) => x?.nodeType === 'parent' && x.parent.parentHash.length > 0);
      const parent = tree[parentAt];
      if (parent?.nodeType === 'parent') {
        parents++;
        const badParent: RatchetTree = tree.slice();
        badParent[parentAt] = { nodeType: 'parent', parent: { ...parent.parent, parentHash: flipped(parent.parent.parentHash) } };
        await refusedInvalid(checkRatchetTree(badParent, { ...gc, treeHash: await treeHashRoot(badParent, cs.hash) }, anyCredential, cs), `tree ${n}: parent hash`);
      }
    }
    assert.ok(parents > 0, 'some vectors have parent hashes to break');
  });

  test('treekem: each published update path applies to the public tree with the published tree hash; a missing ciphertext, a changed key or a short path fails', async () => {
    type V = { ratchet_tree: Hex; update_paths: { sender: number; update_path: Hex; tree_hash_after: Hex }[] };
    const cs = await loadPublicSuite(DEFAULT_CIPHERSUITE);
    const none = new Set<number>();
    let dropped = 0;
    for (const [n, v] of vectors<V>('treekem.json').entries()) {
      const tree = decodeAll(decodeRatchetTree, v.ratchet_tree);
      for (const up of v.update_paths) {
        const what = `tree ${n}, path from leaf ${up.sender}`;
        const sender = up.sender as LeafIndex;
        const path = decodeAll(decodeUpdatePath, up.update_path);
        await treeHashFrom(tree, cs.hash);
        const after = await applyPublicUpdatePath(tree, sender, path, none, cs);
        assert.equal(toHex(await treeHashRoot(after, cs.hash)), up.tree_hash_after, `${what}: tree_hash_after`);
        assert.equal(toHex(await treeHashFrom(after, cs.hash, tree)), up.tree_hash_after, `${what}: tree_hash_after, hashing only what the path changed`);
        assert.equal(toHex(encodeRatchetTree(after)), toHex(encodeRatchetTree(await applyUpdatePath(tree, sender, path, cs.hash))), `${what}: the tree ts-mls's applyUpdatePath makes`);
        const withNode = (i: number, node: UpdatePath['nodes'][number]): UpdatePath => ({ ...path, nodes: path.nodes.map((x, j) => (j === i ? node : x)) });
        const i = path.nodes.findIndex((x) => x.encryptedPathSecret.length > 0);
        if (i >= 0) {
          dropped++;
          const node = path.nodes[i]!;
          await refusedInvalid(applyPublicUpdatePath(tree, sender, withNode(i, { ...node, encryptedPathSecret: node.encryptedPathSecret.slice(1) }), none, cs), `${what}: a ciphertext dropped`);
          await refusedInvalid(applyPublicUpdatePath(tree, sender, withNode(i, { ...node, hpkePublicKey: flipped(node.hpkePublicKey) }), none, cs), `${what}: a changed public key`);
        }
        if (path.nodes.length > 0) {
          await refusedInvalid(applyPublicUpdatePath(tree, sender, { ...path, nodes: path.nodes.slice(1) }, none, cs), `${what}: a short path`);
        }
      }
    }
    assert.ok(dropped > 0, 'some paths have ciphertexts to drop');
  });
});
