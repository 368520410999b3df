// Server CPU per MLS commit with R35's checks against accepting it unchecked (appendCommit alone,
// what the server did before R35), in the same process and run, on a real SqliteStorage in a temp dir
// (or PostgreSQL). For each size: an N-member group (one device per member, Parley credentials, the
// client's MlsGroupSession), started by one commit adding N-1 devices with its GroupInfo; then rounds
// of the commits a chat sees, each made by the group's creator: add one device, remove it (revoked
// first, with the update path), update (path only). With `steadyMax`: the same rounds on a group of the
// same size whose every parent node was set by an update (bench/lib/mls-fixture.ts fillTree).
// Each commit is accepted as Mls.commit does (getChat, CommitChecks.check with its policy read from
// storage and its GroupStates, appendCommit with the state, remember), with the node's state cache hit
// (the node checked the previous commit) and missed (another node did: read and decode the state),
// and unchecked on a twin chat; CPU is process.cpuUsage() (all of this process's threads; PostgreSQL's
// own CPU is not in it), medians over the samples. Prints JSON lines; progress on stderr.
// Usage: node --import tsx bench/mls-commit-check.ts [sizes=10,100,1000,5000] [steadyMax=0] [storage=sqlite|postgres]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Envelope } from '@parley/protocol';
import { createTestDatabase } from '@parley/testing';
import {
  decodeCommitBundle, decodePublicGroup, encodePublicGroup, memberKey, verifyCommit, type CommitPolicy, type LeafStanding, type PublicGroup,
} from '@parley/mls-public';
import { CommitChecks, type CheckedCommitState } from '../apps/server/src/domain/mls/commit-checks.ts';
import { cryptoRandom, systemClock } from '../apps/server/src/domain/ports.ts';
import { PostgresStorage } from '../apps/server/src/storage/postgres/postgres-storage.ts';
import { SqliteStorage } from '../apps/server/src/storage/sqlite/sqlite-storage.ts';
import type { AppendRequest, DeviceKeyRow, Storage } from '../apps/server/src/storage/storage.ts';
import { encodeCommitBundle } from '../packages/client/src/e2ee/envelopes.ts';
import { MlsGroupSession, generateKeyPackages } from '../packages/client/src/mls/index.ts';
import { loadCiphersuite } from '../packages/client/src/mls/ciphersuite.ts';
import { round } from './lib/fixture.ts';
import { device, fillTree, leafSecrets, plainState, sessionFrom, treeShape, type BenchDevice, type LeafSecrets } from './lib/mls-fixture.ts';

const sizes = (process.argv[2] ?? '10,100,1000,5000').split(',').map(Number);
const steadyMax = Number(process.argv[3] ?? 0);
const backend = process.argv[4] ?? 'sqlite';
if (backend !== 'sqlite' && backend !== 'postgres') throw new Error(`storage is sqlite or postgres, not ${backend}`);

