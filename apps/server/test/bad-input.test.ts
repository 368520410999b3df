import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError, ServerFrame } from '@parley/protocol';
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
    // R88: handles that mention a whole chat or pass for the server's staff are nobody's.
    for (const handle of ['all', 'support', 'admin']) {
      await assert.rejects(createUser(server.url, { handle, start: false }), (e: unknown) => e instanceof ParleyError && e.code === 'handle_taken', handle);
    }
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

  it('a path with broken percent-encoding is bad_request in the usual error body, not Fastify\'s own (found by fuzzing)', async () => {
    await using server = await startTestServer();
    for (const path of ['/api/v1/chats/%zz', '/api/v1/devices/%C0%AF', '/api/v1/users/%E0%A4%A/key-log']) {
      const res = await fetch(`${server.url}${path}`, { method: path.includes('devices') ? 'DELETE' : 'GET' });
      assert.deepEqual([res.status, ((await res.json()) as { error?: { code: string } }).error?.code], [400, 'bad_request'], path);
    }
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

  it('an invalid frame with an empty rid is answered without one: every reply stays inside ServerFrame (found by fuzzing)', async () => {
    await using server = await startTestServer();
    const anon = await RawPeer.open(server.url);
    anon.send({ type: 'history', rid: '', chatId: 'abcdefgh' });
    const error = await anon.next((f) => f['type'] === 'error');
    assert.equal(error['code'], 'invalid_frame');
    assert.ok(ServerFrame.safeParse(error).success, JSON.stringify(error));
    assert.ok(!('rid' in error), 'no empty rid');
    anon.send({ type: 'ping', rid: 'y'.repeat(100) });
    const long = await anon.next((f) => f['type'] === 'error');
    assert.equal(long['rid'], 'y'.repeat(64), 'a long rid comes back cut to 64 characters, as before');
    anon.close();
  });
});
