/**
 * SFrame (RFC 9605): the frame encryption of call media (R64). An SFrame ciphertext is a header
 * (key id KID and counter CTR, compact big-endian integers) followed by the AEAD encryption of the
 * frame, with header + metadata as associated data. Web Crypto only (browsers, workers, Node 20), no
 * I/O: `frame-keys.ts` says which base key goes with which KID, the web app's worker runs it on frames.
 */

/** RFC 9605 §4.5 cipher suites this implementation offers (IANA values). */
export const SFRAME_SUITES = {
  AES_128_GCM_SHA256_128: { id: 0x0004, hash: 'SHA-256', nk: 16, nh: 32 },
  AES_256_GCM_SHA512_128: { id: 0x0005, hash: 'SHA-512', nk: 32, nh: 64 },
} as const;
export type SFrameSuiteName = keyof typeof SFRAME_SUITES;
export const DEFAULT_SFRAME_SUITE: SFrameSuiteName = 'AES_128_GCM_SHA256_128';

/** AEAD.Nn and AEAD.Nt of both GCM suites. */
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MAX_U64 = (1n << 64n) - 1n;

export type SFrameErrorCode = 'malformed' | 'unknown_kid' | 'auth_failed' | 'replayed' | 'counter_exhausted';

/** A frame that could not be decrypted: nothing of it is passed on. */
export class SFrameError extends Error {
  constructor(readonly code: SFrameErrorCode, message: string = code) {
    super(message);
    this.name = 'SFrameError';
  }
}

export interface SFrameHeader {
  kid: bigint;
  ctr: bigint;
  /** Bytes the header takes at the start of the ciphertext. */
  length: number;
}

function minBytes(v: bigint): number {
  let n = 1;
  while (v >> BigInt(8 * n) > 0n) n++;
  return n;
}

