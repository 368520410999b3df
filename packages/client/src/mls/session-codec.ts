import { decodeGroupState, encodeGroupState, type GroupState } from 'ts-mls';
import { mapDecoders, type Decoder } from 'ts-mls/codec/tlsDecoder.js';
import { decodeBigintMap, decodeVarLenData } from 'ts-mls/codec/variableLength.js';
import type { EpochReceiverData } from 'ts-mls/epochReceiverData.js';
import { decodeGroupActiveState } from 'ts-mls/groupActiveState.js';
import { decodeGroupContext } from 'ts-mls/groupContext.js';
import { decodeKeySchedule } from 'ts-mls/keySchedule.js';
import { decodePrivateKeyPath } from 'ts-mls/privateKeyPath.js';
import { decodeRatchetTree, type RatchetTree } from 'ts-mls/ratchetTree.js';
import { decodeSecretTree } from 'ts-mls/secretTree.js';
import { decodeUnappliedProposals } from 'ts-mls/unappliedProposals.js';
import { ByteReader, ByteWriter } from './byte-codec.ts';
import { MAGIC, VERSION_SPLIT } from './split-envelope.ts';
import { isSupportedCiphersuite, type MlsCiphersuite } from './ciphersuite.ts';
import { MlsSessionError } from './errors.ts';

/** A commit we sent and whose fate the delivery service has not told us yet. */
export interface PendingCommit {
  /** The state we move to if the commit is accepted. */
  readonly state: GroupState;
  readonly commit: Uint8Array;
  readonly welcome: Uint8Array | undefined;
}

export interface StoredSession {
  readonly ciphersuite: MlsCiphersuite;
  readonly state: GroupState;
  readonly pending: PendingCommit | undefined;
  /**
   * The hashes of the current ratchet tree's larger subtrees (ts-mls patch, `storedTreeHashes`), so
   * that the first commit after a read does not hash the whole tree again. Optional, last.
   */
  readonly treeHashes?: Uint8Array | undefined;
  /** Read from a split envelope (version 2): its epoch part, which a later write can reuse while the trees are the same objects. */
  readonly epochPart?: EpochPart | undefined;
}

/**
 * The part of a state that changes only at commits (issue 12): the current ratchet tree, its stored
 * subtree hashes and the trees of the retained past epochs, O(members) each. `id` names these bytes
 * (random, new whenever they change), so a store keeps them in a record of their own, written once
 * an epoch, and the per-message record only names them (e2ee/group-records.ts).
 */
export interface EpochPart {
  readonly id: Uint8Array;
  readonly bytes: Uint8Array;
}

const VERSION = 1;
export const EPOCH_PART_ID_BYTES = 8;

/** The epoch part of a state: its encoded trees (StateEncoder.encodeTree) and hashes. */
export function encodeEpochPart(tree: Uint8Array, treeHashes: Uint8Array | undefined, past: readonly (readonly [bigint, Uint8Array])[]): EpochPart {
  const w = new ByteWriter().bytes(tree);
  if (treeHashes === undefined) w.u8(0);
  else w.u8(1).bytes(treeHashes);
  w.u32(past.length);
  for (const [epoch, t] of past) w.string(epoch.toString()).bytes(t);
  return { id: crypto.getRandomValues(new Uint8Array(EPOCH_PART_ID_BYTES)), bytes: w.finish() };
}

/**
 * The split envelope (version 2): as encodeSession, the ratchet trees kept apart in `epoch` (which the
 * caller made from these states' trees and reuses while they are the same).
 */
export function encodeSplitSession(s: Omit<StoredSession, 'treeHashes' | 'epochPart'>, epoch: EpochPart, encodeStates: (states: GroupState[]) => Uint8Array[]): Uint8Array {
  const withoutTrees: GroupState = {
    ...s.state,
    ratchetTree: [],
    historicalReceiverData: new Map([...s.state.historicalReceiverData].map(([e, d]) => [e, { ...d, ratchetTree: [] }])),
  };
  const [state, pendingState] = encodeStates(s.pending === undefined ? [withoutTrees] : [withoutTrees, s.pending.state]);
  if (state === undefined) throw new RangeError('no state encoding');
  const w = new ByteWriter().u8(MAGIC).u8(VERSION_SPLIT).bytes(epoch.id).bytes(epoch.bytes).string(s.ciphersuite).bytes(state);
  if (s.pending === undefined || pendingState === undefined) w.u8(0);
  else {
    w.u8(1).bytes(pendingState).bytes(s.pending.commit);
    if (s.pending.welcome === undefined) w.u8(0);
    else w.u8(1).bytes(s.pending.welcome);
  }
  return w.finish();
}


/**
 * Envelope: magic, version, suite name, ts-mls GroupState (its own TLS encoding, which includes the
 * private keys and the retained receiver data of past epochs), the pending commit if any, and the
 * current tree's larger subtree hashes if known (an optional last part; envelopes without it read).
 * The ts-mls ClientConfig is not stored: it is rebuilt from the session options on load.
 * `encodeStates` must give encodeGroupState's bytes (a session passes its StateEncoder, which caches).
 */
