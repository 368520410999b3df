// Files end to end (R52-R55) on loopback, in one run: a raw `cp` of the file, raw tus (tus-js-client
// with a plain file source, GET of the blob to a file) and the SDK's full path (encrypt, tus, store;
// range download, decrypt, check, write) for each chunk size; then the time to the first bytes of a
// "seek" (readAttachmentRange of 64 KiB at random places in a file). The server runs in its own
// process, and so does the client (bench/lib/files-client.ts: raw tus and the SDK alike), which loads
// only what a CLI or a bot would.
// Usage: node --import tsx bench/files-e2e.ts [sizeMb=1024] [seekMb=200] [chunkKiB=64,1024]
// BENCH_TUS_MB sets the SDK's bytes per PATCH (default TUS_CHUNK_BYTES, 16 MiB); BENCH_CLIENT_NODE_ARGS
// adds Node flags to the client process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it).
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { round, startServerProcess } from './lib/fixture.ts';

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

const src = join(dir, 'file.bin');
const size = sizeMb * MB;
randomFile(src, sizeMb);
const seekSrc = join(dir, 'seek.bin');
randomFile(seekSrc, seekMb);

// Raw cp (page cache warm, as for everything after it).
const t0 = performance.now();
execFileSync('cp', [src, join(dir, 'cp.bin')]);
const cpSeconds = (performance.now() - t0) / 1000;
rmSync(join(dir, 'cp.bin'));
console.log(JSON.stringify({ bench: 'cp', sizeMb, seconds: round(cpSeconds, 2), mbPerSec: round(size / MB / cpSeconds) }));

const job = {
  url: server.url, serverPid: server.child.pid, dir, src, size, seekSrc, seekSize: seekMb * MB, chunkKiBs, cpSeconds,
  ...(process.env.BENCH_TUS_MB ? { tusChunkBytes: Number(process.env.BENCH_TUS_MB) * MB } : {}),
};
const client = spawn(process.execPath, [...(process.env.BENCH_CLIENT_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', join(import.meta.dirname, 'lib', 'files-client.ts'), JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
for await (const line of createInterface({ input: client.stdout })) console.log(line);
const code = await new Promise<number | null>((r) => (client.exitCode !== null ? r(client.exitCode) : client.once('exit', r)));
console.log(JSON.stringify({ bench: 'server', rssMb: round(server.rssKb() / 1024) }));
await server.close();
process.exit(code ?? 1);
