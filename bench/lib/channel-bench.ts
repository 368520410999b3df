// Shared by the public-channel benches (bench/channel-fanout.ts, bench/channel-100k.ts): an admin who
// signs posts as the SDK does (Ed25519 in node:crypto; R95b, R96, R125), load-worker connections
// spread over the workers, and one fan-out step (posts one at a time, each timed from its PUT to the
// last connection's notice, with the server's CPU).
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { CHANNEL_HEAD_CONTEXT, CHANNEL_KEYS_CONTEXT, CHANNEL_POST_CONTEXT } from '@parley/protocol';
import { RestApi } from '@parley/client';
import { percentile, round, sleep, waitDelivered, type SessionSpec, type Worker } from './fixture.ts';
import type { ChannelReadMode } from './protocol.ts';

export const CHANNEL_BENCH_ENV = {
  PARLEY_RATE_LOGIN_PER_MIN: '1000000', PARLEY_RATE_API_PER_SEC: '100000', PARLEY_CHANNEL_POSTS_PER_HOUR: '100000',
  PARLEY_CHANNEL_PUBLIC_PER_MIN: '100000',
};

const TEXT = 'Water is off on Lenina street until 18:00; buses 12 and 40 take the detour over the bridge.';

export interface BenchChannel {
  channelId: string;
  /** The last post's seq. */
  readonly seq: number;
  /** The last post's stored size (its signed JSON and signature). */
  readonly storedBytes: number;
  /** One post as the SDK makes it: the signed post, then the signed head (R125). */
  post(): Promise<void>;
}

/** A public channel owned by `admin`, its key made here. */
export async function createBenchChannel(url: string, admin: SessionSpec): Promise<BenchChannel> {
  const api = new RestApi(url, admin.token);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const key = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
  const signed = (context: string, value: unknown) => {
    const text = JSON.stringify(value);
    return { signed: text, signature: sign(null, Buffer.from(context + text, 'utf8'), privateKey).toString('base64') };
  };
  const channelId = randomBytes(9).toString('base64url');
  await api.call('POST', '/channels', {
    handle: `bench_${randomBytes(4).toString('hex')}`, title: 'Bench channel',
    keyList: signed(CHANNEL_KEYS_CONTEXT, { v: 1, channelId, version: 1, owner: key, admins: [{ userId: admin.userId, key }] }),
  });
  let seq = 0;
  let storedBytes = 0;
  return {
    channelId,
    get seq() { return seq; },
    get storedBytes() { return storedBytes; },
    async post() {
      seq += 1;
      const postId = randomBytes(9).toString('base64url');
      const body = signed(CHANNEL_POST_CONTEXT, { v: 1, channelId, postId, postSeq: seq, seq, version: 1, date: Date.now(), signer: key, text: TEXT, pinned: false, deleted: false });
      storedBytes = body.signed.length + body.signature.length;
      await api.call('PUT', `/channels/${channelId}/posts/${postId}`, body);
      await api.call('PUT', `/channels/${channelId}/head`, signed(CHANNEL_HEAD_CONTEXT, { v: 1, channelId, seq, date: Date.now(), signer: key }));
    },
  };
}

const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];

/** Opens one connection per session (each to its `url`, else `url`), split evenly over the workers. */
export async function connectSessions(workers: Worker[], url: string, sessions: SessionSpec[]): Promise<void> {
  const per = Math.ceil(sessions.length / workers.length);
  await Promise.all(workers.map((w, i) => w.call({
    cmd: 'connect', url, sessions: sessions.slice(i * per, (i + 1) * per), localAddresses: [ADDRESSES[i % ADDRESSES.length]!],
  })));
}

export interface FanOutStep {
  connections: number;
  fanOutMs: { p50: number; max: number };
  cpuMsPerPost: number;
  delivered: number;
  /** With per-notice reads on (`setChannelReads`): PUT → the last device done reading, and what was read. */
  reads?: { doneMs: { p50: number; max: number }; devices: number; requestsPerPost: number; requestsPerSecond: number; failed: Record<string, number> };
}

