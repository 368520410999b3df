import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/client';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { RawPeer } from './raw.ts';

describe('authorization: a non-member can never read, post to or learn the members of a chat', () => {
  it('R10 outsiders are refused on REST and WebSocket alike', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url);
    const bob = await createUser(server.url);
    const eve = await createUser(server.url);
    const { chatId } = await alice.client.openDirect(bob.userId);
    await alice.client.sendText(chatId, 'secret plans');
    await waitFor(() => alice.client.outbox().length === 0);

    const eveToken = await eve.store.getMeta('session-token');
    const get = await fetch(`${server.url}/api/v1/chats/${chatId}`, { headers: { authorization: `Bearer ${eveToken}` } });
    assert.equal(get.status, 403);
    assert.equal(((await get.json()) as { error: { code: string } }).error.code, 'not_member');
    const add = await fetch(`${server.url}/api/v1/chats/${chatId}/members`, {
      method: 'POST', headers: { authorization: `Bearer ${eveToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ userId: eve.userId }),
    });
    assert.equal(add.status, 403);
    await assert.rejects(eve.client.createInvite(chatId), (e: unknown) => e instanceof ParleyError && e.code === 'not_member');

    const peer = await RawPeer.authed(server.url, eve.deviceId, (d) => eve.deviceKey.sign(d));
    const history = await peer.request({ type: 'history', rid: 'h1', chatId, afterSeq: 0 });
    assert.deepEqual([history['type'], history['code']], ['error', 'not_member']);
    const send = await peer.request({ type: 'send', rid: 's1', chatId, clientMsgId: 'evil_message_1', envelope: { contentType: 'parley/plain+json', payload: 'aGk=' } });
    assert.deepEqual([send['type'], send['code']], ['error', 'not_member']);
    peer.send({ type: 'typing', chatId });
    peer.send({ type: 'receipt', chatId, kind: 'read', upToSeq: 2 });
    await peer.next((f) => f['code'] === 'not_member');
    assert.ok(!peer.frames.some((f) => f['type'] === 'message'), 'eve received nothing of the chat');
    assert.ok(!eve.client.chats().some((c) => c.chatId === chatId));
    peer.close();
    for (const u of [alice, bob, eve]) await u.client.stop();
  });

  it('REST calls without a valid session get auth_required / session_invalid', async () => {
    await using server = await startTestServer();
    const none = await fetch(`${server.url}/api/v1/chats`);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'auth_required');
    const bad = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: 'Bearer forged' } });
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'session_invalid');
  });

  it('a revoked device is disconnected at once and cannot sign in again', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url);
    const { accounts, generateDeviceKey } = await import('@parley/client');
    const { newClient } = await import('@parley/testing');
    const key = await generateDeviceKey();
    const second = await accounts.recover(server.url, { handle: alice.handle, recoveryCode: alice.recoveryCode, device: { name: 'laptop', publicKey: key.publicKey } });
    const laptop = newClient(server.url, alice.userId, second.deviceId, key);
    let revoked = false;
    laptop.on('revoked', () => (revoked = true));
    await laptop.start();
    await waitFor(() => laptop.connectionState === 'online');
    const me = await alice.client.me();
    assert.equal(me.devices.length, 2);
    assert.equal(me.devices.find((d) => d.deviceId === second.deviceId)?.online, true);
    await alice.client.revokeDevice(second.deviceId);
    await waitFor(() => revoked && laptop.connectionState === 'revoked', { what: 'laptop revoked' });
    await assert.rejects(accounts.login(server.url, second.deviceId, key), (e: unknown) => e instanceof ParleyError && e.code === 'device_revoked');
    assert.equal((await alice.client.me()).devices.length, 1);
    // The recovery code was one-time: the old one no longer works.
    await assert.rejects(accounts.recover(server.url, { handle: alice.handle, recoveryCode: alice.recoveryCode, device: { name: 'x', publicKey: key.publicKey } }),
      (e: unknown) => e instanceof ParleyError && e.code === 'recovery_failed');
    await alice.client.stop();
    await laptop.stop();
  });
});