export function encodeSession(s: StoredSession, encodeStates: (states: GroupState[]) => Uint8Array[] = (states) => states.map(encodeGroupState)): Uint8Array {
  const [state, pendingState] = encodeStates(s.pending === undefined ? [s.state] : [s.state, s.pending.state]);
  if (state === undefined) throw new RangeError('no state encoding');
  const w = new ByteWriter().u8(MAGIC).u8(VERSION).string(s.ciphersuite).bytes(state);
  if (s.pending === undefined || pendingState === undefined) w.u8(0);
  else {
    w.u8(1).bytes(pendingState).bytes(s.pending.commit);
    if (s.pending.welcome === undefined) w.u8(0);
    else w.u8(1).bytes(s.pending.welcome);
  }
  if (s.treeHashes !== undefined) w.bytes(s.treeHashes);
  return w.finish();
}

export function decodeSession(bytes: Uint8Array): StoredSession {
  try {
    const r = new ByteReader(bytes);
    if (r.u8() !== MAGIC) throw new RangeError('not an MLS session envelope');
    const version = r.u8();
    if (version !== VERSION && version !== VERSION_SPLIT) throw new RangeError('not an MLS session envelope of a known version');
    const epochPart = version === VERSION_SPLIT ? { id: r.bytes(), bytes: r.bytes() } : undefined;
    const ciphersuite = r.string();
    if (!isSupportedCiphersuite(ciphersuite)) throw new MlsSessionError('mls_unsupported_suite', `stored session uses ${ciphersuite}`);
    let state = epochPart === undefined ? decodeWhole(r.bytes()) : decodeWithoutTrees(r.bytes());
    let pending: PendingCommit | undefined;
    if (r.u8() === 1) {
      const pendingState = decodeWhole(r.bytes());
      const commit = r.bytes();
      const welcome = r.u8() === 1 ? r.bytes() : undefined;
      pending = { state: pendingState, commit, welcome };
    }
    if (epochPart === undefined) {
      const treeHashes = r.atEnd() ? undefined : r.bytes();
      r.end();
      return { ciphersuite, state, pending, treeHashes };
    }
    r.end();
    const e = new ByteReader(epochPart.bytes);
    const ratchetTree = decodeTreeField(e.bytes());
    const treeHashes = e.u8() === 1 ? e.bytes() : undefined;
    const past = new Map<bigint, RatchetTree>();
    for (let n = e.u32(); n > 0; n--) past.set(BigInt(e.string()), decodeTreeField(e.bytes()));
    e.end();
    const historicalReceiverData = new Map([...state.historicalReceiverData].map(([epoch, d]) => {
      const tree = past.get(epoch);
      if (tree === undefined) throw new RangeError(`no stored tree for past epoch ${epoch}`);
      return [epoch, { ...d, ratchetTree: tree }];
    }));
    if (past.size !== historicalReceiverData.size) throw new RangeError('stored trees for epochs the state does not keep');
    state = { ...state, ratchetTree, historicalReceiverData };
    return { ciphersuite, state, pending, treeHashes, epochPart };
  } catch (e) {
    if (e instanceof MlsSessionError) throw e;
    throw new MlsSessionError('mls_invalid_state', 'cannot read stored MLS group state', { cause: e });
  }
}

function decodeWhole(bytes: Uint8Array): GroupState {
  const decoded = decodeGroupState(bytes, 0);
  if (decoded === undefined || decoded[1] !== bytes.length) throw new RangeError('bad GroupState encoding');
  return decoded[0];
}

function decodeTreeField(bytes: Uint8Array): RatchetTree {
  const decoded = decodeRatchetTree(bytes, 0);
  if (decoded === undefined || decoded[1] !== bytes.length) throw new RangeError('bad ratchet tree encoding');
  return decoded[0];
}

// decodeGroupState's fields, in its order, with every ratchet tree read as the empty vector a split
// envelope holds (ts-mls's tree decoder refuses an empty tree); the trees come from the epoch part.
const emptyTree: Decoder<RatchetTree> = (b, offset) => {
  const d = decodeVarLenData(b, offset);
  return d !== undefined && d[0].length === 0 ? [[], d[1]] : undefined;
};
const decodeReceiverDataWithoutTree: Decoder<EpochReceiverData> = mapDecoders(
  [decodeVarLenData, decodeSecretTree, emptyTree, decodeVarLenData, decodeGroupContext],
  (resumptionPsk, secretTree, ratchetTree, senderDataSecret, groupContext) => ({ resumptionPsk, secretTree, ratchetTree, senderDataSecret, groupContext }),
);
const decodeGroupStateWithoutTrees: Decoder<GroupState> = mapDecoders(
  [decodeGroupContext, decodeKeySchedule, decodeSecretTree, emptyTree, decodePrivateKeyPath, decodeVarLenData, decodeUnappliedProposals, decodeVarLenData, decodeBigintMap(decodeReceiverDataWithoutTree), decodeGroupActiveState],
  (groupContext, keySchedule, secretTree, ratchetTree, privatePath, signaturePrivateKey, unappliedProposals, confirmationTag, historicalReceiverData, groupActiveState) => ({
    groupContext, keySchedule, secretTree, ratchetTree, privatePath, signaturePrivateKey, unappliedProposals, confirmationTag, historicalReceiverData, groupActiveState,
  }),
);

function decodeWithoutTrees(bytes: Uint8Array): GroupState {
  const decoded = decodeGroupStateWithoutTrees(bytes, 0);
  if (decoded === undefined || decoded[1] !== bytes.length) throw new RangeError('bad GroupState encoding');
  return decoded[0];
}
