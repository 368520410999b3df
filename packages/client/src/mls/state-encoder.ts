import type { GroupState } from 'ts-mls';
import { optionalEncoder } from 'ts-mls/codec/optional.js';
import { contramapBufferEncoder, contramapBufferEncoders, encode, type BufferEncoder } from 'ts-mls/codec/tlsEncoder.js';
import { bigintMapEncoder, varLenDataEncoder, varLenTypeEncoder } from 'ts-mls/codec/variableLength.js';
import type { EpochReceiverData } from 'ts-mls/epochReceiverData.js';
import { groupActiveStateEncoder } from 'ts-mls/groupActiveState.js';
import { groupContextEncoder } from 'ts-mls/groupContext.js';
import { keyScheduleEncoder } from 'ts-mls/keySchedule.js';
import { privateKeyPathEncoder } from 'ts-mls/privateKeyPath.js';
import { nodeEncoder, stripBlankNodes, type Node, type RatchetTree } from 'ts-mls/ratchetTree.js';
import { secretTreeEncoderWith, secretTreeEntryEncoder, type SecretTree, type SecretTreeEntry } from 'ts-mls/secretTree.js';
import { unappliedProposalsEncoder } from 'ts-mls/unappliedProposals.js';

/**
 * Encodes ts-mls GroupStates byte for byte as `encodeGroupState` does, reusing the encoding of every
 * ratchet-tree and secret-tree node that is the same object as at the previous call.
 *
 * Why: the SDK stores a chat's whole group state after every message it encrypts or decrypts, and
 * the ratchet tree is O(members) (and the secret tree, lazy since issue 12, grows with the members
 * who sent in the epoch: log N entries each) while a message replaces one secret-tree entry or a
 * few. ts-mls updates its state immutably (a changed node is a new object in a copied array), so
 * object identity says what is unchanged.
 *
 * Secret-tree entry encodings hold secrets: an encoding whose node is no longer in any state passed
 * to the latest call is zeroed and dropped then, as ts-mls zeroes the secrets it consumes.
 * One encoder per session; not for concurrent use.
 */
export class StateEncoder {
  #previous = new Map<object, Uint8Array>();
  #current = new Map<object, Uint8Array>();
  readonly #encoder: BufferEncoder<GroupState>;

  constructor() {
    const cached = <T extends object>(enc: BufferEncoder<T>): BufferEncoder<T> => (node) => {
      let bytes = this.#current.get(node) ?? this.#previous.get(node);
      if (bytes === undefined) bytes = encode(enc)(node);
      this.#current.set(node, bytes);
      const b = bytes;
      return [b.length, (offset, buffer) => new Uint8Array(buffer, offset, b.length).set(b)];
    };
    // The same field encoders, in the same order, as ts-mls's groupStateEncoder / epochReceiverDataEncoder.
    const secretTree: BufferEncoder<SecretTree> = secretTreeEncoderWith(cached<SecretTreeEntry>(secretTreeEntryEncoder));
    const ratchetTree: BufferEncoder<RatchetTree> = contramapBufferEncoder(varLenTypeEncoder(optionalEncoder(cached<Node>(nodeEncoder))), stripBlankNodes);
    const receiverData = contramapBufferEncoders(
      [varLenDataEncoder, secretTree, ratchetTree, varLenDataEncoder, groupContextEncoder],
      (d: EpochReceiverData) => [d.resumptionPsk, d.secretTree, d.ratchetTree, d.senderDataSecret, d.groupContext] as const,
    ) as BufferEncoder<EpochReceiverData>;
    this.#encoder = contramapBufferEncoders(
      [groupContextEncoder, keyScheduleEncoder, secretTree, ratchetTree, privateKeyPathEncoder, varLenDataEncoder, unappliedProposalsEncoder, varLenDataEncoder, bigintMapEncoder(receiverData), groupActiveStateEncoder],
      (s: GroupState) => [s.groupContext, s.keySchedule, s.secretTree, s.ratchetTree, s.privatePath, s.signaturePrivateKey, s.unappliedProposals, s.confirmationTag, s.historicalReceiverData, s.groupActiveState] as const,
    ) as BufferEncoder<GroupState>;
  }

  /** The encodings of these states (a session's current one and its pending commit's), in order. */
  encode(states: readonly GroupState[]): Uint8Array[] {
    this.#current = new Map();
    const out = states.map((s) => encode(this.#encoder)(s));
    for (const [node, bytes] of this.#previous) if (!this.#current.has(node)) bytes.fill(0);
    this.#previous = this.#current;
    this.#current = new Map();
    return out;
  }
}
