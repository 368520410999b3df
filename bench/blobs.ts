// Blobs (R53-R55) through a real server process on loopback, raw tus (no encryption: the SDK's
// end-to-end figures are bench/files-e2e's):
// - server RSS during N parallel uploads of M MB each (one tus PATCH per upload, streamed): before,
//   peak, after; the server must stream, so the peak should not grow with the bytes in flight;
// - one file of G MB: `cp` of it, a raw tus upload of it (one PATCH, streamed from disk), and a
//   download of it (GET, written to disk), in the same run, with the ratio of each to cp.
// Usage: node --import tsx bench/blobs.ts [parallel=10] [parallelMb=200] [bigMb=1024]
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { accounts, generateDeviceKey } from '@parley/client';
import { freePort, spawnServer, uniqueHandle } from '@parley/testing';
import { round, sleep } from './lib/fixture.ts';

const parallel = Number(process.argv[2] ?? 10);
const parallelMb = Number(process.argv[3] ?? 200);
const bigMb = Number(process.argv[4] ?? 1024);
const MiB = 1024 * 1024;

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/** `bytes` of data from one random MiB repeated: generated as it is sent, never held whole. */
function source(bytes: number): Readable {
  const block = randomBytes(MiB);
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, block.length);
      left -= n;
      this.push(n === block.length ? block : block.subarray(0, n));
    },
  });
}

async function createBlob(base: string, token: string, length: number): Promise<string> {
  const res = await fetch(`${base}/api/v1/blobs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-length': String(length) } });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  return res.headers.get('location')!.split('/').at(-1)!;
}

async function patchAll(base: string, token: string, id: string, body: Readable, length: number): Promise<void> {
  const res = await fetch(`${base}/api/v1/blobs/${id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(length) },
    body: Readable.toWeb(body) as ReadableStream, duplex: 'half',
  } as RequestInit);
  if (res.status !== 204 || res.headers.get('upload-offset') !== String(length)) throw new Error(`patch: ${res.status} ${await res.text()}`);
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-blobs-'));
let server: ChildProcess | undefined;
try {
  server = await spawnServer({
    PORT: String(port), PARLEY_DATA_DIR: join(dir, 'data'), PARLEY_LOG_LEVEL: 'warn',
    PARLEY_MAX_UPLOADS_IN_FLIGHT: String(parallel + 1), PARLEY_STORAGE_QUOTA_BYTES: String(64 * 1024 * MiB),
  });
  const pid = server.pid!;
  const deviceKey = await generateDeviceKey();
  const account = await accounts.createWithDeviceKey(base, { handle: uniqueHandle('bench'), displayName: 'bench', deviceName: 'bench', deviceKey });
  const { token } = await accounts.login(base, account.deviceId, deviceKey);

  // Warm the path (JIT, first store write), then measure.
  const warm = await createBlob(base, token, MiB);
  await patchAll(base, token, warm, source(MiB), MiB);
  await sleep(500);
  const rssBefore = rssMb(pid);
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
  const t0 = performance.now();
  const bytes = parallelMb * MiB;
  const ids = await Promise.all(Array.from({ length: parallel }, () => createBlob(base, token, bytes)));
  await Promise.all(ids.map((id) => patchAll(base, token, id, source(bytes), bytes)));
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  await sleep(1000);
  const rssAfter = rssMb(pid);
  console.log(JSON.stringify({
    bench: 'parallel uploads', uploads: parallel, mbEach: parallelMb, seconds: round(seconds, 1), mbPerSec: round(parallel * parallelMb / seconds, 0),
    serverRssMb: { before: round(rssBefore, 0), peak: round(peak, 0), after: round(rssAfter, 0), growth: round(peak - rssBefore, 0) },
  }));
  for (const id of ids) await fetch(`${base}/api/v1/blobs/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' } });

  // One big file: cp, tus upload, download, in the same run.
  const big = join(dir, 'big.bin');
  const bigBytes = bigMb * MiB;
  await pipeline(source(bigBytes), createWriteStream(big));
  spawnSync('sync');
  let t = performance.now();
  spawnSync('cp', [big, join(dir, 'big-copy.bin')]);
  spawnSync('sync');
  const cpSeconds = (performance.now() - t) / 1000;
  rmSync(join(dir, 'big-copy.bin'));
  t = performance.now();
  const bigId = await createBlob(base, token, bigBytes);
  await patchAll(base, token, bigId, createReadStream(big, { highWaterMark: MiB }), bigBytes);
  spawnSync('sync');
  const upSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const res = await fetch(`${base}/api/v1/blobs/${bigId}`, { headers: { authorization: `Bearer ${token}` } });
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(join(dir, 'big-down.bin')));
  spawnSync('sync');
  const downSeconds = (performance.now() - t) / 1000;
  if (statSync(join(dir, 'big-down.bin')).size !== bigBytes) throw new Error('the download is short');
  const mbps = (s: number) => round(bigMb / s, 0);
  console.log(JSON.stringify({
    bench: 'one big file', mb: bigMb,
    cp: { seconds: round(cpSeconds, 2), mbPerSec: mbps(cpSeconds) },
    tusUpload: { seconds: round(upSeconds, 2), mbPerSec: mbps(upSeconds), ofCp: round(cpSeconds / upSeconds, 2) },
    download: { seconds: round(downSeconds, 2), mbPerSec: mbps(downSeconds), ofCp: round(cpSeconds / downSeconds, 2) },
    serverRssMbAfter: round(rssMb(pid), 0),
  }));
} finally {
  server?.kill('SIGTERM');
  await sleep(300);
  rmSync(dir, { recursive: true, force: true });
}
