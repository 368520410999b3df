// R141-R142: what a private channel past the MLS size costs, at 10,000 and 100,000 subscriber devices
// with one admin device. Client side through the SDK's own code (`sealEpochKey`: the Ed25519 →
// X25519 conversion of each recipient's key-log key, an ephemeral X25519, HKDF, AES-GCM): µs and bytes
// per wrap, hence the admin device's time for a rekey. Server side through the domain and SQLite
// store the server runs (`ChannelWraps` + `SqliteChannelWraps`, no HTTP): listing the unwrapped
// devices page by page and storing the wraps with the per-wrap membership/device check. Then a
// subscriber's cost: opening its wrap once per epoch, and reading one 1 KB post (decrypt + verify).
// R161: each epoch also opens with an entry of the channel's info alone (sealed, signed, appended by the
// admin's device before it wraps; opened and checked once per epoch by each subscriber device): counted
// in the rekey and in the subscriber's per-epoch cost. R146: opening the next epoch then prunes the
// first one's wraps (it held only that info entry): the time of that and the bytes it frees.
// Usage: node --import tsx bench/channel-wraps.ts [devices=10000,100000] [distinctKeys=1000] [server-only]
// (server-only: one wrap sealed and reused for every device, to measure the server's side alone)
// R166: node --import tsx bench/channel-wraps.ts reactions [n=100000]: the counts read of a post with n reactions.
// R182: node --import tsx bench/channel-wraps.ts reads [n=10000]: a member's unread count at a log of n entries (SQLite, PostgreSQL).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64ToBytes, bytesToBase64, drawEpochKey, MlsIdentity, openEpochKey, openPost, sealEpochKey, sealPost } from '../packages/client/src/index.ts';
import { loadCiphersuite } from '../packages/client/src/mls/ciphersuite.ts';
import { ChannelWraps } from '../apps/server/src/domain/channels/wrapped.ts';
import { SqliteChannelWraps } from '../apps/server/src/storage/sqlite/sqlite-channel-wraps.ts';
import { SqliteCommunities } from '../apps/server/src/storage/sqlite/sqlite-communities.ts';
import { SqliteStorage } from '../apps/server/src/storage/sqlite/sqlite-storage.ts';
import { SqliteModeration } from '../apps/server/src/storage/sqlite/sqlite-moderation.ts';
import { SqliteWrappedResponses } from '../apps/server/src/storage/sqlite/sqlite-wrapped-responses.ts';
import { MemoryBus } from '../apps/server/src/bus/memory-bus.ts';
import { MemoryRateLimiter } from '../apps/server/src/domain/memory-rate-limiter.ts';
import { round } from './lib/fixture.ts';

if (process.argv[2] === 'reads') {
  await (await import('./lib/wrapped-reads.ts')).benchWrappedReads(Number(process.argv[3] ?? 10_000), (o) => console.log(JSON.stringify(o)));
  process.exit(0);
}
if (process.argv[2] === 'reactions') {
  await (await import('./lib/wrapped-reactions.ts')).benchWrappedReactions(Number(process.argv[3] ?? 100_000), (o) => console.log(JSON.stringify(o)));
  process.exit(0);
}
const sizes = (process.argv[2] ?? '10000,100000').split(',').map(Number);
const distinct = Number(process.argv[3] ?? 1000);
const serverOnly = process.argv[4] === 'server-only';
const log = (o: Record<string, unknown>) => console.log(JSON.stringify(o));
const C = 'comm_bench_wrapped';
const BATCH = 1000;

// Recipients: `distinct` real device identities, cycled (each wrap still converts its recipient's key).
const recipients = await Promise.all(Array.from({ length: distinct }, (_, i) => MlsIdentity.generate({ userId: `user_${i}`, deviceId: `dev_${i}` })));
const admin = await MlsIdentity.generate({ userId: 'user_admin', deviceId: 'dev_admin' });

