// 1:1 send→deliver latency at target message rates. The server runs in its own process; two
// load-generator processes hold 100 senders and 100 receivers, each pair split across the two
// processes. Receivers send coalesced delivered receipts (one per chat per 250 ms), as clients do.
// Usage: node --import tsx bench/send-latency.ts [rates=1000,5000] [seconds=10]
import { makeUsers, openDirect, percentile, round, startServerProcess, waitDelivered, Worker } from './lib/fixture.ts';

const rates = (process.argv[2] ?? '1000,5000').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 10);
const pairs = 100;

const server = await startServerProcess();
const users = await makeUsers(server.url, pairs * 2);
const chats: string[] = [];
for (let i = 0; i < pairs; i++) chats.push(await openDirect(server.url, users[2 * i]!, users[2 * i + 1]!));

const workers = [await Worker.start(), await Worker.start()];
// Worker w holds senders of pairs with i % 2 === w, and receivers of the others.
const held = workers.map((_, w) => users.filter((_, u) => (Math.floor(u / 2) % 2 === w) === (u % 2 === 0)));
await Promise.all(workers.map((worker, w) => worker.call({ cmd: 'connect', url: server.url, sessions: held[w]!, localAddresses: [] })));
await Promise.all(workers.map((worker) => worker.call({ cmd: 'receipts', delayMs: 250 })));
const routesFor = (w: number) => held[w]!.flatMap((s, conn) => {
  const u = users.indexOf(s);
  return u % 2 === 0 ? [{ conn, chatId: chats[u / 2]! }] : [];
});

async function run(rate: number, secs: number) {
  await Promise.all(workers.map((w) => w.call({ cmd: 'reset' })));
  const cpu0 = server.cpuSeconds();
  const t0 = performance.now();
  const sent = await Promise.all(workers.map((w, i) => w.call({ cmd: 'send', routes: routesFor(i), rate: rate / 2, seconds: secs, window: 5000 })));
  const total = sent.reduce((a, s) => a + s.sent, 0);
  const { received, latencies: lat } = await waitDelivered(workers, total);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = server.cpuSeconds() - cpu0;
  return {
    targetRate: rate, sent: total, received, achievedRate: Math.round(received / elapsed),
    p50ms: round(percentile(lat, 50)), p99ms: round(percentile(lat, 99)), maxms: round(lat.at(-1) ?? NaN),
    serverCpuSecondsPer1000: round((cpu / Math.max(1, received)) * 1000, 3),
    errors: sent.reduce((a, s) => a + s.errors, 0),
    serverRssMb: round(server.rssKb() / 1024),
  };
}

await run(500, 2); // warm-up: JIT, SQLite page cache
for (const rate of rates) console.log(JSON.stringify({ bench: '1:1 send→deliver', seconds, pairs, ...(await run(rate, seconds)) }));
for (const w of workers) await w.close();
await server.close();
