import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { createUser, freePort, startTestServer, waitFor } from '@parley/testing';

const bin = fileURLToPath(new URL('../bin/parley-bot-gateway.mjs', import.meta.url));

describe('parley-bot-gateway command (R94)', () => {
  it('starts with --server --token --listen --data, says where the Bot API is, serves it, keeps its dir private and stops on SIGTERM', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const { token } = await owner.client.bots.create({ handle: 'cli_bot', displayName: 'CLI' });
    const data = mkdtempSync(join(tmpdir(), 'parley-gw-cli-'));
    const port = await freePort();
    const child = spawn(process.execPath, [bin, '--server', server.url, '--token', token, '--listen', `127.0.0.1:${port}`, '--data', join(data, 'bot')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    try {
      await waitFor(() => out.includes('is at'), { what: 'the gateway up', timeoutMs: 90_000 });
      assert.equal(out.trim(), `parley-bot-gateway: the Bot API of @cli_bot is at http://127.0.0.1:${port}`);
      const me = (await (await fetch(`http://127.0.0.1:${port}/bot${token}/getMe`)).json()) as { ok: boolean; result: { username: string } };
      assert.deepEqual([me.ok, me.result.username], [true, 'cli_bot']);
      assert.equal(statSync(join(data, 'bot')).mode & 0o777, 0o700);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await owner.client.stop();
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('R94b refuses to start with a --webhook-ca that holds no certificate, saying so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-gw-ca-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), 'not a certificate\n');
      const child = spawn(process.execPath, [bin, '--server', 'http://127.0.0.1:1', '--token', `${'a'.repeat(8)}:${'b'.repeat(32)}`, '--webhook-ca', join(dir, 'ca.pem')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      assert.equal(await new Promise<number | null>((r) => child.once('exit', (code) => r(code))), 2);
      assert.equal(err, `parley-bot-gateway: --webhook-ca: ${join(dir, 'ca.pem')} holds no PEM certificate\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
