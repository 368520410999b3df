import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from './memory-store.ts';
import { isStoreSealError } from './seal.ts';
import { SealedStore } from './sealed-store.ts';
import { localStoreKey, newPassphraseStoreKey, newPrfStoreKey, storeKeyFromPassphrase, storeKeyFromPrf, takePrfOutput, type KeyValueSlot } from './store-key.ts';

function mapSlot(): KeyValueSlot {
  const values = new Map<string, unknown>();
  return {
    getValue: async <T>(k: string) => values.get(k) as T | undefined,
    putValue: async (k, v) => void values.set(k, v),
    putValueIfAbsent: async <T>(k: string, v: T) => {
      if (!values.has(k)) values.set(k, v);
      return values.get(k) as T;
    },
  };
}

describe('store keys', () => {
  it('the local key is made once, non-extractable, and kept in its slot', async () => {
    const slot = mapSlot();
    const key = await localStoreKey(slot);
    assert.equal(key.extractable, false);
    assert.equal(await localStoreKey(slot), key);
  });

  it('two tabs making the local key at once end up with the same key', async () => {
    const slot = mapSlot();
    const [a, b] = await Promise.all([localStoreKey(slot), localStoreKey(slot)]);
    assert.equal(a, b);
  });

  it('the same PRF output and salt give a key that opens the store again; another PRF output does not', async () => {
    const prf = crypto.getRandomValues(new Uint8Array(32));
    const { kind, key } = await newPrfStoreKey(prf, 'Y3JlZA', 'localhost');
    assert.equal(kind.kind, 'prf');
    const inner = new MemoryStore();
    await (await SealedStore.open(inner, key)).setMeta('session-token', 'secret');
    const salt = Buffer.from(kind.kind === 'prf' ? kind.salt : '', 'base64');
    const again = await SealedStore.open(inner, await storeKeyFromPrf(prf, salt));
    assert.equal(await again.getMeta('session-token'), 'secret');
    const other = await storeKeyFromPrf(crypto.getRandomValues(new Uint8Array(32)), salt);
    await assert.rejects(SealedStore.open(inner, other), (e) => isStoreSealError(e, 'store_key_mismatch'));
  });

  it('R46 a passphrase key opens the store again with the same passphrase and salt; another passphrase does not', async () => {
    const { kind, key } = await newPassphraseStoreKey('correct horse battery', 1000);
    assert.ok(kind.kind === 'passphrase');
    assert.equal(kind.iterations, 1000);
    assert.equal(key.extractable, false);
    const inner = new MemoryStore();
    await (await SealedStore.open(inner, key)).setMeta('session-token', 'secret');
    // Composed and decomposed forms of the same text are one passphrase (NFC).
    const nfd = await newPassphraseStoreKey('caf\u0065\u0301 au lait', 1000);
    const nfcAgain = await storeKeyFromPassphrase('caf\u00e9 au lait', nfd.kind as Extract<typeof nfd.kind, { kind: 'passphrase' }>);
    const innerNfd = new MemoryStore();
    await (await SealedStore.open(innerNfd, nfd.key)).setMeta('x', 'y');
    assert.equal(await (await SealedStore.open(innerNfd, nfcAgain)).getMeta('x'), 'y');
    assert.equal(await (await SealedStore.open(inner, await storeKeyFromPassphrase('correct horse battery', kind))).getMeta('session-token'), 'secret');
    await assert.rejects(SealedStore.open(inner, await storeKeyFromPassphrase('correct horse batterY', kind)), (e) => isStoreSealError(e, 'store_key_mismatch'));
    await assert.rejects(newPassphraseStoreKey('short'), /at least 8/);
  });

  it('takes the PRF output out of the extension results (it must not reach the server)', () => {
    const first = new Uint8Array([1, 2, 3]).buffer;
    const results: Record<string, unknown> = { prf: { enabled: true, results: { first } }, credProps: { rk: true } };
    assert.deepEqual(new Uint8Array(takePrfOutput(results)!), new Uint8Array([1, 2, 3]));
    assert.deepEqual(results, { credProps: { rk: true } });
    assert.equal(takePrfOutput({}), undefined);
  });
});
