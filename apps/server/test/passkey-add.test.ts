import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateDeviceKey } from '@parley/client';
import { createUser, startTestServer } from '@parley/testing';
import { accountsLogin } from './raw-login.ts';
import { SoftPasskey } from './soft-passkey.ts';

interface Answer {
  status: number;
  body: Record<string, unknown> | undefined;
}

async function post(baseUrl: string, path: string, body: unknown, token?: string): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  const res = await fetch(`${baseUrl}/api/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const codeOf = (a: Answer) => (a.body?.['error'] as { code: string } | undefined)?.code;
const newDevice = async (name: string) => ({ name, publicKey: (await generateDeviceKey()).publicKey });

/** An account held by a device key and the recovery code (as a browser without passkeys makes it), with a session. */
async function deviceKeyAccount(url: string) {
  const user = await createUser(url, { start: false });
  const token = await accountsLogin(url, user.deviceId, (d) => user.deviceKey.sign(d));
  return { ...user, token };
}

describe('R46 a signed-in account adds a passkey', () => {
  it('R46 a device-key account adds a passkey, which then signs in a new device of that account', async () => {
    await using server = await startTestServer();
    const alice = await deviceKeyAccount(server.url);
    const passkey = new SoftPasskey(server.config.origin);

    const options = await post(server.url, '/passkeys/add/options', {}, alice.token);
    assert.equal(options.status, 200);
    const creation = options.body?.['options'] as Record<string, unknown>;
    // The passkey's user handle is the account id, as for a passkey made at sign-up; its name is the handle.
    const user = creation['user'] as { id: string; name: string };
    assert.equal(Buffer.from(user.id, 'base64url').toString(), alice.userId);
    assert.equal(user.name, alice.handle);
    const added = await post(server.url, '/passkeys/add/verify', { flowId: options.body?.['flowId'], response: passkey.create(creation) }, alice.token);
    assert.equal(added.status, 204);

    const login = await post(server.url, '/passkeys/login/options', {});
    const signedIn = await post(server.url, '/passkeys/login/verify', {
      flowId: login.body?.['flowId'], response: passkey.get(login.body?.['options'] as Record<string, unknown>), device: await newDevice('new laptop'),
    });
    assert.equal(signedIn.status, 200);
    assert.equal(signedIn.body?.['userId'], alice.userId);
  });

  it('R46 authorization: no session, another account\'s flow, a replayed flow and a credential already registered are refused', async () => {
    await using server = await startTestServer();
    const alice = await deviceKeyAccount(server.url);
    const mallory = await deviceKeyAccount(server.url);
    const passkey = new SoftPasskey(server.config.origin);

    assert.equal(codeOf(await post(server.url, '/passkeys/add/options', {})), 'auth_required');
    assert.equal(codeOf(await post(server.url, '/passkeys/add/options', {}, 'not-a-session-token')), 'session_invalid');

    const options = await post(server.url, '/passkeys/add/options', {}, alice.token);
    const verify = { flowId: options.body?.['flowId'], response: passkey.create(options.body?.['options'] as Record<string, unknown>) };
    assert.equal(codeOf(await post(server.url, '/passkeys/add/verify', verify)), 'auth_required');
    // Mallory cannot finish Alice's ceremony to put a passkey of hers on Alice's account (nor on her own).
    const stolen = await post(server.url, '/passkeys/add/verify', verify, mallory.token);
    assert.equal(stolen.status, 401);
    assert.equal(codeOf(stolen), 'challenge_expired');
    // A sign-up or sign-in flow is not an add flow.
    const signup = await post(server.url, '/passkeys/register/options', { handle: 'someone_new', displayName: 'N' });
    assert.equal(codeOf(await post(server.url, '/passkeys/add/verify', { ...verify, flowId: signup.body?.['flowId'] }, alice.token)), 'challenge_expired');

    assert.equal((await post(server.url, '/passkeys/add/verify', verify, alice.token)).status, 204);
    assert.equal(codeOf(await post(server.url, '/passkeys/add/verify', verify, alice.token)), 'passkey_failed', 'the credential is registered already');
    // The same credential id answering a new ceremony (of either account) is refused and stays Alice's.
    const again = await post(server.url, '/passkeys/add/options', {}, mallory.token);
    const reused = await post(server.url, '/passkeys/add/verify', { flowId: again.body?.['flowId'], response: passkey.create(again.body?.['options'] as Record<string, unknown>) }, mallory.token);
    assert.deepEqual(reused.body, { error: { code: 'passkey_failed', message: 'the passkey could not be registered' } });
    const login = await post(server.url, '/passkeys/login/options', {});
    const signedIn = await post(server.url, '/passkeys/login/verify', {
      flowId: login.body?.['flowId'], response: passkey.get(login.body?.['options'] as Record<string, unknown>), device: await newDevice('phone'),
    });
    assert.equal(signedIn.body?.['userId'], alice.userId);

    // A revoked device's session adds nothing.
    const revoked = await deviceKeyAccount(server.url);
    const res = await fetch(`${server.url}/api/v1/devices/${revoked.deviceId}`, { method: 'DELETE', headers: { authorization: `Bearer ${revoked.token}` } });
    assert.equal(res.status, 204);
    assert.equal(codeOf(await post(server.url, '/passkeys/add/options', {}, revoked.token)), 'session_invalid');
  });

  it('R46 bad input: a malformed body is bad_request, a response that is no passkey is passkey_failed, and the flow is not spent', async () => {
    await using server = await startTestServer();
    const alice = await deviceKeyAccount(server.url);
    const options = await post(server.url, '/passkeys/add/options', {}, alice.token);
    const flowId = options.body?.['flowId'];

    for (const body of [{}, { flowId }, { flowId, response: 'x' }, { flowId: 'short', response: {} }, []]) {
      const answer = await post(server.url, '/passkeys/add/verify', body, alice.token);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(codeOf(answer), 'bad_request');
    }
    const garbage = await post(server.url, '/passkeys/add/verify', { flowId, response: { id: 'x', type: 'public-key', response: {} } }, alice.token);
    assert.deepEqual(garbage.body, { error: { code: 'passkey_failed', message: 'the passkey could not be registered' } });
    const phish = new SoftPasskey('https://parley.evil.example', new URL(server.config.origin).hostname);
    const otherOrigin = await post(server.url, '/passkeys/add/verify', { flowId, response: phish.create(options.body?.['options'] as Record<string, unknown>) }, alice.token);
    assert.equal(codeOf(otherOrigin), 'passkey_failed');
    // None of these spent the ceremony.
    const passkey = new SoftPasskey(server.config.origin);
    assert.equal((await post(server.url, '/passkeys/add/verify', { flowId, response: passkey.create(options.body?.['options'] as Record<string, unknown>) }, alice.token)).status, 204);
  });

  it('R46 rate limit: PARLEY_RATE_PASSKEY_ADDS_PER_DAY ceremonies per account, whatever device starts them', async () => {
    await using server = await startTestServer({ PARLEY_RATE_PASSKEY_ADDS_PER_DAY: '2' });
    const alice = await deviceKeyAccount(server.url);
    const secondToken = await accountsLogin(server.url, alice.deviceId, (d) => alice.deviceKey.sign(d));
    assert.equal((await post(server.url, '/passkeys/add/options', {}, alice.token)).status, 200);
    assert.equal((await post(server.url, '/passkeys/add/options', {}, secondToken)).status, 200);
    const third = await post(server.url, '/passkeys/add/options', {}, alice.token);
    assert.equal(third.status, 429);
    assert.equal(codeOf(third), 'rate_limited');
    // Another account has its own budget.
    const bob = await deviceKeyAccount(server.url);
    assert.equal((await post(server.url, '/passkeys/add/options', {}, bob.token)).status, 200);
  });
});
