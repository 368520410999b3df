import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import type { ClaimKeyPackagesResponse, KeyPackageCountResponse, UploadKeyPackagesRequest } from '@parley/protocol';
import { createUser, startTestServer, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { accounts } from './accounts.ts';
import { RestApi } from './api.ts';
import { ParleyClient, type BackgroundError, type ClientOptions } from './client.ts';
import type { WebSocketCtor } from './connection.ts';
import { base64ToBytes, bytesToBase64 } from './encoding.ts';
import { KeyPackageKeeper, type KeyPackageKeeperOptions, type ReplenishResult } from './key-packages.ts';
import { MlsGroupSession, MlsIdentity, keyPackageNotAfter } from './mls/index.ts';
import type { ClientStore, StoredKeyPackage } from './store.ts';
import { MemoryStore } from './stores/memory-store.ts';

/** KeyPackageKeeper against a real server (docs/PROTOCOL.md R14), through the SDK. */

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A client for an existing device with its own MLS options (a started app, or a restarted one). */
async function startClient(user: TestUser, mls: ClientOptions['mls'], store: ClientStore = user.store): Promise<ParleyClient> {
  const client = new ParleyClient({
    baseUrl: user.baseUrl,
    session: { userId: user.userId, deviceId: user.deviceId },
    deviceKey: user.deviceKey,
    store,
    WebSocket: WebSocket as unknown as WebSocketCtor,
    backoff: { minMs: 50, maxMs: 1000 },
    ...(mls ? { mls } : {}),
  });
  await client.start();
  await waitFor(() => client.connectionState === 'online', { what: 'online' });
  return client;
}

async function storedIdentity(store: ClientStore): Promise<MlsIdentity> {
  const bytes = await store.getMlsIdentity();
  assert.ok(bytes, 'the store holds an MLS identity');
  return MlsIdentity.fromBytes(bytes);
}

/** A count without lastResortAgeMs, which depends on how long the test took. */
function ignoringAge<T extends KeyPackageCountResponse>(count: T | undefined): Omit<T, 'lastResortAgeMs'> | undefined {
  if (!count) return undefined;
  const copy: Partial<T> = { ...count };
  delete copy.lastResortAgeMs;
  return copy as Omit<T, 'lastResortAgeMs'>;
}

async function settled(client: ParleyClient): Promise<void> {
  await waitFor(() => client.keyPackages?.last !== undefined, { what: 'a key package pass' });
  await client.keyPackages?.idle();
}

describe('KeyPackageKeeper', () => {
  test('R14 a started device uploads the target and a last-resort key package, and keeps their private parts', async () => {
    await using server = await startTestServer();
    const bob = await createUser(server.url);
    await settled(bob.client);
    assert.deepEqual(ignoringAge(await bob.client.keyPackageCount()), { available: 20, lastResort: true });
    assert.deepEqual(bob.client.keyPackages?.last, { available: 20, lastResort: true, lastResortAgeMs: 0, uploaded: 21 }, 'the upload\'s answer: its last resort is new');
    const stored = await bob.store.listKeyPackages();
    assert.equal(stored.length, 21);
    assert.equal(stored.filter((p) => p.lastResort).length, 1);
    assert.equal((await storedIdentity(bob.store)).deviceId, bob.deviceId);
    await bob.client.stop();
  });

  test('R14 a claimed key package is accepted by addMembers and its device joins from the Welcome with the stored private parts', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url);
    const bob = await createUser(server.url);
    const claimer = await restDevice(server); // not in a chat with Bob's apps: nothing of his is claimed but by the test
    await settled(alice.client);
    await settled(bob.client);

    const [claimed] = await claimAs(claimer.api, bob.userId);
    assert.ok(claimed);
    assert.deepEqual([claimed.userId, claimed.deviceId, claimed.lastResort], [bob.userId, bob.deviceId, false]);

    const group = await MlsGroupSession.create(await storedIdentity(alice.store), utf8('chat-1'));
    const { welcome } = await group.addMembers([base64ToBytes(claimed.keyPackage)]);
    group.mergePendingCommit();

    const keeper = bob.client.keyPackages;
    assert.ok(keeper);
    const { session, usedKeyPackageRef } = await MlsGroupSession.join(await keeper.identity(), welcome, await keeper.ownKeyPackages());
    assert.deepEqual(session.members().map((m) => m.userId), [alice.userId, bob.userId]);
    assert.equal(text((await session.decrypt(await group.encrypt(utf8('hi bob')))).plaintext), 'hi bob');

    await keeper.used(usedKeyPackageRef);
    assert.equal((await bob.store.listKeyPackages()).length, 20, 'a used one-time key package is forgotten');
    await Promise.all([alice.client.stop(), bob.client.stop()]);
  });

  test('R14 the last-resort key package works too and survives its use', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url);
    const bob = await createUser(server.url, { start: false });
    const claimer = await restDevice(server); // not in a chat with Bob's apps: nothing of his is claimed but by the test
    const bobClient = await startClient(bob, { enabled: true, target: 2, refillBelow: 1 });
    await settled(alice.client);
    await settled(bobClient);

    const claims = [];
    for (let i = 0; i < 3; i++) claims.push(...await claimAs(claimer.api, bob.userId));
    assert.deepEqual(claims.map((c) => c.lastResort), [false, false, true]);
    const lastResort = claims[2];
    assert.ok(lastResort);

    const group = await MlsGroupSession.create(await storedIdentity(alice.store), utf8('chat-2'));
    const { welcome } = await group.addMembers([base64ToBytes(lastResort.keyPackage)]);
    group.mergePendingCommit();
    const keeper = bobClient.keyPackages;
    assert.ok(keeper);
    const { session, usedKeyPackageRef } = await MlsGroupSession.join(await keeper.identity(), welcome, await keeper.ownKeyPackages());
    assert.equal(session.epoch, 1n);
    await keeper.used(usedKeyPackageRef);
    const left = await bob.store.listKeyPackages();
    assert.ok(left.some((p) => p.lastResort && p.ref === bytesToBase64(usedKeyPackageRef)), 'the last-resort private parts stay');
    await Promise.all([alice.client.stop(), bobClient.stop()]);
  });

  test('R14 after claims drain the key packages, a restart refills them; above the refill mark it does not', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url);
    const bob = await createUser(server.url, { start: false });
    const claimer = await restDevice(server); // not in a chat with Bob's apps: nothing of his is claimed but by the test
    const mls = { enabled: true, target: 6, refillBelow: 3 };
    let bobClient = await startClient(bob, mls);
    await settled(bobClient);
    assert.deepEqual(ignoringAge(await bobClient.keyPackageCount()), { available: 6, lastResort: true });
    await bobClient.stop();

    for (let i = 0; i < 3; i++) await claimAs(claimer.api, bob.userId);
    bobClient = await startClient(bob, mls);
    await settled(bobClient);
    assert.deepEqual(ignoringAge(bobClient.keyPackages?.last), { available: 3, lastResort: true, uploaded: 0 }, '3 left: not below the mark');
    await bobClient.stop();

    for (let i = 0; i < 3; i++) await claimAs(claimer.api, bob.userId);
    assert.deepEqual(await claimAs(claimer.api, bob.userId).then((k) => k.map((c) => c.lastResort)), [true]);
    bobClient = await startClient(bob, mls);
    await settled(bobClient);
    assert.deepEqual(ignoringAge(await bobClient.keyPackageCount()), { available: 6, lastResort: true });
    assert.deepEqual(ignoringAge(bobClient.keyPackages?.last), { available: 6, lastResort: true, uploaded: 6 });
    assert.equal((await bob.store.listKeyPackages()).length, 6 + 6 + 1, 'claimed ones stay until a Welcome uses them');
    assert.equal((await storedIdentity(bob.store)).toJSON().signaturePublicKey, (await bobClient.keyPackages?.identity())?.toJSON().signaturePublicKey,
      'the identity is loaded, not made again');
    await Promise.all([alice.client.stop(), bobClient.stop()]);
  });

  test('a failing pass is reported through the error event and retried, and messaging goes on meanwhile', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url);
    const bob = await createUser(server.url, { start: false });
    let failuresLeft = 2;
    const flaky = new MemoryStore();
    const realPut = flaky.putKeyPackages.bind(flaky);
    flaky.putKeyPackages = async (packages: readonly StoredKeyPackage[]) => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('disk full');
      }
      return realPut(packages);
    };
    const errors: BackgroundError[] = [];
    const bobClient = new ParleyClient({
      baseUrl: bob.baseUrl, session: { userId: bob.userId, deviceId: bob.deviceId }, deviceKey: bob.deviceKey, store: flaky,
      WebSocket: WebSocket as unknown as WebSocketCtor, backoff: { minMs: 50, maxMs: 200 },
    });
    bobClient.on('error', (e) => errors.push(e));
    const warn = console.warn;
    console.warn = () => {};
    try {
      await bobClient.start();
      const chat = await bobClient.openDirect(alice.userId);
      const sent = await bobClient.sendText(chat.chatId, 'still here');
      await waitFor(() => alice.client.timeline(chat.chatId).some((i) => i.text === 'still here'), { what: 'alice gets the message' });
      assert.ok(bobClient.outbox().every((o) => o.clientMsgId !== sent));
      await waitFor(() => bobClient.keyPackages?.last !== undefined, { what: 'a successful pass after retries' });
    } finally {
      console.warn = warn;
    }
    assert.equal(errors.length, 2);
    assert.ok(errors.every((e) => e.task === 'key-packages' && (e.error as Error).message === 'disk full'));
    assert.deepEqual(ignoringAge(await bobClient.keyPackageCount()), { available: 20, lastResort: true });
    await Promise.all([alice.client.stop(), bobClient.stop()]);
  });

  test('mls: { enabled: false } uploads nothing', async () => {
    await using server = await startTestServer();
    const bob = await createUser(server.url, { start: false });
    const client = await startClient(bob, { enabled: false });
    assert.equal(client.keyPackages, undefined);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await client.keyPackageCount(), { available: 0, lastResort: false });
    assert.equal(await bob.store.getMlsIdentity(), undefined);
    await client.stop();
  });
});

