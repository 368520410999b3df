import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { createUser, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { ParleyClient, type BackgroundError, type ClientOptions } from './client.ts';
import type { WebSocketCtor } from './connection.ts';
import { base64ToBytes, bytesToBase64 } from './encoding.ts';
import { MlsGroupSession, MlsIdentity } from './mls/index.ts';
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

async function settled(client: ParleyClient): Promise<void> {
  await waitFor(() => client.keyPackages?.last !== undefined, { what: 'a key package pass' });
  await client.keyPackages?.idle();
}

describe('KeyPackageKeeper', () => {
  test('R14 a started device uploads the target and a last-resort key package, and keeps their private parts', async () => {
    await using server = await startTestServer();
    const bob = await createUser(server.url);
    await settled(bob.client);
    assert.deepEqual(await bob.client.keyPackageCount(), { available: 20, lastResort: true });
    assert.deepEqual(bob.client.keyPackages?.last, { available: 20, lastResort: true, uploaded: 21 });
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
    await settled(alice.client);
    await settled(bob.client);

    const [claimed] = await alice.client.claimKeyPackages([bob.userId]);
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
    const bobClient = await startClient(bob, { enabled: true, target: 2, refillBelow: 1 });
    await settled(alice.client);
    await settled(bobClient);

    const claims = [];
    for (let i = 0; i < 3; i++) claims.push(...await alice.client.claimKeyPackages([bob.userId]));
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
    const mls = { enabled: true, target: 6, refillBelow: 3 };
    let bobClient = await startClient(bob, mls);
    await settled(bobClient);
    assert.deepEqual(await bobClient.keyPackageCount(), { available: 6, lastResort: true });
    await bobClient.stop();

    for (let i = 0; i < 3; i++) await alice.client.claimKeyPackages([bob.userId]);
    bobClient = await startClient(bob, mls);
    await settled(bobClient);
    assert.deepEqual(bobClient.keyPackages?.last, { available: 3, lastResort: true, uploaded: 0 }, '3 left: not below the mark');
    await bobClient.stop();

    for (let i = 0; i < 3; i++) await alice.client.claimKeyPackages([bob.userId]);
    assert.deepEqual(await alice.client.claimKeyPackages([bob.userId]).then((k) => k.map((c) => c.lastResort)), [true]);
    bobClient = await startClient(bob, mls);
    await settled(bobClient);
    assert.deepEqual(await bobClient.keyPackageCount(), { available: 6, lastResort: true });
    assert.deepEqual(bobClient.keyPackages?.last, { available: 6, lastResort: true, uploaded: 6 });
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
    assert.deepEqual(await bobClient.keyPackageCount(), { available: 20, lastResort: true });
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
