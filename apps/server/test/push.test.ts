import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
// @ts-expect-error http_ece ships no types
import ece from 'http_ece';
import { ParleyError, PlaintextCodec, accounts } from '@parley/client';
import { createUser, startTestServer, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { RawPeer } from './raw.ts';
import { selfSignedCert, startInternalService, startPushService, TestResolver, type Answer, type LocalService } from './local-push.ts';

/** The names the test push service answers for; they exist only in each test's resolver. */
const TLS = selfSignedCert(['push.example.test', 'rebind.example.test', 'flip.example.test', 'other.example.test']);
/**
 * These tests are about the server's push path: the clients skip MLS (group set-up and encryption
 * cost the shared cores seconds when other test files run alongside), as in other server tests.
 */
const plain = () => ({ codec: new PlaintextCodec() });

/**
 * Every client a test starts is stopped after it, passed or failed (a running client would keep the
 * file alive), and before its server.
 */
const started: TestUser[] = [];
const servers: TestServer[] = [];
async function serve(...args: Parameters<typeof startTestServer>): Promise<TestServer> {
  const server = await startTestServer(...args);
  servers.push(server);
  return server;
}
async function user(server: TestServer, opts: { displayName?: string } = {}): Promise<TestUser> {
  const u = await createUser(server.url, { ...plain(), ...opts });
  started.push(u);
  return u;
}
afterEach(async () => {
  for (const u of started.splice(0)) await u.client.stop();
  for (const server of servers.splice(0)) await server.close();
});
/** The test push service listens on 127.0.0.2, which only this setting lets pushes reach (it is loopback). */
const ALLOW_TEST_PUSH_SERVICE = { PARLEY_PUSH_ALLOW_PRIVATE_NETWORKS: '127.0.0.2/32', PARLEY_PUSH_MIN_INTERVAL_MS: '0' };

function browserKeys() {
  const receiver = createECDH('prime256v1');
  receiver.generateKeys();
  const authSecret = randomBytes(16);
  return { receiver, authSecret, keys: { p256dh: receiver.getPublicKey().toString('base64url'), auth: authSecret.toString('base64url') } };
}

const isEndpointInvalid = (err: unknown) => err instanceof ParleyError && err.code === 'push_endpoint_invalid';

/** Bob disconnects, Alice writes to him: the server now pushes to Bob's endpoints. */
async function messageWhileOffline(server: TestServer, alice: TestUser, bob: TestUser, text: string): Promise<void> {
  const { chatId } = await alice.client.openDirect(bob.userId);
  await waitFor(() => bob.client.chat(chatId) !== undefined, { what: 'bob sees the chat', timeoutMs: 30_000 });
  await bob.client.stop();
  await waitFor(() => server.gateway.connections === 1, { what: 'bob disconnected', timeoutMs: 30_000 });
  await alice.client.sendText(chatId, text);
}

/** A push service on 127.0.0.2:P and an internal https service on 127.0.0.1:P (same port: a push that went to the wrong address would land there). */
async function pushAndInternalOnOnePort(answer?: Answer): Promise<{ push: LocalService; internal: LocalService }> {
  for (let attempt = 0; ; attempt++) {
    const push = await startPushService(TLS, answer ? { answer } : {});
    try {
      const internal = await startInternalService(TLS, push.port);
      return { push, internal };
    } catch (err) {
      await push.close();
      if (attempt >= 5) throw err;
    }
  }
}

describe('Web Push', () => {
  it('R12 an offline member gets a push that carries no message text, sender or chat', async () => {
    await using pushService = await startPushService(TLS);
    const resolver = new TestResolver().set('push.example.test', '127.0.0.2');
    const server = await serve(ALLOW_TEST_PUSH_SERVICE, { hostResolver: resolver, pushCa: TLS.cert });
    const alice = await user(server, { displayName: 'Alice Sender' });
    const bob = await user(server);
    const { receiver, authSecret, keys } = browserKeys();
    assert.ok((await bob.client.pushVapidKey()).length > 40);
    await bob.client.subscribePush({ endpoint: `https://push.example.test:${pushService.port}/push/bob-device`, keys });
    const { chatId } = await alice.client.openDirect(bob.userId);
    await waitFor(() => bob.client.chat(chatId) !== undefined);
    await alice.client.sendText(chatId, 'while you were online');
    await waitFor(() => bob.client.timeline(chatId).some((i) => i.text === 'while you were online'));
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(pushService.received.length, 0, 'no push while the user is connected');

    await bob.client.stop();
    await waitFor(() => server.gateway.connections === 1, { what: 'bob disconnected', timeoutMs: 30_000 });
    await alice.client.sendText(chatId, 'the door code is 4711');
    await waitFor(() => pushService.received.length === 1, { what: 'a push', timeoutMs: 30_000 });
    const { body, path } = pushService.received[0]!;
    assert.equal(path, '/push/bob-device');
    assert.ok(!body.toString('latin1').includes('4711'));
    const plaintext = ece.decrypt(body, { version: 'aes128gcm', privateKey: receiver, authSecret: authSecret.toString('base64url') }) as Buffer;
    assert.deepEqual(JSON.parse(plaintext.toString('utf8')), { type: 'new_messages', v: 1 });
  });

  it('R178 a quiet send (an epoch key for admins\' devices, R170) wakes no one; the next ordinary message does', async () => {
    await using pushService = await startPushService(TLS);
    const resolver = new TestResolver().set('push.example.test', '127.0.0.2');
    const server = await serve(ALLOW_TEST_PUSH_SERVICE, { hostResolver: resolver, pushCa: TLS.cert });
    const alice = await user(server);
    const bob = await user(server);
    const { keys } = browserKeys();
    await bob.client.subscribePush({ endpoint: `https://push.example.test:${pushService.port}/push/bob-device`, keys });
    const { chatId } = await alice.client.openDirect(bob.userId);
    await waitFor(() => bob.client.chat(chatId) !== undefined);
    await bob.client.stop();
    await waitFor(() => server.gateway.connections === 1, { what: 'bob disconnected', timeoutMs: 30_000 });
    const peer = await RawPeer.authed(server.url, alice.deviceId, (d) => alice.deviceKey.sign(d));
    const send = (clientMsgId: string, quiet: boolean) => peer.request({
      type: 'send', rid: `r_${clientMsgId}`, chatId, clientMsgId, envelope: { contentType: 'parley/e2ee', payload: Buffer.from(clientMsgId).toString('base64') }, ...(quiet ? { quiet: true } : {}),
    });
    assert.equal((await send('quiet_key_1', true))['type'], 'ack');
    // (The notifier gathers a chat's messages for 250 ms before it pushes: past that, nothing came.)
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(pushService.received.length, 0, 'a quiet message wakes no one');
    assert.equal((await send('ordinary_1', false))['type'], 'ack');
    await waitFor(() => pushService.received.length === 1, { what: 'a push', timeoutMs: 30_000 });
    peer.close();
  });
});

describe('R37 push endpoints: no server-side request forgery', () => {
  it('SSRF: 200 subscriptions to an internal URL are refused with push_endpoint_invalid, and the internal endpoint receives nothing when a message arrives (default settings)', async () => {
    await using internal = await startInternalService();
    const resolver = new TestResolver().set('admin.internal.test', '127.0.0.1').set('localhost', '127.0.0.1', '::1')
      .set('mixed.example.test', '93.184.216.34', '127.0.0.1').set('metadata.example.test', '169.254.169.254');
    const server = await serve({ PARLEY_PUSH_MIN_INTERVAL_MS: '0' }, { hostResolver: resolver });
    const alice = await user(server);
    const mallory = await user(server);
    const { keys } = browserKeys();

    for (let i = 0; i < 200; i++) {
      await assert.rejects(mallory.client.subscribePush({ endpoint: `http://127.0.0.1:${internal.port}/internal/admin/action?n=${i}`, keys }), isEndpointInvalid, `subscription ${i}`);
    }
    const p = internal.port;
    const disguised = [
      `https://127.0.0.1:${p}/internal/admin/action`, `https://localhost:${p}/internal/admin/action`, `https://admin.internal.test:${p}/x`,
      `https://2130706433:${p}/x`, `https://0x7f.1:${p}/x`, `https://0.0.0.0:${p}/x`, `https://[::1]:${p}/x`, `https://[::ffff:127.0.0.1]:${p}/x`,
      `https://[::ffff:7f00:1]:${p}/x`, `https://mixed.example.test:${p}/x`, 'https://169.254.169.254/latest/meta-data/', 'https://metadata.example.test/x',
      'https://10.0.0.1/x', 'https://172.16.0.1/x', 'https://192.168.1.1/x', 'https://100.64.0.1/x', 'https://[fd00::1]/x', 'https://[fe80::1]/x',
      'https://224.0.0.1/x', 'https://[ff02::1]/x', 'https://[64:ff9b::7f00:1]/x', 'https://unknown-name.example.test/x',
      `https://user:pass@127.0.0.1:${p}/x`,
    ];
    for (const endpoint of disguised) await assert.rejects(mallory.client.subscribePush({ endpoint, keys }), isEndpointInvalid, endpoint);
    // The refusal is the same sentence for every reason: it tells no one which internal names exist.
    const raw = await fetch(`${server.url}/api/v1/push/subscriptions`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await sessionOf(server, mallory)}` },
      body: JSON.stringify({ endpoint: `https://admin.internal.test:${p}/x`, keys }),
    });
    assert.equal(raw.status, 400);
    assert.deepEqual(await raw.json(), { error: { code: 'push_endpoint_invalid', message: 'the push endpoint must be an https URL of a public push service' } });
    assert.deepEqual(await server.services.storage.listPushSubscriptions(mallory.userId), [], 'nothing was stored');

    await messageWhileOffline(server, alice, mallory, 'a message for mallory');
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(internal.received, [], 'the internal endpoint was never called');
  });

  it('SSRF: when a name moves to an internal address after subscribing (DNS rebinding), that push is not sent and the subscription is dropped; other pushes go on', async () => {
    const { push, internal } = await pushAndInternalOnOnePort();
    await using _push = push;
    await using _internal = internal;
    const resolver = new TestResolver().set('push.example.test', '127.0.0.2').set('rebind.example.test', '127.0.0.2');
    const server = await serve(ALLOW_TEST_PUSH_SERVICE, { hostResolver: resolver, pushCa: TLS.cert });
    const alice = await user(server);
    const bob = await user(server);
    const { keys } = browserKeys();
    await bob.client.subscribePush({ endpoint: `https://rebind.example.test:${push.port}/rebound`, keys });
    await bob.client.subscribePush({ endpoint: `https://push.example.test:${push.port}/legit`, keys });
    assert.equal((await server.services.storage.listPushSubscriptions(bob.userId)).length, 2);

    resolver.set('rebind.example.test', '127.0.0.1');
    await messageWhileOffline(server, alice, bob, 'wake up');
    await waitFor(() => push.received.length === 1, { what: 'the legitimate push', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(push.received.map((r) => r.path), ['/legit']);
    assert.deepEqual(internal.received, [], 'nothing reached 127.0.0.1');
    assert.deepEqual((await server.services.storage.listPushSubscriptions(bob.userId)).map((s) => s.endpoint), [`https://push.example.test:${push.port}/legit`]);
  });

  it('SSRF: a push connects to the address that was checked; no second DNS answer can redirect it', async () => {
    const { push, internal } = await pushAndInternalOnOnePort();
    await using _push = push;
    await using _internal = internal;
    // Answers the public-looking address twice (the check at subscribe and the check before the
    // push), then the internal one: an HTTP client that resolved the name again would go there.
    const resolver = new TestResolver();
    let asked = 0;
    const flipping = {
      resolve: async (hostname: string) => {
        if (hostname !== 'flip.example.test') return resolver.resolve(hostname);
        asked += 1;
        return [{ address: asked <= 2 ? '127.0.0.2' : '127.0.0.1', family: 4 as const }];
      },
    };
    const server = await serve(ALLOW_TEST_PUSH_SERVICE, { hostResolver: flipping, pushCa: TLS.cert });
    const alice = await user(server);
    const bob = await user(server);
    await bob.client.subscribePush({ endpoint: `https://flip.example.test:${push.port}/pinned`, keys: browserKeys().keys });
    await messageWhileOffline(server, alice, bob, 'wake up');
    await waitFor(() => push.received.length === 1, { what: 'the push, at the checked address', timeoutMs: 30_000 });
    assert.equal(asked, 2, 'the name was resolved once per check and never again for the connection');
    assert.deepEqual(internal.received, []);
  });

  it('SSRF: a redirect from a push service is not followed', async () => {
    let internalPort = 0;
    const { push, internal } = await pushAndInternalOnOnePort(() => ({ status: 307, headers: { location: `https://127.0.0.1:${internalPort}/internal/admin/action` } }));
    internalPort = internal.port;
    await using _push = push;
    await using _internal = internal;
    const resolver = new TestResolver().set('push.example.test', '127.0.0.2');
    const server = await serve(ALLOW_TEST_PUSH_SERVICE, { hostResolver: resolver, pushCa: TLS.cert });
    const alice = await user(server);
    const bob = await user(server);
    await bob.client.subscribePush({ endpoint: `https://push.example.test:${push.port}/redirecting`, keys: browserKeys().keys });
    await messageWhileOffline(server, alice, bob, 'wake up');
    await waitFor(() => push.received.length === 1, { what: 'the push', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(internal.received, [], 'the redirect was not followed');
  });

  it('R37 a device keeps at most PARLEY_PUSH_MAX_SUBSCRIPTIONS_PER_DEVICE (5) subscriptions: each new one replaces its oldest, and a message wakes at most 5 endpoints', async () => {
    await using push = await startPushService(TLS);
    const resolver = new TestResolver().set('push.example.test', '127.0.0.2');
    const server = await serve(ALLOW_TEST_PUSH_SERVICE, { hostResolver: resolver, pushCa: TLS.cert });
    const alice = await user(server);
    const bob = await user(server);
    const { keys } = browserKeys();
    for (let i = 1; i <= 200; i++) await bob.client.subscribePush({ endpoint: `https://push.example.test:${push.port}/e${i}`, keys });
    const kept = (await server.services.storage.listPushSubscriptions(bob.userId)).map((s) => s.endpoint.replace(/.*\//, '')).sort();
    assert.deepEqual(kept, ['e196', 'e197', 'e198', 'e199', 'e200']);
    await messageWhileOffline(server, alice, bob, 'wake up');
    await waitFor(() => push.received.length === 5, { what: 'five pushes', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(push.received.map((r) => r.path).sort(), ['/e196', '/e197', '/e198', '/e199', '/e200']);
  });

  it('R37 PARLEY_PUSH_ALLOWED_HOSTS: a host off the operator\'s list is refused, though public', async () => {
    const resolver = new TestResolver().set('push.example.test', '127.0.0.2').set('other.example.test', '93.184.216.34');
    const server = await serve({ ...ALLOW_TEST_PUSH_SERVICE, PARLEY_PUSH_ALLOWED_HOSTS: 'push.example.test,*.push.apple.com' }, { hostResolver: resolver, pushCa: TLS.cert });
    const bob = await user(server);
    const { keys } = browserKeys();
    await assert.rejects(bob.client.subscribePush({ endpoint: 'https://other.example.test/x', keys }), isEndpointInvalid);
    await bob.client.subscribePush({ endpoint: 'https://push.example.test/x', keys });
    assert.equal((await server.services.storage.listPushSubscriptions(bob.userId)).length, 1);
  });
});

/** A bearer token for the user's device (a fresh session), for requests made by hand. */
async function sessionOf(server: TestServer, user: TestUser): Promise<string> {
  return (await accounts.login(server.url, user.deviceId, user.deviceKey)).token;
}
