import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { defaultWebDist } from '@parley/server';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { RawPeer } from './raw.ts';

const post = async (url: string, body: string, contentType = 'application/json') => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
};

describe('bad input gets a stable error code and never hurts the server', () => {
  it('malformed REST bodies are bad_request, oversized ones payload_too_large', async () => {
    await using server = await startTestServer({ PARLEY_MAX_HTTP_BODY_BYTES: '4096' });
    const url = `${server.url}/api/v1/accounts`;
    const notJson = await post(url, '{not json');
    assert.deepEqual([notJson.status, notJson.body.error?.code], [400, 'bad_request']);
    assert.equal((await post(url, JSON.stringify({ handle: 'Bad Handle!', displayName: 'x', device: { name: 'd', publicKey: 'x' } }))).body.error?.code, 'bad_request');
    assert.equal((await post(url, JSON.stringify({ handle: 'ok_handle', displayName: 'x'.repeat(10_000), device: {} }))).status, 413);
    assert.equal((await post(url, JSON.stringify([1, 2, 3]))).body.error?.code, 'bad_request');
    assert.equal((await fetch(`${server.url}/api/v1/nope`)).status, 404);
    const dup = await createUser(server.url, { start: false });
    const taken = await post(url, JSON.stringify({ handle: dup.handle, displayName: 'x', device: { name: 'd', publicKey: dup.deviceKey.publicKey } }));
    assert.deepEqual([taken.status, taken.body.error?.code], [409, 'handle_taken']);
  });

  it('R39 an unknown route, or a known one with another method, is the standard not_found that names neither', async () => {
    await using server = await startTestServer({ PARLEY_WEB_DIST: defaultWebDist() });
    const probes: [string, string][] = [
      ['GET', '/api/v1/auth/challenge'], ['DELETE', '/api/v1/me'], ['PUT', '/api/v1/push/subscriptions'], ['GET', '/api/v1/internal/admin'],
      ['POST', '/'], ['PUT', '/healthz'], ['DELETE', '/index.html'], ['GET', '/assets/nope-0000.js'], ['POST', '/api/v1/chats/abcdefgh'],
    ];
    for (const [method, path] of probes) {
      const res = await fetch(server.url + path, { method });
      const text = await res.text();
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.deepEqual(JSON.parse(text), { error: { code: 'not_found', message: 'not found' } }, `${method} ${path}`);
      assert.ok(!text.includes(path) && !text.includes(method), `${method} ${path} is not echoed: ${text}`);
    }
    // A URL the router can't even decode: the standard body too, not Fastify's echo of it.
    const bad = await fetch(`${server.url}/api/v1/%zz-secret-path`);
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: { code: 'bad_request', message: 'malformed request' } });
  });

  it('malformed WebSocket frames get invalid_frame / unknown_type / auth_required', async () => {
    await using server = await startTestServer();
    const anon = await RawPeer.open(server.url);
    anon.send({ type: 'send', rid: 'x', chatId: 'abcdefgh', clientMsgId: 'abcdefgh', envelope: { contentType: 'a', payload: '' } });
    assert.equal((await anon.next((f) => f['type'] === 'error'))['code'], 'auth_required');
    anon.send('{{{');
    assert.equal((await anon.next((f) => f['type'] === 'error'))['code'], 'invalid_frame');
    anon.send({ type: 'launch_missiles' });
    assert.equal((await anon.next((f) => f['type'] === 'error'))['code'], 'unknown_type');
    anon.send({ type: 'auth', v: 1, token: 'forged' });
    assert.equal((await anon.next((f) => f['type'] === 'error'))['code'], 'session_invalid');
    await waitFor(() => anon.closeCode !== undefined);
    assert.equal(anon.closeCode, 4001);
  });

  it('property: random and mutated frames never crash the server nor lose acknowledged messages', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url);
    const bob = await createUser(server.url);
    const { chatId } = await alice.client.openDirect(bob.userId);
    const attacker = await createUser(server.url, { start: false });
    const peer = await RawPeer.authed(server.url, attacker.deviceId, (d) => attacker.deviceKey.sign(d));

    const valid = fc.oneof(
      fc.record({ type: fc.constant('send'), rid: fc.string({ maxLength: 70 }), chatId: fc.constantFrom(chatId, 'x', 'aaaaaaaaaa'), clientMsgId: fc.string(), envelope: fc.anything() }),
      fc.record({ type: fc.constant('history'), rid: fc.string(), chatId: fc.constant(chatId), afterSeq: fc.oneof(fc.integer(), fc.double(), fc.string()), limit: fc.integer() }),
      fc.record({ type: fc.constant('receipt'), chatId: fc.constant(chatId), kind: fc.string(), upToSeq: fc.integer() }),
      fc.record({ type: fc.constantFrom('typing', 'ping', 'auth', '__proto__', 'constructor'), rid: fc.anything() }),
    );
    const frames = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.json(),
      valid.map((v) => JSON.stringify(v)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    let sent = 0;
    await fc.assert(fc.asyncProperty(fc.array(frames, { minLength: 1, maxLength: 20 }), async (batch) => {
      for (const frame of batch) peer.send(frame);
      sent += batch.length;
      // In between, a real conversation goes on and must stay whole.
      await alice.client.sendText(chatId, `between ${sent}`);
    }), { numRuns: 60 });
    await waitFor(() => alice.client.outbox().length === 0, { timeoutMs: 20_000 });
    await waitFor(() => bob.client.log(chatId).length === alice.client.log(chatId).length, { timeoutMs: 20_000 });
    const texts = bob.client.timeline(chatId).filter((i) => !i.system).map((i) => i.text);
    assert.equal(texts.length, 60);
    assert.deepEqual(texts, [...texts].sort((a, b) => Number(a.split(' ')[1]) - Number(b.split(' ')[1])));
    assert.ok(!bob.client.log(chatId).some((m) => m.senderUserId === attacker.userId), 'the attacker posted nothing into a chat it is not in');
    // The server still serves new clients.
    const carol = await createUser(server.url);
    assert.equal(carol.client.connectionState, 'online');
    peer.close();
    for (const u of [alice, bob, carol]) await u.client.stop();
  });
});
