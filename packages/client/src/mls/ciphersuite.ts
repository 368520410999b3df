import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { getCiphersuiteFromName, getCiphersuiteImpl, type Ciphersuite, type CiphersuiteImpl } from 'ts-mls';
import { makeHashImpl } from 'ts-mls/crypto/implementation/noble/makeHashImpl.js';
import { MlsSessionError } from './errors.ts';

/** RFC 9420 suite 1, the mandatory-to-implement one: X25519 + AES-128-GCM + SHA-256 + Ed25519. */
export const DEFAULT_CIPHERSUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' as const;

/**
 * Post-quantum option. ts-mls 1.6.4 supports pure ML-KEM suites (77–82), ML-DSA-87 signatures (85–88)
 * and the X-Wing hybrid KEM (X25519 + ML-KEM-768, suites 83/84/87/88). We expose X-Wing with classic
 * Ed25519 signatures: hybrid, so it is never weaker than X25519 if ML-KEM breaks, and it protects
 * stored traffic against a future quantum adversary ("harvest now, decrypt later"). Needs the
 * `@hpke/hybridkem-x-wing` peer dependency, which this package installs. Suite ids 83+ are private-use
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
 * ts-mls's default implementation (Web Crypto for AEAD and the KEM, @noble for signatures) with the
 * suite's hash, HMAC and MLS key derivation (HKDF) computed by @noble/hashes. ts-mls's default HKDF
 * goes through Web Crypto, which imports a key and awaits for every derivation; an epoch change
 * derives O(members) secrets (tree hashes, the secret tree, path secrets), so at 1,000 members that
 * per-call overhead was most of a commit (add: 480 → 95 ms, process: 470 → 70 ms; docs/BENCHMARKS.md).
 * Same outputs (HKDF is RFC 5869): the interop vectors run on this implementation.
 */
export function withSyncHashing(base: CiphersuiteImpl, suite: Ciphersuite): CiphersuiteImpl {
  const kdfHash = { 'HKDF-SHA256': sha256, 'HKDF-SHA384': sha384, 'HKDF-SHA512': sha512 }[suite.hpke.kdf];
  return {
    ...base,
    hash: makeHashImpl(suite.hash),
    kdf: {
      size: base.kdf.size,
      extract: async (salt, ikm) => extract(kdfHash, ikm, salt),
      expand: async (prk, info, len) => expand(kdfHash, prk, info, len),
    },
  };
}

/** The crypto implementation of a suite, loaded once per process. */
export function loadCiphersuite(name: MlsCiphersuite): Promise<CiphersuiteImpl> {
  let impl = loaded.get(name);
  if (impl === undefined) {
    const suite = getCiphersuiteFromName(name);
    impl = getCiphersuiteImpl(suite).then((base) => withSyncHashing(base, suite)).catch((e: unknown) => {
      loaded.delete(name);
      throw new MlsSessionError('mls_unsupported_suite', `cannot load ${name}`, { cause: e });
    });
    loaded.set(name, impl);
  }
  return impl;
}
