import { sha512 } from '@noble/hashes/sha2.js';
import { base64ToBytes } from '../encoding.ts';
import type { LoggedDevice } from './chain.ts';

/**
 * Safety numbers (R22), after Signal's numeric fingerprints: each user's fingerprint is SHA-512
 * iterated FINGERPRINT_ITERATIONS times over a versioned encoding of their user id and current
 * device keys (sorted by device id); 30 digits from each, the smaller first, make 60 digits that
 * both people see the same. Any device added or revoked on either side changes the number.
 */
export const FINGERPRINT_VERSION = 1;
export const FINGERPRINT_ITERATIONS = 5200;

/** The bytes a user's fingerprint hashes: u16 version ‖ field(userId) ‖ u32 count ‖ (field(deviceId) ‖ field(key))… */
export function fingerprintInput(userId: string, devices: readonly Pick<LoggedDevice, 'deviceId' | 'mlsSignatureKey'>[]): Uint8Array {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const sorted = [...devices].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
  const fields = [utf8(userId), ...sorted.flatMap((d) => [utf8(d.deviceId), base64ToBytes(d.mlsSignatureKey)])];
  const out = new Uint8Array(2 + 4 + fields.reduce((n, f) => n + 4 + f.length, 0));
  const view = new DataView(out.buffer);
  view.setUint16(0, FINGERPRINT_VERSION);
  let at = 2;
  const field = (f: Uint8Array) => {
    view.setUint32(at, f.length);
    out.set(f, at + 4);
    at += 4 + f.length;
  };
  field(fields[0]!);
  view.setUint32(at, sorted.length);
  at += 4;
  for (const f of fields.slice(1)) field(f);
  return out;
}

/**
 * SHA-512(input), then SHA-512(previous ‖ input) until FINGERPRINT_ITERATIONS rounds: 64 bytes.
 * Synchronous @noble/hashes here: 5,200 awaited Web Crypto digests take ~0.4 s, these ~30 ms.
 */
export function fingerprint(input: Uint8Array): Uint8Array {
  let hash = sha512(input);
  const buffer = new Uint8Array(hash.length + input.length);
  buffer.set(input, hash.length);
  for (let i = 1; i < FINGERPRINT_ITERATIONS; i++) {
    buffer.set(hash, 0);
    hash = sha512(buffer);
  }
  return hash;
}

/** 30 digits: six 5-byte big-endian chunks of the fingerprint, each mod 100000. */
export function fingerprintDigits(hash: Uint8Array): string {
  let digits = '';
  for (let chunk = 0; chunk < 6; chunk++) {
    let n = 0;
    for (let i = 0; i < 5; i++) n = n * 256 + (hash[chunk * 5 + i] ?? 0);
    digits += String(n % 100000).padStart(5, '0');
  }
  return digits;
}

/** Two users' 30-digit halves, the smaller first: the same 60 digits on both sides. */
export function combineDigits(a: string, b: string): string {
  return a < b ? a + b : b + a;
}

/** "12345 67890 …": 12 groups of 5, as people read them out. */
export function formatSafetyNumber(digits: string): string {
  return digits.replace(/(\d{5})(?=\d)/g, '$1 ');
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
