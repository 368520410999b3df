// Files end to end (R52-R55) on loopback, in one run: a raw `cp` of the file, raw tus (tus-js-client
// with a plain file source, GET of the blob to a file) and the SDK's full path (encrypt, tus, store;
// range download, decrypt, check, write) for each chunk size; then the time to the first bytes of a
// "seek" (readAttachmentRange of 64 KiB at random places in a file). The server runs in its own process.
// Usage: node --import tsx bench/files-e2e.ts [sizeMb=1024] [seekMb=200] [chunkKiB=64,1024]
// BENCH_TUS_MB sets the SDK's bytes per PATCH (default TUS_CHUNK_BYTES, 16 MiB).
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tus from 'tus-js-client';
import WebSocket from 'ws';
import { accounts, generateDeviceKey, MemoryStore, ParleyClient, type DeviceKey, type UploadProgress, type WebSocketCtor } from '@parley/client';
import { API_PREFIX, BLOBS_PATH, type Attachment } from '@parley/protocol';
import { uniqueHandle } from '@parley/testing';
import { percentile, round, startServerProcess } from './lib/fixture.ts';

const sizeMb = Number(process.argv[2] ?? 1024);
const seekMb = Number(process.argv[3] ?? 200);
const chunkKiBs = (process.argv[4] ?? '64,1024').split(',').map(Number);
const MB = 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'parley-bench-files-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const server = await startServerProcess({ PARLEY_STORAGE_QUOTA_BYTES: String(64 * 1024 ** 3), PARLEY_RATE_UPLOADS_PER_HOUR: '100000', PARLEY_MAX_UPLOADS_IN_FLIGHT: '100' });

function randomFile(path: string, mb: number): void {
  const fd = openSync(path, 'w');
  const piece = new Uint8Array(MB);
  for (let i = 0; i < mb; i++) {
    for (let k = 0; k < MB; k += 65536) crypto.getRandomValues(piece.subarray(k, k + 65536));
    writeSync(fd, piece);
  }
  closeSync(fd);
}

/** Wall time, and CPU seconds of this process (the client) and of the server process. */
async function timed<T>(fn: () => Promise<T> | T): Promise<{ seconds: number; value: T; clientCpu: number; serverCpu: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const s0 = server.cpuSeconds();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, value, clientCpu: round((c.user + c.system) / 1e6, 2), serverCpu: round(server.cpuSeconds() - s0, 2) };
}

const mbps = (bytes: number, seconds: number) => round(bytes / MB / seconds);

async function user(): Promise<{ userId: string; deviceId: string; deviceKey: DeviceKey; token: string }> {
  const deviceKey = await generateDeviceKey();
  const created = await accounts.createWithDeviceKey(server.url, { handle: uniqueHandle('bf'), displayName: 'bench', deviceName: 'bench', deviceKey });
  const { token } = await accounts.login(server.url, created.deviceId, deviceKey);
  return { userId: created.userId, deviceId: created.deviceId, deviceKey, token };
}

