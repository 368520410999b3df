import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { WS_PATH } from '@parley/protocol';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { accountsLogin } from './raw-login.ts';

describe('dead links', () => {
  it('a connection that stops answering pings is dropped and its device goes offline; a live one stays', async () => {
    await using server = await startTestServer({ PARLEY_WS_PING_INTERVAL_MS: '200' });
    const alice = await createUser(server.url);
    const bob = await createUser(server.url);
    const token = await accountsLogin(server.url, bob.deviceId, (d) => bob.deviceKey.sign(d));
    // A peer whose network vanished: the socket stays open but nothing answers (no auto pong).
    const ghost = new WebSocket(server.url.replace(/^http/, 'ws') + WS_PATH, { autoPong: false });
    await new Promise((r) => ghost.once('open', r));
    ghost.send(JSON.stringify({ type: 'auth', v: 1, token }));
    await new Promise((r) => ghost.once('message', r));
    assert.equal(server.gateway.connections, 3);
    let closedAt = 0;
    ghost.on('close', () => (closedAt = Date.now()));
    const since = Date.now();
    await waitFor(() => closedAt > 0, { what: 'the silent peer dropped', timeoutMs: 5000 });
    assert.ok(closedAt - since < 2000, `dropped after ${closedAt - since} ms`);
    await waitFor(() => server.gateway.connections === 2, { what: 'session removed' });
    // The SDK answers pings (the ws library and browsers do it at the protocol level): still online.
    assert.equal(alice.client.connectionState, 'online');
    await alice.client.stop();
    await bob.client.stop();
  });
});
