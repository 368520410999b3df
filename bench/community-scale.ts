// Issue 12: what a 5,000-member chat costs. Two parts, each printing one JSON line per figure:
//  server — a real server in this process; the members are rows written straight into its storage
//    (users, devices, sessions: cheap), `online` of them signed in over raw WebSockets that only count
//    bytes and frames. Figures: a member's summary (REST: the whole member list, R116), a sign-in
//    (auth_ok), and adding `adds` members one by one while `online` members are
//    connected: wall time, and what each online device receives for it (bytes, frames) — the
//    per-member work every device does per join, times the chat's size when everyone is online.
//  mls — the SDK's own MLS code (ts-mls): a group of `members` devices, one commit adding `adds`
//    more (size, time to make it), and the time one member's device takes to process it and to write
//    its state afterwards (serialize, which runs after every message).
//  admission — how long a join by invite link (R68) takes until the newcomer's device can read and post
//    in the community's general chat (R152): a real server in this process, SDK clients in Node. The
//    community's `members` are real accounts whose devices uploaded key packages and key log entries,
//    then went offline (their devices are in the MLS groups, their clients stopped); the owner (Ann,
//    an admin, who made the link) and one member (Ben) stay online, with the SDK's defaults (rank
//    delay, holds). Then `adds` newcomers join one by one (each online before it joins): from the
//    join's answer, until its device is in the general chat's group, until Ben reads what it posted
//    (sent right after joining: held by its outbox until then), and until it reads what Ben posted as
//    soon as his device had it in the group (held by Ben's device until its proof arrived, R152).
// Usage: node --import tsx bench/community-scale.ts [server|mls|admission|all] [members=5000] [online=300] [adds=100]
//        node --import tsx bench/community-scale.ts admission [members=50] [ignored] [joins=5]
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, WS_PATH } from '@parley/protocol';
import { startGroupId } from '@parley/mls-public';
import { createUser, newClient, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { encodeCommitBundle } from '../packages/client/src/e2ee/envelopes.ts';
import { MlsGroupSession, MlsIdentity, generateKeyPackages } from '../packages/client/src/mls/index.ts';
import { sha256Hex } from '../apps/server/src/domain/secrets.ts';

const part = process.argv[2] ?? 'all';
const members = Number(process.argv[3] ?? 5000);
const online = Number(process.argv[4] ?? 300);
const adds = Number(process.argv[5] ?? 100);
const id = () => randomBytes(16).toString('base64url'); // 22 characters, as the server's ids
const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const print = (row: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'community-scale', ...row }));

