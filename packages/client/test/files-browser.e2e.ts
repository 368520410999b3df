import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { accounts, exportDeviceKey, generateDeviceKey, MemoryStore, type ParleyClient } from '@parley/client';
import { newClient, startTestServer, uniqueHandle, waitFor } from '@parley/testing';

/** Same bytes as the entry's `send`. */
function pseudoRandom(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) { x = (x * 1103515245 + 12345) >>> 0; bytes[i] = x >>> 24; }
  return bytes;
}

describe('files through the SDK in Chromium (R52, R53, R58)', () => {
  it('a Blob upload (XHR, IndexedDB, sealed store) cut by a page reload resumes from IndexedDB after it; Node and the browser download the same bytes', async () => {
    // The page is served by the server itself (as the web app is), so the SDK's requests are same-origin.
    const web = mkdtempSync(join(tmpdir(), 'parley-sdk-smoke-'));
    await build({
      entryPoints: [fileURLToPath(new URL('./files-browser-entry.ts', import.meta.url))], bundle: true, format: 'esm', platform: 'browser', outfile: join(web, 'sdk.js'), logLevel: 'silent',
    });
    writeFileSync(join(web, 'index.html'), '<!doctype html><meta charset="utf-8"><title>sdk</title><script type="module" src="/sdk.js"></script>');
    await using server = await startTestServer({ PARLEY_WEB_DIST: web });
    const deviceKey = await generateDeviceKey({ extractable: true });
    const alice = await accounts.createWithDeviceKey(server.url, { handle: uniqueHandle('br_a'), displayName: 'Alice', deviceName: 'browser', deviceKey });
    const bobKey = await generateDeviceKey();
    const bobAccount = await accounts.createWithDeviceKey(server.url, { handle: uniqueHandle('br_b'), displayName: 'Bob', deviceName: 'node', deviceKey: bobKey });
    const bob: ParleyClient = newClient(server.url, bobAccount.userId, bobAccount.deviceId, bobKey, new MemoryStore(), undefined, { mls: { enabled: false } });
    await bob.start();
    const { chatId } = await bob.createGroup({ name: 'Clips', memberIds: [alice.userId] });

    // Debian's chromium, installed on first use as the web tests do (npm's browser downloads fail here).
    if (!existsSync('/usr/bin/chromium')) execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
    try {
      const page = await browser.newPage();
      page.on('pageerror', (e) => console.error('page error:', e));
      const patches: number[] = [];
      page.on('request', (r) => { if (r.method() === 'PATCH') patches.push(Number(r.headers()['upload-offset'])); });
      const opts = { baseUrl: server.url, userId: alice.userId, deviceId: alice.deviceId, jwks: await exportDeviceKey(deviceKey), storeKey: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64') };
      const open = async () => {
        await page.goto(`${server.url}/`);
        await page.waitForFunction(() => 'sdkSmoke' in window);
        await page.evaluate((o) => window.sdkSmoke.start(o), opts);
      };
      await open();
      await page.waitForFunction((id) => (window as unknown as { client: ParleyClient }).client.chats().some((c) => c.chatId === id), chatId);

      // A slow uplink (Chromium's own throttling), so the reload lands mid-upload.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1024 * 1024 });
      const size = 5 * 1024 * 1024 + 17;
      const id = await page.evaluate(({ chatId: c, size: n }) => window.sdkSmoke.send(c, n, 42), { chatId, size });
      await page.waitForFunction(() => (window.sdkSmoke.uploads()[0]?.sentBytes ?? 0) > 1024 * 1024, undefined, { timeout: 60_000 });
      const before = await page.evaluate(() => window.sdkSmoke.uploads()[0]);
      assert.equal(before?.state, 'uploading');
      assert.ok((before?.bytesPerSec ?? 0) > 0, 'a speed is shown');

      await page.reload(); // the browser restarts the app mid-upload
      const patchesBefore = patches.length;
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 }).catch(() => undefined);
      await page.waitForFunction(() => 'sdkSmoke' in window);
      await page.evaluate((o) => window.sdkSmoke.start(o), opts);
      const resumed = await page.evaluate(() => window.sdkSmoke.uploads()[0]);
      assert.equal(resumed?.clientMsgId, id, 'the upload came back from IndexedDB');
      await waitFor(() => bob.timeline(chatId).some((i) => i.id === id && i.attachments?.[0]?.blobId), { what: 'bob gets the file', timeoutMs: 60_000 });
      assert.ok((patches[patchesBefore] ?? 0) > 0, `after the reload it went on from the server's offset (${patches.join(', ')})`);

      const expected = pseudoRandom(size, 42);
      const att = bob.timeline(chatId).find((i) => i.id === id)!.attachments![0]!;
      assert.deepEqual([att.name, att.mime, att.kind, att.size], ['clip.webm', 'video/webm', 'video', size]);
      assert.deepEqual(new Uint8Array(await (await bob.downloadAttachment(att)).arrayBuffer()), expected);
      const back = await page.evaluate(({ chatId: c, id: m }) => window.sdkSmoke.fetchBack(c, m), { chatId, id });
      assert.deepEqual(back, { type: 'video/webm', size, sha256: createHash('sha256').update(expected).digest('hex'), range: [...expected.subarray(1000, 1010)] });
    } finally {
      await browser.close();
      await bob.stop();
      rmSync(web, { recursive: true, force: true });
    }
  });
});
