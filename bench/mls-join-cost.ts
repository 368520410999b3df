// Issue 12: the CPU time a member's device spends applying a commit that adds `adds` devices to a
// group of `members`, then one adding one device (a join), in this thread (the SDK's MlsGroupSession,
// the code the web client's MLS worker runs). The join twice: on the state read back from its stored
// bytes (`reopen`, then `joinFromStored`: what a device that opens the group for this commit does)
// and on the session held open through the add (`joinHeldOpen`: what the web client's worker does). `rounds` rounds from the same stored state
// and commits (bench/lib/mls-group-cache.ts, shared with mls-main-thread.ts); median and range.
//
// Mode `messages`: a message sent in that group as the SDK sends one (mls-codec.ts encode): encrypt,
// serialize the state, put it in the store as the SDK's codec does (GroupRecords: the trees once an
// epoch in a record of their own, the rest per message; BENCH_WHOLE=1: the whole state, as before) (MemoryStore, SealedStore over it, the CLI's
// FileStore with and without the gateway's journal); `rounds` messages, CPU per step and bytes.
// Reading a message serializes and stores the same state (decodeBatch), so the same costs apply.
// Mode `welcome`: a device joining the group from a Welcome (the tree given apart, R35b), as
// MlsGroupSession.join does on a member's first open of the chat, then its first serialize.
// Usage: node --import tsx bench/mls-join-cost.ts [members=5000] [adds=100] [rounds=5] [commits|messages|welcome]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../packages/cli/src/file-store.ts';
import { GroupRecords } from '../packages/client/src/e2ee/group-records.ts';
import { MemoryStore } from '../packages/client/src/index.ts';
import { MlsGroupSession, MlsIdentity, generateKeyPackages } from '../packages/client/src/mls/index.ts';
import { SealedStore } from '../packages/client/src/stores/sealed-store.ts';
import type { ClientStore } from '../packages/client/src/store.ts';
import { cachedGroup } from './lib/mls-group-cache.ts';

const members = Number(process.argv[2] ?? 5000);
const adds = Number(process.argv[3] ?? 100);
const rounds = Number(process.argv[4] ?? 5);
const mode = process.argv[5] ?? 'commits';
const print = (row: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'mls-join-cost', members, adds, ...row }));

/** CPU milliseconds (user + system) of `work`. */
async function cpu<T>(work: () => Promise<T> | T): Promise<[T, number]> {
  const t = process.cpuUsage();
  const value = await work();
  const d = process.cpuUsage(t);
  return [value, (d.user + d.system) / 1000];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = (rows: Record<string, number[]>) => {
  for (const [k, xs] of Object.entries(rows)) print({ mode, cpuMs: k, median: Math.round(median(xs) * 10) / 10, min: Math.round(Math.min(...xs) * 10) / 10, max: Math.round(Math.max(...xs) * 10) / 10 });
};

const group = await cachedGroup(members, adds, print);
print({ step: 'setup', ms: group.setupMs, cached: group.cached, storedBytes: group.state.length });

if (mode === 'messages') {
  const dir = await mkdtemp(join(tmpdir(), 'parley-bench-state-'));
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const stores: [string, ClientStore][] = [
    ['memory', new MemoryStore()],
    ['sealed', await SealedStore.open(new MemoryStore(), key)],
    ['file', new FileStore(join(dir, 'cli.json'))],
    ['fileJournal', new FileStore(join(dir, 'gw.json'), { journal: true })],
  ];
  const whole = process.env['BENCH_WHOLE'] === '1';
  // The two commits first: the cached state may predate the lazy secret tree (every leaf's ratchets
  // stored); after them the state is as a live group's, with the past epoch retained (R116's 2.37 MB).
  const session = await MlsGroupSession.deserialize(group.state.slice());
  await session.processHandshake(group.addCommit);
  await session.processHandshake(group.joinCommit);
  const written = new Map<ClientStore, number>();
  const records = new Map(stores.map(([, store]) => {
    const counting = new Proxy(store, { get: (t, k) => k === 'putMlsGroup' ? (id: string, b: Uint8Array) => { written.set(store, (written.get(store) ?? 0) + b.length); return t.putMlsGroup(id, b); } : (Reflect.get(t, k) as unknown as { bind?: unknown }) && typeof Reflect.get(t, k) === 'function' ? (Reflect.get(t, k) as (...a: unknown[]) => unknown).bind(t) : Reflect.get(t, k) });
    return [store, new GroupRecords(counting)] as const;
  }));
  const first = session.serialize(); // the session's encoder now holds the tree's node encodings, as after its first message
  for (const [, store] of stores) await (whole ? store.putMlsGroup('chat_big', first) : records.get(store)!.put('chat_big', first));
  written.clear();
  const rows: Record<string, number[]> = { encrypt: [], serialize: [] };
  for (const [name] of stores) rows[`put ${name}`] = [];
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    const [, encrypt] = await cpu(() => session.encrypt(new TextEncoder().encode(`hello ${i}`)));
    const [state, serialize] = await cpu(() => session.serialize());
    bytes = state.length;
    rows['encrypt']!.push(encrypt);
    rows['serialize']!.push(serialize);
    for (const [name, store] of stores) rows[`put ${name}`]!.push((await cpu(() => whole ? store.putMlsGroup('chat_big', state) : records.get(store)!.put('chat_big', state)))[1]);
  }
  summary(rows);
  const memory = stores[0]![1];
  print({ mode, layout: whole ? 'whole state' : 'split (trees once an epoch)', envelopeBytes: bytes, bytesWrittenPerMessage: whole ? bytes : Math.round((written.get(memory) ?? 0) / rounds) });
  await rm(dir, { recursive: true, force: true });
  process.exit(0);
}

