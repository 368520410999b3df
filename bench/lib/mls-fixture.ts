// Shared pieces of the MLS benchmarks: timing, member devices, and moving one group state between
// Parley's MlsGroupSession and plain ts-mls so both run the same operation on the same group.
import { createCommit, type ClientState, type CiphersuiteImpl } from 'ts-mls';
import { defaultClientConfig } from 'ts-mls/clientConfig.js';
import { MlsGroupSession, MlsIdentity, generateKeyPackages, type GeneratedKeyPackage } from '../../packages/client/src/mls/index.ts';
import { decodePrivateKeys } from '../../packages/client/src/mls/key-packages.ts';
import { decodeSession, encodeSession } from '../../packages/client/src/mls/session-codec.ts';
import type { MlsCiphersuite } from '../../packages/client/src/mls/ciphersuite.ts';

export async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const result = await fn();
  return [result, performance.now() - t0];
}

export interface BenchDevice {
  identity: MlsIdentity;
  kps: GeneratedKeyPackage[];
}

export async function device(userId: string, deviceId = 'dev', keyPackages = 1): Promise<BenchDevice> {
  const identity = await MlsIdentity.generate({ userId, deviceId });
  return { identity, kps: await generateKeyPackages(identity, keyPackages) };
}

/** A deep copy of a session's ts-mls state (through its stored form), with ts-mls's default config: the baseline's view of the same group. */
export function plainState(session: MlsGroupSession): ClientState {
  return { ...decodeSession(session.serialize()).state, clientConfig: defaultClientConfig };
}

export function sessionFrom(state: ClientState, ciphersuite: MlsCiphersuite): Promise<MlsGroupSession> {
  return MlsGroupSession.deserialize(encodeSession({ ciphersuite, state, pending: undefined }));
}

/** One member's leaf secrets as the steady-state setup tracks them. */
export interface LeafSecrets {
  hpke: Uint8Array;
  signature: Uint8Array;
}

export function leafSecrets(d: BenchDevice): LeafSecrets {
  const p = decodePrivateKeys(d.kps[0]!.privateKeys, d.identity);
  return { hpke: p.hpkePrivateKey, signature: p.signaturePrivateKey };
}

/** Member `leaf`'s view of a group whose public state is `state`: only its leaf key known, as a member that has processed nothing it needs to commit. */
export function asMember(state: ClientState, leaf: number, secrets: LeafSecrets): ClientState {
  return { ...state, privatePath: { leafIndex: leaf, privateKeys: { [leaf * 2]: secrets.hpke } }, signaturePrivateKey: secrets.signature };
}

/**
 * Bring a group built in one bulk add to the steady state: every odd leaf commits an update, which
 * sets every parent node of the tree (so no node is blank and no leaf is unmerged). Members that
 * commit need no old path secrets, so each committer is the shared public state plus its own leaf
 * key, and nobody has to process the n/2 commits; the last committer's state is a full member's.
 * Odd leaves go in bit-reversed order, which fills the top of the tree first and keeps each commit
 * cheap (n log n encryptions in all instead of n²).
 */
export async function fillTree(
  start: ClientState,
  secrets: Map<number, LeafSecrets>,
  cs: CiphersuiteImpl,
  onProgress?: (done: number, total: number) => void,
): Promise<{ state: ClientState; lastCommitter: number; commits: number }> {
  const leaves = [...secrets.keys()].filter((l) => l % 2 === 1);
  const bits = Math.max(1, Math.ceil(Math.log2(Math.max(...leaves) + 1)));
  const reversed = (x: number) => {
    let r = 0;
    for (let b = 0; b < bits; b++) if (x & (1 << b)) r |= 1 << (bits - 1 - b);
    return r;
  };
  leaves.sort((a, b) => reversed(a) - reversed(b));
  let state = start;
  let last = -1;
  for (const [i, leaf] of leaves.entries()) {
    const s = secrets.get(leaf)!;
    const r = await createCommit({ state: asMember(state, leaf, s), cipherSuite: cs }, {});
    state = r.newState;
    secrets.set(leaf, { ...s, hpke: state.privatePath.privateKeys[leaf * 2]! });
    last = leaf;
    onProgress?.(i + 1, leaves.length);
  }
  return { state, lastCommitter: last, commits: leaves.length };
}

/** Blank parent nodes and the largest unmerged-leaves list in a tree: what makes a path update O(n). */
export function treeShape(state: ClientState): { blankParents: number; unmergedLeaves: number } {
  let blankParents = 0;
  let unmergedLeaves = 0;
  state.ratchetTree.forEach((node, i) => {
    if (i % 2 === 0) return;
    if (node === undefined) blankParents++;
    else if (node.nodeType === 'parent') unmergedLeaves += node.parent.unmergedLeaves.length;
  });
  return { blankParents, unmergedLeaves };
}
