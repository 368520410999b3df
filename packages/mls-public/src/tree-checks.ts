import type { AuthenticationService, CiphersuiteImpl, GroupContext, LeafIndex, RatchetTree, UpdatePath } from 'ts-mls';
import { verifyLeafNodeSignature, verifyLeafNodeSignatureKeyPackage } from 'ts-mls/leafNode.js';
import { verifyParentHashes } from 'ts-mls/parentHash.js';
import { treeHashRoot } from 'ts-mls/treeHash.js';
import { directPath, isAncestor, isLeaf, leafToNodeIndex, leafWidth, nodeToLeafIndex, toLeafIndex, toNodeIndex } from 'ts-mls/treemath.js';
import { filteredDirectPathAndCopathResolution } from 'ts-mls/ratchetTree.js';
import { applyUpdatePath } from 'ts-mls/updatePath.js';
import { invalid, mls } from './refusal.ts';

/** No two nodes share an HPKE key and no two leaves a signature key (RFC 9420 §7.9). */
export function keysUnique(tree: RatchetTree): boolean {
  const hpke = new Set<string>();
  const sig = new Set<string>();
  for (const node of tree) {
    if (node === undefined) continue;
    const h = Buffer.from(node.nodeType === 'leaf' ? node.leaf.hpkePublicKey : node.parent.hpkePublicKey).toString('base64');
    if (hpke.has(h)) return false;
    hpke.add(h);
    if (node.nodeType === 'leaf') {
      const s = Buffer.from(node.leaf.signaturePublicKey).toString('base64');
      if (sig.has(s)) return false;
      sig.add(s);
    }
  }
  return true;
}

/**
 * A committer's UpdatePath applied to the public tree (`tree`: after the commit's proposals): one
 * node per node of its filtered direct path, each encrypting the path secret once to every node of
 * the copath child's resolution except the leaves the commit adds (they get it in the Welcome), new
 * public keys, and the new leaf's parent hash matching the tree. The ciphertexts themselves only
 * their recipients can open.
 */
export async function applyPublicUpdatePath(tree: RatchetTree, committer: LeafIndex, path: UpdatePath, addedLeafNodes: ReadonlySet<number>, cs: CiphersuiteImpl): Promise<RatchetTree> {
  const fdp = filteredDirectPathAndCopathResolution(committer, tree);
  if (fdp.length !== path.nodes.length) invalid('the update path does not match the committer\'s filtered direct path');
  fdp.forEach(({ resolution }, i) => {
    const expected = resolution.filter((n) => !addedLeafNodes.has(n)).length;
    if (path.nodes[i]?.encryptedPathSecret.length !== expected) invalid('the update path does not encrypt to each copath resolution node once');
  });
  return mls('update path', () => applyUpdatePath(tree, committer, path, cs.hash));
}

/**
 * A whole tree as a GroupInfo brings it (RFC 9420 §12.4.3.1): leaves at leaf positions and parents at
 * parent positions; every leaf's signature (a key package's, or an update/commit leaf's over the group
 * id and its index) and credential (`authenticate`); every unmerged leaf a non-blank descendant,
 * listed by each non-blank node between it and the parent that lists it; parent hashes; unique keys;
 * and the tree hash the GroupContext names. (ts-mls's own validateRatchetTree wants the unmerged
 * leaves of every node on the path to be equal, which refuses valid trees of the interop vectors.)
 */
export async function checkRatchetTree(tree: RatchetTree, gc: GroupContext, authenticate: AuthenticationService, cs: CiphersuiteImpl): Promise<void> {
  if (tree.length % 2 !== 1) invalid('ratchet tree: not a full binary tree');
  const width = leafWidth(tree.length);
  for (const [i, node] of tree.entries()) {
    if (node === undefined) continue;
    const index = toNodeIndex(i);
    if ((node.nodeType === 'leaf') !== isLeaf(index)) invalid('ratchet tree: a node in the wrong place');
    if (node.nodeType === 'leaf') {
      const leaf = node.leaf;
      const signed = leaf.leafNodeSource === 'key_package'
        ? await mls('leaf', () => verifyLeafNodeSignatureKeyPackage(leaf, cs.signature))
        : await mls('leaf', () => verifyLeafNodeSignature(leaf, gc.groupId, nodeToLeafIndex(index), cs.signature));
      if (!signed) invalid(`ratchet tree: leaf ${i / 2}'s signature does not verify`);
      if (!(await authenticate.validateCredential(leaf.credential, leaf.signaturePublicKey))) invalid(`ratchet tree: leaf ${i / 2}'s credential is not accepted`);
      continue;
    }
    for (const unmerged of node.parent.unmergedLeaves) {
      const leafNode = leafToNodeIndex(toLeafIndex(unmerged));
      if (tree[leafNode]?.nodeType !== 'leaf' || !isAncestor(leafNode, index, tree.length)) invalid('ratchet tree: an unmerged leaf that is not a non-blank descendant');
      for (const between of directPath(leafNode, width)) {
        if (between === index) break;
        const b = tree[between];
        if (b?.nodeType === 'parent' && !b.parent.unmergedLeaves.includes(unmerged)) invalid('ratchet tree: an unmerged leaf missing from a node below the one that lists it');
      }
    }
  }
  if (!(await mls('parent hashes', () => verifyParentHashes(tree, cs.hash)))) invalid('ratchet tree: parent hashes do not verify');
  if (!keysUnique(tree)) invalid('ratchet tree: a key appears twice');
  const hash = await treeHashRoot(tree, cs.hash);
  if (hash.length !== gc.treeHash.length || !hash.every((x, j) => x === gc.treeHash[j])) invalid('ratchet tree: its hash is not the one the GroupContext names');
}
