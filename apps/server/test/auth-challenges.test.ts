import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { AUTH_SIGNING_PREFIX } from '@parley/protocol';
import { generateDeviceKey } from '@parley/client';
import { createTestDatabase, createUser, startTestServer, uniqueHandle } from '@parley/testing';
import { SoftPasskey } from './soft-passkey.ts';
import { migratedTemplate } from '../src/storage/postgres/migrated-databases.ts';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function post(baseUrl: string, path: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${baseUrl}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const errorOf = (a: Answer) => a.body['error'] as { code: string; message: string } | undefined;

/** A device login body: a fresh challenge for the device, signed with its key. */
async function signedLogin(baseUrl: string, deviceId: string, sign: (d: Uint8Array) => Promise<Uint8Array>) {
  const { body } = await post(baseUrl, '/auth/challenge', { deviceId });
  const challenge = String(body['challenge']);
  const signature = Buffer.from(await sign(new TextEncoder().encode(AUTH_SIGNING_PREFIX + challenge))).toString('base64');
  return { deviceId, challenge, signature };
}

const newDevice = async (name: string) => ({ name, publicKey: (await generateDeviceKey()).publicKey });

describe('R39 single-use challenges and plain errors', () => {
  it('R39 a signed login challenge is redeemed once: a replayed /auth/device is challenge_expired and makes no session', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { start: false });
    const login = await signedLogin(server.url, alice.deviceId, (d) => alice.deviceKey.sign(d));

    const first = await post(server.url, '/auth/device', login);
    assert.equal(first.status, 200);
    assert.equal(typeof first.body['token'], 'string');
    const replay = await post(server.url, '/auth/device', login);
    assert.equal(replay.status, 401);
    assert.equal(errorOf(replay)?.code, 'challenge_expired');
    assert.equal(replay.body['token'], undefined);

    // Concurrent redemptions of one challenge: exactly one session.
    const raced = await signedLogin(server.url, alice.deviceId, (d) => alice.deviceKey.sign(d));
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => post(server.url, '/auth/device', raced)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 401, 401, 401, 401]);

    // A wrong signature does not spend the challenge: the device can still use it.
    const pending = await signedLogin(server.url, alice.deviceId, (d) => alice.deviceKey.sign(d));
    const forged = await post(server.url, '/auth/device', { ...pending, signature: Buffer.alloc(64, 7).toString('base64') });
    assert.equal(errorOf(forged)?.code, 'invalid_signature');
    assert.equal((await post(server.url, '/auth/device', pending)).status, 200);
  });

  it('R39 a challenge redeemed on one node of a cluster is refused on another', async () => {
    await using db = await createTestDatabase('parley_c', migratedTemplate);
    await using nodeA = await startTestServer({ PARLEY_DATABASE_URL: db.url, PARLEY_NODE_ID: 'node-a' });
    await using nodeB = await startTestServer({ PARLEY_DATABASE_URL: db.url, PARLEY_NODE_ID: 'node-b' });
    const alice = await createUser(nodeA.url, { start: false });
    const login = await signedLogin(nodeA.url, alice.deviceId, (d) => alice.deviceKey.sign(d));
    assert.equal((await post(nodeA.url, '/auth/device', login)).status, 200);
    const replay = await post(nodeB.url, '/auth/device', login);
    assert.equal(errorOf(replay)?.code, 'challenge_expired');
    // Racing on both nodes at once: one session in all.
    const raced = await signedLogin(nodeB.url, alice.deviceId, (d) => alice.deviceKey.sign(d));
    const answers = await Promise.all([nodeA, nodeB, nodeA, nodeB].map((n) => post(n.url, '/auth/device', raced)));
    assert.equal(answers.filter((a) => a.status === 200).length, 1);
  });

  it('R39 a passkey ceremony is redeemed once: a replayed sign-in adds no second device, a replayed sign-up makes no account', async () => {
    await using server = await startTestServer();
    const passkey = new SoftPasskey(server.config.origin);
    const handle = uniqueHandle('pk');

    const regOptions = await post(server.url, '/passkeys/register/options', { handle, displayName: 'Pat Key' });
    const register = { flowId: regOptions.body['flowId'], response: passkey.create(regOptions.body['options'] as Record<string, unknown>), device: await newDevice('laptop') };
    const created = await post(server.url, '/passkeys/register/verify', register);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const userId = String(created.body['userId']);
    const registerAgain = await post(server.url, '/passkeys/register/verify', { ...register, device: await newDevice('replayed') });
    assert.equal(errorOf(registerAgain)?.code, 'challenge_expired');

    const loginOptions = await post(server.url, '/passkeys/login/options', {});
    const login = { flowId: loginOptions.body['flowId'], response: passkey.get(loginOptions.body['options'] as Record<string, unknown>), device: await newDevice('phone') };
    const signedIn = await post(server.url, '/passkeys/login/verify', login);
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    assert.equal(signedIn.body['userId'], userId);
    // The same assertion again (captured by a proxy, a log): the authenticator keeps no counter, so
    // only the spent ceremony stops it.
    const replay = await post(server.url, '/passkeys/login/verify', { ...login, device: await newDevice('attacker') });
    assert.equal(replay.status, 401);
    assert.equal(errorOf(replay)?.code, 'challenge_expired');
    assert.deepEqual((await server.services.storage.listDevices(userId)).map((d) => d.name).sort(), ['laptop', 'phone']);
  });

  it('R39 passkey_failed says one plain sentence; the WebAuthn library\'s reason is in the server log only', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    await using server = await startTestServer({}, { logger });
    const passkey = new SoftPasskey(server.config.origin);

    const regOptions = await post(server.url, '/passkeys/register/options', { handle: uniqueHandle('pk'), displayName: 'Pat Key' });
    const garbage = await post(server.url, '/passkeys/register/verify', {
      flowId: regOptions.body['flowId'], response: { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: {} }, device: await newDevice('x'),
    });
    assert.deepEqual(garbage.body, { error: { code: 'passkey_failed', message: 'the passkey could not be registered' } });

    // Another origin's ceremony (a phishing page relaying it): the library names the origin it expected.
    const phish = new SoftPasskey('https://parley.evil.example', new URL(server.config.origin).hostname);
    const otherOrigin = await post(server.url, '/passkeys/register/verify', {
      flowId: regOptions.body['flowId'], response: phish.create(regOptions.body['options'] as Record<string, unknown>), device: await newDevice('x'),
    });
    assert.deepEqual(otherOrigin.body, { error: { code: 'passkey_failed', message: 'the passkey could not be registered' } });

    // A known credential with a signature by another key.
    const reg2 = await post(server.url, '/passkeys/register/options', { handle: uniqueHandle('pk'), displayName: 'Pat Key' });
    assert.equal((await post(server.url, '/passkeys/register/verify', {
      flowId: reg2.body['flowId'], response: passkey.create(reg2.body['options'] as Record<string, unknown>), device: await newDevice('laptop'),
    })).status, 201);
    const impostor = new SoftPasskey(server.config.origin);
    const loginOptions = await post(server.url, '/passkeys/login/options', {});
    const forged = { ...impostor.get(loginOptions.body['options'] as Record<string, unknown>), id: passkey.credentialId, rawId: passkey.credentialId };
    const badSignature = await post(server.url, '/passkeys/login/verify', { flowId: loginOptions.body['flowId'], response: forged, device: await newDevice('x') });
    assert.deepEqual(badSignature.body, { error: { code: 'passkey_failed', message: 'the passkey was not accepted' } });
    const unknown = await post(server.url, '/passkeys/login/verify', { flowId: loginOptions.body['flowId'], response: impostor.get(loginOptions.body['options'] as Record<string, unknown>), device: await newDevice('x') });
    assert.deepEqual(unknown.body, { error: { code: 'passkey_failed', message: 'the passkey was not accepted' } });
    // A failed attempt did not spend the ceremony: the real passkey still signs in with it.
    assert.equal((await post(server.url, '/passkeys/login/verify', {
      flowId: loginOptions.body['flowId'], response: passkey.get(loginOptions.body['options'] as Record<string, unknown>), device: await newDevice('phone'),
    })).status, 200);

    const refused = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'passkey refused');
    assert.equal(refused.length, 4);
    assert.ok(refused.some((l) => JSON.stringify(l).includes('parley.evil.example')), 'the log keeps the library\'s reason');
  });
});
