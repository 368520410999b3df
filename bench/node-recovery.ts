// Recovery after a node is killed: 3 nodes on PostgreSQL + NATS behind a round-robin TCP balancer,
// 60 SDK clients (the real reconnect policy: jittered backoff from 300 ms) in 30 direct chats. One
// node is SIGKILLed; at once every client sends a message to its partner. Recovery time is from the
// kill until every one of those messages is on its recipient's device (p50 and max), and until every
// client that was on the dead node is online again on another one.
// Usage: node --import tsx bench/node-recovery.ts [rounds=3]
import WebSocket from 'ws';
import { MemoryStore, ParleyClient, accounts, generateDeviceKey, type WebSocketCtor } from '@parley/client';
import { TcpBalancer, spawnServer, uniqueHandle, waitFor } from '@parley/testing';
import { startBenchCluster } from './lib/cluster.ts';
import { percentile, round, track } from './lib/fixture.ts';

const rounds = Number(process.argv[2] ?? 3);
const cluster = await startBenchCluster(3);
const lb = await TcpBalancer.start(cluster.nodes.map((n) => n.port));

async function sdkUser(i: number) {
  const deviceKey = await generateDeviceKey();
  const created = await accounts.createWithDeviceKey(lb.url, { handle: uniqueHandle('rec'), displayName: `rec ${i}`, deviceName: 'bench', deviceKey });
  const client = new ParleyClient({
    baseUrl: lb.url, session: { userId: created.userId, deviceId: created.deviceId }, deviceKey,
    store: new MemoryStore(), WebSocket: WebSocket as unknown as WebSocketCtor,
  });
  await client.start();
  await waitFor(() => client.connectionState === 'online', { what: 'online' });
  return { client, userId: created.userId };
}

const users: { client: ParleyClient; userId: string }[] = [];
for (let i = 0; i < 60; i++) users.push(await sdkUser(i));
const chats: string[] = [];
for (let i = 0; i < 60; i += 2) chats.push((await users[i]!.client.openDirect(users[i + 1]!.userId)).chatId);
await waitFor(() => chats.every((c, k) => users[2 * k + 1]!.client.chat(c) !== undefined), { what: 'chats', timeoutMs: 30_000 });

async function connections(port: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(/^parley_connections\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

for (let round_ = 0; round_ < rounds; round_++) {
  const victim = cluster.nodes[round_ % 3]!;
  const onVictim = await connections(victim.port);
  const seen = new Map<string, number>();
  const handlers = users.map((u) => u.client.on('message', (m) => {
    if (!seen.has(m.clientMsgId)) seen.set(m.clientMsgId, performance.now());
  }));
  victim.child.kill('SIGKILL');
  const t0 = performance.now();
  const ids: string[] = [];
  for (let k = 0; k < chats.length; k++) ids.push(await users[2 * k]!.client.sendText(chats[k]!, `after kill ${round_}`));
  await waitFor(() => ids.every((id) => seen.has(id)), { timeoutMs: 60_000, intervalMs: 5, what: 'every message delivered' });
  const allOnline = performance.now();
  await waitFor(() => users.every((u) => u.client.connectionState === 'online'), { timeoutMs: 60_000, intervalMs: 5 });
  const online = performance.now() - t0;
  const delays = ids.map((id) => seen.get(id)! - t0).sort((a, b) => a - b);
  console.log(JSON.stringify({
    bench: 'recovery after SIGKILL of a node', nodes: 3, clients: users.length, clientsOnKilledNode: onVictim,
    deliveredP50ms: round(percentile(delays, 50)), deliveredMaxMs: round(delays.at(-1)!), allClientsOnlineMs: round(Math.max(online, allOnline - t0)),
  }));
  for (const off of handlers) off();
  // Bring the node back for the next round.
  victim.child = track(await spawnServer(victim.env));
  await new Promise((r) => setTimeout(r, 1000));
}
for (const u of users) await u.client.stop();
await lb.close();
await cluster.close();