const DAY = 86_400_000;

/** A mutable clock shared by the test server and the keepers, so key packages age without waiting. */
function testClock(): { now: () => number; advance: (ms: number) => void; at: (ms: number) => void; t0: number } {
  const t0 = Date.now();
  let t = t0;
  return { now: () => t, advance: (ms) => { t += ms; }, at: (ms) => { t = t0 + ms; }, t0 };
}

/** A signed-in device that speaks REST itself: no ParleyClient, so the test alone decides when passes run. */
async function restDevice(server: TestServer): Promise<{ user: TestUser; api: RestApi }> {
  const user = await createUser(server.url, { start: false });
  const { token } = await accounts.login(server.url, user.deviceId, user.deviceKey);
  return { user, api: new RestApi(server.url, token) };
}

/** A KeyPackageKeeper for the device on the test clock; pass() runs one pass and fails on its error. */
function keeperFor(device: { user: TestUser; api: RestApi }, clock: { now: () => number }, store: ClientStore, options: Partial<KeyPackageKeeperOptions> = {}) {
  const errors: unknown[] = [];
  const keeper = new KeyPackageKeeper({
    userId: device.user.userId,
    deviceId: device.user.deviceId,
    store,
    directory: {
      count: () => device.api.call<KeyPackageCountResponse>('GET', '/keypackages/count'),
      upload: (request: UploadKeyPackagesRequest) => device.api.call<KeyPackageCountResponse>('POST', '/keypackages', request),
    },
    now: clock.now,
    onError: (e) => errors.push(e),
    ...options,
  });
  const pass = async (): Promise<ReplenishResult | undefined> => {
    keeper.replenish();
    await keeper.idle();
    assert.deepEqual(errors, []);
    return keeper.last;
  };
  return { keeper, pass };
}

