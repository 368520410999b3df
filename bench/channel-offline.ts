// Issue 13: does a channel's post path cost more with 100,000 offline subscribers? R97 says a post is
// stored once and announced only on the channel's bus topic, to connections that listen; offline
// subscribers are rows that nothing on the path reads. One server process (SQLite): an admin posts as
// the SDK does (GET the channel, PUT the signed post, PUT the signed head; R96, R125), and the server's
// CPU per post is measured with 0 subscription rows, with 100,000 (inserted in bulk by SQL into the
// server's database while it runs: users and channel_subscribers, subscriber_count kept), and with 0
// again (rows deleted), in the same process. A subscriber's own reads are timed too (GET /channels with
// its unread count, and the channel).
// Usage: node --import tsx bench/channel-offline.ts [offline=100000] [posts=300]
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CHANNEL_HEAD_CONTEXT, CHANNEL_KEYS_CONTEXT, CHANNEL_POST_CONTEXT } from '@parley/protocol';
import { RestApi } from '@parley/client';
import { makeUsers, percentile, round, startServerProcess } from './lib/fixture.ts';

const offline = Number(process.argv[2] ?? 100_000);
const posts = Number(process.argv[3] ?? 300);

const server = await startServerProcess({ PARLEY_RATE_API_PER_SEC: '100000', PARLEY_CHANNEL_POSTS_PER_HOUR: '1000000' });
const [admin, reader] = await makeUsers(server.url, 2);
const api = (s: typeof admin) => new RestApi(server.url, s!.token);

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const key = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
const signed = (context: string, value: unknown) => {
  const text = JSON.stringify(value);
  return { signed: text, signature: sign(null, Buffer.from(context + text, 'utf8'), privateKey).toString('base64') };
};
const channelId = randomBytes(9).toString('base64url');
await api(admin).call('POST', '/channels', {
  handle: `bench_${randomBytes(4).toString('hex')}`, title: 'Bench channel',
  keyList: signed(CHANNEL_KEYS_CONTEXT, { v: 1, channelId, version: 1, owner: key, admins: [{ userId: admin!.userId, key }] }),
});
await api(reader).call('PUT', `/channels/${channelId}/subscription`, {});
const text = 'Water is off on Lenina street until 18:00; buses 12 and 40 take the detour over the bridge.';
let seq = 0;
async function post(): Promise<void> {
  await api(admin).call('GET', `/channels/${channelId}`);
  seq += 1;
  const postId = randomBytes(9).toString('base64url');
  await api(admin).call('PUT', `/channels/${channelId}/posts/${postId}`,
    signed(CHANNEL_POST_CONTEXT, { v: 1, channelId, postId, postSeq: seq, seq, version: 1, date: Date.now(), signer: key, text, pinned: false, deleted: false }));
  await api(admin).call('PUT', `/channels/${channelId}/head`, signed(CHANNEL_HEAD_CONTEXT, { v: 1, channelId, seq, date: Date.now(), signer: key }));
}

async function measure(label: string) {
  const times: number[] = [];
  const cpu0 = server.cpuSeconds();
  for (let i = 0; i < posts; i++) {
    const t0 = performance.now();
    await post();
    times.push(performance.now() - t0);
  }
  const cpuMsPerPost = ((server.cpuSeconds() - cpu0) * 1000) / posts;
  const reads: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await api(reader).call('GET', '/channels');
    await api(reader).call('GET', `/channels/${channelId}`);
    reads.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  reads.sort((a, b) => a - b);
  const rows = (await api(reader).call<{ channel: { subscribers: number } }>('GET', `/channels/${channelId}`)).channel.subscribers;
  return { label, subscribers: rows, cpuMsPerPost: round(cpuMsPerPost, 2), postMs: { p50: round(percentile(times, 50), 1), p95: round(percentile(times, 95), 1) }, readerMs: { p50: round(percentile(reads, 50), 1) } };
}

for (let i = 0; i < 100; i++) await post(); // warm the path (JIT, statement cache)
const before = await measure('0 offline');

// 100,000 offline subscribers, in bulk: the server's own database, written beside it (WAL, busy timeout).
const db = new Database(join(server.dataDir, 'parley.sqlite'));
db.pragma('busy_timeout = 10000');
const t0 = performance.now();
const prefix = randomBytes(4).toString('hex');
db.transaction(() => {
  const user = db.prepare('INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash) VALUES (?, ?, ?, ?, ?)');
  const sub = db.prepare('INSERT INTO channel_subscribers (channel_id, user_id, read_seq, muted, subscribed_at) VALUES (?, ?, ?, 0, ?)');
  const now = Date.now();
  for (let i = 0; i < offline; i++) {
    const userId = `off${prefix}${i}`;
    user.run(userId, `off_${prefix}_${i}`, `offline ${i}`, now, 'x');
    sub.run(channelId, userId, i % 50, now);
  }
  db.prepare('UPDATE channels SET subscriber_count = subscriber_count + ? WHERE channel_id = ?').run(offline, channelId);
})();
const seedSeconds = round((performance.now() - t0) / 1000, 1);
const withOffline = await measure(`${offline} offline`);

db.transaction(() => {
  db.prepare('DELETE FROM channel_subscribers WHERE channel_id = ? AND user_id LIKE ?').run(channelId, `off${prefix}%`);
  db.prepare('UPDATE channels SET subscriber_count = subscriber_count - ? WHERE channel_id = ?').run(offline, channelId);
})();
db.close();
const after = await measure('0 offline again');

const [load1] = (await import('node:os')).loadavg();
console.log(JSON.stringify({ bench: 'channel post path vs offline subscribers', storage: 'sqlite', posts, seedSeconds, loadAverage1m: round(load1 ?? 0, 1), runs: [before, withOffline, after] }));
await server.close();
