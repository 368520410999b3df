// Memory per idle connected client. The server runs in its own process; four load-generator
// processes open authenticated WebSocket connections from source addresses 127.0.0.2-5 (200 users'
// sessions, each reused by many connections: sign-up cost is not what is measured). Server RSS is
// read from /proc at 0, half and all connections; the figure is the slope between half and all,
// so start-up noise cancels.
// Usage: node --import tsx bench/idle-connections.ts [connections=10000] [workers=4]
import { makeUsers, round, sleep, startServerProcess, Worker } from './lib/fixture.ts';

const total = Number(process.argv[2] ?? 10_000);
const workerCount = Number(process.argv[3] ?? 4);
const sessionsNeeded = 200;

const server = await startServerProcess({ PARLEY_RATE_LOGIN_PER_MIN: '1000000' });
const sessions = await makeUsers(server.url, sessionsNeeded);
const workers = await Promise.all(Array.from({ length: workerCount }, () => Worker.start()));
const addresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];

async function settle(): Promise<number> {
  await sleep(3000);
  // The server collects garbage on its own; take the lowest of a few readings.
  let min = Infinity;
  for (let i = 0; i < 5; i++) {
    min = Math.min(min, server.rssKb());
    await sleep(500);
  }
  return min;
}

async function openConnections(count: number): Promise<void> {
  const per = Math.ceil(count / workerCount);
  await Promise.all(workers.map((w, i) => {
    const n = Math.min(per, count - i * per);
    const specs = Array.from({ length: Math.max(0, n) }, (_, j) => sessions[(i * per + j) % sessions.length]!);
    return w.call({ cmd: 'connect', url: server.url, sessions: specs, localAddresses: [addresses[i % addresses.length]!] });
  }));
}

const rss0 = await settle();
await openConnections(total / 2);
const rssHalf = await settle();
await openConnections(total / 2);
const rssAll = await settle();
const perConnKb = (rssAll - rssHalf) / (total / 2);
console.log(JSON.stringify({
  bench: 'idle connections', connections: total, loadProcesses: workerCount,
  serverRssMb: { before: round(rss0 / 1024), half: round(rssHalf / 1024), all: round(rssAll / 1024) },
  kbPerConnection: round(perConnKb, 2),
  kbPerConnectionFromZero: round((rssAll - rss0) / total, 2),
}));
for (const w of workers) await w.close();
await server.close();
