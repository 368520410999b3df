import { sha256 } from '@noble/hashes/sha2.js';
import type { Signature } from 'ts-mls';

/** Imported keys kept per kind (a device signs with one key; it verifies its chats' members' keys). */
const KEPT = 512;

/** PKCS#8 of a raw 32-byte Ed25519 private key (RFC 8410), as ts-mls's Web Crypto signer builds it. */
function pkcs8Of(raw: Uint8Array): Uint8Array {
  return new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20, ...raw]);
}

const idOf = (bytes: Uint8Array) => Array.from(sha256(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * Ed25519 keys imported into Web Crypto once, not for every signature (issue 14's 100 msg/s
 * profile): ts-mls's signer imports the private key (PKCS#8) for each message it signs and the
 * sender's public key for each it verifies, a tenth of a bot gateway's CPU. The last KEPT of each
 * are kept as non-extractable CryptoKeys, found by the SHA-256 of the key bytes (no copy of a
 * private key is kept as a map key). Where Web Crypto cannot import one, ts-mls's own path runs.
 */
export function withImportedEd25519Keys(base: Signature, subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle): Signature {
  if (!subtle) return base;
  const signKeys = new Map<string, Promise<CryptoKey>>();
  const verifyKeys = new Map<string, Promise<CryptoKey>>();
  const keyOf = (cache: Map<string, Promise<CryptoKey>>, bytes: Uint8Array, load: () => Promise<CryptoKey>): Promise<CryptoKey> => {
    const id = idOf(bytes);
    let key = cache.get(id);
    if (key) {
      cache.delete(id); // most recent last
    } else {
      key = load();
      key.catch(() => cache.delete(id));
    }
    cache.set(id, key);
    if (cache.size > KEPT) cache.delete(cache.keys().next().value!);
    return key;
  };
  return {
    keygen: () => base.keygen(),
    async sign(signKey, message) {
      let key: CryptoKey;
      try {
        key = await keyOf(signKeys, signKey, () => subtle.importKey('pkcs8', (signKey.length === 32 ? pkcs8Of(signKey) : signKey) as BufferSource, 'Ed25519', false, ['sign']));
      } catch {
        return base.sign(signKey, message);
      }
      return new Uint8Array(await subtle.sign('Ed25519', key, message as BufferSource));
    },
    async verify(publicKey, message, signature) {
      let key: CryptoKey;
      try {
        key = await keyOf(verifyKeys, publicKey, () => subtle.importKey('raw', publicKey as BufferSource, 'Ed25519', false, ['verify']));
      } catch {
        return base.verify(publicKey, message, signature);
      }
      return subtle.verify('Ed25519', key, signature as BufferSource, message as BufferSource);
    },
  };
}
