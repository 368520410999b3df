// One public channel post reaching many subscribers (R97: stored once, a small notice per connection).
// A server process (or a 3-node PostgreSQL + NATS cluster) and load-generator processes holding idle
// WebSocket connections of subscribed users (sessions reused by many connections, as in
// bench/idle-connections.ts: each connection hears the notice). An admin signs posts here (Ed25519,
// node:crypto, as the SDK does) and PUTs them; the figure per post is the time from the PUT to the
// last notice arriving at the last connection, and the server's CPU for the post and its fan-out.
// Measured at half and all connections, so the slopes give the per-notice cost; then the catch-up
// of 1,000 offline subscribers reading the last 50 posts (GET /log?afterSeq=).
// Usage: node --import tsx bench/channel-fanout.ts [connections=10000] [workers=4] [cluster=0|3]
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { CHANNEL_HEAD_CONTEXT, CHANNEL_KEYS_CONTEXT, CHANNEL_POST_CONTEXT } from '@parley/protocol';
import { RestApi } from '@parley/client';
import { startBenchCluster } from './lib/cluster.ts';
import { makeUsers, percentile, round, sleep, startServerProcess, waitDelivered, Worker, type SessionSpec } from './lib/fixture.ts';

const total = Number(process.argv[2] ?? 10_000);
const workerCount = Number(process.argv[3] ?? 4);
const clusterSize = Number(process.argv[4] ?? 0);
const sessionsNeeded = 200;
const postsPerStep = 10;

const env = {
  PARLEY_RATE_LOGIN_PER_MIN: '1000000', PARLEY_RATE_API_PER_SEC: '100000', PARLEY_CHANNEL_POSTS_PER_HOUR: '100000',
  PARLEY_CHANNEL_PUBLIC_PER_MIN: '100000',
};
const single = clusterSize === 0 ? await startServerProcess(env) : undefined;
const cluster = clusterSize > 0 ? await startBenchCluster(clusterSize, env) : undefined;
const urls = single ? [single.url] : cluster!.nodes.map((n) => n.url);
const cpu = () => (single ? single.cpuSeconds() : cluster!.nodeCpu() + cluster!.infraCpu());
if (cluster) await sleep(3000);

const [admin, ...readers] = await makeUsers(urls[0]!, sessionsNeeded + 1);
const sessions = readers.map((s, i): SessionSpec => ({ ...s, url: urls[i % urls.length]! }));
const api = (s: SessionSpec, url = urls[0]!) => new RestApi(url, s.token);

// The admin's key, made here; signing as the SDK does (R95b, R96, R125).
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const key = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
const signed = (context: string, value: unknown) => {
  const text = JSON.stringify(value);
  return { signed: text, signature: sign(null, Buffer.from(context + text, 'utf8'), privateKey).toString('base64') };
};
const channelId = randomBytes(9).toString('base64url');
const handle = `bench_${randomBytes(4).toString('hex')}`;
await api(admin!).call('POST', '/channels', {
  handle, title: 'Bench channel',
  keyList: signed(CHANNEL_KEYS_CONTEXT, { v: 1, channelId, version: 1, owner: key, admins: [{ userId: admin!.userId, key }] }),
});
let seq = 0;
let storedBytes = 0;
const text = 'Water is off on Lenina street until 18:00; buses 12 and 40 take the detour over the bridge.';
async function post(): Promise<void> {
  seq += 1;
  const postId = randomBytes(9).toString('base64url');
  const body = signed(CHANNEL_POST_CONTEXT, { v: 1, channelId, postId, postSeq: seq, seq, version: 1, date: Date.now(), signer: key, text, pinned: false, deleted: false });
  storedBytes = body.signed.length + body.signature.length;
  await api(admin!).call('PUT', `/channels/${channelId}/posts/${postId}`, body);
  await api(admin!).call('PUT', `/channels/${channelId}/head`, signed(CHANNEL_HEAD_CONTEXT, { v: 1, channelId, seq, date: Date.now(), signer: key }));
}
for (const s of sessions) await api(s, s.url).call('PUT', `/channels/${channelId}/subscription`, {});

const workers = await Promise.all(Array.from({ length: workerCount }, () => Worker.start()));
const addresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
let connected = 0;
async function openConnections(count: number): Promise<void> {
  const per = Math.ceil(count / workerCount);
  await Promise.all(workers.map((w, i) => {
    const n = Math.max(0, Math.min(per, count - i * per));
    const specs = Array.from({ length: n }, (_, j) => sessions[(connected + i * per + j) % sessions.length]!);
    return w.call({ cmd: 'connect', url: urls[0]!, sessions: specs, localAddresses: [addresses[i % addresses.length]!] });
  }));
  connected += count;
}

/** Posts one at a time, each once the previous one's notices all arrived; per post: fan-out ms and server CPU. */
async function step(): Promise<{ connections: number; fanOutMs: { p50: number; max: number }; cpuMsPerPost: number; delivered: number }> {
  const times: number[] = [];
  let delivered = 0;
  const cpu0 = cpu();
  for (let i = 0; i < postsPerStep; i++) {
    await Promise.all(workers.map((w) => w.call({ cmd: 'reset' })));
    const t0 = performance.timeOrigin + performance.now();
    await post();
    const d = await waitDelivered(workers, connected, 120_000);
    delivered += d.received;
    times.push(d.lastAt - t0);
  }
  const cpuMs = ((cpu() - cpu0) * 1000) / postsPerStep;
  times.sort((a, b) => a - b);
  return { connections: connected, fanOutMs: { p50: round(percentile(times, 50)), max: round(times.at(-1)!) }, cpuMsPerPost: round(cpuMs), delivered: Math.round(delivered / postsPerStep) };
}

await post(); // warm the path
await openConnections(total / 2);
await sleep(2000);
const half = await step();
await openConnections(total / 2);
await sleep(2000);
const all = await step();

// Catch-up: 1,000 returning subscribers each read the last 50 posts (20 at a time).
while (seq < 60) await post();
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

const noticeBytes = JSON.stringify({ type: 'channel_post', channelId, seq: 123456 }).length;
const cpuPerNotice = (all.cpuMsPerPost - half.cpuMsPerPost) / (all.connections - half.connections);
const msPerNotice = (all.fanOutMs.p50 - half.fanOutMs.p50) / (all.connections - half.connections);
const fixedCpu = all.cpuMsPerPost - cpuPerNotice * all.connections;
const fixedMs = all.fanOutMs.p50 - msPerNotice * all.connections;
const [load1] = (await import('node:os')).loadavg();
console.log(JSON.stringify({
  bench: 'channel fan-out', nodes: clusterSize || 1, storage: clusterSize ? 'postgres+nats' : 'sqlite', loadProcesses: workerCount, loadAverage1m: round(load1 ?? 0, 1),
  noticeBytes, storedBytesPerPost: storedBytes, half, all,
  cpuMsPer1000Notices: round(cpuPerNotice * 1000, 1),
  projected1M: { fanOutSeconds: round((fixedMs + msPerNotice * 1_000_000) / 1000, 1), cpuSecondsPerPost: round((fixedCpu + cpuPerNotice * 1_000_000) / 1000, 1) },
  catchUp,
}));
for (const w of workers) await w.close();
await single?.close();
await cluster?.close();
