// The page's side of bench/mls-main-thread.ts in Chromium (mode `chromium`): the SDK's RemoteMlsEngine
// on the web client's built MLS worker, the state sealed and written to IndexedDB as the web client's
// store does (AES-GCM, then one put), and what the page itself runs of MLS (key packages, header
// reads). Bundled by the bench with esbuild into one script; it sets `window.parleyBench`.
import { RemoteMlsEngine } from '../../packages/client/src/mls/remote-engine.ts';
import type { EnginePort } from '../../packages/client/src/mls/engine-wire.ts';
import { inThreadMlsEngine, type MlsEngine, type MlsGroup } from '../../packages/client/src/mls/engine.ts';
import { MlsIdentity } from '../../packages/client/src/mls/identity.ts';
import { generateKeyPackages } from '../../packages/client/src/mls/key-packages.ts';
import { messageEpoch, welcomeRefs } from '../../packages/client/src/mls/headers.ts';
import { splitEnvelope } from '../../packages/client/src/mls/split-envelope.ts';

interface Blocked<T> { value: T; wallMs: number; longestMs: number; over50: number; longTasks: number; longTaskMaxMs: number }

/** The main thread's longest gap between 4 ms timer ticks while `work` runs, and the Long Tasks API's view. */
async function blocked<T>(work: () => Promise<T>): Promise<Blocked<T>> {
  const tasks: number[] = [];
  const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) tasks.push(e.duration); });
  observer.observe({ type: 'longtask', buffered: false });
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
  const wallMs = Math.round(performance.now() - t);
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(timer);
  longest = Math.max(longest, performance.now() - last);
  for (const e of observer.takeRecords()) tasks.push(e.duration);
  observer.disconnect();
  return { value, wallMs, longestMs: Math.round(longest), over50, longTasks: tasks.length, longTaskMaxMs: Math.round(Math.max(0, ...tasks)) };
}

const strip = <T>(b: Blocked<T>) => ({ wallMs: b.wallMs, mainThreadLongestMs: b.longestMs, over50ms: b.over50, longTasks: b.longTasks, longTaskMaxMs: b.longTaskMaxMs });

async function bytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await (await fetch(path)).arrayBuffer());
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open('parley-bench', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('mlsGroups');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** As SealedStore over IndexedDbStore: AES-GCM with a non-extractable key, then one put. */
async function put(db: IDBDatabase, key: CryptoKey, state: Uint8Array): Promise<number> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode('mls-group:bench') }, key, new Uint8Array(state)));
  const tx = db.transaction('mlsGroups', 'readwrite');
  tx.objectStore('mlsGroups').put(sealed, 'chat');
  await new Promise<void>((resolve, reject) => { tx.oncomplete = () => resolve(); tx.onerror = () => reject(tx.error); });
  return sealed.length;
}

/**
 * A commit applied and the state written, as the page sees it: each step's wall time (round trips to
 * the worker) and the main thread's longest gap during it (process: the members' copy arrives;
 * serialize: the state's bytes, transferred; store: sealing and the IndexedDB put).
 */
async function applyAndStore(g: MlsGroup, commit: Uint8Array, db: IDBDatabase, key: CryptoKey) {
  const process = await blocked(() => g.processHandshake(commit.slice()));
  const serialize = await blocked(async () => g.serialize());
  const state = serialize.value;
  const store = await blocked(() => put(db, key, state));
  const wallMs = process.wallMs + serialize.wallMs + store.wallMs; // each without blocked()'s 20 ms tail
  const steps = [process, serialize, store];
  return {
    processMs: process.wallMs, serializeMs: serialize.wallMs, storeMs: store.wallMs, workerMs: process.wallMs + serialize.wallMs, wallMs,
    stateBytes: state.length, sealedBytes: store.value,
    mainThreadLongestMs: Math.max(...steps.map((b) => b.longestMs)), longestByStep: steps.map((b) => b.longestMs).join(' / '),
    over50ms: steps.reduce((n, b) => n + b.over50, 0), longTasks: steps.reduce((n, b) => n + b.longTasks, 0), longTaskMaxMs: Math.max(...steps.map((b) => b.longTaskMaxMs)),
  };
}

