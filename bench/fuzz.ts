// A long fuzz of a real server: ≥ 1,000,000 hostile WebSocket frames (the fuzz test's generators and
// checks, packages/testing/src/fuzz-*.ts) from member devices of real chats, in load processes
// (lib/fuzz-worker.ts), against a server in its own process. Prints frames/s, the server's errors by
// code (its /metrics), crashes (must be 0), answers that break the protocol (must be 0), server
// memory before and after, and whether an honest end-to-end encrypted send still works afterwards.
// Rate limits are raised so the frames reach the code behind them; --default-limits keeps the
// defaults for sends and API calls (20/s per device: at this bench's rate per device they rarely bite).
// Usage: node --import tsx bench/fuzz.ts [frames=1000000] [workers=2] [connectionsPerWorker=4] [--default-limits]
// PARLEY_FUZZ_SEED picks the seed (the same seed, the same frames).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChatSummary } from '../packages/protocol/src/index.ts';
import { RestApi } from '../packages/client/src/index.ts';
import { createUser, fuzzSeed, waitFor, type FrameFuzzContext, type FuzzStats, type TestUser } from '../packages/testing/src/index.ts';
import { makeUsers, openDirect, round, sleep, startServerProcess, track, type SessionSpec } from './lib/fixture.ts';
import { emptyStats, mergeStats, type FuzzCommand, type FuzzConnectionSpec, type FuzzReply } from './lib/fuzz-protocol.ts';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const defaultLimits = process.argv.includes('--default-limits');
const totalFrames = Number(args[0] ?? 1_000_000);
const workerCount = Number(args[1] ?? 2);
const perWorker = Number(args[2] ?? 4);
const batch = Number(process.env['PARLEY_FUZZ_BATCH'] ?? 200);
const seed = fuzzSeed();
const connections = workerCount * perWorker;

const RAISED = { PARLEY_RATE_SEND_PER_SEC: '1000000', PARLEY_RATE_SEND_BURST: '1000000', PARLEY_RATE_API_PER_SEC: '1000000' };
// The shipped defaults (apps/server/src/config.ts) for sends and API calls; sign-ups and logins stay raised for the set-up.
const DEFAULTS = { PARLEY_RATE_SEND_PER_SEC: '20', PARLEY_RATE_SEND_BURST: '100', PARLEY_RATE_API_PER_SEC: '20' };
const server = await startServerProcess({
  PARLEY_RATE_SIGNUP_PER_HOUR: '1000000', PARLEY_RATE_LOGIN_PER_MIN: '1000000', ...(defaultLimits ? DEFAULTS : RAISED),
});
let crashes = 0;
let stopping = false;
server.child.once('exit', (code, signal) => {
  if (stopping) return;
  crashes += 1;
  console.error(`the server exited during the fuzz: code ${code}, signal ${signal}`);
});

interface Scrape { rssBytes: number; heapUsedBytes: number; errors: Record<string, number>; disconnects: Record<string, number> }

/** The server's own figures from /metrics (prom-client): memory, errors by code, disconnects by reason. */
async function scrape(): Promise<Scrape> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const out: Scrape = { rssBytes: NaN, heapUsedBytes: NaN, errors: {}, disconnects: {} };
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{([^}]*)\})? ([\d.e+-]+)$/.exec(line);
    if (!m) continue;
    const [, name, labels = '', value] = m;
    const label = (key: string) => new RegExp(`${key}="([^"]*)"`).exec(labels)?.[1] ?? '?';
    if (name === 'process_resident_memory_bytes') out.rssBytes = Number(value);
    else if (name === 'nodejs_heap_size_used_bytes') out.heapUsedBytes = Number(value);
    else if (name === 'parley_errors_total') out.errors[label('code')] = Number(value);
    else if (name === 'parley_disconnects_total') out.disconnects[label('reason')] = Number(value);
  }
  return out;
}

/** The lowest of a few readings after a pause: the server collects garbage on its own time. */
async function settled(): Promise<Scrape> {
  await sleep(3000);
  let best: Scrape | undefined;
  for (let i = 0; i < 5; i++) {
    const s = await scrape();
    if (!best || s.rssBytes < best.rssBytes) best = { ...s, heapUsedBytes: Math.min(s.heapUsedBytes, best?.heapUsedBytes ?? Infinity) };
    await sleep(500);
  }
  return best!;
}

const diff = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => Number(v) > 0));

/** An honest conversation: returns the time from send to shown on the other device, or throws. */
async function honestSend(from: TestUser, to: TestUser, chatId: string, text: string): Promise<number> {
  const t0 = performance.now();
  await from.client.sendText(chatId, text);
  await waitFor(() => to.client.timeline(chatId).some((i) => i.text === text && !i.unreadable), { timeoutMs: 30_000, what: `"${text}" shown` });
  return performance.now() - t0;
}

// An honest end-to-end encrypted chat: its real MLS payloads seed the mutations.
const [alice, bob] = await Promise.all([createUser(server.url), createUser(server.url)]);
if (!alice || !bob) throw new Error('users');
const honest = await alice.client.openDirect(bob.userId);
await honestSend(alice, bob, honest.chatId, 'before the fuzz');
const payloads = (type: string) => alice.client.log(honest.chatId).flatMap((m) => (m.envelope?.contentType === type ? [m.envelope.payload] : []));

