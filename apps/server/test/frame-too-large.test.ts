import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import pino from 'pino';
import { RestApi, type WebSocketCtor } from '@parley/client';
import { loadConfig, startParley, type RunningServer } from '@parley/server';
import { createUser, newClient, testEnv, waitFor, type TestUser } from '@parley/testing';
import { RawPeer } from './raw.ts';
import { accountsLogin } from './raw-login.ts';

/**
 * R40: a frame that could never fit the connection's send buffer is answered with `frame_too_large`
 * (with the request's rid when it was a reply) and the connection stays open; the old server closed
 * it with 4008 and the client asked for the same frame again, forever. The start-up check keeps
 * every frame the server makes within a valid buffer, so this test starts a server whose buffer
 * was shrunk after that check: 3,000 bytes, under one 7 KB message and one summary of a big group.
 */

const BUFFER = 3000;
const plain = { client: { mls: { enabled: false } } };

async function tinyBufferServer(): Promise<RunningServer & AsyncDisposable> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-test-'));
  const config = loadConfig(testEnv({ PARLEY_DATA_DIR: dataDir, PARLEY_WS_BUFFER_BYTES: String(48 * 1024), PARLEY_MAX_ENVELOPE_BYTES: '8192', PARLEY_MAX_COMMIT_BYTES: '16384', PARLEY_MAX_GROUP_MEMBERS: '20' }));
  config.limits.wsBufferBytes = BUFFER;
  const server = await startParley(config, { logger: pino({ level: 'silent' }) });
  const close = async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { ...server, close, [Symbol.asyncDispose]: close };
}

/** A WebSocket class that counts the connections a client opens. */
function counting(): { ctor: WebSocketCtor; opened: () => number } {
  let n = 0;
  class Counted extends WebSocket {
    constructor(url: string) {
      super(url);
      n += 1;
    }
  }
  return { ctor: Counted as unknown as WebSocketCtor, opened: () => n };
}

async function signIn(url: string, u: TestUser): Promise<RawPeer> {
  const peer = await RawPeer.open(url);
  peer.send({ type: 'auth', v: 1, token: await accountsLogin(url, u.deviceId, (d) => u.deviceKey.sign(d)) });
  return peer;
}

describe('R40 a frame that can never fit is refused with frame_too_large, not a close', () => {
  it('a history page of one message larger than the buffer: frame_too_large with its rid, the connection lives; the SDK does not reconnect', { timeout: 60_000 }, async () => {
    await using server = await tinyBufferServer();
    const vera = await createUser(server.url, { displayName: 'Vera', start: false, ...plain });
    const mallory = await createUser(server.url, { displayName: 'Mallory', start: false, ...plain });
    const api = new RestApi(server.url, await accountsLogin(server.url, mallory.deviceId, (d) => mallory.deviceKey.sign(d)));
    const { chat } = await api.call<{ chat: { chatId: string } }>('POST', '/chats/direct', { userId: vera.userId });
    const sender = await RawPeer.authed(server.url, mallory.deviceId, (d) => mallory.deviceKey.sign(d));
    const payload = Buffer.alloc(5000, 7).toString('base64'); // ~6.7 KB: within the envelope limit, over the buffer
    const ack = await sender.request({ type: 'send', rid: 's1', chatId: chat.chatId, clientMsgId: 'big_message_xxxxxxxx', envelope: { contentType: 'application/octet-stream', payload } });
    assert.equal(ack['type'], 'ack');
    sender.close();

    const peer = await signIn(server.url, vera);
    await peer.next((f) => f['type'] === 'auth_ok');
    const answer = await peer.request({ type: 'history', rid: 'h1', chatId: chat.chatId, afterSeq: 1, limit: 10 }); // seq 1 is the chat's 'created' line
    assert.deepEqual([answer['type'], answer['code']], ['error', 'frame_too_large']);
    assert.equal((await peer.request({ type: 'ping', rid: 'p1' }))['type'], 'pong', 'the connection still answers');
    assert.equal(peer.closeCode, undefined);
    peer.close();

    // The SDK: its catch-up of that chat fails once; it stays online on its first connection.
    const ws = counting();
    const client = newClient(server.url, vera.userId, vera.deviceId, vera.deviceKey, undefined, undefined, { ...plain.client, WebSocket: ws.ctor });
    await client.start();
    try {
      await waitFor(() => client.connectionState === 'online' && client.chatListComplete, { what: 'online with the list' });
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(client.connectionState, 'online');
      assert.equal(ws.opened(), 1, 'no reconnect loop');
    } finally {
      await client.stop();
    }
  });

  it('a sign-in whose first page holds a summary larger than the buffer: frame_too_large, no close; the SDK backs off and says why', { timeout: 60_000 }, async () => {
    await using server = await tinyBufferServer();
    const vera = await createUser(server.url, { displayName: 'Vera', start: false, ...plain });
    const mallory = await createUser(server.url, { displayName: 'Mallory', start: false, ...plain });
    const socks: string[] = [];
    for (let i = 0; i < 18; i++) socks.push((await createUser(server.url, { displayName: 'W'.repeat(64), start: false, ...plain })).userId);
    const api = new RestApi(server.url, await accountsLogin(server.url, mallory.deviceId, (d) => mallory.deviceKey.sign(d)));
    await api.call('POST', '/chats', { name: 'big', memberIds: [vera.userId, ...socks] }); // consent off here: all members

    const peer = await signIn(server.url, vera);
    const answer = await peer.next((f) => f['type'] === 'error' || f['type'] === 'auth_ok');
    assert.deepEqual([answer['type'], answer['code'], answer['rid']], ['error', 'frame_too_large', undefined]);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(peer.closeCode, undefined, 'not closed with 4008');
    peer.close();

    const ws = counting();
    const client = newClient(server.url, vera.userId, vera.deviceId, vera.deviceKey, undefined, undefined, { ...plain.client, WebSocket: ws.ctor, backoff: { minMs: 50, maxMs: 2000 } });
    await client.start();
    try {
      await waitFor(() => client.connectionProblem === 'frame_too_large', { what: 'the SDK says why it cannot sign in' });
      await new Promise((r) => setTimeout(r, 5000));
      // 50 ms doubling to 2 s, jittered down to half: at most ~9 tries in 5 s (a tight loop made ~15 in 8 s at this backoff).
      assert.ok(ws.opened() <= 9, `${ws.opened()} connections in ~5 s`);
      assert.notEqual(client.connectionState, 'online');
    } finally {
      await client.stop();
    }
  });
});
