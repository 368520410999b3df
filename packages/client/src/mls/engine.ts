import { MlsGroupSession, type DecryptedMessage, type HandshakeOutcome, type MlsMember } from './group-session.ts';
import type { MlsIdentity } from './identity.ts';
import type { GeneratedKeyPackage } from './key-packages.ts';
import type { MemberIdentity } from './identity.ts';
import type { MlsSessionOptions } from './session-options.ts';

/**
 * One device's view of one MLS group, as the codec uses it: MlsGroupSession itself (in this thread)
 * or a handle on one that lives in a worker (RemoteMlsEngine). The getters and members() answer
 * from this thread (a handle keeps a copy the worker sends after every change); everything that
 * computes may be awaited. Not safe for concurrent use, as MlsGroupSession: await each call.
 */
export interface MlsGroup {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly isActive: boolean;
  readonly ownLeafIndex: number;
  readonly leafCount: number;
  readonly hasPendingCommit: boolean;
  members(): MlsMember[];
  /** Everything needed to resume (private keys included): store it encrypted at rest. */
  serialize(): Uint8Array | Promise<Uint8Array>;
  exportSecret(label: string, context: Uint8Array, length: number): Promise<Uint8Array>;
  usableKeyPackage(bytes: Uint8Array, nowSeconds?: number): Promise<boolean>;
  changeMembers(change: { add: readonly Uint8Array[]; remove: readonly MemberIdentity[] }): Promise<{ commit: Uint8Array; welcome: Uint8Array | undefined }>;
  update(): Promise<{ commit: Uint8Array }>;
  groupInfo(): Promise<Uint8Array>;
  mergePendingCommit(): void | Promise<void>;
  discardPendingCommit(): void | Promise<void>;
  processHandshake(bytes: Uint8Array): Promise<HandshakeOutcome>;
  encrypt(plaintext: Uint8Array, authenticatedData?: Uint8Array): Promise<Uint8Array>;
  decrypt(ciphertext: Uint8Array): Promise<DecryptedMessage>;
}

/**
 * Where a device's MLS groups are computed. Processing one commit of a 5,000-member group takes
 * ~0.8 s and writing its state ~0.3 s (docs/BENCHMARKS.md): a page runs them in a worker
 * (RemoteMlsEngine, docs/ARCHITECTURE.md "MLS off the page's main thread"), Node in its own thread.
 */
export interface MlsEngine {
  create(identity: MlsIdentity, groupId: Uint8Array, options: MlsSessionOptions, epoch: bigint): Promise<MlsGroup>;
  join(identity: MlsIdentity, welcome: Uint8Array, keyPackages: readonly GeneratedKeyPackage[], options: MlsSessionOptions, tree?: Uint8Array): Promise<{ session: MlsGroup; usedKeyPackageRef: Uint8Array }>;
  deserialize(bytes: Uint8Array, options: MlsSessionOptions): Promise<MlsGroup>;
}

/** MLS in the calling thread: the SDK's default (Node, bots, tests). */
export const inThreadMlsEngine: MlsEngine = {
  create: (identity, groupId, options, epoch) => MlsGroupSession.create(identity, groupId, options, epoch),
  join: (identity, welcome, keyPackages, options, tree) => MlsGroupSession.join(identity, welcome, keyPackages, options, tree),
  deserialize: (bytes, options) => MlsGroupSession.deserialize(bytes, options),
};
