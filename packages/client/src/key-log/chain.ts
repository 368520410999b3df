import { KEY_LOG_GENESIS_HASH, keyLogEntryBytes, type KeyLogEntry, type KeyLogHead } from '@parley/protocol';
import { base64ToBytes, bytesToBase64 } from '../encoding.ts';
import { KeyLogError } from './errors.ts';

export const EMPTY_HEAD: KeyLogHead = { index: 0, hash: KEY_LOG_GENESIS_HASH };

/** One device as a user's key log states it now. */
export interface LoggedDevice {
  deviceId: string;
  /** Raw Ed25519 MLS signature public key, base64. */
  mlsSignatureKey: string;
  /** When the server logged the key (ms). */
  addedAt: number;
  /** When it logged the device's revocation, or null while the device is current. */
  revokedAt: number | null;
}

export function headOf(entries: readonly KeyLogEntry[]): KeyLogHead {
  const last = entries.at(-1);
  return last ? { index: last.index, hash: last.hash } : EMPTY_HEAD;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Checks that `fresh` extends `known` (entries this client verified before) into a valid log of
 * `userId` (R22): indices contiguous, each prevHash the previous hash, each hash recomputed from the
 * canonical encoding, a device added once and revoked at most once after. Returns the whole log.
 * A first fresh entry that does not chain onto what we saw means the history was rewritten
 * (`key_log_forked`); any other defect is `key_log_invalid`.
 */
export async function extendLog(userId: string, known: readonly KeyLogEntry[], fresh: readonly KeyLogEntry[]): Promise<KeyLogEntry[]> {
  const log = [...known];
  let head = headOf(known);
  const state = new Map(known.map((e) => [e.deviceId, e.kind]));
  for (const e of fresh) {
    if (e.index !== head.index + 1) throw new KeyLogError('key_log_invalid', userId, `entry ${e.index} follows ${head.index}`);
    if (e.prevHash !== head.hash) {
      throw new KeyLogError(log.length === known.length && known.length > 0 ? 'key_log_forked' : 'key_log_invalid', userId, `entry ${e.index} does not chain on entry ${head.index}`);
    }
    if (await sha256Hex(keyLogEntryBytes({ userId, ...e })) !== e.hash) throw new KeyLogError('key_log_invalid', userId, `entry ${e.index} has a wrong hash`);
    const before = state.get(e.deviceId);
    if (e.kind === 'add' ? before !== undefined : before !== 'add') throw new KeyLogError('key_log_invalid', userId, `entry ${e.index}: ${e.kind} of device ${e.deviceId} after ${before ?? 'nothing'}`);
    state.set(e.deviceId, e.kind);
    log.push(e);
    head = { index: e.index, hash: e.hash };
  }
  return log;
}

/** Every device the log names, in the order they were added, with its key and revocation time. */
export function devicesOf(log: readonly KeyLogEntry[]): LoggedDevice[] {
  const devices = new Map<string, LoggedDevice>();
  for (const e of log) {
    if (e.kind === 'add' && e.mlsSignatureKey !== null) devices.set(e.deviceId, { deviceId: e.deviceId, mlsSignatureKey: e.mlsSignatureKey, addedAt: e.at, revokedAt: null });
    const d = devices.get(e.deviceId);
    if (e.kind === 'revoke' && d) d.revokedAt = e.at;
  }
  return [...devices.values()];
}

/** Same key bytes, whatever base64 spelling each side used. */
export function sameKey(b64: string, key: Uint8Array): boolean {
  return bytesToBase64(base64ToBytes(b64)) === bytesToBase64(key);
}
