import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestApi, type WebSocketCtor } from '@parley/client';
import WebSocket from 'ws';
import { addDevice, createUser, newClient, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { RawPeer } from './raw.ts';
import { accountsLogin } from './raw-login.ts';

/**
 * R40, issue 17 findings 1 and 2 (the lock-outs): no frame the server sends outgrows a connection's
 * send buffer, so a person in very many chats, or in chats full of maximum-size messages, still
 * signs in and syncs on every device. Consent (R44, consent.test.ts) keeps strangers out by
 * default; these run with it off, as for a person whose community or contacts may add them, so
 * nothing but paging stands between the victim and the lock-out.
 */

const plain = { client: { mls: { enabled: false } } };

async function stop(...users: TestUser[]): Promise<void> {
  for (const u of users) await u.client.stop();
}

/** A device that has read the whole chat list and every chat's log up to the server's lastSeq. */
function synced(user: TestUser, chatIds: readonly string[]): boolean {
  const chats = new Map(user.client.chats().map((c) => [c.chatId, c]));
  return user.client.chatListComplete && chatIds.every((id) => {
    const chat = chats.get(id);
    return chat !== undefined && (user.client.log(id).at(-1)?.seq ?? 0) >= chat.lastSeq;
  });
}

describe('R40 a stranger cannot lock a person out with big frames', () => {
  it('finding 1: in 300 groups whose list is 3x the send buffer, the victim signs in and syncs on both devices; every frame fits the buffer', { timeout: 180_000 }, async () => {
    // A 48 KiB buffer (and limits that fit it, R40) stands in for 1 MiB: 300 groups do here what ~2,500 did there.
    const server = await startTestServer({
      PARLEY_CONSENT_REQUIRED: 'false', PARLEY_WS_BUFFER_BYTES: String(48 * 1024), PARLEY_MAX_ENVELOPE_BYTES: '8192',
      PARLEY_MAX_COMMIT_BYTES: '16384', PARLEY_MAX_GROUP_MEMBERS: '20', PARLEY_RATE_CHATS_PER_HOUR: '100000', PARLEY_RATE_API_PER_SEC: '1000',
    });
    await using _server = server;
    const victim = await createUser(server.url, { displayName: 'Vera', ...plain });
    const mallory = await createUser(server.url, { displayName: 'Mallory', start: false });
    const token = await accountsLogin(server.url, mallory.deviceId, (d) => mallory.deviceKey.sign(d));
    const api = new RestApi(server.url, token);
    const spam: string[] = [];
    for (let i = 0; i < 300; i++) {
      const { chat } = await api.call<{ chat: { chatId: string } }>('POST', '/chats', { name: `spam ${i}`, memberIds: [victim.userId] });
      spam.push(chat.chatId);
    }
    await victim.client.stop();

    // What the old server sent in one auth_ok: 300 summaries, three times the buffer.
    const peer = await RawPeer.open(server.url);
    peer.send({ type: 'auth', v: 1, token: await accountsLogin(server.url, victim.deviceId, (d) => victim.deviceKey.sign(d)) });
    const authOk = await peer.next((f) => f['type'] === 'auth_ok');
    const pages = [authOk];
    for (let next = authOk['chatsNext']; typeof next === 'string'; next = pages.at(-1)?.['next']) {
      peer.send({ type: 'chats', rid: `p${pages.length}`, after: next });
      pages.push(await peer.next((f) => f['rid'] === `p${pages.length}`));
    }
    const listed = pages.flatMap((p) => (p['chats'] as { chatId: string }[]).map((c) => c.chatId));
    assert.deepEqual([...listed].sort(), [...spam].sort(), 'the pages hold every chat once');
    assert.ok(pages.length >= 4, `${pages.length} pages`);
    for (const page of pages) assert.ok(JSON.stringify(page).length <= server.config.limits.wsBufferBytes / 2, 'each page is well within the buffer');
    assert.ok(pages.map((p) => JSON.stringify(p).length).reduce((a, b) => a + b) > 2 * server.config.limits.wsBufferBytes, 'the whole list would not have fit');
    assert.equal(peer.closeCode, undefined);
    peer.close();

    // Through the SDK: her device signs in again, and a second one signs in for the first time.
    const restarted = { ...victim, client: newClient(server.url, victim.userId, victim.deviceId, victim.deviceKey, victim.store, undefined, plain.client) };
    await restarted.client.start();
    const second = await addDevice(victim, plain);
    await using _stop = { [Symbol.asyncDispose]: () => stop(restarted, second) };
    for (const device of [restarted, second]) {
      await waitFor(() => synced(device, spam), { what: 'the whole list, every chat caught up', timeoutMs: 60_000 });
      assert.equal(device.client.connectionState, 'online');
    }
  });

  it('finding 2: a direct chat full of maximum-size messages does not stop the victim\'s devices from syncing or sending elsewhere', { timeout: 120_000 }, async () => {
    await using server = await startTestServer({ PARLEY_CONSENT_REQUIRED: 'false' });
    const victim = await createUser(server.url, { displayName: 'Vera', ...plain });
    const friend = await createUser(server.url, { displayName: 'Fred', ...plain });
    const mallory = await createUser(server.url, { displayName: 'Mallory', start: false });
    const { chatId: ours } = await victim.client.openDirect(friend.userId);
    await victim.client.stop();
    const token = await accountsLogin(server.url, mallory.deviceId, (d) => mallory.deviceKey.sign(d));
    const { chat: { chatId: flood } } = await new RestApi(server.url, token).call<{ chat: { chatId: string } }>('POST', '/chats/direct', { userId: victim.userId });
    const peer = await RawPeer.authed(server.url, mallory.deviceId, (d) => mallory.deviceKey.sign(d));
    // 24 messages at the envelope limit: 1.5 MB, more than the 1 MiB a connection may have unsent (the report needed ~16).
    const payload = Buffer.alloc(((server.config.limits.maxEnvelopeBytes - 64) * 3) / 4, 7).toString('base64');
    for (let i = 0; i < 24; i++) {
      const ack = await peer.request({ type: 'send', rid: `s${i}`, chatId: flood, clientMsgId: `flood_${i}_xxxxxxxx`, envelope: { contentType: 'application/octet-stream', payload } });
      assert.equal(ack['type'], 'ack', JSON.stringify(ack).slice(0, 200));
    }
    peer.close();

    await victim.client.start();
    const second = await addDevice(victim, plain);
    await using _stop = { [Symbol.asyncDispose]: () => stop(victim, second, friend) };
    for (const device of [victim, second]) {
      await waitFor(() => synced(device, [ours, flood]), { what: 'both chats caught up', timeoutMs: 60_000 });
    }
    // And she still talks to others: the send is acknowledged and reaches Fred.
    await victim.client.sendText(ours, 'still here');
    await waitFor(() => friend.client.timeline(ours).some((i) => i.text === 'still here'), { what: 'Fred reads her message', timeoutMs: 20_000 });
  });

  it('many chats and chats full of maximum-size messages together: 250 groups, 5 holding 12 messages at the envelope limit (each twice the 48 KiB buffer); her device catches up and a new one syncs, with no connection closed', { timeout: 120_000 }, async () => {
    const server = await startTestServer({
      PARLEY_CONSENT_REQUIRED: 'false', PARLEY_WS_BUFFER_BYTES: String(48 * 1024), PARLEY_MAX_ENVELOPE_BYTES: '8192',
      PARLEY_MAX_COMMIT_BYTES: '16384', PARLEY_MAX_GROUP_MEMBERS: '20', PARLEY_RATE_CHATS_PER_HOUR: '100000', PARLEY_RATE_API_PER_SEC: '1000',
    });
    await using _server = server;
    const victim = await createUser(server.url, { displayName: 'Vera', start: false, ...plain });
    const mallory = await createUser(server.url, { displayName: 'Mallory', start: false });
    const api = new RestApi(server.url, await accountsLogin(server.url, mallory.deviceId, (d) => mallory.deviceKey.sign(d)));
    const chats: string[] = [];
    for (let i = 0; i < 250; i++) chats.push((await api.call<{ chat: { chatId: string } }>('POST', '/chats', { name: `spam ${i}`, memberIds: [victim.userId] })).chat.chatId);
    // Her device has every chat up to its 'created' line; it will catch the floods up page by page.
    const before = newClient(server.url, victim.userId, victim.deviceId, victim.deviceKey, victim.store, undefined, plain.client);
    await before.start();
    await waitFor(() => synced({ ...victim, client: before }, chats), { what: 'the device has the 250 chats', timeoutMs: 60_000 });
    await before.stop();
    const peer = await RawPeer.authed(server.url, mallory.deviceId, (d) => mallory.deviceKey.sign(d));
    const payload = Buffer.alloc(((server.config.limits.maxEnvelopeBytes - 64) * 3) / 4, 7).toString('base64');
    const flooded = chats.filter((_, i) => i % 50 === 7); // 5 chats, spread over the list's pages
    for (const [c, chatId] of flooded.entries()) {
      for (let i = 0; i < 12; i++) { // 12 x ~8 KB: each chat's log is twice the buffer
        const ack = await peer.request({ type: 'send', rid: `s${c}_${i}`, chatId, clientMsgId: `flood_${c}_${i}_xxxxxxxx`, envelope: { contentType: 'application/octet-stream', payload } });
        assert.equal(ack['type'], 'ack');
      }
    }
    peer.close();

    const closes: number[] = [];
    class Logged extends WebSocket {
      constructor(url: string) {
        super(url);
        this.on('close', (code: number) => closes.push(code));
      }
    }
    const tweaks = { ...plain.client, WebSocket: Logged as unknown as WebSocketCtor };
    const first = { ...victim, client: newClient(server.url, victim.userId, victim.deviceId, victim.deviceKey, victim.store, undefined, tweaks) };
    await first.client.start();
    const second = await addDevice(victim, { client: tweaks });
    await using _stop = { [Symbol.asyncDispose]: () => stop(first, second) };
    const started = Date.now();
    for (const device of [first, second]) {
      await waitFor(() => synced(device, chats), { what: 'the whole list, every chat caught up', timeoutMs: 60_000 });
      assert.equal(device.client.connectionState, 'online');
      assert.equal(device.client.connectionProblem, undefined);
    }
    // The device that had the chats catches each flood up in full; the new one reads each chat's newest
    // page (older ones on scrolling), ending with the last flood message.
    for (const [c, chatId] of flooded.entries()) {
      assert.equal(first.client.log(chatId).filter((m) => m.envelope).length, 12);
      assert.equal(second.client.log(chatId).at(-1)?.clientMsgId, `flood_${c}_11_xxxxxxxx`);
    }
    assert.deepEqual(closes, [], `no connection closed (4008 or other) while syncing; both synced in ${Date.now() - started} ms`);
  });
});
