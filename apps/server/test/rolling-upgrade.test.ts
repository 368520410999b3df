import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import pg from 'pg';
import { PlaintextCodec } from '@parley/client';
import {
  NatsServer, TcpBalancer, createTestDatabase, createUser, freePort, spawnServer, waitFor, type TestUser,
} from '@parley/testing';
import { startTraffic, type ChatUnderTest } from './convergence.ts';

const shipped = fileURLToPath(new URL('../src/storage/migrations/postgres/', import.meta.url));

describe('rolling upgrade', () => {
  it('nodes are drained (SIGTERM) and restarted one by one onto a release with a new migration: it runs once, nothing is lost', { timeout: 240_000 }, async (t) => {
    await using db = await createTestDatabase();
    const nats = await NatsServer.start(await freePort());
    // Release N ships the current migrations; release N+1 adds an expand-only one (a column, an index).
    const releaseN = mkdtempSync(join(tmpdir(), 'parley-rel-n-'));
    const releaseN1 = mkdtempSync(join(tmpdir(), 'parley-rel-n1-'));
    cpSync(shipped, releaseN, { recursive: true });
    cpSync(shipped, releaseN1, { recursive: true });
    const next = String(1 + readdirSync(shipped).filter((f) => /^\d{3}_/.test(f)).length).padStart(3, '0');
    writeFileSync(join(releaseN1, `${next}_rolling_test.sql`), 'ALTER TABLE users ADD COLUMN rolling_note TEXT;\nCREATE INDEX users_created_at ON users (created_at);\n');

    const ports = await Promise.all([0, 1, 2].map(() => freePort()));
    const env = (i: number, release: string) => ({
      PORT: String(ports[i]), PARLEY_DATABASE_URL: db.url, PARLEY_NATS_URL: nats.url, PARLEY_NODE_ID: `node${i + 1}`,
      PARLEY_LOG_LEVEL: 'error', PARLEY_MIGRATIONS_DIR: release, PARLEY_DATA_DIR: '/nonexistent/parley-rolling',
    });
    const nodes: ChildProcess[] = await Promise.all(ports.map((_, i) => spawnServer(env(i, releaseN))));
    const lb = await TcpBalancer.start(ports);
    const users: TestUser[] = [];
    try {
      // About 120 messages/s for the server to carry through the upgrade: with MLS each costs the shared 2 cores
      // one encryption and three decryptions (2-15 ms each), more than this machine has. The plaintext codec
      // keeps the test on what it checks, the servers; cluster.test.ts runs its clients with MLS.
      for (let i = 0; i < 12; i++) users.push(await createUser(lb.url, { displayName: `r${i}`, codec: new PlaintextCodec() }));
      const groups: ChatUnderTest[] = [];
      for (let g = 0; g < 3; g++) {
        const members = users.slice(g * 4, g * 4 + 4);
        const { chatId } = await members[0]!.client.createGroup({ name: `rolling ${g}`, memberIds: members.slice(1).map((u) => u.userId) });
        groups.push({ chatId, members });
      }
      await waitFor(() => groups.every((g) => g.members.every((u) => u.client.chat(g.chatId) !== undefined)), { what: 'members see their groups', timeoutMs: 30_000 });

      const traffic = startTraffic(groups, 100);

      const exitCodes: (number | null)[] = [];
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 1500));
        const node = nodes[i]!;
        node.kill('SIGTERM');
        exitCodes.push(await new Promise<number | null>((r) => node.once('exit', (code) => r(code))));
        nodes[i] = await spawnServer(env(i, releaseN1));
        const ready = await fetch(`http://127.0.0.1:${ports[i]}/readyz`);
        assert.equal(ready.status, 200, `node${i + 1} ready on release N+1`);
      }
      await new Promise((r) => setTimeout(r, 1500));
      await traffic.stop();
      assert.deepEqual(exitCodes, [0, 0, 0], 'each node drained and exited cleanly on SIGTERM');

      await traffic.assertAllConverged();
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query<{ name: string }>('SELECT name FROM schema_migrations WHERE version = $1', [Number(next)]);
      await client.end();
      assert.deepEqual(rows.map((r) => r.name), [`${next}_rolling_test`], 'the new migration ran exactly once');

      // Release N cannot start on the newer schema: it refuses instead of corrupting it.
      await assert.rejects(spawnServer({ ...env(0, releaseN), PORT: String(await freePort()) }), /exited/);
      t.diagnostic(`${traffic.total} messages across the upgrade`);
    } finally {
      for (const u of users) await u.client.stop();
      await lb.close();
      for (const n of nodes) n.kill('SIGKILL');
      await nats.close();
      rmSync(releaseN, { recursive: true, force: true });
      rmSync(releaseN1, { recursive: true, force: true });
    }
  });
});