for (const n of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-wraps-bench-'));
  const storage = SqliteStorage.open(join(dir, 'bench.sqlite'));
  const db = storage.db;
  // Seed n subscribers (one device each, its key published) and the admin, straight into the tables.
  const t0 = performance.now();
  db.transaction(() => {
    const user = db.prepare('INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash) VALUES (?, ?, ?, 0, ?)');
    const device = db.prepare('INSERT INTO devices (device_id, user_id, name, public_key, created_at) VALUES (?, ?, ?, ?, 0)');
    const key = db.prepare("INSERT INTO key_log (user_id, idx, kind, device_id, mls_signature_key, at, prev_hash, hash) VALUES (?, 1, 'add', ?, ?, 0, ?, ?)");
    const member = db.prepare("INSERT INTO community_members (community_id, user_id, role, rights, label, joined_at) VALUES (?, ?, ?, '', NULL, 0)");
    const add = (userId: string, deviceId: string, pub: Uint8Array) => {
      user.run(userId, userId, userId, 'x');
      device.run(deviceId, userId, 'phone', 'k');
      key.run(userId, deviceId, bytesToBase64(pub), '0'.repeat(64), '0'.repeat(64));
    };
    add('user_admin', 'dev_admin', admin.signaturePublicKey);
    db.prepare("INSERT INTO chats (chat_id, kind, name, color, created_at, last_seq, mls_epoch) VALUES ('chat_bench_ann', 'group', '', '#336699', 0, 0, 0)").run();
    db.prepare('INSERT INTO communities (community_id, name, created_at, owner_id, settings) VALUES (?, ?, 0, ?, ?)')
      .run(C, '', 'user_admin', JSON.stringify({ roleLabels: 'none', studentsMayDm: false, channel: true, wrapped: true }));
    member.run(C, 'user_admin', 'owner');
    for (let i = 0; i < n; i++) {
      add(`user_s${i}`, `dev_s${String(i).padStart(7, '0')}`, recipients[i % distinct]!.signaturePublicKey);
      member.run(C, `user_s${i}`, 'member');
    }
  })();
  const seedMs = performance.now() - t0;
  const wraps = new SqliteChannelWraps(db);
  const domain = new ChannelWraps({
    storage, communities: new SqliteCommunities(db), wraps, clock: { now: () => Date.now() },
    limits: { mlsMaxSubscribers: 1, maxSubscribers: 1_000_000, batch: BATCH, postMaxChars: 65_536, askEveryMs: 60_000, postFileChars: 57_344, reactionsPerMin: 60, commentsPerMin: 30, votesPerMin: 30, voteNoticeMs: 2000, maxPins: 50 },
    // R148-R149: the notices go to an in-process bus nobody listens to (their cost is one publish per batch per user).
    bus: new MemoryBus(), limiter: new MemoryRateLimiter({ now: () => Date.now() }), moderators: (id) => new SqliteModeration(db).listModerators(id),
    blobs: { getBlob: async () => undefined }, // the bench's posts carry no files (R162)
    responses: new SqliteWrappedResponses(db),
  });
  const auth = { userId: 'user_admin', deviceId: 'dev_admin' };
  await domain.createEpoch(auth, C, 1);
  const epochKey = drawEpochKey();
  const cs = await loadCiphersuite(admin.ciphersuite);
  /** An entry as the SDK's #publishIn seals it: the signed plaintext, its signature, sealed under the epoch key. */
  const seal = async (content: Record<string, unknown>) => {
    const signed = JSON.stringify({ v: 1, communityId: C, epoch: 1, userId: 'user_admin', deviceId: 'dev_admin', date: Date.now(), ...content });
    const signature = await cs.signature.sign(admin.signaturePrivateKey, new TextEncoder().encode(`parley-wrapped-post-sig-v1\n${signed}`));
    return sealPost(epochKey, C, 1, new TextEncoder().encode(JSON.stringify({ signed, signature: bytesToBase64(signature) })));
  };
  // R161: the epoch's first entry, the channel's name alone, before any wrap (WrappedChannels.rekey).
  let t1 = performance.now();
  const infoBody = await seal({ info: { name: 'City works, district 4', description: 'Roadworks and outages' } });
  const infoSealMs = performance.now() - t1;
  t1 = performance.now();
  await domain.post(auth, C, { epoch: 1, body: bytesToBase64(infoBody), info: true });
  const infoServerMs = performance.now() - t1;

  // The rekey loop an admin's device runs (WrappedChannels.wrapMissing), minus HTTP and the key-log check.
  let sealMs = infoSealMs;
  let serverMs = infoServerMs;
  let wireBytes = 0;
  let wrapped = 0;
  let after = '';
  let reused: Uint8Array | undefined;
  for (;;) {
    let t = performance.now();
    const page = await domain.unwrapped(auth, C, 1, after);
    serverMs += performance.now() - t;
    if (page.length === 0) break;
    t = performance.now();
    const batch = [];
    for (const d of page) {
      const sealed = (serverOnly ? reused : undefined)
        ?? (reused = await sealEpochKey(epochKey, base64ToBytes(d.mlsSignatureKey), { communityId: C, epoch: 1, userId: d.userId, deviceId: d.deviceId }));
      batch.push({ userId: d.userId, deviceId: d.deviceId, wrapped: bytesToBase64(sealed) });
      wrapped++;
    }
    sealMs += performance.now() - t;
    wireBytes += JSON.stringify({ wraps: batch }).length;
    t = performance.now();
    await domain.putWraps(auth, C, 1, batch);
    serverMs += performance.now() - t;
    after = page.at(-1)!.deviceId;
  }

  // A subscriber: open its wrap (once per epoch), then one 1 KB post (AES-GCM open + Ed25519 verify).
  const reader = recipients[0]!;
  if (serverOnly) {
    log({ bench: 'channel-wraps', serverOnly, devices: n + 1, wrapped, serverUsPerDevice: round((serverMs * 1000) / wrapped, 1), rekeyServerS: round(serverMs / 1000, 1) });
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
    continue;
  }
  const mine = await domain.myWraps({ userId: 'user_s0', deviceId: 'dev_s0000000' }, C, 0);
  let t = performance.now();
  const key = await openEpochKey(Buffer.from(mine[0]!.wrapped, 'base64'), reader.signaturePrivateKey, reader.signaturePublicKey, { communityId: C, epoch: 1, userId: 'user_s0', deviceId: 'dev_s0000000' });
  const openWrapMs = performance.now() - t;
  const body = await seal({ text: 'x'.repeat(1024) });
  const open = async (sealed: Uint8Array) => {
    const plain = await openPost(key, C, 1, sealed);
    const outer = JSON.parse(new TextDecoder().decode(plain)) as { signed: string; signature: string };
    await cs.signature.verify(admin.signaturePublicKey, new TextEncoder().encode(`parley-wrapped-post-sig-v1\n${outer.signed}`), Buffer.from(outer.signature, 'base64'));
  };
  const reads = 200;
  t = performance.now();
  for (let i = 0; i < reads; i++) await open(infoBody);
  const readInfoMs = (performance.now() - t) / reads;
  t = performance.now();
  for (let i = 0; i < reads; i++) await open(body);
  const readPostMs = (performance.now() - t) / reads;
  const tableBytes = (like: string) => Number((db.prepare('SELECT SUM(pgsize) AS n FROM dbstat WHERE name LIKE ?').get(like) as { n: number | null } | undefined)?.n ?? 0);
  const dbBytes = tableBytes('channel_epoch_wraps%');
  const infoStored = (await wraps.listPosts(C, 0, 1))[0]?.body.length ?? 0;
  // R146: the next epoch opens; epoch 1 held only its info entry, so its wraps go in that transaction.
  t = performance.now();
  await domain.createEpoch(auth, C, 2);
  const pruneMs = performance.now() - t;
  const freed = dbBytes - tableBytes('channel_epoch_wraps%');
  log({
    bench: 'channel-wraps', devices: n + 1, wrapped, seedS: round(seedMs / 1000, 1),
    sealUsPerDevice: round((sealMs * 1000) / wrapped, 1), wrapBytes: 76, wireBytesPerDevice: round(wireBytes / wrapped, 1),
    infoEntry: { adminSealMs: round(infoSealMs, 2), serverMs: round(infoServerMs, 2), bodyChars: infoStored, subscriberReadMs: round(readInfoMs, 3) },
    prune: { ms: round(pruneMs, 1), freedBytesPerDevice: round(freed / wrapped, 1), wrapsLeft: (await wraps.listWrapsForDevice(C, 'dev_s0000000', 0, 10)).length },
    serverUsPerDevice: round((serverMs * 1000) / wrapped, 1), storedBytesPerDevice: dbBytes ? round(dbBytes / wrapped, 1) : 'n/a',
    rekeyAdminDeviceS: round(sealMs / 1000, 1), rekeyServerS: round(serverMs / 1000, 1), uploadMB: round(wireBytes / 1e6, 1),
    subscriberOpenWrapMs: round(openWrapMs, 2), subscriberRead1KbPostMs: round(readPostMs, 3),
    postBytes: body.length,
  });
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}
