import { getCiphersuiteFromName, getCiphersuiteImpl, type CiphersuiteImpl } from 'ts-mls';
import { makeHashImpl } from 'ts-mls/crypto/implementation/noble/makeHashImpl.js';

/** RFC 9420 suite 1, the mandatory-to-implement one: X25519 + AES-128-GCM + SHA-256 + Ed25519. */
export const DEFAULT_CIPHERSUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' as const;
/**
 * Post-quantum option. ts-mls 1.6.4 supports pure ML-KEM suites (77–82), ML-DSA-87 signatures (85–88)
 * and the X-Wing hybrid KEM (X25519 + ML-KEM-768, suites 83/84/87/88). Parley offers X-Wing with classic
 * Ed25519 signatures: hybrid, so it is never weaker than X25519 if ML-KEM breaks, and it protects
 * stored traffic against a future quantum adversary ("harvest now, decrypt later"). Needs the
 * `@hpke/hybridkem-x-wing` peer dependency, which the client installs. Suite ids 83+ are private-use
 * code points, so only peers running ts-mls (or the same draft assignment) interoperate.
 */
export const PQ_HYBRID_CIPHERSUITE = 'MLS_256_XWING_AES256GCM_SHA512_Ed25519' as const;

export const SUPPORTED_CIPHERSUITES = [DEFAULT_CIPHERSUITE, PQ_HYBRID_CIPHERSUITE] as const;
export type MlsCiphersuite = (typeof SUPPORTED_CIPHERSUITES)[number];

export function isSupportedCiphersuite(name: unknown): name is MlsCiphersuite {
  return SUPPORTED_CIPHERSUITES.some((s) => s === name);
}

const loaded = new Map<MlsCiphersuite, Promise<CiphersuiteImpl>>();

/**
 * What checking a group's public state needs of a suite: its hash (tree hashes, parent hashes,
 * transcript hashes, key package refs) and signature verification. ts-mls's default implementation
 * with the hash on @noble/hashes: tree hashes of a 5,000-member tree are ~10,000 digests, and Web
 * Crypto's awaited digest per call costs more than the hashing.
 */
export function loadPublicSuite(name: MlsCiphersuite): Promise<CiphersuiteImpl> {
  let impl = loaded.get(name);
  if (impl === undefined) {
    const suite = getCiphersuiteFromName(name);
    impl = getCiphersuiteImpl(suite).then((base) => ({ ...base, hash: makeHashImpl(suite.hash) }));
    impl.catch(() => loaded.delete(name));
    loaded.set(name, impl);
  }
  return impl;
}