/** Claims the user's key packages as `by`, for their direct chat (R41: claims are for members of a chat the claimer is in). */
async function claimAs(by: RestApi, userId: string): Promise<ClaimKeyPackagesResponse['keyPackages']> {
  const { chat } = await by.call<{ chat: { chatId: string } }>('POST', '/chats/direct', { userId });
  return (await by.call<ClaimKeyPackagesResponse>('POST', '/keypackages/claim', { chatId: chat.chatId, userIds: [userId] })).keyPackages;
}

async function claimOne(by: RestApi, userId: string): Promise<{ keyPackage: string; lastResort: boolean } | undefined> {
  return (await claimAs(by, userId))[0];
}

const refsOf = async (store: ClientStore): Promise<string[]> => (await store.listKeyPackages()).map((p) => p.ref).sort();

describe('KeyPackageKeeper and key package age (R14)', () => {
  test('R14 a device whose last-resort key package is 14 days old replaces it; the old one\'s private keys stay for a Welcome in flight', async () => {
    const clock = testClock();
    await using server = await startTestServer({}, { clock });
    const alice = await restDevice(server);
    const bob = await restDevice(server);
    const store = new MemoryStore();
    const { keeper, pass } = keeperFor(bob, clock, store, { target: 2, refillBelow: 1 });

    assert.deepEqual(await pass(), { available: 2, lastResort: true, lastResortAgeMs: 0, uploaded: 3 });
    clock.at(14 * DAY - 1);
    assert.deepEqual(await pass(), { available: 2, lastResort: true, lastResortAgeMs: 14 * DAY - 1, uploaded: 0 }, 'not yet 14 days old');
    clock.at(14 * DAY);
    assert.deepEqual(await pass(), { available: 2, lastResort: true, lastResortAgeMs: 0, uploaded: 1 }, 'replaced');

    const lastResorts = (await store.listKeyPackages()).filter((p) => p.lastResort);
    assert.equal(lastResorts.length, 2, 'the replaced one is kept: it may have been claimed until now');
    const newest = lastResorts.at(-1);
    assert.equal(newest?.createdAt, clock.t0 + 14 * DAY);
    for (let i = 0; i < 2; i++) assert.equal((await claimOne(alice.api, bob.user.userId))?.lastResort, false);
    const handedOut = await claimOne(alice.api, bob.user.userId);
    assert.deepEqual(handedOut && [handedOut.lastResort, handedOut.keyPackage], [true, newest && bytesToBase64(newest.keyPackage)], 'claims get the new last resort');
    keeper.stop();
  });

  test('R14 a device whose one-time key packages aged out refills them; private keys are dropped a week after the lifetime ends', async () => {
    const clock = testClock();
    await using server = await startTestServer({}, { clock });
    const alice = await restDevice(server);
    const bob = await restDevice(server);
    const store = new MemoryStore();
    const { keeper, pass } = keeperFor(bob, clock, store, { target: 3, refillBelow: 2 });
    await pass();
    const first = await refsOf(store);
    assert.equal(first.length, 4);
    const made = (await store.listKeyPackages())[0];
    assert.equal(made && keyPackageNotAfter(made.keyPackage), Math.floor(clock.t0 / 1000) * 1000 + 28 * DAY, 'valid 4 weeks');

    clock.at(21 * DAY + 1); // past the server's max age: none of them counts or is handed out any more
    assert.deepEqual(ignoringAge(await bob.api.call<KeyPackageCountResponse>('GET', '/keypackages/count')), { available: 0, lastResort: false });
    assert.deepEqual(await pass(), { available: 3, lastResort: true, lastResortAgeMs: 0, uploaded: 4 });
    const claimed = await claimOne(alice.api, bob.user.userId);
    const fresh = (await store.listKeyPackages()).filter((p) => p.createdAt === clock.now()).map((p) => bytesToBase64(p.keyPackage));
    assert.ok(claimed && !claimed.lastResort && fresh.includes(claimed.keyPackage), 'a claim gets one of the new ones');
    assert.equal((await store.listKeyPackages()).length, 8, 'the aged-out ones are kept: a Welcome for one may still arrive');

    clock.at(34 * DAY); // their lifetime ended at 28 days; within the week after it
    assert.equal((await pass())?.uploaded, 0);
    assert.equal((await store.listKeyPackages()).length, 8);

    clock.at(36 * DAY); // more than a week after: no Welcome can need them
    const last = await pass();
    assert.deepEqual(last, { available: 2, lastResort: true, lastResortAgeMs: 0, uploaded: 1 }, 'the second last resort is 15 days old: replaced; 2 one-time left: no refill');
    const left = await refsOf(store);
    assert.equal(left.length, 3 + 2, 'the second batch (the claimed one too, until a Welcome uses it) and both newer last resorts');
    assert.ok(first.every((ref) => !left.includes(ref)), 'every private key of the first batch is gone');
    keeper.stop();
  });

  test('R14 a device that lost its store replaces the one-time key packages it left on the server', async () => {
    const clock = testClock();
    await using server = await startTestServer({}, { clock });
    const alice = await restDevice(server);
    const bob = await restDevice(server);
    const before = keeperFor(bob, clock, new MemoryStore(), { target: 3, refillBelow: 1 });
    await before.pass();
    before.keeper.stop();

    const store = new MemoryStore(); // the same device, its store gone: a new identity
    const after = keeperFor(bob, clock, store, { target: 3, refillBelow: 1 });
    assert.deepEqual(await after.pass(), { available: 3, lastResort: true, lastResortAgeMs: 0, uploaded: 4 }, 'the old 3 are replaced, not topped up');
    const ours = new Set((await store.listKeyPackages()).map((p) => bytesToBase64(p.keyPackage)));
    for (let i = 0; i < 4; i++) {
      const claimed = await claimOne(alice.api, bob.user.userId);
      assert.ok(claimed && ours.has(claimed.keyPackage), `claim ${i + 1} gets a key package this store holds the keys of`);
    }
    after.keeper.stop();
  });

  test('R14 a keeper that stays running checks again every checkEveryMs and replaces an old last resort by itself', async () => {
    const clock = testClock();
    await using server = await startTestServer({}, { clock });
    const bob = await restDevice(server);
    const store = new MemoryStore();
    const { keeper, pass } = keeperFor(bob, clock, store, { target: 1, checkEveryMs: 50 });
    await pass();
    clock.at(15 * DAY);
    await waitFor(async () => (await store.listKeyPackages()).filter((p) => p.lastResort).length === 2, { what: 'a new last resort, uploaded by a timed pass' });
    keeper.stop();
    await keeper.idle();
    assert.deepEqual(await bob.api.call('GET', '/keypackages/count'), { available: 1, lastResort: true, lastResortAgeMs: 0 });
  });
});