async function startClient(u: { userId: string; deviceId: string; deviceKey: DeviceKey }, chunkBytes: number): Promise<ParleyClient> {
  // The plaintext codec: the message itself is not what is measured; the file path is the same.
  const client = new ParleyClient({
    baseUrl: server.url, session: { userId: u.userId, deviceId: u.deviceId }, deviceKey: u.deviceKey, store: new MemoryStore(),
    WebSocket: WebSocket as unknown as WebSocketCtor, mls: { enabled: false }, files: { chunkBytes, ...(process.env.BENCH_TUS_MB ? { tusChunkBytes: Number(process.env.BENCH_TUS_MB) * MB } : {}) },
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

const src = join(dir, 'file.bin');
const size = sizeMb * MB;
randomFile(src, sizeMb);
const results: Record<string, unknown>[] = [];
const emit = (r: Record<string, unknown>) => { results.push(r); console.log(JSON.stringify(r)); };

// Raw cp (page cache warm, as for everything after it).
const cp = await timed(() => execFileSync('cp', [src, join(dir, 'cp.bin')]));
rmSync(join(dir, 'cp.bin'));
emit({ bench: 'cp', sizeMb, seconds: round(cp.seconds, 2), mbPerSec: mbps(size, cp.seconds) });

// Raw tus: the same file unencrypted, 16 MiB PATCHes like the SDK's, then a GET to a file.
const u = await user();
const endpoint = `${server.url}${API_PREFIX}${BLOBS_PATH}`;
const rawUp = await timed(() => new Promise<string>((resolve, reject) => {
  const upload = new tus.Upload(createReadStream(src) as unknown as Blob, {
    endpoint, uploadSize: size, chunkSize: 16 * MB, retryDelays: null, headers: { Authorization: `Bearer ${u.token}` },
    storeFingerprintForResuming: false, fingerprint: async () => 'raw',
    onSuccess: () => resolve(upload.url ?? ''), onError: reject,
  });
  upload.start();
}));
const rawBlob = rawUp.value.split('/').pop()!;
const rawDown = await timed(async () => {
  const res = await fetch(`${endpoint}/${rawBlob}`, { headers: { authorization: `Bearer ${u.token}` } });
  if (!res.ok || !res.body) throw new Error(`raw GET ${res.status}`);
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(join(dir, 'raw.out')));
});
if (statSync(join(dir, 'raw.out')).size !== size) throw new Error('raw download size');
rmSync(join(dir, 'raw.out'));
emit({
  bench: 'raw tus', sizeMb, uploadSeconds: round(rawUp.seconds, 2), uploadMbPerSec: mbps(size, rawUp.seconds), uploadCpu: { client: rawUp.clientCpu, server: rawUp.serverCpu },
  downloadSeconds: round(rawDown.seconds, 2), downloadMbPerSec: mbps(size, rawDown.seconds), downloadCpu: { client: rawDown.clientCpu, server: rawDown.serverCpu },
});
const raw = { up: mbps(size, rawUp.seconds), down: mbps(size, rawDown.seconds) };

// The SDK's whole path, per chunk size; then seeks: 64 KiB at random places of a seekMb file, each a
// Range request of only the chunks that hold it (what a video player's seek costs).
const seekSrc = join(dir, 'seek.bin');
randomFile(seekSrc, seekMb);
for (const kib of chunkKiBs) {
  const client = await startClient(u, kib * 1024);
  const { chatId } = await client.createGroup({ name: 'bench', memberIds: [] });
  const rss0 = process.memoryUsage().rss;
  const up = await timed(() => sendThroughSdk(client, chatId, src, size));
  const out = join(dir, 'e2e.out');
  const down = await timed(() => client.downloadAttachmentTo(up.value, out));
  execFileSync('cmp', [src, out]); // the same bytes came back
  rmSync(out);
  emit({
    bench: 'sdk e2e', sizeMb, chunkKiB: kib,
    uploadSeconds: round(up.seconds, 2), uploadMbPerSec: mbps(size, up.seconds), uploadVsRawTus: round(mbps(size, up.seconds) / raw.up, 2), uploadVsCp: round(cp.seconds / up.seconds, 3),
    downloadSeconds: round(down.seconds, 2), downloadMbPerSec: mbps(size, down.seconds), downloadVsRawTus: round(mbps(size, down.seconds) / raw.down, 2),
    uploadCpu: { client: up.clientCpu, server: up.serverCpu }, downloadCpu: { client: down.clientCpu, server: down.serverCpu },
    clientRssGrowthMb: round((process.memoryUsage().rss - rss0) / MB),
  });
  const att = await sendThroughSdk(client, chatId, seekSrc, seekMb * MB);
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const at = Math.floor(Math.random() * (seekMb * MB - 65536));
    const t = await timed(() => client.readAttachmentRange(att, at, at + 65536));
    if (t.value.length !== 65536) throw new Error('seek length');
    times.push(t.seconds * 1000);
  }
  const sorted = [...times].sort((a, b) => a - b);
  emit({ bench: 'seek (64 KiB at random)', fileMb: seekMb, chunkKiB: kib, reads: times.length, firstMs: round(times[0]!, 1), p50Ms: round(percentile(sorted, 50), 1), p99Ms: round(percentile(sorted, 99), 1), maxMs: round(sorted.at(-1)!, 1) });
  await client.stop();
}
emit({ bench: 'server', rssMb: round(server.rssKb() / 1024) });
await server.close();
process.exit(0);