const log = (o: Record<string, unknown>) => console.log(JSON.stringify(o));
const progress = (s: string) => process.stderr.write(`[mls-commit-check ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const utf8 = (s: string) => new TextEncoder().encode(s);
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

// The server's defaults (apps/server/src/config.ts).
const KEY_PACKAGE_MAX_AGE_MS = 21 * 86_400_000;
const STATE_CACHE_BYTES = 64 * 1024 * 1024;
const MAX_ENVELOPE_BYTES = 64 * 1024;
const limits = (stateCacheBytes: number) => ({ resetIntervalMs: 60_000, stateCacheBytes, joinStateTtlMs: 86_400_000, startMinAdds: 50, claimsPerTargetPerHour: 200 });

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Sample {
  cpuMs: number;
  wallMs: number;
}
const add = (a: Sample, b: Sample): Sample => ({ cpuMs: a.cpuMs + b.cpuMs, wallMs: a.wallMs + b.wallMs });

async function measure<T>(fn: () => Promise<T>): Promise<[T, Sample]> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return [result, { cpuMs: (cpu.user + cpu.system) / 1000, wallMs }];
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)]!;
}

function summary(samples: Sample[]): { cpuMs: number; wallMs: number } {
  return { cpuMs: round(median(samples.map((s) => s.cpuMs)), 3), wallMs: round(median(samples.map((s) => s.wallMs)), 3) };
}

/** One Parley device: MLS identity with a key package, ids shaped like the server's (22-character random). */
async function parleyDevice(userId = cryptoRandom.id()): Promise<BenchDevice> {
  return device(userId, cryptoRandom.id());
}

async function openStorage(): Promise<{ storage: Storage; close(): Promise<void>; fastSeeding(on: boolean): void }> {
  if (backend === 'postgres') {
    const db = await createTestDatabase('parley_bench');
    const storage = await PostgresStorage.open(db.url);
    return { storage, fastSeeding: () => {}, close: async () => { await storage.close(); await db.drop(); } };
  }
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-commit-'));
  const storage = SqliteStorage.open(join(dir, 'parley.sqlite'));
  return {
    storage,
    // Seeding thousands of users one transaction each: no fsync while seeding, the server's FULL while measuring.
    fastSeeding: (on) => storage.db.pragma(`synchronous = ${on ? 'OFF' : 'FULL'}`),
    close: async () => { await storage.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** A user with one device whose MLS key is in its key log (what registering and publishing the key leave). */
async function seedUser(storage: Storage, d: BenchDevice, now: number): Promise<void> {
  const { userId, deviceId } = d.identity;
  await storage.createUser(
    { userId, handle: `h${userId}`, displayName: userId, createdAt: now, recoveryHash: 'salt:hash' },
    { deviceId, userId, name: 'bench', publicKey: b64(d.identity.signaturePublicKey), createdAt: now, lastSeenAt: null, revokedAt: null },
  );
  await storage.publishMlsKey({ userId, deviceId, mlsSignatureKey: b64(d.identity.signaturePublicKey), at: now });
}

/** Another device of an existing member, its key published: a device a member's client will add. */
async function seedDevice(storage: Storage, d: BenchDevice, now: number): Promise<void> {
  const { userId, deviceId } = d.identity;
  await storage.addDevice({ deviceId, userId, name: 'bench new', publicKey: b64(d.identity.signaturePublicKey), createdAt: now, lastSeenAt: null, revokedAt: null });
  await storage.publishMlsKey({ userId, deviceId, mlsSignatureKey: b64(d.identity.signaturePublicKey), at: now });
}

async function seedChat(storage: Storage, chatId: string, owner: string, userIds: readonly string[], ownerDevice: string, now: number): Promise<void> {
  await storage.createChat(
    { chatId, kind: 'group', name: chatId, color: '#336699', createdAt: now, lastSeq: 0, mlsEpoch: 0, directKey: null },
    userIds.map((userId) => ({ chatId, userId, role: userId === owner ? 'owner' : 'member', joinedAt: now, deliveredSeq: 0, readSeq: 0, adminSince: userId === owner ? now : null })),
    { chatId, clientMsgId: `created_${chatId}`, senderUserId: owner, senderDeviceId: ownerDevice, sentAt: now, envelope: null, system: { kind: 'created' } },
  );
}

/**
 * The policy CommitChecks builds (its #policy, mirrored for the breakdown only): the chat's members
 * and their devices' logged keys, read once per check.
 */
async function policyOf(storage: Storage, chatId: string, now: number): Promise<CommitPolicy> {
  const members = new Set((await storage.getMembers(chatId)).map((m) => m.userId));
  const devices = new Map<string, DeviceKeyRow>((await storage.getDeviceKeys([...members])).map((r) => [memberKey(r), r]));
  return {
    nowSeconds: now / 1000,
    standing(member, key): LeafStanding {
      const row = devices.get(memberKey(member));
      if (!row || row.mlsSignatureKey === null || row.mlsSignatureKey !== b64(key)) return 'unbound';
      return !row.revoked && members.has(row.userId) ? 'current' : 'bound';
    },
  };
}

/**
 * One server node accepting commits for one chat the way Mls.commit does, a second node with no state
 * cache (every check reads and decodes the stored state), and a twin chat that takes the same commits
 * unchecked; `scratch` takes the checked append's repeats (the real chat moves on only once per commit).
 */
class Server {
  readonly checks: CommitChecks;
  readonly cold: CommitChecks;
  #n = 0;
  constructor(readonly storage: Storage, readonly chatId: string, readonly twinId: string, readonly scratchId: string) {
    const deps = { storage, clock: systemClock, keyPackageMaxAgeMs: KEY_PACKAGE_MAX_AGE_MS };
    this.checks = new CommitChecks({ ...deps, limits: limits(STATE_CACHE_BYTES) });
    this.cold = new CommitChecks({ ...deps, limits: limits(0) });
  }

  entry(chatId: string, sender: BenchDevice, envelope: Envelope): AppendRequest {
    const { userId, deviceId } = sender.identity;
    return { chatId, clientMsgId: `c${++this.#n}_${cryptoRandom.id(6)}`, senderUserId: userId, senderDeviceId: deviceId, sentAt: systemClock.now(), envelope, system: null };
  }

  async epochOf(chatId: string): Promise<number> {
    return (await this.storage.getChat(chatId))!.mlsEpoch;
  }

  /** getChat + CommitChecks.check: what Mls.commit runs before it appends. */
  async check(node: CommitChecks, sender: BenchDevice, envelope: Envelope) {
    const chat = await this.storage.getChat(this.chatId);
    if (!chat) throw new Error('no chat');
    const checked = await node.check({ userId: sender.identity.userId, deviceId: sender.identity.deviceId }, chat, envelope);
    return { checked, epoch: chat.mlsEpoch };
  }

  /** appendCommit with the state, then remember (real: on the chat; else on the scratch chat). */
  async appendChecked(sender: BenchDevice, envelope: Envelope, checked: CheckedCommitState, real: boolean): Promise<Sample> {
    const chatId = real ? this.chatId : this.scratchId;
    const epoch = await this.epochOf(chatId); // not measured: Mls.commit has it from getChat
    const [, s] = await measure(async () => {
      const result = await this.storage.appendCommit(this.entry(chatId, sender, envelope), epoch, { state: checked.state, startedAt: checked.startedAt });
      if ('conflict' in result) throw new Error(`conflict on ${chatId}`);
      if (real) this.checks.remember(chatId, epoch + 1, checked);
    });
    return s;
  }

  /** What the server did before R35: appendCommit alone. */
  async appendUnchecked(sender: BenchDevice, envelope: Envelope): Promise<Sample> {
    const epoch = await this.epochOf(this.twinId);
    const [, s] = await measure(async () => {
      const result = await this.storage.appendCommit(this.entry(this.twinId, sender, envelope), epoch);
      if ('conflict' in result) throw new Error('conflict on the twin chat');
    });
    return s;
  }
}

