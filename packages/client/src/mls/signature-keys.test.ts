import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getCiphersuiteFromName, getCiphersuiteImpl } from 'ts-mls';
import { withImportedEd25519Keys } from './signature-keys.ts';

describe('Ed25519 keys imported once (issue 14)', () => {
  it('signs and verifies as ts-mls does, importing each key once however many messages', async () => {
    const base = (await getCiphersuiteImpl(getCiphersuiteFromName('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519'))).signature;
    let imports = 0;
    const subtle = globalThis.crypto.subtle;
    const counting = new Proxy(subtle, {
      get: (target, prop) => (prop === 'importKey' ? (...args: Parameters<SubtleCrypto['importKey']>) => { imports++; return target.importKey(...args); } : Reflect.get(target, prop).bind(target)),
    });
    const cached = withImportedEd25519Keys(base, counting);
    const { signKey, publicKey } = await base.keygen();
    const other = await base.keygen();
    for (let i = 0; i < 20; i++) {
      const message = new TextEncoder().encode(`message ${i}`);
      const signature = await cached.sign(signKey, message);
      assert.equal(await base.verify(publicKey, message, signature), true, 'ts-mls accepts it');
      assert.equal(await cached.verify(publicKey, message, await base.sign(signKey, message)), true, 'it accepts ts-mls\'s');
      assert.equal(await cached.verify(other.publicKey, message, signature), false, 'another key does not');
      assert.equal(await cached.verify(publicKey, new TextEncoder().encode('altered'), signature), false, 'another message does not');
    }
    assert.equal(imports, 3, 'one private key, two public keys');
  });
});