async function serverPart(): Promise<void> {
  const buffer = String(16 * 1024 * 1024);
  await using server = await startTestServer({ PARLEY_MAX_GROUP_MEMBERS: String(members + adds), PARLEY_WS_BUFFER_BYTES: buffer, PARLEY_LOG_LEVEL: 'silent' });
  const s = server.services.storage;
  const now = Date.now();
  const people: { userId: string; deviceId: string; token: string }[] = [];
  const t0 = performance.now();
  for (let i = 0; i < members + adds; i++) {
    const userId = id();
    const deviceId = id();
    const token = id() + id();
    await s.createUser(
      { userId, handle: `m${i}_${userId.slice(0, 6).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`, displayName: `Member ${i} of the building`, createdAt: now, recoveryHash: 'salt:hash' },
      { deviceId, userId, name: 'phone', publicKey: `key_${i}`, createdAt: now, lastSeenAt: null, revokedAt: null },
    );
    await s.createSession({ tokenHash: sha256Hex(token), deviceId, userId, createdAt: now, expiresAt: now + 86_400_000 });
    people.push({ userId, deviceId, token });
  }
  const chatId = id();
  const inChat = people.slice(0, members);
  const owner = inChat[0]!;
  await s.createChat(
    { chatId, kind: 'group', name: '', color: '#336699', createdAt: now, lastSeq: 0, mlsEpoch: 0, directKey: null },
    inChat.map((p, i) => ({ chatId, userId: p.userId, role: i === 0 ? 'owner' : 'member', joinedAt: now, deliveredSeq: 0, readSeq: 0, adminSince: i === 0 ? now : null })),
    { chatId, clientMsgId: 'sys_created', senderUserId: owner.userId, senderDeviceId: owner.deviceId, sentAt: now, envelope: null, system: { kind: 'created', name: '' } },
  );
  print({ part: 'server', step: 'seed', members, seedMs: ms(t0) });

  const rest = async (who: { token: string }, method: string, path: string, body?: unknown): Promise<{ bytes: number; json: unknown }> => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method, headers: { authorization: `Bearer ${who.token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return { bytes: text.length, json: JSON.parse(text) };
  };

  // A member's summary of the chat, five times (the first warms caches).
  const member = inChat[1]!;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const { bytes, json } = await rest(member, 'GET', `/chats/${chatId}`);
    const chat = (json as { chat: { members: unknown[]; memberCount?: number } }).chat;
    if (i === 4) print({ part: 'server', step: 'summary', members, summaryBytes: bytes, membersInSummary: chat.members.length, memberCount: chat.memberCount ?? chat.members.length, ms: ms(t) });
  }

  // Sign-in: auth_ok carries the first page of the chat list, this chat's summary in it.
  const connect = (who: { token: string }) => new Promise<{ ws: WebSocket; authBytes: number; authMs: number; frames: Map<string, number>; bytes: { n: number } }>((resolve, reject) => {
    const t = performance.now();
    const ws = new WebSocket(server.url.replace(/^http/, 'ws') + WS_PATH, { maxPayload: 64 * 1024 * 1024 });
    const frames = new Map<string, number>();
    const bytes = { n: 0 };
    let authed = false;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', v: PROTOCOL_VERSION, token: who.token })));
    ws.on('message', (data: Buffer) => {
      const type = /^\{"type":"([a-z_]+)"/.exec(data.subarray(0, 40).toString())?.[1] ?? '?';
      if (!authed) {
        if (type !== 'auth_ok') return reject(new Error(`sign-in: ${data.subarray(0, 200).toString()}`));
        authed = true;
        return resolve({ ws, authBytes: data.length, authMs: ms(t), frames, bytes });
      }
      bytes.n += data.length;
      frames.set(type, (frames.get(type) ?? 0) + 1);
    });
    ws.on('error', reject);
  });
  const signIns = [];
  for (let i = 0; i < 3; i++) {
    const c = await connect(inChat[2 + i]!);
    signIns.push(c);
  }
  print({ part: 'server', step: 'sign-in', members, authOkBytes: signIns.at(-1)!.authBytes, ms: signIns.at(-1)!.authMs });

  // `online` members connected; the owner adds `adds` people one by one.
  const sockets = [...signIns];
  for (let i = 5; sockets.length < Math.min(online, members - 1); i++) sockets.push(await connect(inChat[i]!));
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  for (const p of people.slice(members)) await rest(owner, 'POST', `/chats/${chatId}/members`, { userId: p.userId });
  const addMs = ms(t);
  // Every online device has the last join's log entry once it has `adds` message frames.
  const deadline = Date.now() + 600_000;
  while (sockets.some((c) => (c.frames.get('message') ?? 0) < adds) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  // …and whatever summaries the joins caused: wait until the byte counts stop moving.
  let last = -1;
  while (Date.now() < deadline) {
    const total = sockets.reduce((n, c) => n + c.bytes.n, 0);
    if (total === last) break;
    last = total;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const cpu = process.cpuUsage(cpu0);
  const perDevice = sockets.reduce((n, c) => n + c.bytes.n, 0) / sockets.length;
  const frameCounts = Object.fromEntries([...sockets[0]!.frames]);
  print({
    part: 'server', step: 'add-members', members, adds, online: sockets.length, addRequestsMs: addMs, settledMs: ms(t),
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100, bytesPerDevice: Math.round(perDevice), framesPerDevice: frameCounts,
    bytesIfAllOnlineMB: Math.round((perDevice * members) / 1e6),
  });
  for (const c of sockets) c.ws.close();
}

async function mlsPart(): Promise<void> {
  const t0 = performance.now();
  const devices = [];
  for (let i = 0; i < members + adds; i++) {
    const identity = await MlsIdentity.generate({ userId: id(), deviceId: id() });
    const generated = (await generateKeyPackages(identity, 1))[0]!;
    devices.push({ identity, generated });
  }
  print({ part: 'mls', step: 'key-packages', count: members + adds, ms: ms(t0) });
  const [owner, measured, ...rest] = devices.slice(0, members);
  // The tree comes from the server beyond welcomeTreeMaxBytes (R35b); the bench hands it over itself.
  const session = await MlsGroupSession.create(owner!.identity, new TextEncoder().encode(startGroupId(id(), 0)), {}, 0n);
  let t = performance.now();
  const start = await session.addMembers([measured!, ...rest].map((d) => d.generated.keyPackage));
  session.mergePendingCommit();
  print({ part: 'mls', step: 'group', members, oneCommitMs: ms(t), commitBytes: start.commit.length, welcomeBytes: start.welcome.length });
  t = performance.now();
  const { session: member } = await MlsGroupSession.join(measured!.identity, start.welcome, [measured!.generated], {}, session.ratchetTreeBytes());
  print({ part: 'mls', step: 'member-joins', members, ms: ms(t) });
  t = performance.now();
  const made = await session.addMembers(devices.slice(members).map((d) => d.generated.keyPackage));
  const makeMs = ms(t);
  session.mergePendingCommit();
  const envelope = encodeCommitBundle(made);
  t = performance.now();
  await member.processHandshake(made.commit);
  const processMs = ms(t);
  t = performance.now();
  const state = member.serialize();
  print({
    part: 'mls', step: 'add', members, adds, makeCommitMs: makeMs, envelopeBytes: envelope.contentType.length + envelope.payload.length,
    memberProcessMs: processMs, memberSerializeMs: ms(t), stateBytes: state.length,
  });
  t = performance.now();
  const ciphertext = await member.encrypt(new TextEncoder().encode('hello building'));
  const encryptMs = ms(t);
  t = performance.now();
  await session.decrypt(ciphertext);
  print({ part: 'mls', step: 'message', members: members + adds, encryptMs, decryptMs: ms(t) });
}

async function admissionPart(): Promise<void> {
  const joins = adds;
  await using server = await startTestServer({
    PARLEY_MAX_GROUP_MEMBERS: String(members + joins + 10), PARLEY_MAX_COMMUNITY_MEMBERS: String(members + joins + 10), PARLEY_LOG_LEVEL: 'silent',
    PARLEY_WS_BUFFER_BYTES: String(16 * 1024 * 1024),
  });
  const s = server.services.storage;
  const t0 = performance.now();
  const hasKeyPackages = async (u: TestUser) => (await s.countKeyPackages(u.deviceId, 0)).available > 0;
  /** Accounts whose devices published their keys (key log, key packages), then stopped. */
  const offline = async (n: number): Promise<TestUser[]> => {
    const out: TestUser[] = [];
    for (let i = 0; i < n; i += 20) {
      out.push(...await Promise.all(Array.from({ length: Math.min(20, n - i) }, async (_, k) => {
        const u = await createUser(server.url, { displayName: `Resident ${i + k}` });
        await waitFor(() => hasKeyPackages(u), { what: 'key packages', timeoutMs: 120_000, intervalMs: 100 });
        await u.client.stop();
        return u;
      })));
    }
    return out;
  };
  const [ann, ben] = await offline(2) as [TestUser, TestUser];
  const residents = await offline(members - 2);
  print({ part: 'admission', step: 'accounts', members, ms: ms(t0) });
  const annAuth = { userId: ann.userId, deviceId: ann.deviceId };
  const community = await server.services.communities.create(annAuth, { name: '' });
  for (const r of [ben, ...residents]) await server.services.communityInvites.admit(annAuth, community.communityId, r.userId);
  print({ part: 'admission', step: 'community', members, ms: ms(t0) });

  // Ann's device starts the groups (R36, every device with a key package), Ben's joins from the Welcome.
  let t = performance.now();
  const [annOn, benOn] = [ann, ben].map((u) => ({ ...u, client: newClient(u.baseUrl, u.userId, u.deviceId, u.deviceKey, u.store) }));
  await annOn!.client.start();
  const general = (await annOn!.client.communities.chats(community.communityId)).find((c) => c.kind === 'general')!.chatId;
  await benOn!.client.start();
  await waitFor(async () => (await benOn!.client.encryptionMembers(general)).length >= members, { what: 'Ben in the general group with everyone', timeoutMs: 1_800_000, intervalMs: 200 });
  print({ part: 'admission', step: 'groups-formed', members, ms: ms(t) });

  const link = await annOn!.client.communities.createInvite(community.communityId, { maxUses: joins + 1 });
  const newcomers: TestUser[] = [];
  for (let i = 0; i < joins; i++) newcomers.push(await createUser(server.url, { displayName: `Newcomer ${i}` }));
  await Promise.all(newcomers.map((u) => waitFor(() => hasKeyPackages(u), { what: 'newcomer key packages', timeoutMs: 120_000 })));
  // BENCH_CPU_PROFILE=file.cpuprofile: a CPU profile of this process during the joins only.
  const profileTo = process.env['BENCH_CPU_PROFILE'];
  const inspector = profileTo ? new (await import('node:inspector')).Session() : undefined;
  const post = (method: string) => new Promise<unknown>((resolve, reject) => inspector!.post(method, (err, result) => (err ? reject(err) : resolve(result))));
  if (inspector) {
    inspector.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  const rows: { joinMs: number; commitMs: number; inGroupMs: number; postReadMs: number; readMs: number; cpuS: number }[] = [];
  const seen = (u: TestUser, text: string) => u.client.timeline(general).some((m) => m.text === text);
  for (const [i, u] of newcomers.entries()) {
    const epoch = (await s.getChat(general))!.mlsEpoch;
    // Everything shares this process's one thread: the server, Ann's, Ben's and the newcomer's devices.
    // Its CPU time and longest event-loop stall per join say how much of the latency is their work, summed.
    const cpu0 = process.cpuUsage();
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    t = performance.now();
    await u.client.communities.joinInvite(link.token);
    const joinMs = ms(t);
    const mine = `Hello from newcomer ${i}`;
    const bens = `Welcome, newcomer ${i}`;
    const posting = (async () => {
      await waitFor(() => u.client.chat(general) !== undefined, { what: 'the general chat on the newcomer\'s device', timeoutMs: 600_000 });
      await u.client.sendText(general, mine);
      await waitFor(() => seen(benOn!, mine), { what: 'Ben reads the newcomer', timeoutMs: 600_000, intervalMs: 10 });
      return ms(t);
    })();
    const reading = (async () => {
      await waitFor(async () => (await benOn!.client.encryptionMembers(general)).some((m) => m.userId === u.userId), { what: 'the newcomer in Ben\'s group', timeoutMs: 600_000, intervalMs: 10 });
      await benOn!.client.sendText(general, bens);
      await waitFor(() => seen(u, bens), { what: 'the newcomer reads Ben', timeoutMs: 600_000, intervalMs: 10 });
      return ms(t);
    })();
    const inGroup = (async () => {
      await waitFor(async () => (await u.client.encryptionMembers(general)).length > members, { what: 'the newcomer\'s device in the group', timeoutMs: 600_000, intervalMs: 10 });
      return ms(t);
    })();
    // A member's device committed the add: the server's epoch of the chat moved (R68's rank delay, claiming key packages, the commit).
    const committed = (async () => {
      await waitFor(async () => (await s.getChat(general))!.mlsEpoch > epoch, { what: 'the add committed', timeoutMs: 600_000, intervalMs: 10 });
      return ms(t);
    })();
    const [postReadMs, readMs, inGroupMs, commitMs] = await Promise.all([posting, reading, inGroup, committed]);
    lag.disable();
    const used = process.cpuUsage(cpu0);
    const cpuS = Math.round((used.user + used.system) / 1e4) / 100;
    rows.push({ joinMs, commitMs, inGroupMs, postReadMs, readMs, cpuS });
    print({ part: 'admission', step: 'join', members: members + i, joinMs, commitMs, inGroupMs, postReadMs, readMs, cpuS, longestStallMs: Math.round(lag.max / 1e6) });
  }
  if (inspector) {
    const { profile } = await post('Profiler.stop') as { profile: unknown };
    (await import('node:fs')).writeFileSync(profileTo!, JSON.stringify(profile));
    inspector.disconnect();
  }
  const stat = (k: keyof (typeof rows)[number]) => {
    const v = rows.map((r) => r[k]).sort((a, b) => a - b);
    return { p50: v[Math.floor((v.length - 1) / 2)], max: v.at(-1) };
  };
  print({ part: 'admission', step: 'summary', members, joins, commitMs: stat('commitMs'), inGroupMs: stat('inGroupMs'), postReadMs: stat('postReadMs'), readMs: stat('readMs'), cpuS: stat('cpuS') });
  for (const u of [annOn!, benOn!, ...newcomers]) await u.client.stop();
}

if (part === 'admission') await admissionPart();
if (part === 'server' || part === 'all') await serverPart();
if (part === 'mls' || part === 'all') await mlsPart();
process.exit(0);
