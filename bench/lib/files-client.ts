// The client side of bench/files-e2e.ts, in a process of its own that loads only what a CLI or a
// bot would (the SDK, tus-js-client, ws): raw tus and the SDK's whole path, measured the same way.
// A process that also held the server's and the tests' code (160 MB of heap) paid for every full
// garbage collection an upload's buffers cause in proportion to that heap, which no client does.
// Usage (from files-e2e.ts): node --import tsx bench/lib/files-client.ts '<json Job>'
// Prints one JSON line per figure.
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tus from 'tus-js-client';
import WebSocket from 'ws';
import { accounts, generateDeviceKey, MemoryStore, ParleyClient, type DeviceKey, type UploadProgress, type WebSocketCtor } from '@parley/client';
import { API_PREFIX, BLOBS_PATH, type Attachment } from '@parley/protocol';
import { percentile, round } from './stats.ts';

interface Job {
  url: string;
  serverPid: number;
  dir: string;
  /** The file to send, its size, a file for the seeks, and the chunk sizes to run. */
  src: string;
  size: number;
  seekSrc: string;
  seekSize: number;
  chunkKiBs: number[];
  tusChunkBytes?: number;
  /** How long a raw `cp` of the file took (the parent timed it). */
  cpSeconds: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
const MB = 1024 * 1024;

function serverCpuSeconds(): number {
  // utime + stime in clock ticks (100 Hz on Linux)
  const fields = readFileSync(`/proc/${job.serverPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds of the client's main thread alone (Linux): the SDK may hash on a worker thread beside it. */
function mainThreadCpuSeconds(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Wall time, and CPU seconds of this process (the client; all its threads, and its main thread) and of the server process. */
async function timed<T>(fn: () => Promise<T> | T): Promise<{ seconds: number; value: T; clientCpu: number; clientMainCpu: number; serverCpu: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpuSeconds();
  const s0 = serverCpuSeconds();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, value, clientCpu: round((c.user + c.system) / 1e6, 2), clientMainCpu: round(mainThreadCpuSeconds() - m0, 2), serverCpu: round(serverCpuSeconds() - s0, 2) };
}

const mbps = (bytes: number, seconds: number) => round(bytes / MB / seconds);
const emit = (r: Record<string, unknown>) => console.log(JSON.stringify(r));

const deviceKey: DeviceKey = await generateDeviceKey();
const created = await accounts.createWithDeviceKey(job.url, { handle: `bf${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`, displayName: 'bench', deviceName: 'bench', deviceKey });
const { token } = await accounts.login(job.url, created.deviceId, deviceKey);
const endpoint = `${job.url}${API_PREFIX}${BLOBS_PATH}`;

// Raw tus: the same file unencrypted, 16 MiB PATCHes like the SDK's, then a GET to a file.
const rawUp = await timed(() => new Promise<string>((resolve, reject) => {
  const upload = new tus.Upload(createReadStream(job.src) as unknown as Blob, {
    endpoint, uploadSize: job.size, chunkSize: 16 * MB, retryDelays: null, headers: { Authorization: `Bearer ${token}` },
    storeFingerprintForResuming: false, fingerprint: async () => 'raw',
    onSuccess: () => resolve(upload.url ?? ''), onError: reject,
  });
  upload.start();
}));
const rawBlob = rawUp.value.split('/').pop()!;
const rawOut = join(job.dir, 'raw.out');
const rawDown = await timed(async () => {
  const res = await fetch(`${endpoint}/${rawBlob}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok || !res.body) throw new Error(`raw GET ${res.status}`);
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(rawOut));
});
if (statSync(rawOut).size !== job.size) throw new Error('raw download size');
rmSync(rawOut);
const sizeMb = job.size / MB;
emit({
  bench: 'raw tus', sizeMb, uploadSeconds: round(rawUp.seconds, 2), uploadMbPerSec: mbps(job.size, rawUp.seconds), uploadCpu: { client: rawUp.clientCpu, clientMain: rawUp.clientMainCpu, server: rawUp.serverCpu },
  downloadSeconds: round(rawDown.seconds, 2), downloadMbPerSec: mbps(job.size, rawDown.seconds), downloadCpu: { client: rawDown.clientCpu, clientMain: rawDown.clientMainCpu, server: rawDown.serverCpu },
});
const raw = { up: mbps(job.size, rawUp.seconds), down: mbps(job.size, rawDown.seconds) };

