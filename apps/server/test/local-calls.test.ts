import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
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
describe('npm start with a local coturn and Janus', () => {
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

  it('group calls work through the local Janus npm start runs: members get a room Janus admits them to with their token only; its secrets stay in owner-only files; it stops with the server', { timeout: 120_000 }, async (t) => {
    if (!existsSync('/usr/bin/janus')) return t.skip('janus is not installed (.ci/run installs it)');
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-local-sfu-'));
    const [sfuPort, adminPort] = [await freePort(), await freePort()];
    const janusDir = join(dataDir, 'janus');
    const node = startProcess(process.execPath, ['scripts/start.mjs'], {
      cwd: repoRoot,
      env: testEnv({
        PARLEY_DATA_DIR: dataDir, PARLEY_LOCAL_SFU: 'auto', PARLEY_LOCAL_SFU_PORT: String(sfuPort), PARLEY_LOCAL_SFU_ADMIN_PORT: String(adminPort),
        PARLEY_LOCAL_SFU_RTP_MIN: String(30_000 + Math.floor(Math.random() * 100) * 100), PARLEY_LOG_LEVEL: 'info',
      }),
    });
    try {
      const port = await node.listening;
      assert.match(node.stderr(), new RegExp(`group calls: on, through a local Janus on 127\\.0\\.0\\.1:${sfuPort}`));
      const url = `http://127.0.0.1:${port}`;
      const info = ServerInfo.parse(await (await fetch(`${url}${API_PREFIX}/info`)).json());
      assert.equal(info.calls?.sfu, true);

      const alice = await createUser(url, { start: false });
      const { chatId } = await alice.client.createGroup({ name: 'Building 12', memberIds: [] });
      const room = await alice.client.groupCallRoom(chatId);
      assert.equal(room.url, `http://127.0.0.1:${sfuPort}/janus`);
      const janus = async (body: object) => (await (await fetch(room.url, { method: 'POST', body: JSON.stringify({ transaction: 't', ...body }) })).json()) as { janus: string; data?: { id: number } };
      assert.equal((await janus({ janus: 'create' })).janus, 'error', 'no session without a token');
      assert.equal((await janus({ janus: 'create', token: 'made-up' })).janus, 'error', 'nor with a made-up one');
      const session = await janus({ janus: 'create', token: room.token });
      assert.equal(session.janus, 'success', 'the token the server issued opens a Janus session');

      // The secrets: owner-only files, never in a process's arguments.
      assert.equal(statSync(janusDir).mode & 0o077, 0, 'the config directory is owner-only');
      const conf = readFileSync(join(janusDir, 'janus.jcfg'), 'utf8');
      const adminSecret = /admin_secret = "([^"]+)"/.exec(conf)?.[1];
      assert.ok(adminSecret && adminSecret.length >= 16);
      for (const f of ['janus.jcfg', 'janus.plugin.videoroom.jcfg', 'janus.transport.http.jcfg']) assert.equal(statSync(join(janusDir, f)).mode & 0o077, 0, `${f} is owner-only`);
      const ps = execSync('ps -eo args', { encoding: 'utf8' });
      assert.ok(ps.includes(join(janusDir, 'janus.jcfg')), 'the Janus runs');
      assert.ok(!ps.includes(adminSecret), 'the admin secret is not on a command line');
      // Its admin API listens on loopback and answers only with the secret.
      const admin = async (secret: string) => ((await (await fetch(`http://127.0.0.1:${adminPort}/admin`, { method: 'POST', body: JSON.stringify({ janus: 'list_sessions', transaction: 'p', admin_secret: secret }) })).json()) as { janus: string }).janus;
      assert.equal(await admin('wrong-secret-wrong-secret'), 'error');
      assert.equal(await admin(adminSecret), 'success');
    } finally {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    const deadline = Date.now() + 10_000;
    while (execSync('ps -eo args', { encoding: 'utf8' }).includes(join(janusDir, 'janus.jcfg'))) {
      assert.ok(Date.now() < deadline, 'the local Janus outlived the server');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
