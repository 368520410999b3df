import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { API_PREFIX, ServerInfo } from '@parley/protocol';
import { createUser, freePort, repoRoot, startProcess, testEnv } from '@parley/testing';
import { relayOnly } from './turn-probe.ts';

/**
 * `npm start` on one machine with coturn installed runs calls through a local coturn
 * (scripts/local-calls.mjs): members get credentials that coturn accepts, the shared secret never
 * shows on a command line, and the coturn ends with the server.
 */
describe('npm start with a local coturn', () => {
  it('calls work through the local coturn npm start runs; its secret stays in owner-only files; it stops with the server', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-local-calls-'));
    const turnPort = await freePort();
    const node = startProcess(process.execPath, ['scripts/start.mjs'], {
      cwd: repoRoot,
      env: testEnv({ PARLEY_DATA_DIR: dataDir, PARLEY_LOCAL_TURN: 'auto', PARLEY_LOCAL_TURN_PORT: String(turnPort), PARLEY_LOG_LEVEL: 'info' }),
    });
    try {
      const port = await node.listening;
      assert.match(node.stderr(), new RegExp(`calls: on, through a local coturn on 127\\.0\\.0\\.1:${turnPort}`));
      const url = `http://127.0.0.1:${port}`;
      const info = ServerInfo.parse(await (await fetch(`${url}${API_PREFIX}/info`)).json());
      assert.equal(info.calls?.turn, true);

      // The secret: owner-only files, never in a process's arguments.
      const secret = readFileSync(join(dataDir, 'turn-secret'), 'utf8').trim();
      for (const f of ['turn-secret', 'turnserver.conf']) assert.equal(statSync(join(dataDir, f)).mode & 0o077, 0, `${f} is owner-only`);
      const ps = execSync('ps -eo args', { encoding: 'utf8' });
      assert.ok(ps.includes(join(dataDir, 'turnserver.conf')), 'the coturn runs');
      assert.ok(!ps.includes(secret), 'the secret is not on a command line');

      const alice = await createUser(url, { start: false });
      const { chatId } = await alice.client.createGroup({ name: 'Family', memberIds: [] });
      const creds = await alice.client.turnCredentials(chatId);
      assert.deepEqual(creds.iceServers[0]?.urls, [`turn:127.0.0.1:${turnPort}?transport=udp`, `turn:127.0.0.1:${turnPort}?transport=tcp`]);
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
      try {
        const page = await browser.newPage();
        await page.goto(`${url}${API_PREFIX}/info`);
        const relayed = await relayOnly(page, creds.iceServers);
        assert.equal(relayed.message, 'hello through the relay', relayed.candidates.join('\n'));
      } finally {
        await browser.close();
      }
    } finally {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    // The server stopped (SIGTERM): so did its coturn.
    const deadline = Date.now() + 5_000;
    while (execSync('ps -eo args', { encoding: 'utf8' }).includes(join(dataDir, 'turnserver.conf'))) {
      assert.ok(Date.now() < deadline, 'the local coturn outlived the server');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('without coturn installed, start-up says how to turn calls on, and the server runs without calls', { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-local-calls-'));
    const node = startProcess(process.execPath, ['scripts/start.mjs'], { cwd: repoRoot, env: testEnv({ PARLEY_DATA_DIR: dataDir, PARLEY_LOCAL_TURN: 'auto', PARLEY_LOCAL_TURN_BIN: join(dataDir, 'no-turnserver-here'), PARLEY_LOG_LEVEL: 'info' }) });
    try {
      const port = await node.listening;
      assert.match(node.stderr(), /calls: off\. To call through this server, install coturn \(apt-get install coturn\) and start again, or set PARLEY_TURN_URLS and PARLEY_TURN_SECRET/);
      const info = ServerInfo.parse(await (await fetch(`http://127.0.0.1:${port}${API_PREFIX}/info`)).json());
      assert.equal(info.calls?.turn, false);
    } finally {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
