// Start-up and first visit: what the production build (scripts/build) changed, measured against the
// previous way in the same run. Each pair alternates A B A B… so drift of this shared machine hits both.
// - server cold start to the first 200 from /readyz: TypeScript through tsx against the compiled
//   bundle on plain node (fresh data dir each run), the CPU time it used to get there, and its RSS 2 s after;
// - `npm start` as it was (web client build, then tsx) against as it is (build up to date, then the bundle);
// - `parley --help` wall time: through tsx against the compiled bundle (the bin's own freshness check included);
// - bytes on the wire for a first visit (index.html and the JS and CSS it names), plain, gzip and brotli.
// Needs the build (`node scripts/build/build.mjs`). Usage: node --import tsx bench/startup.ts [runs=5]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, testEnv } from '@parley/testing';
import { percentile, round, sleep } from './lib/fixture.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.argv[2] ?? 5);
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

interface Started { ms: number; rssMb: number; cpuMs: number }

/** Spawns a server, polls /readyz every 5 ms, returns the time to its first 200 and the RSS 2 s later. */
async function startToReady(args: string[], env: Record<string, string> = {}): Promise<Started> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-start-'));
  const t0 = performance.now();
  const child = spawn(args[0]!, args.slice(1), {
    cwd: root,
    env: { ...process.env, ...testEnv({ PORT: String(port), PARLEY_DATA_DIR: dataDir, PARLEY_LOG_LEVEL: 'warn', ...env }) },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  let ms = 0;
  let cpuMs = 0;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ok) {
      ms = performance.now() - t0;
      cpuMs = cpuMsOf(child.pid!);
      break;
    }
    await sleep(5);
  }
  await sleep(2000);
  // The server is the group's node process (`npm start` has npm and a shell above it): the largest RSS in the group.
  const pids = spawnSync('pgrep', ['-g', String(child.pid)]).stdout.toString().trim().split('\n').map(Number);
  const rssKb = Math.max(...pids.map((pid) => {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      return 0;
    }
  }));
  process.kill(-child.pid!, 'SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
  return { ms, rssMb: rssKb / 1024, cpuMs };
}

/** CPU time (user + system) a process has used so far, ms: less swayed by a busy machine than wall time. */
function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

