import { decodeGroupState, encodeGroupState, type GroupState } from 'ts-mls';
import { ByteReader, ByteWriter } from './byte-codec.ts';
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
}

const MAGIC = 0x4d; // 'M'
const VERSION = 1;

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
    if (r.u8() !== MAGIC || r.u8() !== VERSION) throw new RangeError('not an MLS session envelope of a known version');
    const ciphersuite = r.string();
    if (!isSupportedCiphersuite(ciphersuite)) throw new MlsSessionError('mls_unsupported_suite', `stored session uses ${ciphersuite}`);
    const state = decodeWhole(r.bytes());
    let pending: PendingCommit | undefined;
    if (r.u8() === 1) {
      const pendingState = decodeWhole(r.bytes());
      const commit = r.bytes();
      const welcome = r.u8() === 1 ? r.bytes() : undefined;
      pending = { state: pendingState, commit, welcome };
    }
    const treeHashes = r.atEnd() ? undefined : r.bytes();
    r.end();
    return { ciphersuite, state, pending, treeHashes };
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