async function startClient(chunkBytes: number): Promise<ParleyClient> {
  // The plaintext codec: the message itself is not what is measured; the file path is the same.
  const client = new ParleyClient({
    baseUrl: job.url, session: { userId: created.userId, deviceId: created.deviceId }, deviceKey, store: new MemoryStore(),
    WebSocket: WebSocket as unknown as WebSocketCtor, mls: { enabled: false }, files: { chunkBytes, ...(job.tusChunkBytes ? { tusChunkBytes: job.tusChunkBytes } : {}) },
  });
  await client.start();
  while (client.connectionState !== 'online') await new Promise((r) => setTimeout(r, 20));
  return client;
}

/** Sends the file through the SDK; resolves with its attachment once the server acked the message. */
async function sendThroughSdk(client: ParleyClient, chatId: string, path: string, size: number): Promise<Attachment> {
  const id = await client.sendFiles(chatId, [{ source: { path }, name: 'bench.bin', mime: 'application/octet-stream', size }]);
  await new Promise<void>((resolve, reject) => {
    const off = client.on('uploads', (list: UploadProgress[]) => {
      const p = list.find((u) => u.clientMsgId === id);
      if (p?.state === 'done') { off(); resolve(); }
      if (p?.state === 'failed') { off(); reject(new Error(`upload failed: ${p.error}`)); }
    });
  });
  for (;;) {
    const item = client.timeline(chatId).find((i) => i.id === id && i.seq !== null);
    if (item?.attachments?.[0]) return item.attachments[0];
    await new Promise((r) => setTimeout(r, 10));
  }
}

// The SDK's whole path, per chunk size; then seeks: 64 KiB at random places of the seek file, each a
// Range request of only the chunks that hold it (what a video player's seek costs).
for (const kib of job.chunkKiBs) {
  const client = await startClient(kib * 1024);
  const { chatId } = await client.createGroup({ name: 'bench', memberIds: [] });
  const rss0 = process.memoryUsage().rss;
  const up = await timed(() => sendThroughSdk(client, chatId, job.src, job.size));
  const out = join(job.dir, 'e2e.out');
  const down = await timed(() => client.downloadAttachmentTo(up.value, out));
  execFileSync('cmp', [job.src, out]); // the same bytes came back
  rmSync(out);
  emit({
    bench: 'sdk e2e', sizeMb, chunkKiB: kib,
    uploadSeconds: round(up.seconds, 2), uploadMbPerSec: mbps(job.size, up.seconds), uploadVsRawTus: round(mbps(job.size, up.seconds) / raw.up, 2), uploadVsCp: round(job.cpSeconds / up.seconds, 3),
    downloadSeconds: round(down.seconds, 2), downloadMbPerSec: mbps(job.size, down.seconds), downloadVsRawTus: round(mbps(job.size, down.seconds) / raw.down, 2), downloadVsCp: round(job.cpSeconds / down.seconds, 3),
    uploadCpu: { client: up.clientCpu, clientMain: up.clientMainCpu, server: up.serverCpu }, downloadCpu: { client: down.clientCpu, clientMain: down.clientMainCpu, server: down.serverCpu },
    clientRssGrowthMb: round((process.memoryUsage().rss - rss0) / MB), clientHeapMb: round(process.memoryUsage().heapUsed / MB),
  });
  const att = await sendThroughSdk(client, chatId, job.seekSrc, job.seekSize);
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const at = Math.floor(Math.random() * (job.seekSize - 65536));
    const t = await timed(() => client.readAttachmentRange(att, at, at + 65536));
    if (t.value.length !== 65536) throw new Error('seek length');
    times.push(t.seconds * 1000);
  }
  const sorted = [...times].sort((a, b) => a - b);
  emit({ bench: 'seek (64 KiB at random)', fileMb: job.seekSize / MB, chunkKiB: kib, reads: times.length, firstMs: round(times[0]!, 1), p50Ms: round(percentile(sorted, 50), 1), p99Ms: round(percentile(sorted, 99), 1), maxMs: round(sorted.at(-1)!, 1) });
  await client.stop();
}
process.exit(0);