if (mode === 'welcome') {
  const rows: Record<string, number[]> = { join: [], firstSerialize: [] };
  let sizes: Record<string, number> = {};
  for (let i = 0; i < rounds; i++) {
    // A member adds a fresh device; the tree of the new epoch travels apart (R35b), as the server serves it.
    const adder = await MlsGroupSession.deserialize(group.state.slice());
    const identity = await MlsIdentity.generate({ userId: `u_new${i}`, deviceId: `d_new${i}` });
    const [kp] = await generateKeyPackages(identity, 1);
    const added = await adder.addMembers([kp!.keyPackage]);
    adder.mergePendingCommit();
    const tree = adder.ratchetTreeBytes();
    if (added.welcome === undefined) throw new Error('no welcome');
    const [joined, join] = await cpu(() => MlsGroupSession.join(identity, added.welcome!, [kp!], {}, tree));
    const [state, firstSerialize] = await cpu(() => joined.session.serialize());
    if (joined.session.members().length !== adder.members().length) throw new Error('the joiner sees another group');
    rows['join']!.push(join);
    rows['firstSerialize']!.push(firstSerialize);
    sizes = { welcome: added.welcome.length, tree: tree.length, state: state.length };
    print({ mode, round: i + 1, join: Math.round(join), firstSerialize: Math.round(firstSerialize) });
  }
  summary(rows);
  print({ mode, bytes: sizes });
  process.exit(0);
}

const rows: Record<string, number[]> = { open: [], add: [], store: [], reopen: [], joinFromStored: [], joinHeldOpen: [], encryptAfterJoin: [] };
let sizes: Record<string, number> = {};
for (let i = 0; i < rounds; i++) {
  const [session, open] = await cpu(() => MlsGroupSession.deserialize(group.state.slice()));
  const [, add] = await cpu(() => session.processHandshake(group.addCommit));
  const [afterAdd, store] = await cpu(() => session.serialize());
  const [reopened, reopen] = await cpu(() => MlsGroupSession.deserialize(afterAdd));
  const [, joinFromStored] = await cpu(() => reopened.processHandshake(group.joinCommit));
  const [, joinHeldOpen] = await cpu(() => session.processHandshake(group.joinCommit));
  const [, encryptAfterJoin] = await cpu(() => session.encrypt(new TextEncoder().encode('hello')));
  const afterJoin = session.serialize();
  const hex = async (s: MlsGroupSession) => Buffer.from(await s.exportSecret('bench', new Uint8Array(), 32)).toString('hex');
  if (await hex(session) !== await hex(reopened)) throw new Error('the two joins disagree');
  sizes = { storedBefore: group.state.length, afterAdd: afterAdd.length, afterJoin: afterJoin.length };
  for (const [k, v] of Object.entries({ open, add, store, reopen, joinFromStored, joinHeldOpen, encryptAfterJoin })) rows[k]!.push(v);
  print({ round: i + 1, open: Math.round(open), add: Math.round(add), store: Math.round(store), reopen: Math.round(reopen), joinFromStored: Math.round(joinFromStored), joinHeldOpen: Math.round(joinHeldOpen), encryptAfterJoin: Math.round(encryptAfterJoin) });
}
for (const [k, xs] of Object.entries(rows)) print({ cpuMs: k, median: Math.round(median(xs)), min: Math.round(Math.min(...xs)), max: Math.round(Math.max(...xs)) });
print({ bytes: sizes });
process.exit(0);
