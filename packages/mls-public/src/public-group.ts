import type { GroupContext, RatchetTree } from 'ts-mls';
import { optionalEncoder } from 'ts-mls/codec/optional.js';
import { decodeVarLenData, varLenDataEncoder, varLenTypeEncoder } from 'ts-mls/codec/variableLength.js';
import { mapDecoders } from 'ts-mls/codec/tlsDecoder.js';
import { contramapBufferEncoder, contramapBufferEncoders, encode, type BufferEncoder } from 'ts-mls/codec/tlsEncoder.js';
import { decodeGroupContext, groupContextEncoder } from 'ts-mls/groupContext.js';
import { decodeRatchetTree, nodeEncoder, stripBlankNodes, type Node } from 'ts-mls/ratchetTree.js';

/**
 * What anyone who sees a group's handshake messages can know of an epoch, with no secret: the
 * GroupContext (group id, epoch, tree hash, confirmed transcript hash, extensions), the ratchet tree
 * as public keys, credentials and signatures, and the epoch's confirmation tag (it enters the next
 * epoch's interim transcript hash). Enough to check the next commit's signature, proposals, update
 * path and tree, and to compute the next GroupContext; not enough to read or make anything.
 */
export interface PublicGroup {
  readonly groupContext: GroupContext;
  readonly tree: RatchetTree;
  readonly confirmationTag: Uint8Array;
}

/**
 * The encoding of each tree node object encoded here. ts-mls changes a tree by replacing the nodes
 * that change (a copied array, new node objects), so a node object's encoding never changes, and a
 * commit's next state re-encodes only the nodes the commit made: O(log n) nodes of an update path
 * instead of the whole tree. Public bytes; an entry lives as long as its node.
 */
const nodeEncodings = new WeakMap<Node, Uint8Array>();

const cachedNodeEncoder: BufferEncoder<Node> = (node) => {
  let bytes = nodeEncodings.get(node);
  if (bytes === undefined) nodeEncodings.set(node, (bytes = encode(nodeEncoder)(node)));
  const b = bytes;
  return [b.length, (offset, buffer) => new Uint8Array(buffer, offset, b.length).set(b)];
};

/** ts-mls's ratchetTreeEncoder (the same encoders in the same order), with each node's encoding reused. */
const ratchetTreeEncoder: BufferEncoder<RatchetTree> = contramapBufferEncoder(varLenTypeEncoder(optionalEncoder(cachedNodeEncoder)), stripBlankNodes);

const publicGroupEncoder = contramapBufferEncoders(
  [groupContextEncoder, varLenDataEncoder, ratchetTreeEncoder],
  (g: PublicGroup) => [g.groupContext, g.confirmationTag, g.tree] as const,
);

const decodePublicGroupTls = mapDecoders(
  [decodeGroupContext, decodeVarLenData, decodeRatchetTree],
  (groupContext, confirmationTag, tree): PublicGroup => ({ groupContext, confirmationTag, tree }),
);

/** TLS presentation: `GroupContext ‖ opaque confirmation_tag<V> ‖ optional<Node> ratchet_tree<V>`. */
export function encodePublicGroup(group: PublicGroup): Uint8Array {
  return encode(publicGroupEncoder)(group);
}

/** A ratchet tree as the `ratchet_tree` extension carries it (RFC 9420 §12.4.3.3): what a joiner passes to ts-mls's joinGroup. */
export function encodeRatchetTree(tree: RatchetTree): Uint8Array {
  return encode(ratchetTreeEncoder)(tree);
}

export function decodePublicGroup(bytes: Uint8Array): PublicGroup {
  const decoded = decodePublicGroupTls(bytes, 0);
  if (decoded === undefined || decoded[1] !== bytes.length) throw new Error('not an encoded public group state');
  return decoded[0];
}

/** Members in leaf order with their leaf index (blank leaves skipped). */
export function leaves(tree: RatchetTree): { leafIndex: number; node: Extract<RatchetTree[number], { nodeType: 'leaf' }> }[] {
  const out = [];
  for (let i = 0; i < tree.length; i += 2) {
    const node = tree[i];
    if (node?.nodeType === 'leaf') out.push({ leafIndex: i / 2, node });
  }
  return out;
}
