import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  NatsServer, TcpBalancer, createTestDatabase, createUser, freePort, spawnServer, waitFor, type TestUser,
} from '@parley/testing';
import { RestApi, accounts } from '@parley/client';
import type { MeResponse } from '@parley/protocol';
import { startTraffic, type ChatUnderTest } from './convergence.ts';

/** N server processes on one PostgreSQL and one NATS, behind a round-robin balancer. */
async function startCluster(nodes: number, databaseUrl: string, natsUrl: string) {
  const ports = await Promise.all(Array.from({ length: nodes }, () => freePort()));
  const env = (i: number) => ({
    PORT: String(ports[i]), PARLEY_DATABASE_URL: databaseUrl, PARLEY_NATS_URL: natsUrl,
    PARLEY_NODE_ID: `node${i + 1}`, PARLEY_LOG_LEVEL: 'error', PARLEY_DATA_DIR: '/nonexistent/parley-cluster',
  });
  // A node that does not come up fails the test without leaving the others running.
  const started = await Promise.allSettled(ports.map((_, i) => spawnServer(env(i))));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    for (const s of started) if (s.status === 'fulfilled') s.value.kill('SIGKILL');
    throw failed.reason;
  }
  const children: ChildProcess[] = started.map((s) => (s as PromiseFulfilledResult<ChildProcess>).value);
  const lb = await TcpBalancer.start(ports);
  return {
    lb, ports,
    async kill(i: number) {
      const child = children[i]!;
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    },
    async restart(i: number) {
      children[i] = await spawnServer(env(i));
    },
    async close() {
      await lb.close();
      for (const c of children) c.kill('SIGKILL');
    },
  };
}

/** Which node a client's WebSocket is on, read from the nodes' own metrics. */
async function connectionsPerNode(ports: number[]): Promise<number[]> {
  return Promise.all(ports.map(async (port) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(/^parley_connections\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? NaN);
  }));
}

describe('cluster (PostgreSQL + NATS)', () => {
  it('50 clients over 3 nodes chat through a node SIGKILL and a NATS restart: every message exactly once, same order everywhere', { timeout: 240_000 }, async (t) => {
    await using db = await createTestDatabase();
    const nats = await NatsServer.start(await freePort());
    const cluster = await startCluster(3, db.url, nats.url).catch(async (err: unknown) => { await nats.close(); throw err; });
    const users: TestUser[] = [];
    try {
      for (let i = 0; i < 50; i++) users.push(await createUser(cluster.lb.url, { displayName: `c${i}` }));
      const spread = await connectionsPerNode(cluster.ports);
      assert.deepEqual(spread.map((n) => n > 0), [true, true, true], `clients on every node: ${spread}`);

      // Presence is cluster-wide: every node sees that a user's device is connected (to one of them).
      const someone = users[0]!;
      const { token } = await accounts.login(cluster.lb.url, someone.deviceId, someone.deviceKey);
      for (const port of cluster.ports) {
        const me = await new RestApi(`http://127.0.0.1:${port}`, token).call<MeResponse>('GET', '/me');
        assert.equal(me.devices.find((d) => d.deviceId === someone.deviceId)?.online, true, `node on ${port} sees the device online`);
      }

      // 20 direct chats (users 0-39 in pairs) and 2 groups of 5 (users 40-44, 45-49).
      const chats: ChatUnderTest[] = [];
      for (let i = 0; i < 40; i += 2) {
        const { chatId } = await users[i]!.client.openDirect(users[i + 1]!.userId);
        chats.push({ chatId, members: [users[i]!, users[i + 1]!] });
      }
      for (const start of [40, 45]) {
        const members = users.slice(start, start + 5);
        const { chatId } = await members[0]!.client.createGroup({ name: `group ${start}`, memberIds: members.slice(1).map((u) => u.userId) });
        chats.push({ chatId, members });
      }
      await waitFor(() => chats.every((c) => c.members.every((u) => u.client.chat(c.chatId) !== undefined)), { what: 'every member sees its chats', timeoutMs: 30_000 });

      const traffic = startTraffic(chats, 150);

      await new Promise((r) => setTimeout(r, 2000));
      await cluster.kill(1);
      await new Promise((r) => setTimeout(r, 1500));
      await cluster.restart(1);
      await new Promise((r) => setTimeout(r, 2000));
      await nats.restart();
      await new Promise((r) => setTimeout(r, 3000));
      await traffic.stop();
      await traffic.assertAllConverged();
      const total = traffic.total;
      assert.ok(total > 500, `a real stream of messages went through (${total})`);
      t.diagnostic(`${total} messages in ${chats.length} chats; connections per node at start: ${spread.join(', ')}`);
    } finally {
      for (const u of users) await u.client.stop();
      await cluster.close();
      await nats.close();
    }
  });
});
