// Coordinator side of the benchmarks: a server in its own process, users made over REST, and
// load-generator processes driven over IPC. Everything on loopback, bounded in count and time.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { accounts, generateDeviceKey, RestApi } from '@parley/client';
import { freePort, spawnServer, uniqueHandle } from '@parley/testing';
import type { Command, Reply, SessionSpec } from './protocol.ts';

export type { SessionSpec };

/** Every child this benchmark started dies with it, even when it fails half-way. */
const children = new Set<ChildProcess>();
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
process.once('unhandledRejection', (err) => {
  console.error('benchmark failed:', err);
  process.exit(1);
});

export interface ServerProcess {
  url: string;
  /** PARLEY_DATA_DIR (its parley.sqlite), for benches that seed rows in bulk. */
  dataDir: string;
  child: ChildProcess;
  rssKb(): number;
  cpuSeconds(): number;
  close(): Promise<void>;
}

export async function startServerProcess(env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const child = track(await spawnServer({ PORT: String(port), HOST: '127.0.0.1', PARLEY_DATA_DIR: dataDir, PARLEY_LOG_LEVEL: 'warn', ...env }, { nodeArgs }));
  const pid = child.pid as number;
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    child,
    rssKb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN),
    cpuSeconds: () => {
      // utime + stime in clock ticks (100 Hz on Linux)
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    async close() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates `n` accounts, each with one device key and a session token, `concurrency` at a time. */
export async function makeUsers(url: string, n: number, concurrency = 20): Promise<SessionSpec[]> {
  const out: SessionSpec[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      const deviceKey = await generateDeviceKey();
      const created = await accounts.createWithDeviceKey(url, { handle: uniqueHandle('b'), displayName: `bench ${i}`, deviceName: 'bench', deviceKey });
      const { token } = await accounts.login(url, created.deviceId, deviceKey);
      out[i] = { userId: created.userId, deviceId: created.deviceId, token };
    }
  }));
  return out;
}

export async function openDirect(url: string, a: SessionSpec, b: SessionSpec): Promise<string> {
  const { chat } = await new RestApi(url, a.token).call<{ chat: { chatId: string } }>('POST', '/chats/direct', { userId: b.userId });
  return chat.chatId;
}

export async function createGroup(url: string, owner: SessionSpec, members: SessionSpec[]): Promise<string> {
  const { chat } = await new RestApi(url, owner.token).call<{ chat: { chatId: string } }>('POST', '/chats', {
    name: 'bench group', memberIds: members.filter((m) => m.userId !== owner.userId).map((m) => m.userId),
  });
  return chat.chatId;
}

const workerPath = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

/** One load-generator process. */
export class Worker {
  readonly #child: ChildProcess;
  readonly #waiting: ((r: Reply) => void)[] = [];
  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (r: Reply) => {
      if (r.cmd === 'error') {
        console.error('worker error:', r.message);
        process.exit(1);
      }
      this.#waiting.shift()?.(r);
    });
  }

  static async start(): Promise<Worker> {
    const child = fork(workerPath, [], { execArgv: ['--import', 'tsx', '--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const w = new Worker(track(child));
    await new Promise<Reply>((resolve) => w.#waiting.push(resolve));
    return w;
  }

  /** Commands are answered in order, one reply each. */
  call<C extends Command['cmd']>(cmd: Extract<Command, { cmd: C }>): Promise<Extract<Reply, { cmd: C }>> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve as (r: Reply) => void);
      this.#child.send(cmd);
    });
  }

  async close(): Promise<void> {
    await this.call({ cmd: 'close' });
  }
}

export { percentile, round } from './stats.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Delivered {
  received: number;
  /** Send→deliver latencies, sorted ascending, ms. */
  latencies: number[];
  /** Time of the last delivery (performance clock, ms since the epoch). */
  lastAt: number;
}

/** Polls the workers until `expected` deliveries arrived (or `timeoutMs` passed); merges their stats. */
export async function waitDelivered(workers: Worker[], expected: number, timeoutMs = 60_000): Promise<Delivered> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const stats = await Promise.all(workers.map((w) => w.call({ cmd: 'stats' })));
    const received = stats.reduce((a, s) => a + s.received, 0);
    if (received >= expected || performance.now() > deadline) {
      return { received, latencies: stats.flatMap((s) => s.latencies).sort((a, b) => a - b), lastAt: Math.max(...stats.map((s) => s.lastAt)) };
    }
    await sleep(50);
  }
}