export const parleyBench = {
  /** Idle main thread for `ms`: what the machine alone shows. */
  async idle(ms: number) {
    return strip(await blocked(() => new Promise((r) => setTimeout(r, ms))));
  },

  /**
   * Opens the stored group in the worker (or, `inPage`, on the page itself: the web client before its
   * worker), applies the add commit, stores; then the join commit, stores; then one message.
   */
  async commits(workerUrl: string, inPage = false) {
    const [state, add, join] = await Promise.all([bytes('/data/state'), bytes('/data/add'), bytes('/data/join')]);
    const db = await openDb();
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const engine: MlsEngine = inPage ? inThreadMlsEngine : new RemoteMlsEngine(new Worker(workerUrl, { name: 'parley-mls' }) as unknown as EnginePort);
    const warm = await blocked(async () => (await engine.deserialize(state.slice(), {})).epoch); // the worker's load, first open
    const rounds = [];
    for (let i = 0; i < (inPage ? 1 : 2); i++) {
      const open = await blocked(() => engine.deserialize(state.slice(), {}));
      const g = open.value;
      const members = g.members().length;
      const added = await applyAndStore(g, add, db, key);
      const afterAdd = g.members().length;
      const joined = await applyAndStore(g, join, db, key);
      const message = await blocked(() => g.encrypt(new TextEncoder().encode('hello building')));
      rounds.push({ members, afterAdd, afterJoin: g.members().length, open: strip(open), add: added, join: joined, encrypt: strip(message) });
      (globalThis as { openGroup?: unknown }).openGroup = g; // the worker's heap is read with the group open
    }
    (globalThis as { engine?: unknown }).engine = engine;
    return { stateBytes: state.length, warm: strip(warm), rounds };
  },

  /**
   * Issue 12: messages in the group after both commits (a live group's state): each encrypted and
   * serialized in the worker, then stored sealed in IndexedDB whole (as before) and as the SDK now
   * writes it (the chat's record only: the envelope without its epoch part). Wall ms on the page.
   */
  async messages(workerUrl: string, n: number) {
    const [state, add, join] = await Promise.all([bytes('/data/state'), bytes('/data/add'), bytes('/data/join')]);
    const db = await openDb();
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const engine: MlsEngine = new RemoteMlsEngine(new Worker(workerUrl, { name: 'parley-mls' }) as unknown as EnginePort);
    const g = await engine.deserialize(state.slice(), {});
    await g.processHandshake(add.slice());
    await g.processHandshake(join.slice());
    await g.serialize();
    const rows = [];
    for (let i = 0; i < n; i++) {
      const encrypt = await blocked(() => g.encrypt(new TextEncoder().encode(`hello ${i}`)));
      const serialize = await blocked(async () => g.serialize());
      const whole = await blocked(() => put(db, key, serialize.value));
      const split = splitEnvelope(serialize.value)!;
      const record = await blocked(() => put(db, key, split.rest));
      rows.push({ encryptMs: encrypt.wallMs, serializeMs: serialize.wallMs, envelopeBytes: serialize.value.length, storeWholeMs: whole.wallMs, storeWholeLongestMs: whole.longestMs, recordBytes: split.rest.length + split.id.length + 7, storeRecordMs: record.wallMs, storeRecordLongestMs: record.longestMs });
    }
    return { members: g.members().length, rows };
  },

  /** What stays on the page: a device's identity, key packages (a refill is 20 + a last-resort one), header reads. */
  async pageMls(counts: number[]) {
    const [add, join, welcome] = await Promise.all([bytes('/data/add'), bytes('/data/join'), bytes('/data/welcome')]);
    const identity = await blocked(() => MlsIdentity.generate({ userId: 'u_bench', deviceId: 'd_bench' }));
    const out: Record<string, unknown> = { identity: strip(identity) };
    for (const n of counts) {
      const kp = await blocked(() => generateKeyPackages(identity.value, n));
      out[`keyPackages${n}`] = { ...strip(kp), perPackageMs: Math.round((kp.wallMs / n) * 10) / 10 };
    }
    const reads = await blocked(async () => {
      const t = performance.now();
      for (let i = 0; i < 20; i++) { messageEpoch(add); messageEpoch(join); welcomeRefs(welcome); }
      return (performance.now() - t) / 20;
    });
    const one = (f: () => unknown) => { const t = performance.now(); f(); return Math.round((performance.now() - t) * 100) / 100; };
    out['headerReads'] = {
      addCommitEpochMs: one(() => messageEpoch(add)), joinCommitEpochMs: one(() => messageEpoch(join)), welcomeRefsMs: one(() => welcomeRefs(welcome)),
      avgTripleMs: Math.round(reads.value * 100) / 100, addCommitBytes: add.length, welcomeBytes: welcome.length, ...strip(reads),
    };
    return out;
  },
};

(globalThis as unknown as { parleyBench: typeof parleyBench }).parleyBench = parleyBench;
