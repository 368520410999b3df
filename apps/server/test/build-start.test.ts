import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, createUser, freshCheckout, startProcess, testEnv, waitFor, type Checkout } from '@parley/testing';

const NATS_URL = process.env['PARLEY_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';

const env = (dataDir: string) => testEnv({ PARLEY_LOG_LEVEL: 'info', PARLEY_DATA_DIR: dataDir });

async function ready(port: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ready: true, state: 'ok' });
}

const count = (text: string, re: RegExp) => text.match(new RegExp(re, 'g'))?.length ?? 0;

describe('production build and start from a fresh checkout', { timeout: 240_000 }, () => {
  let checkout: Checkout | undefined;
  before(() => {
    checkout = freshCheckout();
  });
  after(async () => {
    await checkout?.[Symbol.asyncDispose]();
  });

  it('two server processes started at the same moment from one fresh checkout both come up; the build happens once, and what it built carries an encrypted message between them', async (t) => {
    if (!checkout) return t.skip('not a git checkout');
    const { dir } = checkout;
    assert.ok(!readdirSync(join(dir, 'apps/web')).includes('dist'), 'no build in a fresh checkout');
    // Two nodes of one cluster, as an operator would start them: one database, one NATS.
    await using db = await createTestDatabase('parley_build');
    const cluster = { PARLEY_DATABASE_URL: db.url, PARLEY_NATS_URL: NATS_URL, PARLEY_NATS_PREFIX: `b${randomBytes(4).toString('hex')}` };
    const nodes = ['a', 'b'].map((n) => startProcess(process.execPath, ['scripts/start.mjs'], { cwd: dir, env: { ...env(join(dir, `data-${n}`)), ...cluster } }));
    try {
      const ports = await Promise.all(nodes.map((n) => n.listening));
      await Promise.all(ports.map(ready));
      const logs = nodes.map((n) => n.stderr()).join('\n');
      // One of them built under the lock; the other waited for it (or found it built).
      assert.equal(count(logs, /web built in/), 1, logs);
      assert.equal(count(logs, /server built in/), 1, logs);
      const assets = readdirSync(join(dir, 'apps/web/dist/assets'));
      assert.ok(assets.some((f) => /^index-[\w-]+\.js\.br$/.test(f)) && assets.some((f) => /^index-[\w-]+\.js\.gz$/.test(f)), 'precompressed at build time');
      assert.deepEqual(readdirSync(join(dir, 'apps/web')).filter((f) => f.startsWith('.dist-')), [], 'no temp build dirs left');

      // The bundle inlines the server's npm dependencies: PostgreSQL, NATS, WebSocket and MLS checks through it.
      const alice = await createUser(`http://127.0.0.1:${ports[0]}`);
      const bob = await createUser(`http://127.0.0.1:${ports[1]}`);
      try {
        const { chatId } = await alice.client.openDirect(bob.userId);
        await alice.client.sendText(chatId, 'built once, started twice');
        await waitFor(() => bob.client.timeline(chatId).some((i) => i.text === 'built once, started twice'), { timeoutMs: 30_000, what: 'the message on the other node' });
      } finally {
        await alice.client.stop();
        await bob.client.stop();
      }
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
    }
  });

  it('`npm start` does not build again when the build is up to date, and rebuilds only the part whose sources changed', async (t) => {
    if (!checkout) return t.skip('not a git checkout');
    const { dir } = checkout;
    // Built as `npm ci`'s postinstall leaves a checkout (the same script): a no-op when the test
    // above ran (its start built everything), the whole build when this test runs alone.
    const built = spawnSync(process.execPath, ['scripts/build/build.mjs'], { cwd: dir, env: env(join(dir, 'data-a')), encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    const stamp = (target: string) => statSync(join(dir, target, '.build-stamp')).mtimeMs;
    const web = stamp('apps/web/dist');
    const npm = startProcess('npm', ['start'], { cwd: dir, env: env(join(dir, 'data-a')) });
    try {
      await ready(await npm.listening);
      assert.doesNotMatch(npm.stderr(), /building/, npm.stderr());
      assert.equal(stamp('apps/web/dist'), web);
    } finally {
      await npm.stop();
    }

    // An edit to the server: the server is built again, the web client is not.
    const config = join(dir, 'apps/server/src/config.ts');
    const before = statSync(config).mtime;
    const now = Date.now() / 1000 + 1;
    utimesSync(config, now, now);
    const node = startProcess(process.execPath, ['scripts/start.mjs'], { cwd: dir, env: env(join(dir, 'data-a')) });
    try {
      await ready(await node.listening);
      assert.match(node.stderr(), /building server \(stale\)/);
      assert.doesNotMatch(node.stderr(), /building web/);
      assert.equal(stamp('apps/web/dist'), web);
    } finally {
      await node.stop();
    }

    // The operator commands run from the server's build too: without tsx in node_modules at all.
    // (config.ts back to its time: the edit above was dated a second ahead, after the rebuild began.)
    utimesSync(config, before, before);
    rmSync(join(dir, 'node_modules/tsx'));
    const admin = spawnSync('npm', ['run', '-s', 'parley-admin', '--', '--help'], { cwd: dir, env: env(join(dir, 'data-a')), encoding: 'utf8' });
    assert.equal(admin.status, 0, admin.stderr);
    assert.match(admin.stdout, /^parley-admin: operator commands/);
  });
});
