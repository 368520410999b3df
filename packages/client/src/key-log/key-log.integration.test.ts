import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ParleyError } from '@parley/protocol';
import { createUser, startTestServer, type TestUser } from '@parley/testing';
import { accounts } from '../accounts.ts';
import { RestApi } from '../api.ts';
import { generateDeviceKey } from '../device-key.ts';
import { MlsGroupSession, MlsIdentity, generateKeyPackages, isMlsSessionError, type MlsSessionOptions } from '../mls/index.ts';
import { isKeyLogError } from './errors.ts';
import { KeyDirectory, type KeyDirectoryStore, type RestCall } from './key-directory.ts';

/** KeyDirectory against a real server (docs/PROTOCOL.md R19-R22), with MLS sessions using it to authenticate members. */

interface Device {
  userId: string;
  deviceId: string;
  rest: RestCall;
  keys: KeyDirectory;
  identity: MlsIdentity;
}

function memoryStore(): KeyDirectoryStore {
  const data = new Map<string, string>();
  return { get: async (k) => data.get(k), set: async (k, v) => void data.set(k, v) };
}

/** A signed-in device speaking REST as ParleyClient does, with its own directory and MLS identity. */
async function device(baseUrl: string, userId: string, deviceId: string, key: TestUser['deviceKey']): Promise<Device> {
  const api = new RestApi(baseUrl, (await accounts.login(baseUrl, deviceId, key)).token);
  const rest: RestCall = (method, path, body) => api.call(method, path, body);
  return { userId, deviceId, rest, keys: new KeyDirectory({ rest, store: memoryStore(), maxAgeMs: 0 }), identity: await MlsIdentity.generate({ userId, deviceId }) };
}

async function person(baseUrl: string): Promise<Device & { user: TestUser }> {
  const user = await createUser(baseUrl, { start: false });
  return { ...(await device(baseUrl, user.userId, user.deviceId, user.deviceKey)), user };
}

async function secondDevice(baseUrl: string, user: TestUser): Promise<Device> {
  const key = await generateDeviceKey();
  const added = await accounts.recover(baseUrl, { handle: user.handle, recoveryCode: user.recoveryCode, device: { name: 'laptop', publicKey: key.publicKey } });
  return device(baseUrl, user.userId, added.deviceId, key);
}

const authenticateWith = (keys: KeyDirectory): MlsSessionOptions => ({
  authenticate: (member, signaturePublicKey) => keys.verifyMember(member.userId, member.deviceId, signaturePublicKey),
});

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('KeyDirectory with a server', () => {
  test('R20 R22 a published key is what others verify; a second publish is idempotent and another key is refused', async () => {
    await using server = await startTestServer();
    const alice = await person(server.url);
    const bob = await person(server.url);
    await alice.keys.publish(alice.identity);
    await alice.keys.publish(alice.identity);
    const other = await MlsIdentity.generate({ userId: alice.userId, deviceId: alice.deviceId });
    await assert.rejects(new KeyDirectory({ rest: alice.rest, store: memoryStore() }).publish(other),
      (err: unknown) => err instanceof ParleyError && err.code === 'mls_key_conflict');

    assert.equal(await bob.keys.verifyMember(alice.userId, alice.deviceId, alice.identity.signaturePublicKey), true);
    assert.equal(await bob.keys.verifyMember(alice.userId, alice.deviceId, other.signaturePublicKey), false);
    assert.equal((await bob.keys.log(alice.userId)).length, 1);
  });

  test('R22 both people see the same safety number; a new device turns a verified contact into "changed", a revoked one is no longer a member', async () => {
    await using server = await startTestServer();
    const alice = await person(server.url);
    const bob = await person(server.url);
    await Promise.all([alice.keys.publish(alice.identity), bob.keys.publish(bob.identity)]);
    const number = await alice.keys.safetyNumber(alice.userId, bob.userId);
    assert.equal(await bob.keys.safetyNumber(bob.userId, alice.userId), number);
    assert.deepEqual(await bob.keys.scanQrPayload(bob.userId, await alice.keys.qrPayload(alice.userId, bob.userId)), { theirUserId: alice.userId, match: true });
    await bob.keys.markVerified(alice.userId);
    assert.equal(await bob.keys.verificationState(alice.userId), 'verified');

    const laptop = await secondDevice(server.url, alice.user);
    await laptop.keys.publish(laptop.identity);
    assert.equal(await bob.keys.verificationState(alice.userId), 'changed');
    assert.notEqual(await bob.keys.safetyNumber(bob.userId, alice.userId), number);
    assert.equal(await bob.keys.verifyMember(alice.userId, laptop.deviceId, laptop.identity.signaturePublicKey), true);

    await alice.rest('DELETE', `/devices/${laptop.deviceId}`);
    assert.equal(await bob.keys.verifyMember(alice.userId, laptop.deviceId, laptop.identity.signaturePublicKey), false);
    assert.deepEqual((await bob.keys.devices(alice.userId)).map((d) => d.deviceId), [alice.deviceId]);
    assert.equal(await bob.keys.safetyNumber(bob.userId, alice.userId), number, 'back to the verified key set');
    assert.equal(await bob.keys.verificationState(alice.userId), 'verified');
  });

  test('R22 the MLS authenticate hook: a key package whose key is not the logged one is refused; logged ones join', async () => {
    await using server = await startTestServer();
    const alice = await person(server.url);
    const bob = await person(server.url);
    await Promise.all([alice.keys.publish(alice.identity), bob.keys.publish(bob.identity)]);
    const group = await MlsGroupSession.create(alice.identity, utf8('chat-kt'), authenticateWith(alice.keys));

    // Someone (the server, say) makes a key package claiming to be bob's device, with its own key.
    const impostor = await MlsIdentity.generate({ userId: bob.userId, deviceId: bob.deviceId });
    const [forged] = await generateKeyPackages(impostor, 1);
    await assert.rejects(group.addMembers([forged!.keyPackage]), (err: unknown) => isMlsSessionError(err) && err.code === 'mls_invalid_key_package');

    const packages = await generateKeyPackages(bob.identity, 1);
    const { welcome } = await group.addMembers([packages[0]!.keyPackage]);
    group.mergePendingCommit();
    const { session } = await MlsGroupSession.join(bob.identity, welcome, packages, authenticateWith(bob.keys));
    assert.deepEqual(session.members().map((m) => m.userId), [alice.userId, bob.userId]);
  });

  test('R22 a device whose key was never published is not authenticated', async () => {
    await using server = await startTestServer();
    const alice = await person(server.url);
    const bob = await person(server.url);
    assert.equal(await alice.keys.verifyMember(bob.userId, bob.deviceId, bob.identity.signaturePublicKey), false);
    await assert.rejects(alice.keys.safetyNumber(alice.userId, bob.userId), (err: unknown) => isKeyLogError(err, 'no_device_keys'));
  });
});