interface CommitFigures {
  checkedHit: Sample[];
  checkedMiss: Sample[];
  unchecked: Sample[];
  check: Sample[];
  append: Sample[];
  breakdown: Record<string, Sample[]>;
  commitBytes: number[];
  envelopeBytes: number[];
  stateBytes: number[];
}

const emptyFigures = (): CommitFigures => ({
  checkedHit: [], checkedMiss: [], unchecked: [], check: [], append: [], breakdown: {}, commitBytes: [], envelopeBytes: [], stateBytes: [],
});

/**
 * Accepts one commit `reps` times each way: the checks (hit and, unless a start, miss) are read-only
 * and repeat on the same commit; the checked append repeats on the scratch chat and lands on the real
 * chat last; the unchecked append on the twin chat. Which way goes first alternates.
 */
async function accept(server: Server, sender: BenchDevice, envelope: Envelope, reps: number, start: boolean, f: CommitFigures): Promise<void> {
  for (let i = 0; i < reps; i++) {
    let unchecked: Sample | undefined;
    if (i % 2 === 0) unchecked = await server.appendUnchecked(sender, envelope);
    let miss: Sample | undefined;
    let missState: Uint8Array | undefined;
    if (!start) {
      const [r, s] = await measure(() => server.check(server.cold, sender, envelope));
      miss = s;
      missState = r.checked.state;
    }
    const [{ checked }, hit] = await measure(() => server.check(server.checks, sender, envelope));
    if (missState && Buffer.compare(missState, checked.state) !== 0) throw new Error('a cache hit and a miss checked the commit to different states');
    const append = await server.appendChecked(sender, envelope, checked, i === reps - 1);
    if (i % 2 === 1) unchecked = await server.appendUnchecked(sender, envelope);
    f.unchecked.push(unchecked!);
    f.check.push(hit);
    f.append.push(append);
    f.checkedHit.push(add(hit, append));
    if (miss) f.checkedMiss.push(add(miss, append));
    if (i === 0) {
      const bytes = Buffer.from(envelope.payload, 'base64');
      f.commitBytes.push(decodeCommitBundle(bytes)!.commit.length);
      f.envelopeBytes.push(envelope.contentType.length + envelope.payload.length);
      f.stateBytes.push(checked.state.length);
    }
  }
}