describe('MemoryStore MLS state', () => {
  test('identity, key packages and group states round-trip, as copies', async () => {
    const store = new MemoryStore();
    assert.equal(await store.getMlsIdentity(), undefined);
    const identity = utf8('identity');
    await store.putMlsIdentity(identity);
    identity.fill(0);
    assert.equal(text((await store.getMlsIdentity())!), 'identity');

    const kp = (ref: string, createdAt: number, lastResort = false): StoredKeyPackage =>
      ({ ref, keyPackage: utf8(`kp-${ref}`), privateKeys: utf8(`sk-${ref}`), lastResort, createdAt });
    await store.putKeyPackages([kp('b', 2), kp('a', 1), kp('c', 3, true)]);
    const listed = await store.listKeyPackages();
    assert.deepEqual(listed.map((p) => p.ref), ['a', 'b', 'c']);
    listed[0]!.privateKeys.fill(0); // MLS code zeroes used keys: the store must not share them
    assert.equal(text((await store.listKeyPackages())[0]!.privateKeys), 'sk-a');
    await store.deleteKeyPackages(['a', 'c', 'missing']);
    assert.deepEqual((await store.listKeyPackages()).map((p) => p.ref), ['b']);

    await store.putMlsGroup('chat-1', utf8('epoch 1'));
    await store.putMlsGroup('chat-1', utf8('epoch 2'));
    await store.putMlsGroup('chat-2', utf8('other'));
    assert.equal(text((await store.getMlsGroup('chat-1'))!), 'epoch 2');
    await store.deleteChat('chat-1');
    assert.ok(await store.getMlsGroup('chat-1'), 'deleteChat leaves the group state alone');
    await store.deleteMlsGroup('chat-1');
    assert.equal(await store.getMlsGroup('chat-1'), undefined);
    assert.equal(text((await store.getMlsGroup('chat-2'))!), 'other');
  });
});
