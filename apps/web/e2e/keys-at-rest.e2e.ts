import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

const composer = (page: Page) => page.getByLabel('Message', { exact: true });
const message = (page: Page, text: string) => page.getByTestId('message').filter({ has: page.locator('.text', { hasText: text }) });


/**
 * Every IndexedDB database of the page, every object store, keys and values, as one string:
 * bytes as hex, CryptoKeys as a tag, and every base64-looking string also decoded (latin1), so a
 * secret kept base64-encoded (JSON identity, plaintext envelopes) is found too.
 */
const DUMP_INDEXEDDB = `(async () => {
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const out = [];
  const walk = (v) => {
    if (v === null || v === undefined) return;
    if (typeof v === 'string') {
      out.push(v);
      if (v.length >= 16 && /^[A-Za-z0-9+/]+=*$/.test(v)) { try { out.push(atob(v)); } catch {} }
      return;
    }
    if (typeof v === 'number' || typeof v === 'boolean') { out.push(String(v)); return; }
    if (v instanceof ArrayBuffer) { walk(new Uint8Array(v)); return; }
    if (ArrayBuffer.isView(v)) { const b = new Uint8Array(v.buffer, v.byteOffset, v.byteLength); out.push(hex(b)); out.push(String.fromCharCode(...b)); return; }
    if (typeof CryptoKey !== 'undefined' && v instanceof CryptoKey) { out.push('[CryptoKey ' + v.algorithm.name + ' extractable=' + v.extractable + ']'); return; }
    if (Array.isArray(v)) { v.forEach(walk); return; }
    if (typeof v === 'object') { for (const [k, x] of Object.entries(v)) { out.push(k); walk(x); } }
  };
  const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  for (const info of await indexedDB.databases()) {
    const db = await req(indexedDB.open(info.name));
    for (const name of db.objectStoreNames) {
      out.push('## ' + info.name + '/' + name);
      const store = db.transaction(name).objectStore(name);
      walk(await req(store.getAllKeys()));
      walk(await req(store.getAll()));
    }
    db.close();
  }
  return out.join('\\n');
})()`;

/**
 * Opens the sealed MLS identity with the local key (usable by the page's script, never readable),
 * following the sealed-record format of packages/client/src/stores/seal.ts.
 */
const OPEN_IDENTITY_WITH_LOCAL_KEY = `(async () => {
  const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  const db = await req(indexedDB.open('parley'));
  const meta = db.transaction('meta').objectStore('meta');
  const key = await req(meta.get('store-key-local'));
  const sealed = await req(meta.get('mls-identity'));
  db.close();
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: sealed.slice(9, 21), additionalData: new TextEncoder().encode('parley-store/v1/mlsIdentity') },
    key, sealed.slice(21));
  return new TextDecoder().decode(plain);
})()`;

describe('the web client keeps its store sealed at rest', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  /** Signs up, opens the direct chat Zed started, sends `marker` and waits until Zed has read it. */
  async function sendMarker(page: Page, name: string, marker: string): Promise<void> {
    const handle = uniqueHandle(name.toLowerCase());
    await signUp(page, url, name, handle);
    const me = await zed.client.findUser(handle);
    const direct = await zed.client.openDirect(me.userId);
    await zed.client.sendText(direct.chatId, `hi ${name}`);
    await page.goto(`${url}/#/chat/${direct.chatId}`);
    await message(page, `hi ${name}`).waitFor();
    await composer(page).fill(marker);
    await composer(page).press('Enter');
    await waitFor(() => zed.client.timeline(direct.chatId).some((m) => m.text === marker), { what: 'zed has the marker', timeoutMs: 30_000 });
  }

  it('local key: no message text and no MLS private key in IndexedDB; after a reload the message is still shown', async () => {
    const { context, page } = await personPage(browser);
    const marker = `at-rest-local-${Date.now().toString(36)}`;
    await sendMarker(page, 'Lia', marker);

    const identity = JSON.parse(await page.evaluate(OPEN_IDENTITY_WITH_LOCAL_KEY) as string) as { signaturePrivateKey: string; deviceId: string };
    const privateKey = Buffer.from(identity.signaturePrivateKey, 'base64');
    assert.ok(privateKey.length >= 32);
    const dump = await page.evaluate(DUMP_INDEXEDDB) as string;
    assert.ok(dump.includes('## parley/messages') && dump.includes('## parley/mlsGroups'), 'the dump covers the store');
    assert.ok(dump.includes('[CryptoKey AES-GCM extractable=false]'), 'the local key is a non-extractable CryptoKey');
    assert.ok(!dump.includes(marker), 'the message text is in IndexedDB');
    assert.ok(!dump.includes(identity.signaturePrivateKey), 'the MLS private key (base64) is in IndexedDB');
    assert.ok(!dump.includes(privateKey.toString('hex')), 'the MLS private key (bytes) is in IndexedDB');
    assert.ok(!dump.includes(privateKey.toString('latin1')), 'the MLS private key (decoded) is in IndexedDB');

    await page.reload();
    await message(page, marker).waitFor();
    await screenshot(page, 'keys-at-rest-local-after-reload');
    await context.close();
  });

  it('passkey PRF: the store key is derived from the passkey, never kept; on load the passkey unlocks it', async () => {
    const { context, page } = await personPage(browser, { prf: true });
    const marker = `at-rest-prf-${Date.now().toString(36)}`;
    await sendMarker(page, 'Pia', marker);

    const dump = await page.evaluate(DUMP_INDEXEDDB) as string;
    assert.ok(dump.includes('store-key-kind') && dump.includes('prf'), 'the store is sealed with the passkey key');
    assert.ok(!dump.includes('store-key-local'), 'no local store key is kept');
    assert.ok(!dump.includes(marker), 'the message text is in IndexedDB');

    await page.reload();
    await page.getByRole('heading', { name: 'Unlock Parley' }).waitFor();
    await screenshot(page, 'keys-at-rest-unlock');
    await page.getByRole('button', { name: 'Unlock with passkey' }).click();
    await message(page, marker).waitFor();
    await context.close();
  });
});