/** Where a check's time goes, each part on its own (after the commit was accepted, against the state it was checked on). */
async function breakdown(storage: Storage, chatId: string, stateBefore: Uint8Array, sender: BenchDevice, envelope: Envelope, f: CommitFigures): Promise<void> {
  const part = (name: string, s: Sample) => (f.breakdown[name] ??= []).push(s);
  const now = systemClock.now();
  const [policy, p] = await measure(() => policyOf(storage, chatId, now));
  part('policyRead', p);
  const [group, d] = await measure(async () => decodePublicGroup(stateBefore));
  part('decodeState', d);
  const bundle = decodeCommitBundle(Buffer.from(envelope.payload, 'base64'))!;
  const [checked, v] = await measure(() => verifyCommit(group, bundle, sender.identity, policy));
  part('verifyCommit', v);
  const [, e] = await measure(async () => encodePublicGroup(checked.group));
  part('encodeState', e);
}

function report(members: number, phase: string, kind: string, f: CommitFigures, extra: Record<string, unknown> = {}): void {
  const hit = summary(f.checkedHit);
  const miss = f.checkedMiss.length > 0 ? summary(f.checkedMiss) : undefined;
  const un = summary(f.unchecked);
  const parts = Object.fromEntries(Object.entries(f.breakdown).map(([k, v]) => [k, summary(v)]));
  log({
    bench: 'mls-commit-check', storage: backend, members, phase, kind, samples: f.checkedHit.length,
    commitBytes: median(f.commitBytes), envelopeBytes: median(f.envelopeBytes), overEnvelopeLimit: median(f.envelopeBytes) > MAX_ENVELOPE_BYTES,
    stateBytes: median(f.stateBytes),
    checkedHit: hit, checkedMiss: miss ?? null, unchecked: un,
    ratioCpuHit: round(hit.cpuMs / un.cpuMs, 1), ratioCpuMiss: miss ? round(miss.cpuMs / un.cpuMs, 1) : null,
    ratioWallHit: round(hit.wallMs / un.wallMs, 1), ratioWallMiss: miss ? round(miss.wallMs / un.wallMs, 1) : null,
    checkOnly: summary(f.check), appendWithState: summary(f.append), breakdown: parts, load1m: round(loadavg()[0]!, 1), ...extra,
  });
}

/** Heap (and external buffers) a decoded public state holds, per copy; each decoded from its own copy of the bytes, as a cache miss is. */
function decodedBytes(state: Uint8Array): number {
  const copies = Math.max(5, Math.min(50, Math.floor(4e6 / state.length)));
  gc();
  const m0 = process.memoryUsage();
  const held: PublicGroup[] = [];
  for (let i = 0; i < copies; i++) held.push(decodePublicGroup(state.slice()));
  gc();
  const m1 = process.memoryUsage();
  const per = (m1.heapUsed - m0.heapUsed + (m1.arrayBuffers - m0.arrayBuffers)) / copies;
  if (held.length !== copies) throw new Error('unreachable');
  return Math.round(per);
}

