import { sha256 } from '@noble/hashes/sha2.js';
import { isNode, nodeModule } from './sources.ts';
import { toHex } from './file-crypto-hex.ts';

/** An incremental SHA-256 (R52: the hash of a file's whole ciphertext). */
export interface Sha256 {
  update(bytes: Uint8Array): void;
  /** Hex digest of what was fed so far; updating may go on afterwards. */
  hex(): string;
}

/**
 * Node's native SHA-256 where there is one (~1.7 GB/s here), else @noble/hashes (~120 MB/s here):
 * Web Crypto has no incremental hash. In a browser the uplink is almost always the slower part.
 */
export async function newSha256(): Promise<Sha256> {
  if (isNode) {
    const { createHash } = await nodeModule<typeof import('node:crypto')>('node:crypto');
    const h = createHash('sha256');
    return { update: (b) => void h.update(b), hex: () => h.copy().digest('hex') };
  }
  const h = sha256.create();
  return { update: (b) => void h.update(b), hex: () => toHex(h.clone().digest()) };
}
