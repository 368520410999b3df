// Issue 13's channel benchmark as one setup: one public channel with 100,000 distinct subscribers
// (bulk SQL into the server's database: SQLite for one node, PostgreSQL for the cluster; each its own
// user, device and subscription row), of whom `connections` hold a live WebSocket connection each as
// its own user and session (spread over the nodes of a cluster), the rest offline. Per post, as in
// bench/channel-fanout.ts (shared code in bench/lib/channel-bench.ts): PUT → the last connected
// subscriber's notice (p50/max over 10 posts) and the server's CPU, at `steps` evenly spaced
// connection counts (1/3, 2/3, all), so the slopes (least squares) give the cost per notice. Then the
// catch-up of `catchUp` distinct offline subscribers, 20 at a time, each doing what the SDK and web
// app do on return: `GET /channels` (its unread counts), then opening the channel: `GET /channels/:id`,
// its last 50 posts (`GET /posts?limit=50`) and the read position (`POST /read`).
// With `reads` = list|open, each step is run again with every connection reading, on each notice, what
// the web app reads on it with its own session (bench/lib/channel-reads.ts: 'list' the chat list's
// `GET /channels`, 'open' the open channel view's reload too): PUT → the last device done, CPU per post
// with the reads, requests per post and per second, refused requests by status and code.
// Usage: node --import tsx bench/channel-100k.ts [subscribers=100000] [connections=15000] [workers=4] [cluster=0|3] [catchUp=1000] [steps=3] [reads=none|list|open]
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { RestApi } from '@parley/client';
import { startBenchCluster } from './lib/cluster.ts';
import { CHANNEL_BENCH_ENV, connectSessions, createBenchChannel, fanOutStep, NOTICE_BYTES, setChannelReads, slopes, type FanOutStep } from './lib/channel-bench.ts';
import type { ChannelReadMode } from './lib/protocol.ts';
import { makeUsers, round, sleep, startServerProcess, Worker, type SessionSpec } from './lib/fixture.ts';
import { seedSubscribers } from './lib/seed-subscribers.ts';

const subscribers = Number(process.argv[2] ?? 100_000);
const total = Number(process.argv[3] ?? 15_000);
const workerCount = Number(process.argv[4] ?? 4);
const clusterSize = Number(process.argv[5] ?? 0);
const catchUpCount = Number(process.argv[6] ?? 1000);
const stepCount = Number(process.argv[7] ?? 3);
const readMode = (process.argv[8] ?? 'none') as ChannelReadMode;
if (!['none', 'list', 'open'].includes(readMode)) throw new Error('reads must be none, list or open');
if (total + catchUpCount > subscribers) throw new Error('connections + catchUp must not exceed subscribers');

const single = clusterSize === 0 ? await startServerProcess(CHANNEL_BENCH_ENV) : undefined;
const cluster = clusterSize > 0 ? await startBenchCluster(clusterSize, CHANNEL_BENCH_ENV) : undefined;
const urls = single ? [single.url] : cluster!.nodes.map((n) => n.url);
const nodeCpu = () => (single ? single.cpuSeconds() : cluster!.nodeCpu());
const cpu = () => (single ? single.cpuSeconds() : cluster!.nodeCpu() + cluster!.infraCpu());
if (cluster) await sleep(3000);
const loads = [loadavg()[0]!];

const [admin] = await makeUsers(urls[0]!, 1);
const channel = await createBenchChannel(urls[0]!, admin!);
const { channelId } = channel;
const seeded = await seedSubscribers(single ? { sqlitePath: join(single.dataDir, 'parley.sqlite') } : { pgUrl: cluster!.db.url }, channelId, subscribers, total + catchUpCount);
const sessions = seeded.sessions.map((s, i): SessionSpec => ({ ...s, url: urls[i % urls.length]! }));
const live = sessions.slice(0, total);
const returning = sessions.slice(total);
const shown = (await new RestApi(urls[0]!, admin!.token).call<{ channel: { subscribers: number } }>('GET', `/channels/${channelId}`)).channel.subscribers;

const workers = await Promise.all(Array.from({ length: workerCount }, () => Worker.start()));
let connected = 0;
async function openConnections(count: number): Promise<number> {
  const t0 = performance.now();
  await connectSessions(workers, urls[0]!, live.slice(connected, connected + count));
  connected += count;
  return round((performance.now() - t0) / 1000, 1);
}

