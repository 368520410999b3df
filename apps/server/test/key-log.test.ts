import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { ParleyError, RestApi, accounts, generateDeviceKey, type DeviceKey } from '@parley/client';
import { KEY_LOG_GENESIS_HASH, keyLogEntryBytes, mlsKeySigningMessage, type KeyLogResponse, type PublishMlsKeyResponse } from '@parley/protocol';
import { createUser, startTestServer } from '@parley/testing';

/** The device-key log over plain REST (docs/PROTOCOL.md R19-R21). */

interface Device {
  userId: string;
  deviceId: string;
  key: DeviceKey;
  api: RestApi;
}

async function signIn(baseUrl: string, userId: string, deviceId: string, key: DeviceKey): Promise<Device> {
  const { token } = await accounts.login(baseUrl, deviceId, key);
  return { userId, deviceId, key, api: new RestApi(baseUrl, token) };
}

async function person(baseUrl: string): Promise<Device & { handle: string; recoveryCode: string }> {
  const user = await createUser(baseUrl, { start: false });
  return { ...(await signIn(baseUrl, user.userId, user.deviceId, user.deviceKey)), handle: user.handle, recoveryCode: user.recoveryCode };
}

async function secondDevice(baseUrl: string, user: { userId: string; handle: string; recoveryCode: string }): Promise<Device> {
  const key = await generateDeviceKey();
  const added = await accounts.recover(baseUrl, { handle: user.handle, recoveryCode: user.recoveryCode, device: { name: 'laptop', publicKey: key.publicKey } });
  return signIn(baseUrl, user.userId, added.deviceId, key);
}

/** A fresh Ed25519 key pair standing in for a device's MLS signature key. */
function mlsKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url').toString('base64');
  return { publicKey: raw, sign: (data: Uint8Array) => sign(null, data, privateKey).toString('base64') };
}

function publishBody(d: { userId: string; deviceId: string }, key = mlsKey()) {
  return { mlsSignatureKey: key.publicKey, signature: key.sign(mlsKeySigningMessage(d.userId, d.deviceId)) };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof ParleyError && err.code === code);
}

const log = (reader: Device, userId: string, query = '') => reader.api.call<KeyLogResponse>('GET', `/users/${userId}/key-log${query}`);

describe('device-key log', () => {
  it('R20 a device publishes its MLS key once with a proof of possession; again is idempotent, another key is refused', async () => {
    await using server = await startTestServer();
    const alice = await person(server.url);
    const key = mlsKey();
    const body = publishBody(alice, key);
    const { entry } = await alice.api.call<PublishMlsKeyResponse>('POST', '/key-log', body);
    assert.deepEqual([entry.index, entry.kind, entry.deviceId, entry.mlsSignatureKey, entry.prevHash], [1, 'add', alice.deviceId, key.publicKey, KEY_LOG_GENESIS_HASH]);
    assert.equal(entry.hash, createHash('sha256').update(keyLogEntryBytes({ userId: alice.userId, ...entry })).digest('hex'));
    assert.deepEqual(await alice.api.call('POST', '/key-log', body), { entry });
    await rejectsWith(alice.api.call('POST', '/key-log', publishBody(alice)), 'mls_key_conflict');
    assert.deepEqual((await log(alice, alice.userId)).entries, [entry]);
  });

  it('R20 a signature by another key, over another device\'s message, or malformed is refused and appends nothing', async () => {
    await using server = await startTestServer();
    const alice = await person(server.url);
    const bob = await person(server.url);
    const key = mlsKey();
    // bob's proof replayed by alice: it names bob's device, not hers.
    await rejectsWith(alice.api.call('POST', '/key-log', publishBody(bob, key)), 'invalid_signature');
    await rejectsWith(alice.api.call('POST', '/key-log', { mlsSignatureKey: key.publicKey, signature: mlsKey().sign(mlsKeySigningMessage(alice.userId, alice.deviceId)) }), 'invalid_signature');
    await rejectsWith(alice.api.call('POST', '/key-log', { mlsSignatureKey: key.publicKey }), 'bad_request');
    await rejectsWith(alice.api.call('POST', '/key-log', { mlsSignatureKey: 'AAAA', signature: publishBody(alice).signature }), 'bad_request');
    await rejectsWith(alice.api.call('POST', '/key-log', { ...publishBody(alice, key), signature: 'not base64!' }), 'bad_request');
    assert.deepEqual((await log(bob, alice.userId)).head, { index: 0, hash: KEY_LOG_GENESIS_HASH });
  });

  it('R21 revoking a device appends a revoke entry to its user\'s log', async () => {
    await using server = await startTestServer();
    const alice = await person(server.url);
    const laptop = await secondDevice(server.url, alice);
    await alice.api.call('POST', '/key-log', publishBody(alice));
    await laptop.api.call('POST', '/key-log', publishBody(laptop));
    await alice.api.call('DELETE', `/devices/${laptop.deviceId}`);
    const { entries, head } = await log(alice, alice.userId);
    assert.deepEqual(entries.map((e) => [e.index, e.kind, e.deviceId]), [[1, 'add', alice.deviceId], [2, 'add', laptop.deviceId], [3, 'revoke', laptop.deviceId]]);
    assert.deepEqual(head, { index: 3, hash: entries[2]?.hash });
    await rejectsWith(laptop.api.call('POST', '/key-log', publishBody(laptop)), 'session_invalid');
  });

  it('R19 any signed-in user reads any user\'s log, paged after an index; strangers and bad queries are refused', async () => {
    await using server = await startTestServer();
    const alice = await person(server.url);
    const laptop = await secondDevice(server.url, alice);
    const bob = await person(server.url);
    await alice.api.call('POST', '/key-log', publishBody(alice));
    await laptop.api.call('POST', '/key-log', publishBody(laptop));
    const all = await log(bob, alice.userId);
    assert.equal(all.userId, alice.userId);
    assert.deepEqual((await log(bob, alice.userId, '?after=1')).entries, all.entries.slice(1));
    assert.deepEqual(await log(bob, alice.userId, '?after=0&limit=1'), { ...all, entries: all.entries.slice(0, 1) });
    await rejectsWith(log(bob, alice.userId, '?limit=0'), 'bad_request');
    await rejectsWith(log(bob, alice.userId, '?limit=100000'), 'bad_request');
    await rejectsWith(log(bob, alice.userId, '?after=-1'), 'bad_request');
    await rejectsWith(log(bob, 'user_nobody_here'), 'user_not_found');
    await rejectsWith(new RestApi(server.url).call('GET', `/users/${alice.userId}/key-log`), 'auth_required');
  });
});
