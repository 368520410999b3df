import type { RatchetTree } from 'ts-mls';
import type { Hash } from 'ts-mls/crypto/hash.js';
import { encode } from 'ts-mls/codec/tlsEncoder.js';
import { InternalError } from 'ts-mls/mlsError.js';
import { leafNodeHashInputEncoder, parentNodeHashInputEncoder } from 'ts-mls/treeHash.js';
import { isLeaf, left, nodeToLeafIndex, right, rootFromNodeWidth, type NodeIndex } from 'ts-mls/treemath.js';

/**
 * The subtree hash (RFC 9420 §7.8) of every node of the trees whose hash was computed here, by node
 * index. ts-mls changes a tree by copying the array and replacing the nodes that change, so a node
 * that is the same object at the same index as in a tree known here has the same subtree hash if its
 * children's are unchanged: the next tree hashes only the paths that changed (log n digests for a
 * commit's update path) instead of all 2n nodes. Held as long as the tree is (a GroupStates entry).
 */
const known = new WeakMap<RatchetTree, readonly (Uint8Array | undefined)[]>();

/**
 * ts-mls's `treeHashRoot(tree)`, byte for byte (same encoders, same recursion), reusing what is
 * known of `base`: a tree this tree was made from. Remembers this tree's subtree hashes.
 */
export async function treeHashFrom(tree: RatchetTree, h: Hash, base?: RatchetTree): Promise<Uint8Array> {
  const hashes = new Array<Uint8Array | undefined>(tree.length);
  const root = await subtreeHash(tree, rootFromNodeWidth(tree.length), h, hashes, knownOf(base));
  known.set(tree, hashes);
  return root;
}

/** Computes and remembers `tree`'s subtree hashes unless they are known (a state just decoded). */
export async function rememberTreeHashes(tree: RatchetTree, h: Hash): Promise<void> {
  if (!known.has(tree)) await treeHashFrom(tree, h);
}

/** ts-mls's `treeHash(tree, index)` (one subtree's hash), reusing what is known of `base`; remembers nothing. */
export function subtreeHashFrom(tree: RatchetTree, index: NodeIndex, h: Hash, base?: RatchetTree): Promise<Uint8Array> {
  return subtreeHash(tree, index, h, [], knownOf(base));
}

function knownOf(base: RatchetTree | undefined): Known | undefined {
  const hashes = base && known.get(base);
  return base && hashes && { tree: base, hashes };
}

interface Known {
  tree: RatchetTree;
  hashes: readonly (Uint8Array | undefined)[];
}

async function subtreeHash(tree: RatchetTree, i: NodeIndex, h: Hash, out: (Uint8Array | undefined)[], prev: Known | undefined): Promise<Uint8Array> {
  const node = tree[i];
  const reusable = prev !== undefined && i < prev.tree.length && prev.tree[i] === node;
  let hash: Uint8Array | undefined;
  if (isLeaf(i)) {
    if (node?.nodeType === 'parent') throw new InternalError('Somehow found parent node in leaf position');
    hash = reusable ? prev.hashes[i] : undefined;
    hash ??= await h.digest(encode(leafNodeHashInputEncoder)({ nodeType: 'leaf', leafIndex: nodeToLeafIndex(i), leafNode: node?.leaf }));
  } else {
    if (node?.nodeType === 'leaf') throw new InternalError('Somehow found leaf node in parent position');
    const leftHash = await subtreeHash(tree, left(i), h, out, prev);
    const rightHash = await subtreeHash(tree, right(i), h, out, prev);
    // Children's hashes reused (the same objects) and the same node: the same input as before.
    hash = reusable && prev.hashes[left(i)] === leftHash && prev.hashes[right(i)] === rightHash ? prev.hashes[i] : undefined;
    hash ??= await h.digest(encode(parentNodeHashInputEncoder)({ nodeType: 'parent', parentNode: node?.parent, leftHash, rightHash }));
  }
  if (i < out.length) out[i] = hash;
  return hash;
}