/** Heap a checked state holds as the node remembers it after its own check (the group verifyCommit returned). */
async function checkedBytes(server: Server, sender: BenchDevice, envelope: Envelope, copies: number): Promise<number> {
  gc();
  const m0 = process.memoryUsage();
  const held: PublicGroup[] = [];
  for (let i = 0; i < copies; i++) held.push((await server.check(server.cold, sender, envelope)).checked.group);
  gc();
  const m1 = process.memoryUsage();
  return Math.round((m1.heapUsed - m0.heapUsed + (m1.arrayBuffers - m0.arrayBuffers)) / held.length);
}

const roundsFor = (n: number) => (n <= 100 ? 5 : 3);
const repsFor = (n: number) => (n <= 100 ? 4 : n <= 1000 ? 3 : 2);

/** add one device, remove it (revoked first), update: `rounds` times, by the owner; each accepted both ways. */
async function commitRounds(
  n: number, phase: string, server: Server, owner: BenchDevice, session: MlsGroupSession, users: readonly BenchDevice[], withBreakdown: boolean,
): Promise<void> {
  const figures = { add: emptyFigures(), remove: emptyFigures(), update: emptyFigures() };
  const storage = server.storage;
  const rounds = roundsFor(n);
  const reps = repsFor(n);
  const one = async (kind: keyof typeof figures, made: { commit: Uint8Array; welcome?: Uint8Array | undefined }) => {
    const envelope = encodeCommitBundle(made);
    const before = (await storage.getMlsGroupState(server.chatId))!.state;
    await accept(server, owner, envelope, reps, false, figures[kind]);
    session.mergePendingCommit();
    if (withBreakdown) await breakdown(storage, server.chatId, before, owner, envelope, figures[kind]);
  };
  for (let r = 0; r < rounds; r++) {
    // A member's new device: registered, its key published; the owner's client adds it.
    const member = users[1 + (r % (users.length - 1))] ?? owner;
    const newcomer = await parleyDevice(member.identity.userId);
    await seedDevice(storage, newcomer, systemClock.now());
    await one('add', await session.addMembers([newcomer.kps[0]!.keyPackage]));
    // The member revokes it; the owner's client removes its leaf (R34).
    await storage.revokeDevice(newcomer.identity.deviceId, systemClock.now());
    await one('remove', await session.removeMembers([newcomer.identity]));
    await one('update', await session.update());
    progress(`${n} ${phase}: round ${r + 1}/${rounds}`);
  }
  const shape = treeShape(plainState(session));
  for (const kind of ['add', 'remove', 'update'] as const) report(n, phase, kind, figures[kind], { rounds, repsPerCommit: reps, tree: shape });
}

const cs = await loadCiphersuite((await parleyDevice()).identity.ciphersuite);

