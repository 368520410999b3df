// One public channel post reaching many subscribers (R97: stored once, a small notice per connection).
// A server process (or a 3-node PostgreSQL + NATS cluster) and load-generator processes holding idle
// WebSocket connections of subscribed users (sessions reused by many connections, as in
// bench/idle-connections.ts: each connection hears the notice). An admin signs posts here (Ed25519,
// node:crypto, as the SDK does) and PUTs them; the figure per post is the time from the PUT to the
// last notice arriving at the last connection, and the server's CPU for the post and its fan-out.
// Measured at half and all connections, so the slopes give the per-notice cost; then the catch-up
// of 1,000 offline subscribers reading the last 50 posts (GET /log?afterSeq=).
// bench/channel-100k.ts is the same with 100,000 distinct subscribers, each connection its own user.
// Usage: node --import tsx bench/channel-fanout.ts [connections=10000] [workers=4] [cluster=0|3]
import { RestApi } from '@parley/client';
import { startBenchCluster } from './lib/cluster.ts';
import { CHANNEL_BENCH_ENV, connectSessions, createBenchChannel, fanOutStep, NOTICE_BYTES, slopes } from './lib/channel-bench.ts';
import { makeUsers, round, sleep, startServerProcess, Worker, type SessionSpec } from './lib/fixture.ts';

const total = Number(process.argv[2] ?? 10_000);
const workerCount = Number(process.argv[3] ?? 4);
const clusterSize = Number(process.argv[4] ?? 0);
const sessionsNeeded = 200;

const single = clusterSize === 0 ? await startServerProcess(CHANNEL_BENCH_ENV) : undefined;
const cluster = clusterSize > 0 ? await startBenchCluster(clusterSize, CHANNEL_BENCH_ENV) : undefined;
const urls = single ? [single.url] : cluster!.nodes.map((n) => n.url);
const cpu = () => (single ? single.cpuSeconds() : cluster!.nodeCpu() + cluster!.infraCpu());
if (cluster) await sleep(3000);

const [admin, ...readers] = await makeUsers(urls[0]!, sessionsNeeded + 1);
const sessions = readers.map((s, i): SessionSpec => ({ ...s, url: urls[i % urls.length]! }));
const api = (s: SessionSpec, url = urls[0]!) => new RestApi(url, s.token);

const channel = await createBenchChannel(urls[0]!, admin!);
const { channelId } = channel;
for (const s of sessions) await api(s, s.url).call('PUT', `/channels/${channelId}/subscription`, {});

const workers = await Promise.all(Array.from({ length: workerCount }, () => Worker.start()));
let connected = 0;
async function openConnections(count: number): Promise<void> {
  await connectSessions(workers, urls[0]!, Array.from({ length: count }, (_, j) => sessions[(connected + j) % sessions.length]!));
  connected += count;
}

await channel.post(); // warm the path
await openConnections(total / 2);
await sleep(2000);
const half = await fanOutStep(workers, channel, connected, cpu);
await openConnections(total / 2);
await sleep(2000);
const all = await fanOutStep(workers, channel, connected, cpu);

// Catch-up: 1,000 returning subscribers each read the last 50 posts (20 at a time).
while (channel.seq < 60) await channel.post();
const seq = channel.seq;
const cpuCatch0 = cpu();
const tCatch0 = performance.now();
let next = 0;
await Promise.all(Array.from({ length: 20 }, async () => {
  while (next < 1000) {
    const i = next++;
    const s = sessions[i % sessions.length]!;
    const page = await api(s, s.url).call<{ entries: unknown[] }>('GET', `/channels/${channelId}/log?afterSeq=${seq - 50}`);
    if (page.entries.length !== 50) throw new Error(`catch-up read ${page.entries.length} entries`);
  }
}));
const catchUp = { readers: 1000, posts: 50, seconds: round((performance.now() - tCatch0) / 1000, 2), cpuSeconds: round(cpu() - cpuCatch0, 2) };

const [load1] = (await import('node:os')).loadavg();
console.log(JSON.stringify({
  bench: 'channel fan-out', nodes: clusterSize || 1, storage: clusterSize ? 'postgres+nats' : 'sqlite', loadProcesses: workerCount, loadAverage1m: round(load1 ?? 0, 1),
  noticeBytes: NOTICE_BYTES, storedBytesPerPost: channel.storedBytes, half, all, ...slopes(half, all), catchUp,
}));
for (const w of workers) await w.close();
await single?.close();
await cluster?.close();
