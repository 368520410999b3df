import type { MemberIdentity } from './identity.ts';
import type { MlsMember } from './group-session.ts';
import type { GeneratedKeyPackage } from './key-packages.ts';

/**
 * The messages between RemoteMlsEngine (the page) and serveMlsEngine (its worker). Both ends are
 * this SDK's code in one origin: the worker trusts the page and the page trusts the worker, so
 * nothing here is validated again (structured clone keeps the types).
 */

/** What one end of a MessageChannel or a Worker (either side) offers. */
export interface EnginePort {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

/** MlsSessionOptions without the callback: `auth` names the page's authenticate function. */
export interface WireOptions {
  retainedEpochs?: number;
  welcomeTreeMaxBytes?: number;
  auth?: number;
}

/** What the page reads of a group without asking (MlsGroup's getters); `members` only when they may have changed. */
export interface GroupSnapshot {
  groupId: Uint8Array;
  epoch: bigint;
  isActive: boolean;
  ownLeafIndex: number;
  leafCount: number;
  hasPendingCommit: boolean;
  members?: MlsMember[];
}

export const GROUP_METHODS = [
  'serialize', 'exportSecret', 'usableKeyPackage', 'changeMembers', 'update', 'groupInfo',
  'mergePendingCommit', 'discardPendingCommit', 'processHandshake', 'encrypt', 'decrypt',
] as const;
export type GroupMethod = (typeof GROUP_METHODS)[number];

export type EngineRequest =
  | { id: number; op: 'create'; identity: Uint8Array; groupId: Uint8Array; options: WireOptions; epoch: bigint }
  | { id: number; op: 'join'; identity: Uint8Array; welcome: Uint8Array; keyPackages: readonly GeneratedKeyPackage[]; options: WireOptions; tree: Uint8Array | undefined }
  | { id: number; op: 'deserialize'; bytes: Uint8Array; options: WireOptions }
  | { id: number; op: 'call'; handle: number; method: GroupMethod; args: unknown[] }
  | { id: number; op: 'stats' }
  | { op: 'free'; handle: number }
  | { op: 'auth_answer'; id: number; ok: boolean };

export type EngineResponse =
  | { id: number; ok: true; value: unknown; handle?: number; snapshot?: GroupSnapshot }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } }
  | { op: 'auth'; id: number; auth: number; member: MemberIdentity; key: Uint8Array };

/** What the worker has done since it started, by operation (for tests: proof the work ran there). */
export type EngineStats = Record<string, number>;