/** Wall time of a command to exit, ms. */
function wall(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(args[0]!, args.slice(1), { cwd: root, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}`);
  return performance.now() - t0;
}

/** Runs a and b alternately `n` times (after one warm-up each); medians and the median of the pairwise ratios a/b. */
async function pair<T>(n: number, a: () => Promise<T> | T, b: () => Promise<T> | T, figure: (x: T) => number) {
  await a();
  await b();
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < n; i++) {
    as.push(figure(await a()));
    bs.push(figure(await b()));
  }
  return { a: as, b: bs, ratio: median(as.map((x, i) => x / bs[i]!)) };
}

const ensure = spawnSync(process.execPath, ['scripts/build/build.mjs'], { cwd: root, stdio: 'inherit' });
if (ensure.status !== 0) throw new Error('build failed');

// Server: tsx vs the bundle.
const tsxServer = [process.execPath, '--import', 'tsx', 'apps/server/src/main.ts'];
const builtServer = [process.execPath, 'apps/server/dist/main.js'];
const rss: { tsx: number[]; compiled: number[] } = { tsx: [], compiled: [] };
const cpu: { tsx: number[]; compiled: number[] } = { tsx: [], compiled: [] };
const server = await pair(runs, async () => {
  const s = await startToReady(tsxServer);
  rss.tsx.push(s.rssMb);
  cpu.tsx.push(s.cpuMs);
  return s;
}, async () => {
  const s = await startToReady(builtServer);
  rss.compiled.push(s.rssMb);
  cpu.compiled.push(s.cpuMs);
  return s;
}, (s) => s.ms);
console.log(JSON.stringify({
  bench: 'server cold start to /readyz', runs,
  tsxMs: round(median(server.a)), compiledMs: round(median(server.b)), ratio: round(server.ratio, 2),
  // (the lists also hold the warm-up run, first: left out)
  cpuMs: { tsx: round(median(cpu.tsx.slice(1))), compiled: round(median(cpu.compiled.slice(1))) },
  rangeMs: { tsx: [round(Math.min(...server.a)), round(Math.max(...server.a))], compiled: [round(Math.min(...server.b)), round(Math.max(...server.b))] },
}));
console.log(JSON.stringify({ bench: 'server RSS at idle, 2 s after ready', tsxMb: round(median(rss.tsx.slice(1))), compiledMb: round(median(rss.compiled.slice(1))) }));

// `npm start`, the whole command: before (web build every time, then tsx) and now.
const oldStart = await pair(Math.min(runs, 3), async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'parley-bench-web-'));
  const t0 = performance.now();
  // The web build as it was: no precompression.
  const built = spawnSync('npm', ['run', 'build', '--workspace', '@parley/web', '--', '--outDir', outDir, '--logLevel', 'silent'], {
    cwd: root, stdio: 'ignore', env: { ...process.env, PARLEY_PRECOMPRESS: '0' },
  });
  if (built.status !== 0) throw new Error('web build failed');
  const buildMs = performance.now() - t0;
  rmSync(outDir, { recursive: true, force: true });
  return { ms: buildMs + (await startToReady(tsxServer)).ms, rssMb: 0 };
}, () => startToReady(['npm', 'start']), (s) => s.ms);
console.log(JSON.stringify({ bench: 'npm start to /readyz', runs: Math.min(runs, 3), beforeMs: round(median(oldStart.a)), nowMs: round(median(oldStart.b)), ratio: round(oldStart.ratio, 2) }));

// CLI: the sources through tsx (what the bin did) vs the bin now (freshness check, bundle).
const tsxCli = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', "const { main } = await import('./packages/cli/src/main.ts'); process.exitCode = await main(['--help']);"];
const builtCli = [process.execPath, 'packages/cli/bin/parley.mjs', '--help'];
const cli = await pair(runs * 2, () => wall(tsxCli), () => wall(builtCli), (ms) => ms);
console.log(JSON.stringify({ bench: 'parley --help wall time', runs: runs * 2, tsxMs: round(median(cli.a)), compiledMs: round(median(cli.b)), ratio: round(cli.ratio, 2) }));

// First visit: index.html and what it names, from the compiled server, per Accept-Encoding.
function bytesOnWire(url: string, encoding: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': encoding } }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve(n));
    }).on('error', reject).end();
  });
}
const port = await freePort();
const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-web-'));
const srv = spawn(process.execPath, ['apps/server/dist/main.js'], { cwd: root, env: { ...process.env, ...testEnv({ PORT: String(port), PARLEY_DATA_DIR: dataDir }) }, stdio: 'ignore' });
const base = `http://127.0.0.1:${port}`;
while (!(await fetch(`${base}/readyz`).then((r) => r.ok, () => false))) await sleep(20);
const html = await (await fetch(`${base}/`)).text();
const named = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
const visit: Record<string, Record<string, number>> = {};
for (const [label, enc] of [['plain', 'identity'], ['gzip', 'gzip'], ['brotli', 'br, gzip']] as const) {
  const sizes: Record<string, number> = { html: await bytesOnWire(`${base}/`, enc), js: 0, css: 0 };
  for (const path of named) sizes[path.endsWith('.css') ? 'css' : 'js']! += await bytesOnWire(`${base}${path}`, enc);
  visit[label] = { ...sizes, totalKb: round((sizes.html! + sizes.js! + sizes.css!) / 1024) };
}
console.log(JSON.stringify({ bench: 'first visit bytes on the wire', files: ['/', ...named], ...visit }));
srv.kill('SIGTERM');
await new Promise((r) => srv.once('exit', r));
rmSync(dataDir, { recursive: true, force: true });
