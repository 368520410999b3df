// 1 node vs N nodes on PostgreSQL + NATS: 1:1 send→deliver latency at a fixed rate, the most
// messages/s a bounded window gets through, and CPU-seconds per 1,000 delivered messages (Parley
// nodes, and PostgreSQL + NATS). Senders and receivers are spread over the nodes round-robin, so
// with N > 1 most messages cross nodes through NATS.
// Usage: node --import tsx bench/cluster-throughput.ts [nodes=1,3] [rate=1000] [seconds=10] [scale=total]
// scale=total: the same 100 chats and total rate for every node count (naive comparison).
// scale=per-node: rate and chats are per node (N nodes: N×100 chats at N×rate), so every node and
// every chat carries the same load as in the 1-node run: the scale-out comparison.
import { makeUsers, openDirect, percentile, round, waitDelivered, Worker, type SessionSpec } from './lib/fixture.ts';
import { startBenchCluster } from './lib/cluster.ts';

const nodeCounts = (process.argv[2] ?? '1,3').split(',').map(Number);
const rate = Number(process.argv[3] ?? 1000);
const seconds = Number(process.argv[4] ?? 10);
const perNode = process.argv[5] === 'per-node';

async function measure(nodeCount: number, rate: number, pairs: number) {
  // BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the nodes.
  const cluster = await startBenchCluster(nodeCount, {}, process.env['BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? []);
  const first = cluster.nodes[0]!.url;
  const users = await makeUsers(first, pairs * 2);
  const chats: string[] = [];
  for (let i = 0; i < pairs; i++) chats.push(await openDirect(first, users[2 * i]!, users[2 * i + 1]!));
  // User u connects to node u % N: a pair (2i, 2i+1) lands on two different nodes when N > 1.
  const placed: SessionSpec[] = users.map((s, u) => ({ ...s, url: cluster.nodes[u % nodeCount]!.url }));
  const workers = [await Worker.start(), await Worker.start()];
  const held = workers.map((_, w) => placed.filter((_, u) => (Math.floor(u / 2) % 2 === w) === (u % 2 === 0)));
  await Promise.all(workers.map((worker, w) => worker.call({ cmd: 'connect', url: first, sessions: held[w]!, localAddresses: [] })));
  await Promise.all(workers.map((worker) => worker.call({ cmd: 'receipts', delayMs: 250 })));
  const routesFor = (w: number) => held[w]!.flatMap((s, conn) => {
    const u = placed.indexOf(s);
    return u % 2 === 0 ? [{ conn, chatId: chats[u / 2]! }] : [];
  });

  async function run(r: number, secs: number, window: number) {
    await Promise.all(workers.map((w) => w.call({ cmd: 'reset' })));
    const node0 = cluster.nodeCpu();
    const infra0 = cluster.infraCpu();
    const t0 = performance.now();
    const sent = await Promise.all(workers.map((w, i) => w.call({ cmd: 'send', routes: routesFor(i), rate: r / 2, seconds: secs, window })));
    const total = sent.reduce((a, s) => a + s.sent, 0);
    const { received, latencies: lat } = await waitDelivered(workers, total);
    const elapsed = (performance.now() - t0) / 1000;
    return {
      sent: total, received, msgPerSec: Math.round(received / elapsed),
      p50ms: round(percentile(lat, 50)), p99ms: round(percentile(lat, 99)),
      nodeCpuSecondsPer1000: round(((cluster.nodeCpu() - node0) / received) * 1000, 3),
      pgAndNatsCpuSecondsPer1000: round(((cluster.infraCpu() - infra0) / received) * 1000, 3),
      errors: sent.reduce((a, s) => a + s.errors, 0),
    };
  }

  await run(500, 2, 5000); // warm-up
  const fixed = await run(rate, seconds, 5000);
  // Saturation: far more offered than served; 400 unacknowledged messages in flight bound it.
  const max = await run(1_000_000, (rate * seconds) / 1_000_000, 400 * (pairs / 100));
  for (const w of workers) await w.close();
  await cluster.close();
  return { fixed, max };
}

for (const n of nodeCounts) {
  const scale = perNode ? n : 1;
  const { fixed, max } = await measure(n, rate * scale, 100 * scale);
  console.log(JSON.stringify({ bench: 'cluster 1:1', nodes: n, storage: 'postgres', bus: 'nats', chats: 100 * scale, targetRate: rate * scale, seconds, ...fixed }));
  console.log(JSON.stringify({ bench: 'cluster 1:1 saturation', nodes: n, chats: 100 * scale, messages: rate * scale * seconds, window: 400 * scale, ...max }));
}
