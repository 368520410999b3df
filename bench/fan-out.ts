// Fan-out into one 100-member group: deliveries/s (message frames that reach the other 99 members'
// connections). The server runs in its own process; members are spread over two load-generator
// processes; 4 members send, keeping a bounded window of unacknowledged messages.
// Usage: node --import tsx bench/fan-out.ts [messages=2000] [members=100] [receiptDelayMs=-1]
import { createGroup, makeUsers, percentile, round, startServerProcess, waitDelivered, Worker } from './lib/fixture.ts';

const messages = Number(process.argv[2] ?? 2000);
const members = Number(process.argv[3] ?? 100);
const receiptDelayMs = Number(process.argv[4] ?? -1);
const senders = 4;

const server = await startServerProcess();
const users = await makeUsers(server.url, members);
const chatId = await createGroup(server.url, users[0]!, users);
const workers = [await Worker.start(), await Worker.start()];
const halves = [users.filter((_, i) => i % 2 === 0), users.filter((_, i) => i % 2 === 1)];
await Promise.all(workers.map((w, i) => w.call({ cmd: 'connect', url: server.url, sessions: halves[i]!, localAddresses: [] })));
await Promise.all(workers.map((w) => w.call({ cmd: 'receipts', delayMs: receiptDelayMs })));

async function run(count: number) {
  await Promise.all(workers.map((w) => w.call({ cmd: 'reset' })));
  const cpu0 = server.cpuSeconds();
  const t0 = performance.now();
  const routes = Array.from({ length: senders / 2 }, (_, conn) => ({ conn, chatId }));
  // A rate far above what can be served: the window (unacked messages) is the real limit.
  await Promise.all(workers.map((w) => w.call({ cmd: 'send', routes, rate: 1_000_000, seconds: count / 2 / 1_000_000, window: 200 })));
  const expected = count * (members - 1);
  const { received, latencies: lat, lastAt } = await waitDelivered(workers, expected);
  const elapsed = (lastAt - (performance.timeOrigin + t0)) / 1000;
  return {
    messages: count, deliveries: received, expected, seconds: round(elapsed, 2),
    deliveriesPerSec: Math.round(received / elapsed), messagesPerSec: Math.round(count / elapsed),
    p50ms: round(percentile(lat, 50)), p99ms: round(percentile(lat, 99)),
    serverCpuSecondsPer1000Deliveries: round(((server.cpuSeconds() - cpu0) / received) * 1000, 4),
  };
}

await run(200); // warm-up
console.log(JSON.stringify({ bench: 'group fan-out', members, senders, receiptDelayMs, ...(await run(messages)) }));
for (const w of workers) await w.close();
await server.close();
