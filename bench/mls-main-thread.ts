// Issue 12: how long a device's main thread is blocked while it applies a commit adding `adds`
// devices to a group of `members` and stores its state, with the SDK's MLS engine in the same
// thread (as the web client did before) and in a worker (RemoteMlsEngine, as it does now). Same
// process, same state bytes and commit for both. The main thread's blocking is read as the longest
// gap between ticks of a 4 ms timer (an event-loop lag probe: what a page would see as its longest
// task), plus the count of gaps over 50 ms ("long tasks"). Node's worker_threads stand in for a
// Web Worker: the SDK code is the same as the page's; Chromium's own figures may differ.
// Usage: node --import tsx bench/mls-main-thread.ts [members=1000] [adds=100]
import { Worker } from 'node:worker_threads';
import { startGroupId } from '@parley/mls-public';
import { MlsGroupSession, MlsIdentity, RemoteMlsEngine, generateKeyPackages, inThreadMlsEngine, type MlsEngine } from '../packages/client/src/mls/index.ts';
import { nodePort } from './lib/node-port.ts';

const members = Number(process.argv[2] ?? 1000);
const adds = Number(process.argv[3] ?? 100);
const print = (row: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'mls-main-thread', members, adds, ...row }));
const ms = (t: number) => Math.round(performance.now() - t);
let n = 0;
const id = () => `u${(n++).toString(36)}`;

/** Longest gap between 4 ms ticks while `work` runs, and gaps over 50 ms. */
async function blocked<T>(work: () => Promise<T>): Promise<{ value: T; wallMs: number; longestMs: number; over50: number }> {
  let last = performance.now();
  let longest = 0;
  let over50 = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = now - last;
    longest = Math.max(longest, gap);
    if (gap > 50) over50++;
    last = now;
  }, 4);
  const t = performance.now();
  const value = await work();
  const wallMs = ms(t);
  await new Promise((r) => setTimeout(r, 20)); // the tick after the work's last step
  clearInterval(timer);
  longest = Math.max(longest, performance.now() - last);
  return { value, wallMs, longestMs: Math.round(longest), over50 };
}

let t = performance.now();
const devices = [];
for (let i = 0; i < members + adds; i++) {
  const identity = await MlsIdentity.generate({ userId: id(), deviceId: id() });
  devices.push({ identity, generated: (await generateKeyPackages(identity, 1))[0]! });
}
const [owner, measured, ...rest] = devices.slice(0, members);
const session = await MlsGroupSession.create(owner!.identity, new TextEncoder().encode(startGroupId(id(), 0)), {}, 0n);
const start = await session.addMembers([measured!, ...rest].map((d) => d.generated.keyPackage));
session.mergePendingCommit();
const { session: member } = await MlsGroupSession.join(measured!.identity, start.welcome, [measured!.generated], {}, session.ratchetTreeBytes());
const state = member.serialize();
const made = await session.addMembers(devices.slice(members).map((d) => d.generated.keyPackage));
session.mergePendingCommit();
print({ step: 'setup', ms: ms(t), stateBytes: state.length });

// A worker does not inherit `--import tsx` in Node 20: it registers tsx itself, then loads the host.
const host = new URL('./lib/mls-engine-worker.ts', import.meta.url).href;
const worker = new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(host)}); })`, { eval: true });
const remote = new RemoteMlsEngine(nodePort(worker));
const engines: [string, MlsEngine][] = [['in-thread', inThreadMlsEngine], ['worker', remote], ['in-thread', inThreadMlsEngine], ['worker', remote]];
await (await remote.deserialize(state, {})).serialize(); // the worker's module load and warm-up, not measured
// The probe on an idle main thread for as long as a commit takes: what the shared machine alone shows.
const idle = await blocked(() => new Promise((r) => setTimeout(r, 5000)));
print({ engine: 'none (idle 5 s)', mainThreadLongestMs: idle.longestMs, over50ms: idle.over50 });
for (const [engine, e] of engines) {
  const load = await blocked(() => e.deserialize(state.slice(), {}));
  const g = load.value;
  const apply = await blocked(async () => {
    await g.processHandshake(made.commit);
    return (await g.serialize()).length;
  });
  const message = await blocked(async () => g.encrypt(new TextEncoder().encode('hello building')));
  print({
    engine, load: { wallMs: load.wallMs, longestMs: load.longestMs },
    commitAndStore: { wallMs: apply.wallMs, mainThreadLongestMs: apply.longestMs, over50ms: apply.over50, stateBytes: apply.value },
    encrypt: { wallMs: message.wallMs, longestMs: message.longestMs },
  });
}
await worker.terminate();
process.exit(0);
