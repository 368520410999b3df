import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { loadConfig, startParley, defaultWebDist, type RunningServer } from '@parley/server';
import { createUser, freePort, testEnv, uniqueHandle, waitFor } from '@parley/testing';
import { launchBrowser, personPage, screenshot, signUp } from './browser.ts';

/**
 * R40 in Debian's Chromium: when the server cannot send this device its sign-in (a frame larger
 * than the whole send buffer, `frame_too_large`), the banner says so instead of "Offline", and the
 * app does not hammer the server. The server's buffer is shrunk to 3,000 bytes after the start-up
 * check that would refuse it, so one group of 20 long names is too large to send.
 */
describe('connection problems in the browser', { timeout: 180_000 }, () => {
  let server: RunningServer;
  let browser: Browser;
  let url: string;
  let dataDir: string;
  before(async () => {
    const port = await freePort();
    url = `http://localhost:${port}`;
    dataDir = mkdtempSync(join(tmpdir(), 'parley-test-'));
    const config = loadConfig(testEnv({
      PARLEY_DATA_DIR: dataDir, PORT: String(port), PARLEY_ORIGIN: url, PARLEY_WEB_DIST: defaultWebDist(),
      PARLEY_WS_BUFFER_BYTES: String(48 * 1024), PARLEY_MAX_ENVELOPE_BYTES: '8192', PARLEY_MAX_COMMIT_BYTES: '16384', PARLEY_MAX_GROUP_MEMBERS: '20',
    }));
    config.limits.wsBufferBytes = 3000;
    server = await startParley(config, { logger: pino({ level: 'silent' }) });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('R40 a sign-in too large to send: the banner says why, not "Offline", and the app retries less and less often', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const plain = { client: { mls: { enabled: false } } };
    const mallory = await createUser(url, { displayName: 'Mallory', ...plain });
    try {
      const amy = await mallory.client.findUser(handle);
      const socks: string[] = [];
      for (let i = 0; i < 18; i++) socks.push((await createUser(url, { displayName: 'W'.repeat(64), start: false, ...plain })).userId);
      await mallory.client.createGroup({ name: 'too big to send', memberIds: [amy.userId, ...socks] }); // consent is off here: all members

      let sockets = 0;
      page.on('websocket', () => sockets++);
      await page.reload();
      const banner = page.getByTestId('connection');
      await waitFor(async () => /can't send this device what it needs/.test((await banner.textContent()) ?? ''), { what: 'the banner says why', timeoutMs: 20_000 });
      assert.doesNotMatch((await banner.textContent()) ?? '', /Offline/);
      await screenshot(page, '60-connection-too-large');
      const seen = sockets;
      await new Promise((r) => setTimeout(r, 6000));
      // The web client's backoff starts at 300 ms and doubles to 15 s: a few tries in 6 s, not a loop.
      assert.ok(sockets - seen <= 4, `${sockets - seen} more connections in 6 s`);
    } finally {
      await mallory.client.stop();
    }
  });
});
