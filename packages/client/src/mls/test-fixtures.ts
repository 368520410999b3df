import assert from 'node:assert/strict';
import type { MlsCiphersuite } from './ciphersuite.ts';
import { MlsSessionError, type MlsErrorCode } from './errors.ts';
import { MlsGroupSession } from './group-session.ts';
import type { MlsSessionOptions } from './session-options.ts';
import { MlsIdentity } from './identity.ts';
import { generateKeyPackages, type GeneratedKeyPackage } from './key-packages.ts';

/** Test-only helpers for the MLS tests: real crypto, no mocks. */
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export interface Device {
  identity: MlsIdentity;
  keyPackages: GeneratedKeyPackage[];
}

export async function newDevice(userId: string, deviceId = 'phone', ciphersuite?: MlsCiphersuite): Promise<Device> {
  const identity = await MlsIdentity.generate(ciphersuite === undefined ? { userId, deviceId } : { userId, deviceId, ciphersuite });
  return { identity, keyPackages: await generateKeyPackages(identity, 1) };
}

/**
 * `owner` adds `newcomers`; the commit is accepted at once (as a delivery service would) and applied
 * by `others`; each newcomer joins from the Welcome. Returns the newcomers' sessions in order.
 */
export async function addAndJoin(
  owner: MlsGroupSession,
  others: readonly MlsGroupSession[],
  newcomers: readonly Device[],
  options: MlsSessionOptions = {},
): Promise<MlsGroupSession[]> {
  const { commit, welcome } = await owner.addMembers(newcomers.map((d) => d.keyPackages[0]!.keyPackage));
  await owner.processHandshake(commit); // the delivery service echoes the accepted commit back
  for (const s of others) await s.processHandshake(commit);
  const joined: MlsGroupSession[] = [];
  for (const d of newcomers) joined.push((await MlsGroupSession.join(d.identity, welcome, d.keyPackages, options)).session);
  return joined;
}

/** Commit-and-accept: the committer merges, everyone else processes. */
export async function acceptCommit(committer: MlsGroupSession, commit: Uint8Array, others: readonly MlsGroupSession[]): Promise<void> {
  committer.mergePendingCommit();
  for (const s of others) await s.processHandshake(commit);
}

export async function assertRoundTrip(from: MlsGroupSession, to: readonly MlsGroupSession[], message: string): Promise<void> {
  const ct = await from.encrypt(utf8(message));
  for (const s of to) assert.equal(text((await s.decrypt(ct)).plaintext), message);
}

/** The promise rejects with an MlsSessionError of `code` (and never resolves to plaintext). */
export async function rejectsWith(p: Promise<unknown>, code: MlsErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof MlsSessionError, `expected MlsSessionError(${code}), got ${String(e)}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    return true;
  });
}

export function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  const i = index < 0 ? out.length + index : index;
  out[i] = (out[i] ?? 0) ^ 0x01;
  return out;
}