function writeBigEndian(out: Uint8Array, at: number, v: bigint, len: number): void {
  for (let i = len - 1; i >= 0; i--) {
    out[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function readBigEndian(bytes: Uint8Array, at: number, len: number): bigint {
  let v = 0n;
  for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(bytes[at + i] ?? 0);
  return v;
}

/** RFC 9605 §4.3: config byte X|K|Y|C, then the KID and CTR that don't fit in 3 bits, in the fewest bytes. */
export function encodeHeader(kid: bigint, ctr: bigint): Uint8Array {
  if (kid < 0n || kid > MAX_U64 || ctr < 0n || ctr > MAX_U64) throw new RangeError('KID and CTR are 64-bit unsigned');
  const kLen = kid < 8n ? 0 : minBytes(kid);
  const cLen = ctr < 8n ? 0 : minBytes(ctr);
  const out = new Uint8Array(1 + kLen + cLen);
  const k = kLen === 0 ? Number(kid) : 0x8 | (kLen - 1);
  const c = cLen === 0 ? Number(ctr) : 0x8 | (cLen - 1);
  out[0] = (k << 4) | c;
  if (kLen > 0) writeBigEndian(out, 1, kid, kLen);
  if (cLen > 0) writeBigEndian(out, 1 + kLen, ctr, cLen);
  return out;
}

export function decodeHeader(bytes: Uint8Array): SFrameHeader {
  const config = bytes[0];
  if (config === undefined) throw new SFrameError('malformed', 'empty frame');
  const k = config >> 4;
  const c = config & 0xf;
  const kLen = k & 0x8 ? (k & 0x7) + 1 : 0;
  const cLen = c & 0x8 ? (c & 0x7) + 1 : 0;
  const length = 1 + kLen + cLen;
  if (bytes.length < length) throw new SFrameError('malformed', 'truncated header');
  const kid = kLen === 0 ? BigInt(k) : readBigEndian(bytes, 1, kLen);
  const ctr = cLen === 0 ? BigInt(c) : readBigEndian(bytes, 1 + kLen, cLen);
  // A value in an extension that would have fit in the config byte, or in fewer bytes, is not the one encoding.
  if ((kLen > 0 && (kid < 8n || minBytes(kid) !== kLen)) || (cLen > 0 && (ctr < 8n || minBytes(ctr) !== cLen))) {
    throw new SFrameError('malformed', 'header not minimally encoded');
  }
  return { kid, ctr, length };
}

const encoder = new TextEncoder();

function u64(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  writeBigEndian(out, 0, v, 8);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** sframe_key (a non-extractable AES-GCM key) and sframe_salt for one KID. */
export interface SFrameKey {
  readonly kid: bigint;
  readonly key: CryptoKey;
  readonly salt: Uint8Array;
}

/**
 * RFC 9605 §4.4.2: sframe_secret = HKDF-Extract("", base_key); key and salt are HKDF-Expand of it
 * with "SFrame 1.0 Secret key|salt " + KID (8 bytes) + cipher suite (2 bytes).
 */
export async function deriveSFrameKey(baseKey: Uint8Array, kid: bigint, suiteName: SFrameSuiteName = DEFAULT_SFRAME_SUITE): Promise<SFrameKey> {
  const suite = SFRAME_SUITES[suiteName];
  const ikm = await crypto.subtle.importKey('raw', concat(baseKey), 'HKDF', false, ['deriveBits']);
  const suiteId = new Uint8Array([suite.id >> 8, suite.id & 0xff]);
  const expand = async (label: string, bytes: number): Promise<Uint8Array<ArrayBuffer>> => new Uint8Array(await crypto.subtle.deriveBits(
    // Web Crypto's HKDF is Extract then Expand; an empty salt is HashLen zeros, as RFC 5869 says for "".
    { name: 'HKDF', hash: suite.hash, salt: new Uint8Array(0), info: concat(encoder.encode(label), u64(kid), suiteId) }, ikm, bytes * 8,
  ));
  const rawKey = await expand('SFrame 1.0 Secret key ', suite.nk);
  const salt = await expand('SFrame 1.0 Secret salt ', NONCE_BYTES);
  const key = await crypto.subtle.importKey('raw', rawKey, 'AES-GCM', false, ['encrypt', 'decrypt']);
  rawKey.fill(0);
  return { kid, key, salt };
}

function nonce(salt: Uint8Array, ctr: bigint): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(NONCE_BYTES);
  writeBigEndian(out, 0, ctr, NONCE_BYTES);
  for (let i = 0; i < NONCE_BYTES; i++) out[i]! ^= salt[i] ?? 0;
  return out;
}

/** One frame's SFrame ciphertext: header + AEAD(sframe_key, salt XOR CTR, header + metadata, plaintext). */
export async function sframeEncrypt(k: SFrameKey, ctr: bigint, plaintext: Uint8Array, metadata: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
  const header = encodeHeader(k.kid, ctr);
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: nonce(k.salt, ctr), additionalData: concat(header, metadata), tagLength: TAG_BYTES * 8 }, k.key, concat(plaintext),
  );
  return concat(header, new Uint8Array(sealed));
}

/** The plaintext of an SFrame ciphertext made with `k` (the header's KID must be k's); throws auth_failed on any change. */
export async function sframeDecrypt(k: SFrameKey, ciphertext: Uint8Array, metadata: Uint8Array = new Uint8Array(0), header = decodeHeader(ciphertext)): Promise<Uint8Array> {
  if (header.kid !== k.kid) throw new SFrameError('unknown_kid', `frame for KID ${header.kid}, key for ${k.kid}`);
  if (ciphertext.length < header.length + TAG_BYTES) throw new SFrameError('malformed', 'shorter than a tag');
  try {
    return new Uint8Array(await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: nonce(k.salt, header.ctr), additionalData: concat(ciphertext.subarray(0, header.length), metadata), tagLength: TAG_BYTES * 8 },
      k.key, concat(ciphertext.subarray(header.length)),
    ));
  } catch {
    throw new SFrameError('auth_failed', 'frame does not authenticate (wrong key or changed on the way)');
  }
}

/** Bytes SFrame adds to a frame of this KID and CTR. */
export function sframeOverhead(kid: bigint, ctr: bigint): number {
  return encodeHeader(kid, ctr).length + TAG_BYTES;
}

/**
 * RFC 9605 §7.4 anti-replay for one KID: a CTR is accepted once, and not when it is more than
 * `window` behind the highest seen (frames arrive nearly in order: audio at 50 a second).
 */
export class ReplayWindow {
  #highest = -1n;
  readonly #seen = new Set<bigint>();

  constructor(readonly window = 1024) {}

  /** Whether `ctr` may be decrypted now (it is checked again by `accept` once it authenticated). */
  fresh(ctr: bigint): boolean {
    return ctr > this.#highest || (this.#highest - ctr < BigInt(this.window) && !this.#seen.has(ctr));
  }

  /** Records an authenticated frame's CTR; false when it was a replay. */
  accept(ctr: bigint): boolean {
    if (!this.fresh(ctr)) return false;
    this.#seen.add(ctr);
    if (ctr > this.#highest) {
      this.#highest = ctr;
      if (this.#seen.size > 2 * this.window) {
        for (const c of this.#seen) if (this.#highest - c >= BigInt(this.window)) this.#seen.delete(c);
      }
    }
    return true;
  }
}
