import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SealedStore, isStoreSealError } from '@parley/client';
import { FileStore } from './file-store.ts';
import { CliError } from './profile.ts';
import { STORE_KEY_FILE, cliStoreKey } from './store-key.ts';

const MARKER = 'cli-marker-9d41e7';
const MARKER_BYTES = new TextEncoder().encode('cli-bytes-marker-02c7');

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-storekey-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function assertFileClean(path: string): void {
  const text = readFileSync(path, 'utf8');
  assert.ok(!text.includes(MARKER), 'marker text in store.json');
  assert.ok(!text.includes(Buffer.from(MARKER_BYTES).toString('base64').slice(0, 12)), 'marker bytes in store.json');
}

describe('CLI store key', () => {
  it('a random key file (0600) seals store.json and opens it again', async () => withDir(async (dir) => {
    const path = join(dir, 'store.json');
    const store = await SealedStore.open(new FileStore(path), await cliStoreKey(dir, {}));
    await store.setMeta('session-token', `token ${MARKER}`);
    await store.putMlsIdentity(MARKER_BYTES);
    assert.equal(statSync(join(dir, STORE_KEY_FILE)).mode & 0o777, 0o600);
    assertFileClean(path);
    const again = await SealedStore.open(new FileStore(path), await cliStoreKey(dir, {}));
    assert.equal(await again.getMeta('session-token'), `token ${MARKER}`);
    assert.deepEqual(await again.getMlsIdentity(), MARKER_BYTES);
  }));

  it('a passphrase key needs PARLEY_STORE_PASSPHRASE every time; a wrong one is store_key_mismatch', async () => withDir(async (dir) => {
    const path = join(dir, 'store.json');
    const env = { PARLEY_STORE_PASSPHRASE: 'correct horse' };
    await (await SealedStore.open(new FileStore(path), await cliStoreKey(dir, env))).putMlsIdentity(MARKER_BYTES);
    assert.ok(!readFileSync(join(dir, STORE_KEY_FILE), 'utf8').includes('"key"'), 'no key in the file');
    await assert.rejects(cliStoreKey(dir, {}), (e) => e instanceof CliError && /PARLEY_STORE_PASSPHRASE/.test(e.message));
    const wrong = await cliStoreKey(dir, { PARLEY_STORE_PASSPHRASE: 'wrong' });
    await assert.rejects(SealedStore.open(new FileStore(path), wrong), (e) => isStoreSealError(e, 'store_key_mismatch'));
    const right = await SealedStore.open(new FileStore(path), await cliStoreKey(dir, env));
    assert.deepEqual(await right.getMlsIdentity(), MARKER_BYTES);
  }));

  it('an unencrypted store.json from before is rewritten sealed on the first open', async () => withDir(async (dir) => {
    const path = join(dir, 'store.json');
    const old = new FileStore(path);
    await old.putChat({ chatId: 'chat_0000001', kind: 'direct', name: '', color: '#000', members: [], lastSeq: 1, unread: 0, createdAt: 1, mlsEpoch: 0 });
    await old.putMessages([{
      chatId: 'chat_0000001', seq: 1, clientMsgId: 'msg_0000001', senderUserId: 'user_000001', senderDeviceId: 'dev_0000001', sentAt: 1,
      envelope: null, system: null, decoded: { kind: 'content', content: { kind: 'text', text: MARKER } },
    }], new Map([['chat_0000001', MARKER_BYTES]]));
    await old.putKeyPackages([{ ref: 'r1', keyPackage: new Uint8Array([1]), privateKeys: MARKER_BYTES, lastResort: true, createdAt: 1 }]);
    await old.setMeta('session-token', MARKER);
    assert.ok(readFileSync(path, 'utf8').includes(MARKER));

    const store = await SealedStore.open(new FileStore(path), await cliStoreKey(dir, {}));
    assertFileClean(path);
    const [m] = await store.getMessages('chat_0000001');
    assert.deepEqual(m?.decoded, { kind: 'content', content: { kind: 'text', text: MARKER } });
    assert.deepEqual(await store.getMlsGroup('chat_0000001'), MARKER_BYTES);
    assert.deepEqual((await store.listKeyPackages())[0]?.privateKeys, MARKER_BYTES);
    assert.equal(await store.getMeta('session-token'), MARKER);
  }));
});
