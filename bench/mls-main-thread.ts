// Issue 12: how long a device's main thread is blocked while it applies a commit adding `adds`
// devices to a group of `members` and stores its state, with the SDK's MLS engine in the same
// thread (as the web client did before) and in a worker (RemoteMlsEngine, as it does now). Same
// process, same state bytes and commit for both. The main thread's blocking is read as the longest
// gap between ticks of a 4 ms timer (an event-loop lag probe: what a page would see as its longest
// task), plus the count of gaps over 50 ms ("long tasks"). Node's worker_threads stand in for a
// Web Worker: the SDK code is the same as the page's.
// Mode `chromium`: the same in Debian's Chromium, a page running the SDK's RemoteMlsEngine on the web
// client's built MLS worker (apps/web/dist, `node scripts/build/build.mjs` first; BENCH_WEB_DIST for
// another build): open the stored group, apply the add commit, seal and write the state to IndexedDB,
// then a commit adding one device (a join), the same; wall, worker and store times, the main
// thread's longest gap and Long Tasks, state size, both JS heaps; then one round on the page's own
// thread (the web client before its worker; BENCH_IN_PAGE=0 skips it). Then what the page still runs
// itself: an identity, key packages (`BENCH_KEY_PACKAGES`, default 21,100) and header reads.
// The group (minutes to make at 5,000) is kept under /tmp (lib/mls-group-cache.ts) and reused.
// Usage: node --import tsx bench/mls-main-thread.ts [members=1000] [adds=100] [node|chromium]
// BENCH_CHROMIUM_MESSAGES=1 with `chromium`: only 10 messages after both commits, each state stored sealed in IndexedDB whole (as before issue 12's split) and as the chat's record alone (as the SDK now writes it).
import { Worker } from 'node:worker_threads';
import { RemoteMlsEngine, inThreadMlsEngine, type MlsEngine } from '../packages/client/src/mls/index.ts';
import { cachedGroup } from './lib/mls-group-cache.ts';
import { nodePort } from './lib/node-port.ts';

const members = Number(process.argv[2] ?? 1000);
const adds = Number(process.argv[3] ?? 100);
const mode = process.argv[4] ?? 'node';
const print = (row: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'mls-main-thread', members, adds, ...row }));
const ms = (t: number) => Math.round(performance.now() - t);

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

const group = await cachedGroup(members, adds, print);
const { state } = group;
const made = { commit: group.addCommit };
print({ step: 'setup', ms: group.setupMs, cached: group.cached, stateBytes: state.length });
if (mode === 'chromium') {
  await (await import('./lib/mls-chromium.ts')).chromiumRun(group, print);
  process.exit(0);
}

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
