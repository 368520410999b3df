import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { getCiphersuiteFromName, getCiphersuiteImpl } from 'ts-mls';
import { DEFAULT_CIPHERSUITE, loadCiphersuite } from './ciphersuite.ts';

/**
 * Parley's implementation of suite 1 (hash, HMAC, HKDF and HPKE's key derivation by @noble/hashes)
 * against ts-mls's default one (Web Crypto): the same outputs, and each side opens what the other
 * sealed. The interop vectors (interop-vectors.test.ts) check it against other MLS stacks too.
 */
describe('loadCiphersuite (suite 1)', () => {
  test('hash, HMAC and HKDF give what ts-mls\'s default implementation gives, empty salts included', async () => {
    const ours = await loadCiphersuite(DEFAULT_CIPHERSUITE);
    const base = await getCiphersuiteImpl(getCiphersuiteFromName(DEFAULT_CIPHERSUITE));
    for (const len of [0, 1, 32, 100]) {
      const data = new Uint8Array(randomBytes(len));
      const key = new Uint8Array(randomBytes(32));
      assert.deepEqual(await ours.hash.digest(data), await base.hash.digest(data));
      assert.deepEqual(await ours.hash.mac(key, data), await base.hash.mac(key, data));
      assert.equal(await ours.hash.verifyMac(key, await base.hash.mac(key, data), data), true);
      for (const salt of [new Uint8Array(0), key]) assert.deepEqual(await ours.kdf.extract(salt, data), await base.kdf.extract(salt, data));
      assert.deepEqual(await ours.kdf.expand(key, data, 80), await base.kdf.expand(key, data, 80));
    }
  });

  test('HPKE: each implementation opens what the other sealed; DeriveKeyPair gives the same key pair', async () => {
    const ours = await loadCiphersuite(DEFAULT_CIPHERSUITE);
    const base = await getCiphersuiteImpl(getCiphersuiteFromName(DEFAULT_CIPHERSUITE));
    const ikm = new Uint8Array(randomBytes(32));
    const a = await ours.hpke.deriveKeyPair(ikm);
    const b = await base.hpke.deriveKeyPair(ikm);
    assert.deepEqual(await ours.hpke.exportPublicKey(a.publicKey), await base.hpke.exportPublicKey(b.publicKey));
    assert.deepEqual(await ours.hpke.exportPrivateKey(a.privateKey), await base.hpke.exportPrivateKey(b.privateKey));
    const info = new TextEncoder().encode('parley test');
    const plaintext = new Uint8Array(randomBytes(64));
    for (const [from, to] of [[ours, base], [base, ours]] as const) {
      const pair = await to.hpke.generateKeyPair();
      const sealed = await from.hpke.seal(pair.publicKey, plaintext, info);
      assert.deepEqual(await to.hpke.open(pair.privateKey, sealed.enc, sealed.ct, info), plaintext);
      const tampered = sealed.ct.slice();
      tampered[0] = (tampered[0] ?? 0) ^ 1;
      await assert.rejects(to.hpke.open(pair.privateKey, sealed.enc, tampered, info));
    }
  });
});
