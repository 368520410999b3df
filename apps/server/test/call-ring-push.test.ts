import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
// @ts-expect-error http_ece ships no types
import ece from 'http_ece';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ParleyError, PlaintextCodec, type CallPeer } from '@parley/client';
import { CallPushPayload, MUTED_FOREVER } from '@parley/protocol';
import { createUser, startTestServer, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { selfSignedCert, startPushService, TestResolver, type LocalService } from './local-push.ts';

/** R118: a ringing 1:1 call wakes the callee's closed apps through Web Push, naming no one. */
const TLS = selfSignedCert(['push.example.test']);
/** The test push service listens on 127.0.0.2, which only this setting lets pushes reach (it is loopback). */
const ENV = { PARLEY_PUSH_ALLOW_PRIVATE_NETWORKS: '127.0.0.2/32', PARLEY_PUSH_MIN_INTERVAL_MS: '0' };

const started: TestUser[] = [];
const servers: TestServer[] = [];
afterEach(async () => {
  for (const u of started.splice(0)) await u.client.stop();
  for (const server of servers.splice(0)) await server.close();
});
async function serve(env: Record<string, string> = {}, logger?: pino.Logger): Promise<TestServer> {
  const server = await startTestServer({ ...ENV, ...env }, { hostResolver: new TestResolver().set('push.example.test', '127.0.0.2'), pushCa: TLS.cert, ...(logger ? { logger } : {}) });
  servers.push(server);
  return server;
}
/** Node has no WebRTC: a peer that only makes an offer (enough for the caller's side to ring). */
const offeringPeer = (): CallPeer => ({
  connectionState: 'new', onicecandidate: null, onconnectionstatechange: null,
  createOffer: async () => ({ type: 'offer', sdp: 'v=0 fake-offer' }), createAnswer: async () => ({ type: 'answer', sdp: 'v=0 fake-answer' }),
  setLocalDescription: async () => {}, setRemoteDescription: async () => {}, addIceCandidate: async () => {}, close: () => {},
});
async function user(server: TestServer, displayName: string): Promise<TestUser> {
  const u = await createUser(server.url, { codec: new PlaintextCodec(), displayName, client: { calls: { peer: offeringPeer, audio: false } } });
  started.push(u);
  return u;
}
function browserKeys() {
  const receiver = createECDH('prime256v1');
  receiver.generateKeys();
  const authSecret = randomBytes(16);
  return { receiver, authSecret, keys: { p256dh: receiver.getPublicKey().toString('base64url'), auth: authSecret.toString('base64url') } };
}
const isCode = (code: string) => (err: unknown) => err instanceof ParleyError && err.code === code;

/** Alice and Bob share a direct chat; Bob's device is subscribed to the push service (ringing as asked). */
async function pair(server: TestServer, push: LocalService, ring: boolean, path = '/push/bob-device') {
  const alice = await user(server, 'Alice Caller');
  const bob = await user(server, 'Bob Callee');
  const browser = browserKeys();
  await bob.client.subscribePush({ endpoint: `https://push.example.test:${push.port}${path}`, keys: browser.keys });
  if (ring) await bob.client.setCallRinging(true);
  const { chatId } = await alice.client.openDirect(bob.userId);
  await waitFor(() => bob.client.chat(chatId) !== undefined, { what: 'bob sees the chat', timeoutMs: 30_000 });
  return { alice, bob, chatId, browser };
}
async function disconnect(server: TestServer, u: TestUser, left: number): Promise<void> {
  await u.client.stop();
  await waitFor(() => server.gateway.connections === left, { what: 'the device disconnected', timeoutMs: 30_000 });
}

describe('R118 Web Push ringing', () => {
  it('a ring reaches only the callee\'s device with no live connection, and its push says which chat and until when: no name, no call', async () => {
    await using push = await startPushService(TLS);
    const server = await serve();
    const { alice, bob, chatId, browser } = await pair(server, push, true);

    // The ring answers once its pushes were delivered: Bob's tab is open (it rings from the log), so none went.
    await alice.client.ringCall(chatId);
    assert.equal(push.received.length, 0, 'no push to a connected device');
    await disconnect(server, bob, 1);
    const before = Date.now();
    await alice.client.ringCall(chatId);
    assert.equal(push.received.length, 1, 'one push, to the device that is offline');
    const got = push.received[0]!;
    assert.equal(got.path, '/push/bob-device');
    assert.equal(got.headers['ttl'], '45', 'the push service drops it once it would no longer ring');
    assert.equal(got.headers['urgency'], 'high');
    const plain = (ece.decrypt(got.body, { version: 'aes128gcm', privateKey: browser.receiver, authSecret: browser.authSecret.toString('base64url') }) as Buffer).toString('utf8');
    const payload = CallPushPayload.parse(JSON.parse(plain));
    assert.equal(payload.chatId, chatId);
    assert.ok(payload.until >= before + 40_000 && payload.until <= Date.now() + 46_000, `until ${payload.until}`);
    assert.equal(payload.group, 0, 'R134: a direct chat\'s call');
    assert.deepEqual(Object.keys(JSON.parse(plain)).sort(), ['chatId', 'group', 'type', 'until', 'v']);
    for (const secret of ['Alice', 'Caller', alice.userId, alice.deviceId, 'Bob']) assert.ok(!plain.includes(secret), `the push holds no ${secret}`);
    assert.ok(!got.body.toString('latin1').includes(chatId), 'the push service sees only ciphertext');
  });

  it('a muted chat, or a device that turned ringing off, gets no call push; message pushes are unchanged', async () => {
    await using push = await startPushService(TLS);
    const server = await serve();
    const { alice, bob, chatId } = await pair(server, push, true);
    await bob.client.setCallRinging(false);
    await disconnect(server, bob, 1);
    await alice.client.ringCall(chatId);
    assert.equal(push.received.length, 0, 'ringing is off');
    // R48: a chat Carl muted rings none of his closed apps.
    const muted = await pair(server, push, true, '/push/carl-device');
    await muted.bob.client.setChatPrefs(muted.chatId, { mutedUntil: MUTED_FOREVER });
    await waitFor(async () => ((await server.services.storage.getMember(muted.chatId, muted.bob.userId))?.prefs?.mutedUntil ?? 0) > 0, { what: 'the mute stored' });
    await disconnect(server, muted.bob, 2);
    await muted.alice.client.ringCall(muted.chatId);
    assert.equal(push.received.length, 0, 'a muted chat does not ring');
    await alice.client.sendText(chatId, 'are you there?');
    await waitFor(() => push.received.length >= 1, { what: 'the message push', timeoutMs: 30_000 });
  });

  it('only a member of a chat rings it; rings per device and pushes per callee are limited', async () => {
    await using push = await startPushService(TLS);
    const server = await serve({ PARLEY_RATE_CALL_RING_PER_MIN: '3', PARLEY_PUSH_CALL_PUSHES_PER_MIN: '2' });
    const { alice, bob, chatId } = await pair(server, push, true);
    const mallory = await user(server, 'Mallory');
    await assert.rejects(mallory.client.ringCall(chatId), isCode('not_member'));
    await assert.rejects(alice.client.ringCall('no_such_chat_id'), isCode('not_member'));

    await disconnect(server, bob, 2);
    for (let i = 0; i < 3; i++) await alice.client.ringCall(chatId);
    await assert.rejects(alice.client.ringCall(chatId), isCode('rate_limited'), 'the fourth ring in a minute');
    assert.equal(push.received.length, 2, 'three rings, two pushes: Bob gets at most 2 a minute');
  });

  it('R124 a group call rings the other members\' closed apps; a group larger than PARLEY_CALL_RING_MAX_MEMBERS does not ring', async () => {
    await using push = await startPushService(TLS);
    const server = await serve({ PARLEY_CALL_RING_MAX_MEMBERS: '3' });
    const { alice, bob, browser, chatId } = await pair(server, push, true);
    const carol = await user(server, 'Carol');
    const team = await alice.client.createGroup({ name: 'Team', memberIds: [bob.userId, carol.userId] });
    await waitFor(() => bob.client.chat(team.chatId) !== undefined, { what: 'bob sees the group', timeoutMs: 30_000 });
    assert.equal((await alice.client.serverInfo()).calls?.ringMaxMembers, 3, 'clients learn the cap from /info');
    await disconnect(server, bob, 2);
    await alice.client.ringCall(team.chatId);
    assert.equal(push.received.length, 1, 'bob\'s closed app rings for the group call');
    const plain = JSON.parse((ece.decrypt(push.received[0]!.body, { version: 'aes128gcm', privateKey: browser.receiver, authSecret: browser.authSecret.toString('base64url') }) as Buffer).toString('utf8')) as { chatId: string; group: number };
    assert.equal(plain.chatId, team.chatId);
    assert.equal(plain.group, 1, 'R134: the push says it is a group\'s call (no name)');
    await alice.client.ringCall(chatId);
    assert.equal(push.received[1]!.body.length, push.received[0]!.body.length, 'R134: the push service cannot tell a group\'s ring from a direct one by its size');
    assert.equal(push.received[0]!.body.length, 199, 'the size docs/PROTOCOL.md (R118) and SECURITY.md give');
    const dave = await user(server, 'Dave');
    const big = await alice.client.createGroup({ name: 'Everyone', memberIds: [bob.userId, carol.userId, dave.userId] });
    await assert.rejects(alice.client.ringCall(big.chatId), isCode('bad_request'), 'four members: above the cap');
    assert.equal(push.received.length, 2);
  });

  it('the SDK rings when a call starts; a push service that fails is logged without the endpoint', async () => {
    await using push = await startPushService(TLS, { answer: () => ({ status: 500 }) });
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write(chunk: Buffer, _e, cb) { lines.push(String(chunk)); cb(); } }));
    const server = await serve({}, logger);
    const { alice, bob, chatId } = await pair(server, push, true);
    await disconnect(server, bob, 1);
    const call = await alice.client.calls.start(chatId, { media: 'audio' });
    assert.equal(call.state, 'ringing');
    await waitFor(() => push.received.length === 1, { what: 'the SDK\'s ring reached the push service', timeoutMs: 30_000 });
    await waitFor(() => lines.some((l) => l.includes('push service answered 500')), { what: 'the failed push logged', timeoutMs: 30_000 });
    for (const line of lines) assert.ok(!line.includes('/push/bob-device'), `no endpoint in the log: ${line.slice(0, 200)}`);
    await alice.client.calls.hangUp(call.callId);
  });
});