for (const n of sizes) {
  const { storage, close, fastSeeding } = await openStorage();
  try {
    progress(`${n}: ${n} devices and key packages`);
    const owner = await parleyDevice();
    const users = [owner];
    for (let i = 1; i < n; i++) users.push(await parleyDevice());
    progress(`${n}: seeding ${backend} (users, devices, key log, chats)`);
    fastSeeding(true);
    const now = systemClock.now();
    for (const u of users) await seedUser(storage, u, now);
    const userIds = users.map((u) => u.identity.userId);
    const chatId = cryptoRandom.id();
    for (const id of [chatId, `${chatId}-twin`, `${chatId}-scratch`]) await seedChat(storage, id, owner.identity.userId, userIds, owner.identity.deviceId, now);
    fastSeeding(false);
    const server = new Server(storage, chatId, `${chatId}-twin`, `${chatId}-scratch`);

    // The start: the creator's group of itself, its GroupInfo, and one commit adding every other device.
    progress(`${n}: the creator's client makes the start commit (adds ${n - 1})`);
    const session = await MlsGroupSession.create(owner.identity, utf8(chatId));
    const groupInfo = await session.groupInfo();
    const made = await session.addMembers(users.slice(1).map((u) => u.kps[0]!.keyPackage));
    const envelope = encodeCommitBundle({ ...made, groupInfo });
    progress(`${n}: accepting the start commit`);
    const start = emptyFigures();
    await accept(server, owner, envelope, repsFor(n), true, start);
    session.mergePendingCommit();
    const state = (await storage.getMlsGroupState(chatId))!.state;
    report(n, 'start', 'start', start, { reps: start.checkedHit.length, welcomeBytes: made.welcome.length, groupInfoBytes: groupInfo.length });

    progress(`${n}: memory of a held state`);
    const held = server.checks.states.heldBytes;
    log({
      bench: 'mls-commit-check', storage: backend, members: n, phase: 'state', stateBytes: state.length, heldBytesCounted: held,
      decodedHeapBytes: decodedBytes(state), groupsInDefaultBudget: Math.floor(STATE_CACHE_BYTES / state.length),
    });

    progress(`${n}: commits after the start`);
    await commitRounds(n, 'after-start', server, owner, session, users, true);
    {
      // The node's memory for what it remembers after checking an update (its own check's result).
      const upd = encodeCommitBundle(await session.update());
      const copies = Math.max(3, Math.min(20, Math.floor(10e6 / state.length)));
      log({ bench: 'mls-commit-check', storage: backend, members: n, phase: 'state', after: 'update checked by this node', checkedHeapBytes: await checkedBytes(server, owner, upd, copies) });
      session.discardPendingCommit();
    }

    if (n <= steadyMax) {
      progress(`${n}: steady state: ${Math.floor(n / 2)} update commits on the client side (not measured)`);
      const steadyId = `${chatId}-steady`;
      const fresh = await MlsGroupSession.create(owner.identity, utf8(steadyId));
      // The same devices with fresh key packages (the first group used theirs).
      const members: BenchDevice[] = [owner];
      for (const u of users.slice(1)) members.push({ identity: u.identity, kps: await generateKeyPackages(u.identity, 1) });
      await fresh.addMembers(members.slice(1).map((m) => m.kps[0]!.keyPackage));
      fresh.mergePendingCommit();
      const secrets = new Map<number, LeafSecrets>();
      const byId = new Map(members.map((m) => [memberKey(m.identity), m]));
      for (const m of fresh.members()) {
        const d = byId.get(memberKey(m));
        if (d !== undefined && d !== owner) secrets.set(m.leafIndex, leafSecrets(d));
      }
      const filled = await fillTree(plainState(fresh), secrets, cs, (done, total) => { if (done % 100 === 0) progress(`${n} steady set-up: ${done}/${total}`); });
      const own = plainState(fresh).privatePath.privateKeys[fresh.ownLeafIndex * 2]!;
      const ownerState = { ...filled.state, privatePath: { leafIndex: fresh.ownLeafIndex, privateKeys: { [fresh.ownLeafIndex * 2]: own } }, signaturePrivateKey: owner.identity.signaturePrivateKey };
      const steady = await sessionFrom(ownerState, owner.identity.ciphersuite);
      // The server holds that group's state (seeded: the set-up's commits did not go through it).
      await seedChat(storage, steadyId, owner.identity.userId, userIds, owner.identity.deviceId, systemClock.now());
      const s = filled.state;
      const steadyState = encodePublicGroup({ groupContext: s.groupContext, tree: s.ratchetTree, confirmationTag: s.confirmationTag });
      const seeded = await storage.appendCommit(server.entry(steadyId, owner, { contentType: 'bench/seed', payload: '' }), 0, { state: steadyState, startedAt: 0 });
      if ('conflict' in seeded) throw new Error('seeding the steady chat');
      const steadyServer = new Server(storage, steadyId, `${chatId}-twin`, `${chatId}-scratch`);
      log({ bench: 'mls-commit-check', storage: backend, members: n, phase: 'state', tree: 'steady', stateBytes: steadyState.length, decodedHeapBytes: decodedBytes(steadyState), setupCommits: filled.commits });
      await commitRounds(n, 'steady', steadyServer, owner, steady, members, true);
    }
  } finally {
    await close();
  }
}
