// N server processes on one PostgreSQL database and the machine's NATS (own subject prefix), for
// the cluster benchmarks. Each run makes and drops its own database.
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createTestDatabase, freePort, spawnServer, type TestDatabase } from '@parley/testing';
import { track } from './fixture.ts';

export interface ClusterNode {
  url: string;
  port: number;
  child: ChildProcess;
  env: Record<string, string>;
}

export interface BenchCluster {
  nodes: ClusterNode[];
  db: TestDatabase;
  /** CPU seconds of the Parley node processes so far. */
  nodeCpu(): number;
  /** CPU seconds of PostgreSQL's and NATS's processes so far (the shared parts; every such process on the machine). */
  infraCpu(): number;
  close(): Promise<void>;
}

export function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function pidsOf(names: string[]): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return names.includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
    } catch {
      return false;
    }
  });
}

export async function startBenchCluster(count: number, extraEnv: Record<string, string> = {}, nodeArgs: string[] = []): Promise<BenchCluster> {
  const db = await createTestDatabase('parley_bench');
  const prefix = `bench${randomBytes(4).toString('hex')}`;
  const nodes: ClusterNode[] = [];
  // Start the first alone so it runs the migrations; the rest follow together.
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const env = {
      PORT: String(port), HOST: '127.0.0.1', PARLEY_DATABASE_URL: db.url, PARLEY_NATS_URL: 'nats://127.0.0.1:4222',
      PARLEY_NATS_PREFIX: prefix, PARLEY_NODE_ID: `bench${i + 1}`, PARLEY_LOG_LEVEL: 'warn', PARLEY_DATA_DIR: '/nonexistent', ...extraEnv,
    };
    nodes.push({ url: `http://127.0.0.1:${port}`, port, env, child: track(await spawnServer(env, { nodeArgs })) });
  }
  // Summed per process between calls, so a PostgreSQL backend that exits (another session's) does not
  // take its past CPU out of the total; one that starts counts from zero.
  const seen = new Map<number, number>();
  let infraTotal = 0;
  const infra = () => {
    const now = new Map(pidsOf(['postgres', 'nats-server']).map((pid) => [pid, processCpuSeconds(pid)]));
    for (const [pid, cpu] of now) infraTotal += seen.size === 0 ? cpu : Math.max(0, cpu - (seen.get(pid) ?? 0));
    seen.clear();
    for (const [pid, cpu] of now) seen.set(pid, cpu);
    return infraTotal;
  };
  infra();
  return {
    nodes, db,
    nodeCpu: () => nodes.reduce((a, n) => a + processCpuSeconds(n.child.pid as number), 0),
    infraCpu: infra,
    async close() {
      for (const n of nodes) {
        n.child.kill('SIGTERM');
        await new Promise((r) => n.child.once('exit', r));
      }
      await db.drop();
    },
  };
}