/** One fan-out step, with the Parley processes' own CPU beside the total (the cluster's adds PostgreSQL and NATS). */
async function step(reads = false) {
  const n0 = nodeCpu();
  const s = await fanOutStep(workers, channel, connected, cpu, 10, reads);
  loads.push(loadavg()[0]!);
  return { ...s, nodeCpuMsPerPost: round(((nodeCpu() - n0) * 1000) / 10), serverRssMb: single ? round(single.rssKb() / 1024) : undefined };
}

await channel.post(); // warm the path
const steps: (Awaited<ReturnType<typeof step>> & { connectSeconds: number })[] = [];
const readSteps: Awaited<ReturnType<typeof step>>[] = [];
for (let k = 1; k <= stepCount; k++) {
  const connectSeconds = await openConnections(Math.floor((total * k) / stepCount) - connected);
  await sleep(3000);
  steps.push({ ...(await step()), connectSeconds });
  if (readMode !== 'none') {
    await setChannelReads(workers, readMode);
    readSteps.push(await step(true));
    await setChannelReads(workers, 'none');
    await sleep(2000);
  }
}
/** The same slopes with the reads on: CPU per 1,000 devices notified and reading, and PUT → last device done. */
const withReads = readSteps.length ? slopes(...readSteps.map((s): FanOutStep => ({ ...s, fanOutMs: s.reads!.doneMs }))) : undefined;

// The idle connections' own cost (pings every PARLEY_WS_PING_INTERVAL_MS): CPU over 10 s with no posts,
// to net out of the catch-up below (and to size the per-notice slopes' share of it).
const idleCpu0 = cpu();
await sleep(10_000);
const idleCpuMsPerSecond = round(((cpu() - idleCpu0) * 1000) / 10);

// Catch-up: distinct offline subscribers come back, 20 at a time, and do what the SDK does.
while (returning.length && channel.seq < 60) await channel.post();
const lastSeq = channel.seq;
const cpuCatch0 = cpu();
const nodeCatch0 = nodeCpu();
const tCatch0 = performance.now();
let next = 0;
await Promise.all(Array.from({ length: 20 }, async () => {
  while (next < returning.length) {
    const s = returning[next++]!;
    const api = new RestApi(s.url!, s.token);
    const { subscriptions } = await api.call<{ subscriptions: { channel: { channelId: string }; unread: number }[] }>('GET', '/channels');
    const mine = subscriptions.find((x) => x.channel.channelId === channelId);
    if (mine?.unread !== lastSeq) throw new Error(`unread ${mine?.unread}, expected ${lastSeq}`);
    await api.call('GET', `/channels/${channelId}`);
    const page = await api.call<{ entries: unknown[] }>('GET', `/channels/${channelId}/posts?limit=50`);
    if (page.entries.length !== 50) throw new Error(`catch-up read ${page.entries.length} posts`);
    await api.call('POST', `/channels/${channelId}/read`, { upToSeq: lastSeq });
  }
}));
const catchSeconds = (performance.now() - tCatch0) / 1000;
const catchCpu = cpu() - cpuCatch0;
const catchNodeCpu = nodeCpu() - nodeCatch0;
loads.push(loadavg()[0]!);
const catchUp = {
  subscribers: returning.length, posts: 50, seconds: round(catchSeconds, 2), cpuSeconds: round(catchCpu, 2), nodeCpuSeconds: round(catchNodeCpu, 2),
  cpuMsPerSubscriber: round((catchCpu * 1000) / returning.length, 2), netOfIdleCpuMsPerSubscriber: round((catchCpu * 1000 - idleCpuMsPerSecond * catchSeconds) / returning.length, 2), wallMsPerSubscriber20AtATime: round((catchSeconds * 1000) / returning.length, 2),
};

console.log(JSON.stringify({
  bench: 'channel 100k', nodes: clusterSize || 1, storage: clusterSize ? 'postgres+nats' : 'sqlite', subscribers, subscribersShown: shown,
  connections: total, offline: subscribers - total, seedSeconds: round(seeded.seconds, 1),   loadProcesses: workerCount, loadAverage1m: loads.map((l) => round(l, 1)),
  noticeBytes: NOTICE_BYTES, storedBytesPerPost: channel.storedBytes, steps, ...slopes(...steps),
  ...(withReads ? { reads: readMode, readSteps, withReads: { cpuMsPer1000Devices: withReads.cpuMsPer1000Notices, doneMsPer1000Devices: withReads.fanOutMsPer1000Notices, projected1M: withReads.projected1M } } : {}),
  idleCpuMsPerSecond, catchUp,
}));
for (const w of workers) await w.close();
await single?.close();
await cluster?.close();
