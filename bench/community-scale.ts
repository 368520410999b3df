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
// Usage: node --import tsx bench/community-scale.ts [server|mls|all] [members=5000] [online=300] [adds=100]
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, WS_PATH } from '@parley/protocol';
import { startGroupId } from '@parley/mls-public';
import { startTestServer } from '@parley/testing';
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

if (part === 'server' || part === 'all') await serverPart();
if (part === 'mls' || part === 'all') await mlsPart();
process.exit(0);
