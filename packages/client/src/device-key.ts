import { bytesToBase64 } from './encoding.ts';

/**
 * A device's own Ed25519 key pair (Web Crypto, in browsers and Node). It signs the server's
 * login challenges; in the browser the private key is non-extractable and lives in IndexedDB.
 */
export interface DeviceKey {
  /** Raw 32-byte public key, base64. */
  publicKey: string;
  keyPair: CryptoKeyPair;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export async function generateDeviceKey(opts: { extractable?: boolean } = {}): Promise<DeviceKey> {
  const keyPair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, opts.extractable ?? false, ['sign', 'verify'])) as CryptoKeyPair;
  return deviceKeyFromKeyPair(keyPair);
}

export async function deviceKeyFromKeyPair(keyPair: CryptoKeyPair): Promise<DeviceKey> {
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', keyPair.publicKey));
  return {
    publicKey: bytesToBase64(raw),
    keyPair,
    async sign(data) {
      return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, keyPair.privateKey, data as BufferSource));
    },
  };
}

/** For Node profiles: the key pair as two JWKs (the private one is secret: keep the file 0600). */
export async function exportDeviceKey(key: DeviceKey): Promise<{ publicJwk: JsonWebKey; privateJwk: JsonWebKey }> {
  return {
    publicJwk: await crypto.subtle.exportKey('jwk', key.keyPair.publicKey),
    privateJwk: await crypto.subtle.exportKey('jwk', key.keyPair.privateKey),
  };
}

export async function importDeviceKey(jwks: { publicJwk: JsonWebKey; privateJwk: JsonWebKey }): Promise<DeviceKey> {
  const publicKey = await crypto.subtle.importKey('jwk', jwks.publicJwk, { name: 'Ed25519' }, true, ['verify']);
  const privateKey = await crypto.subtle.importKey('jwk', jwks.privateJwk, { name: 'Ed25519' }, true, ['sign']);
  return deviceKeyFromKeyPair({ publicKey, privateKey });
}
