import { sha512 } from '@noble/hashes/sha2.js';

/**
 * R141: an epoch key sealed to one device's key-log key. The log binds an Ed25519 key (R20); its
 * Montgomery form is the device's X25519 key (as libsodium's crypto_sign_ed25519_pk_to_curve25519),
 * so no second key is published. Sealing is HPKE's shape: an ephemeral X25519 key, HKDF-SHA256 over
 * the shared secret into an AES-128-GCM key, the channel, epoch and recipient device in the info and
 * the associated data, so a wrap can't be replayed to another device, epoch or channel.
 * Wire: ephemeral public key (32) ‖ nonce (12) ‖ sealed key and tag (32) = 76 bytes.
 */
export interface WrapContext {
  communityId: string;
  epoch: number;
  userId: string;
  deviceId: string;
}

const P = 2n ** 255n - 19n;
const subtle = () => globalThis.crypto.subtle;
const utf8 = (s: string) => new TextEncoder().encode(s);
const X25519_PKCS8 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);
const buf = (b: Uint8Array) => b as BufferSource;

function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  for (b %= P; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
}
const leToBig = (b: Uint8Array) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
function bigToLe(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

/** The X25519 public key of an Ed25519 public key: u = (1 + y) / (1 - y) mod p. */
export function edToX25519Public(ed: Uint8Array): Uint8Array {
  if (ed.length !== 32) throw new Error('an Ed25519 public key is 32 bytes');
  const y = leToBig(ed) & ((1n << 255n) - 1n);
  const u = ((1n + y) * modPow((P + 1n - y) % P, P - 2n)) % P;
  return bigToLe(u);
}

/** The X25519 private scalar of an Ed25519 private key (raw 32-byte seed or PKCS#8): SHA-512(seed)[0..32], clamped by X25519 itself. */
export function edToX25519Private(priv: Uint8Array): Uint8Array {
  const seed = priv.length === 32 ? priv : priv.subarray(priv.length - 32);
  return sha512(seed).slice(0, 32);
}

const info = (c: WrapContext) => utf8(`parley-channel-epoch-key-v1\n${c.communityId}\n${c.epoch}\n${c.userId}:${c.deviceId}`);

async function wrapKey(shared: ArrayBuffer, ephemeral: Uint8Array, recipient: Uint8Array, c: WrapContext): Promise<CryptoKey> {
  const ikm = await subtle().importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  const salt = new Uint8Array([...ephemeral, ...recipient]);
  return subtle().deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info: buf(info(c)) }, ikm, { name: 'AES-GCM', length: 128 }, false, ['encrypt', 'decrypt']);
}

/** Seals `epochKey` (16 bytes) to the device whose key log holds `recipientEd`. */
export async function sealEpochKey(epochKey: Uint8Array, recipientEd: Uint8Array, c: WrapContext): Promise<Uint8Array> {
  const recipient = edToX25519Public(recipientEd);
  const eph = await subtle().generateKey({ name: 'X25519' }, true, ['deriveBits']) as CryptoKeyPair;
  const ephPub = new Uint8Array(await subtle().exportKey('raw', eph.publicKey));
  const pub = await subtle().importKey('raw', buf(recipient), { name: 'X25519' }, false, []);
  const shared = await subtle().deriveBits({ name: 'X25519', public: pub }, eph.privateKey, 256);
  const key = await wrapKey(shared, ephPub, recipient, c);
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: nonce, additionalData: buf(info(c)) }, key, buf(epochKey)));
  return new Uint8Array([...ephPub, ...nonce, ...sealed]);
}

/** Opens a wrap with this device's Ed25519 private key; throws when it was not sealed to it (or for another context). */
export async function openEpochKey(wrapped: Uint8Array, myEdPrivate: Uint8Array, myEdPublic: Uint8Array, c: WrapContext): Promise<Uint8Array> {
  if (wrapped.length !== 76) throw new Error('a wrap is 76 bytes');
  const ephPub = wrapped.subarray(0, 32);
  const priv = await subtle().importKey('pkcs8', buf(new Uint8Array([...X25519_PKCS8, ...edToX25519Private(myEdPrivate)])), { name: 'X25519' }, false, ['deriveBits']);
  const pub = await subtle().importKey('raw', buf(ephPub), { name: 'X25519' }, false, []);
  const shared = await subtle().deriveBits({ name: 'X25519', public: pub }, priv, 256);
  const key = await wrapKey(shared, ephPub, edToX25519Public(myEdPublic), c);
  return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: buf(wrapped.subarray(32, 44)), additionalData: buf(info(c)) }, key, buf(wrapped.subarray(44))));
}

/** A fresh epoch key (16 bytes). */
export const drawEpochKey = (): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(16));

const postAad = (communityId: string, epoch: number) => utf8(`parley-wrapped-post-v1\n${communityId}\n${epoch}`);

/** R142: nonce (12) ‖ AES-128-GCM of the post under the epoch key, bound to the channel and epoch. */
export async function sealPost(epochKey: Uint8Array, communityId: string, epoch: number, plain: Uint8Array): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', buf(epochKey), 'AES-GCM', false, ['encrypt']);
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: nonce, additionalData: buf(postAad(communityId, epoch)) }, key, buf(plain)));
  return new Uint8Array([...nonce, ...sealed]);
}

export async function openPost(epochKey: Uint8Array, communityId: string, epoch: number, body: Uint8Array): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', buf(epochKey), 'AES-GCM', false, ['decrypt']);
  return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: buf(body.subarray(0, 12)), additionalData: buf(postAad(communityId, epoch)) }, key, buf(body.subarray(12))));
}

/** What an admin's device signs for a post: the context and the canonical JSON it seals. */
export const wrappedPostSigningBytes = (signed: string): Uint8Array => utf8(`parley-wrapped-post-sig-v1\n${signed}`);