/** Switches the workers' per-notice reads (bench/lib/channel-reads.ts) on or off. */
export async function setChannelReads(workers: Worker[], mode: ChannelReadMode): Promise<void> {
  await Promise.all(workers.map((w) => w.call({ cmd: 'channelReads', mode })));
}

/** Polls the workers until `expected` devices finished their reads (or `timeoutMs` passed). */
async function waitReads(workers: Worker[], expected: number, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const stats = await Promise.all(workers.map((w) => w.call({ cmd: 'stats' })));
    const devices = stats.reduce((a, s) => a + s.reads.devices, 0);
    if (devices >= expected || performance.now() > deadline) {
      const failed: Record<string, number> = {};
      for (const s of stats) for (const [k, v] of Object.entries(s.reads.failed)) failed[k] = (failed[k] ?? 0) + v;
      return { devices, requests: stats.reduce((a, s) => a + s.reads.requests, 0), failed, lastAt: Math.max(...stats.map((s) => s.reads.lastAt)) };
    }
    await sleep(50);
  }
}

/**
 * `posts` posts one at a time, each once the previous one's notices all arrived at `connections`
 * (and, with `reads`, once every device finished the reads the workers were set to make on it).
 */
export async function fanOutStep(workers: Worker[], channel: BenchChannel, connections: number, cpu: () => number, posts = 10, reads = false): Promise<FanOutStep> {
  const times: number[] = [];
  const readTimes: number[] = [];
  let delivered = 0;
  let readers = 0;
  let requests = 0;
  let readSeconds = 0;
  const failed: Record<string, number> = {};
  const cpu0 = cpu();
  for (let i = 0; i < posts; i++) {
    await Promise.all(workers.map((w) => w.call({ cmd: 'reset' })));
    const t0 = performance.timeOrigin + performance.now();
    await channel.post();
    const d = await waitDelivered(workers, connections, 120_000);
    delivered += d.received;
    times.push(d.lastAt - t0);
    if (reads) {
      const r = await waitReads(workers, connections, 300_000);
      readers += r.devices;
      requests += r.requests;
      readSeconds += (r.lastAt - t0) / 1000;
      readTimes.push(r.lastAt - t0);
      for (const [k, v] of Object.entries(r.failed)) failed[k] = (failed[k] ?? 0) + v;
    }
  }
  const cpuMs = ((cpu() - cpu0) * 1000) / posts;
  times.sort((a, b) => a - b);
  readTimes.sort((a, b) => a - b);
  return {
    connections, fanOutMs: { p50: round(percentile(times, 50)), max: round(times.at(-1)!) }, cpuMsPerPost: round(cpuMs), delivered: Math.round(delivered / posts),
    ...(reads ? { reads: { doneMs: { p50: round(percentile(readTimes, 50)), max: round(readTimes.at(-1)!) }, devices: Math.round(readers / posts), requestsPerPost: Math.round(requests / posts), requestsPerSecond: round(requests / readSeconds), failed } } : {}),
  };
}

/**
 * Per-notice slopes over the steps (least squares: with two steps, the line through both), and what
 * they give for a million connected devices.
 */
export function slopes(...steps: FanOutStep[]) {
  const fit = (y: (s: FanOutStep) => number) => {
    const n = steps.length;
    const mx = steps.reduce((a, s) => a + s.connections, 0) / n;
    const my = steps.reduce((a, s) => a + y(s), 0) / n;
    const slope = steps.reduce((a, s) => a + (s.connections - mx) * (y(s) - my), 0) / steps.reduce((a, s) => a + (s.connections - mx) ** 2, 0);
    return { slope, at1M: my + slope * (1_000_000 - mx) };
  };
  const cpu = fit((s) => s.cpuMsPerPost);
  const ms = fit((s) => s.fanOutMs.p50);
  return {
    cpuMsPer1000Notices: round(cpu.slope * 1000, 1),
    fanOutMsPer1000Notices: round(ms.slope * 1000, 1),
    projected1M: { fanOutSeconds: round(ms.at1M / 1000, 1), cpuSecondsPerPost: round(cpu.at1M / 1000, 1) },
  };
}

export const NOTICE_BYTES = JSON.stringify({ type: 'channel_post', channelId: 'x'.repeat(12), seq: 123456 }).length;