// One fuzzing user per connection, each in a direct chat with the victim and all in one group.
const users = await makeUsers(server.url, connections + 2);
const victim = users[connections] as SessionSpec;
const bystander = users[connections + 1] as SessionSpec;
const fuzzing = users.slice(0, connections);
const arena = (await new RestApi(server.url, fuzzing[0]!.token).call<{ chat: ChatSummary }>('POST', '/chats', {
  name: 'arena', memberIds: [...fuzzing.slice(1), victim].map((u) => u.userId),
})).chat.chatId;
const directs = await Promise.all(fuzzing.map((u) => openDirect(server.url, u, victim)));
const elsewhere = await openDirect(server.url, victim, bystander);
const framesEach = Math.ceil(totalFrames / connections);
const specs: FuzzConnectionSpec[] = fuzzing.map((u, i) => {
  const ctx: FrameFuzzContext = {
    memberChatIds: [directs[i]!, arena], otherChatIds: [honest.chatId, elsewhere, 'nochat_0000000'], token: u.token,
    mlsCommits: payloads('parley/mls-commit'), mlsMessages: payloads('parley/mls-app'),
    maxEnvelopeBytes: 64 * 1024, maxFrameBytes: 64 * 1024 + 4096, // the server's defaults (config.ts)
  };
  return { token: u.token, ctx, seed: seed + i * 1_000_003, frames: framesEach };
});

const before = await settled();
const rssBeforeKb = server.rssKb();
const cpuBefore = server.cpuSeconds();

/** One fuzz load process. */
class FuzzWorker {
  readonly #waiting: ((r: FuzzReply) => void)[] = [];
  constructor(readonly child: ChildProcess) {
    child.on('message', (r: FuzzReply) => {
      if (r.cmd === 'error') {
        console.error('fuzz worker error:', r.message);
        process.exit(1);
      }
      this.#waiting.shift()?.(r);
    });
  }
  static async start(): Promise<FuzzWorker> {
    const path = fileURLToPath(new URL('./lib/fuzz-worker.ts', import.meta.url));
    const w = new FuzzWorker(track(fork(path, [], { execArgv: ['--import', 'tsx', '--max-old-space-size=2048'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })));
    await new Promise<FuzzReply>((resolve) => w.#waiting.push(resolve));
    return w;
  }
  run(url: string, connections: FuzzConnectionSpec[]): void {
    this.child.send({ cmd: 'run', url, connections, batch } satisfies FuzzCommand);
  }
  stats(): Promise<Extract<FuzzReply, { cmd: 'stats' }>> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve as (r: FuzzReply) => void);
      this.child.send({ cmd: 'stats' } satisfies FuzzCommand);
    });
  }
}

const workers = await Promise.all(Array.from({ length: workerCount }, () => FuzzWorker.start()));
const started = performance.now();
workers.forEach((w, i) => w.run(server.url, specs.slice(i * perWorker, (i + 1) * perWorker)));
let stats: FuzzStats = emptyStats();
const failures: string[] = [];
for (let lastReport = started; ;) {
  await sleep(1000);
  const replies = await Promise.all(workers.map((w) => w.stats()));
  stats = replies.reduce((all, r) => mergeStats(all, r.stats), emptyStats());
  if (performance.now() - lastReport > 30_000) {
    lastReport = performance.now();
    console.error(`… ${stats.frames} frames, ${round(stats.frames / ((lastReport - started) / 1000))} frames/s, ${stats.violations} violations`);
  }
  if (replies.every((r) => r.done)) {
    failures.push(...replies.flatMap((r) => r.failures));
    break;
  }
}
const seconds = (performance.now() - started) / 1000;
const serverCpuSeconds = crashes ? NaN : server.cpuSeconds() - cpuBefore;
for (const w of workers) w.child.kill();

// Afterwards: the server is up, its memory settles, and people still talk.
const after = crashes ? before : await settled();
const rssAfterKb = crashes ? NaN : server.rssKb();
let normalSend: { works: boolean; existingChatMs?: number; newUsersMs?: number; error?: string };
try {
  const existingChatMs = await honestSend(bob, alice, honest.chatId, 'after the fuzz');
  const [carol, dave] = await Promise.all([createUser(server.url), createUser(server.url)]);
  if (!carol || !dave) throw new Error('users');
  const fresh = await carol.client.openDirect(dave.userId);
  const newUsersMs = await honestSend(carol, dave, fresh.chatId, 'hello after the fuzz');
  await Promise.all([carol, dave].map((u) => u.client.stop()));
  normalSend = { works: true, existingChatMs: round(existingChatMs), newUsersMs: round(newUsersMs) };
} catch (err) {
  normalSend = { works: false, error: String(err) };
}
await Promise.all([alice, bob].map((u) => u.client.stop()));

const mb = (bytes: number) => round(bytes / 1024 / 1024);
console.log(JSON.stringify({
  bench: 'fuzz', seed, limits: defaultLimits ? 'default sends and API calls' : 'raised', loadProcesses: workerCount, connections,
  frames: stats.frames, seconds: round(seconds), framesPerSec: round(stats.frames / seconds), serverCpuSeconds: round(serverCpuSeconds),
  crashes, violations: stats.violations, firstViolations: stats.firstViolations, connectFailures: failures,
  serverErrorsByCode: diff(after.errors, before.errors), serverDisconnects: diff(after.disconnects, before.disconnects),
  framesByExpectation: stats.expected, repliesSeen: stats.replies, closesSeen: stats.closes, reconnects: stats.reconnects,
  serverRssMb: { before: round(rssBeforeKb / 1024), after: round(rssAfterKb / 1024) },
  serverMetricsMb: { rssBefore: mb(before.rssBytes), rssAfter: mb(after.rssBytes), heapUsedBefore: mb(before.heapUsedBytes), heapUsedAfter: mb(after.heapUsedBytes) },
  normalSend,
}));
stopping = true;
if (!crashes) await server.close();
process.exit(crashes || stats.violations || !normalSend.works ? 1 : 0);
