import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { getCiphersuiteFromName, getCiphersuiteImpl, type Ciphersuite, type CiphersuiteImpl } from 'ts-mls';
import { makeHashImpl } from 'ts-mls/crypto/implementation/noble/makeHashImpl.js';
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { makeAead } from 'ts-mls/crypto/implementation/default/makeAead.js';
import { makeGenericHpke } from 'ts-mls/crypto/implementation/hpke.js';
import type { MlsCiphersuite } from '@parley/mls-public';
import { MlsSessionError } from './errors.ts';
import { withImportedEd25519Keys } from './signature-keys.ts';

export { DEFAULT_CIPHERSUITE, PQ_HYBRID_CIPHERSUITE, SUPPORTED_CIPHERSUITES, isSupportedCiphersuite, type MlsCiphersuite } from '@parley/mls-public';

const loaded = new Map<MlsCiphersuite, Promise<CiphersuiteImpl>>();

/** An @hpke/core HKDF object (a CipherSuite's KDF, or the one a DHKEM derives keys with). */
interface HpkeHkdf {
  hashSize: number;
  extract(salt: ArrayBuffer, ikm: ArrayBuffer): Promise<ArrayBuffer>;
  expand(prk: ArrayBuffer, info: ArrayBuffer, len: number): Promise<ArrayBuffer>;
  extractAndExpand(salt: ArrayBuffer, ikm: ArrayBuffer, info: ArrayBuffer, len: number): Promise<ArrayBuffer>;
}

const copy = (b: Uint8Array): ArrayBuffer => b.slice().buffer;

/** Replaces the object's HKDF-SHA256 with @noble/hashes (its labeled extract/expand call these). */
function syncHkdf(k: HpkeHkdf | undefined): void {
  if (!k || typeof k.extract !== 'function' || k.hashSize !== 32) throw new Error('@hpke/core changed: no HKDF-SHA256 object where expected');
  const zeros = new Uint8Array(k.hashSize); // RFC 5869: an empty salt is HashLen zeros
  k.extract = async (salt, ikm) => copy(extract(sha256, new Uint8Array(ikm), salt.byteLength === 0 ? zeros : new Uint8Array(salt)));
  k.expand = async (prk, info, len) => copy(expand(sha256, new Uint8Array(prk), new Uint8Array(info), len));
  k.extractAndExpand = async (salt, ikm, info, len) => copy(expand(sha256, extract(sha256, new Uint8Array(ikm), new Uint8Array(salt)), new Uint8Array(info), len));
}

/**
 * HPKE for DHKEM(X25519)/HKDF-SHA256 as ts-mls builds it (its makeAead and makeGenericHpke, @hpke/core's
 * CipherSuite), with the KDF of the suite and of the KEM (which also runs DeriveKeyPair, used for
 * every tree node's key) on @noble/hashes. Other suites keep ts-mls's HPKE.
 */
async function syncHpke(suite: Ciphersuite, base: CiphersuiteImpl): Promise<CiphersuiteImpl['hpke']> {
  if (suite.hpke.kem !== 'DHKEM-X25519-HKDF-SHA256' || suite.hpke.kdf !== 'HKDF-SHA256') return base.hpke;
  const kem = new DhkemX25519HkdfSha256();
  syncHkdf((kem as unknown as { _kdf?: HpkeHkdf })._kdf); // the same object its X25519 primitive derives keys with
  const kdf = new HkdfSha256();
  syncHkdf(kdf as unknown as HpkeHkdf);
  const [aead, aeadInterface] = await makeAead(suite.hpke.aead);
  return makeGenericHpke(suite.hpke, aead, new CipherSuite({ kem, kdf, aead: aeadInterface }));
}

/**
 * ts-mls's default implementation (Web Crypto for AEAD and X25519, @noble for signatures) with the
 * suite's hash, HMAC and HKDF — MLS's own and, for suite 1, HPKE's — computed by @noble/hashes.
 * ts-mls's default HKDF goes through Web Crypto, which imports a key and awaits for every
 * derivation; an epoch change derives O(members) secrets (tree hashes, the secret tree, path
 * secrets, node key pairs, one HPKE encryption per copath resolution), so at 1,000 members that
 * per-call overhead was most of a commit (add 480 → 95 ms, process 470 → 70 ms; a path update right
 * after a bulk create 1.3 → 0.55 s; docs/BENCHMARKS.md). Same outputs (HKDF is RFC 5869):
 * ciphersuite.test.ts compares both implementations and the interop vectors run on this one.
 */
export function withSyncHashing(base: CiphersuiteImpl, suite: Ciphersuite, hpke: CiphersuiteImpl['hpke'] = base.hpke): CiphersuiteImpl {
  const kdfHash = { 'HKDF-SHA256': sha256, 'HKDF-SHA384': sha384, 'HKDF-SHA512': sha512 }[suite.hpke.kdf];
  return {
    ...base,
    hpke,
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
    impl = getCiphersuiteImpl(suite).then(async (base) => {
      const impl = withSyncHashing(base, suite, await syncHpke(suite, base));
      return suite.signature === 'Ed25519' ? { ...impl, signature: withImportedEd25519Keys(impl.signature) } : impl;
    }).catch((e: unknown) => {
      loaded.delete(name);
      throw new MlsSessionError('mls_unsupported_suite', `cannot load ${name}`, { cause: e });
    });
    loaded.set(name, impl);
  }
  return impl;
}
