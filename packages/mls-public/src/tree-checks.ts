import type { AuthenticationService, CiphersuiteImpl, GroupContext, LeafIndex, RatchetTree, UpdatePath } from 'ts-mls';
import { verifyLeafNodeSignature, verifyLeafNodeSignatureKeyPackage } from 'ts-mls/leafNode.js';
import type { Hash } from 'ts-mls/crypto/hash.js';
import { encode } from 'ts-mls/codec/tlsEncoder.js';
import { InternalError, ValidationError } from 'ts-mls/mlsError.js';
import { parentHashInputEncoder, verifyParentHashes } from 'ts-mls/parentHash.js';
import { filteredDirectPath, filteredDirectPathAndCopathResolution, findFirstNonBlankAncestor } from 'ts-mls/ratchetTree.js';
import { directPath, isAncestor, isLeaf, left, leafToNodeIndex, leafWidth, nodeToLeafIndex, right, root, toLeafIndex, toNodeIndex, type NodeIndex } from 'ts-mls/treemath.js';
import { constantTimeEqual } from 'ts-mls/util/constantTimeCompare.js';
import { KeySet } from './key-set.ts';
import { subtreeHashFrom, treeHashFrom } from './tree-hash.ts';
import { invalid, mls } from './refusal.ts';

/** No two nodes share an HPKE key and no two leaves a signature key (RFC 9420 §7.9). */
export function keysUnique(tree: RatchetTree): boolean {
  const hpke = new KeySet();
  const sig = new KeySet();
  for (const node of tree) {
    if (node === undefined) continue;
    if (!hpke.add(node.nodeType === 'leaf' ? node.leaf.hpkePublicKey : node.parent.hpkePublicKey)) return false;
    if (node.nodeType === 'leaf' && !sig.add(node.leaf.signaturePublicKey)) return false;
  }
  return true;
}

/**
 * A committer's UpdatePath applied to the public tree (`tree`: after the commit's proposals): one
 * node per node of its filtered direct path, each encrypting the path secret once to every node of
 * the copath child's resolution except the leaves the commit adds (they get it in the Welcome), new
 * public keys, and the new leaf's parent hash matching the tree. The ciphertexts themselves only
 * their recipients can open. `base`: a tree whose hashes are known (tree-hash.ts), `tree` made from it.
 */
export async function applyPublicUpdatePath(
  tree: RatchetTree, committer: LeafIndex, path: UpdatePath, addedLeafNodes: ReadonlySet<number>, cs: CiphersuiteImpl, base?: RatchetTree,
): Promise<RatchetTree> {
  const fdp = filteredDirectPathAndCopathResolution(committer, tree);
  if (fdp.length !== path.nodes.length) invalid('the update path does not match the committer\'s filtered direct path');
  fdp.forEach(({ resolution }, i) => {
    const expected = resolution.filter((n) => !addedLeafNodes.has(n)).length;
    if (path.nodes[i]?.encryptedPathSecret.length !== expected) invalid('the update path does not encrypt to each copath resolution node once');
  });
  return mls('update path', () => applyUpdatePath(tree, committer, path, cs.hash, base ?? tree));
}

/**
 * ts-mls 1.6.4's `applyUpdatePath` (updatePath.js) for a member's commit: the same checks in the same
 * order with the same errors, and the same tree. Two differences in cost only: the path's keys are
 * looked up in a set of the tree's parent keys (not compared with every node, per path node), and each
 * original sibling tree hash reuses the subtree hashes known of `base` (ts-mls hashes the whole
 * sibling subtree again at each level: O(n) digests per commit).
 */
async function applyUpdatePath(tree: RatchetTree, sender: LeafIndex, path: UpdatePath, h: Hash, base: RatchetTree): Promise<RatchetTree> {
  const leafToUpdate = tree[leafToNodeIndex(sender)];
  if (leafToUpdate === undefined || leafToUpdate.nodeType === 'parent') throw new InternalError('Leaf node not defined or is parent');
  if (constantTimeEqual(leafToUpdate.leaf.hpkePublicKey, path.leafNode.hpkePublicKey)) {
    throw new ValidationError('Public key in the LeafNode is the same as the committer\'s current leaf node');
  }
  const parentKeys = new KeySet();
  for (const node of tree) if (node?.nodeType === 'parent') parentKeys.add(node.parent.hpkePublicKey);
  if (path.nodes.some((node) => parentKeys.has(node.hpkePublicKey))) {
    throw new ValidationError('Public keys in the UpdatePath may not appear in a node of the new ratchet tree');
  }
  const copy = tree.slice();
  copy[leafToNodeIndex(sender)] = { nodeType: 'leaf', leaf: path.leafNode };
  const reverseFilteredDirectPath = filteredDirectPath(sender, tree).reverse();
  for (const nodeIndex of directPath(leafToNodeIndex(sender), leafWidth(copy.length))) copy[nodeIndex] = undefined;
  const reverseUpdatePath = path.nodes.slice().reverse();
  if (reverseUpdatePath.length !== reverseFilteredDirectPath.length) throw new ValidationError('Invalid length of UpdatePath');
  for (const [level, nodeIndex] of reverseFilteredDirectPath.entries()) {
    const parentHash = await calculateParentHash(copy, nodeIndex, h, base);
    copy[nodeIndex] = { nodeType: 'parent', parent: { hpkePublicKey: reverseUpdatePath[level]!.hpkePublicKey, unmergedLeaves: [], parentHash } };
  }
  const leafParentHash = await calculateParentHash(copy, leafToNodeIndex(sender), h, base);
  if (!constantTimeEqual(leafParentHash, path.leafNode.parentHash)) throw new ValidationError('Parent hash did not match the UpdatePath');
  return copy;
}

/**
 * ts-mls's `calculateParentHash(tree, nodeIndex)` (parentHash.js) where applyUpdatePath calls it: the
 * nearest non-blank ancestor is a node this path just set, whose unmerged leaves are none, so the
 * "original" sibling tree is the tree itself (ts-mls's removeLeaves of no leaves copies every parent
 * node and condenses the tree; neither changes a subtree hash).
 */
async function calculateParentHash(tree: RatchetTree, nodeIndex: NodeIndex, h: Hash, base: RatchetTree): Promise<Uint8Array> {
  const rootIndex = root(leafWidth(tree.length));
  if (nodeIndex === rootIndex) return new Uint8Array();
  const parentNodeIndex = findFirstNonBlankAncestor(tree, nodeIndex);
  const parentNode = tree[parentNodeIndex];
  if (parentNodeIndex === rootIndex && parentNode === undefined) return new Uint8Array();
  const siblingIndex = nodeIndex < parentNodeIndex ? right(parentNodeIndex) : left(parentNodeIndex);
  if (parentNode === undefined || parentNode.nodeType === 'leaf') throw new InternalError('Expected non-blank parent Node');
  if (parentNode.parent.unmergedLeaves.length > 0) throw new InternalError('A path node with unmerged leaves');
  const originalSiblingTreeHash = await subtreeHashFrom(tree, siblingIndex, h, base);
  return h.digest(encode(parentHashInputEncoder)({ encryptionKey: parentNode.parent.hpkePublicKey, parentHash: parentNode.parent.parentHash, originalSiblingTreeHash }));
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
  const hash = await treeHashFrom(tree, cs.hash);
  if (hash.length !== gc.treeHash.length || !hash.every((x, j) => x === gc.treeHash[j])) invalid('ratchet tree: its hash is not the one the GroupContext names');
}
