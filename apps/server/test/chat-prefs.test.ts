import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError, RestApi } from '@parley/client';
import { MUTED_FOREVER, type ChatSummary } from '@parley/protocol';
import type { PushSender } from '@parley/server';
import { addDevice, createUser, everyNamePublic, startTestServer, waitFor } from '@parley/testing';
import { accountsLogin } from './raw-login.ts';

/** R48 a person's own settings for a chat (archive, mute, mark unread): on all their devices, seen by nobody else. */
describe('R48 chat settings of one\'s own', () => {
  it('archive, mute and mark unread reach the person\'s other device, not the other member; reading takes the mark off', { timeout: 60_000 }, async () => {
    await using server = await startTestServer();
    const amy = await createUser(server.url);
    const bob = await createUser(server.url);
    const { chatId } = await amy.client.openDirect(bob.userId);
    const phone = await addDevice(amy);
    await using _stop = { [Symbol.asyncDispose]: async () => { for (const c of [amy.client, bob.client, phone.client]) await c.stop(); } };
    await waitFor(() => phone.client.chat(chatId) !== undefined && bob.client.chat(chatId) !== undefined, { what: 'the chat everywhere' });

    await amy.client.setChatPrefs(chatId, { archived: true, mutedUntil: MUTED_FOREVER });
    await amy.client.setChatPrefs(chatId, { markedUnread: true });
    assert.deepEqual(amy.client.chat(chatId)?.prefs, { archived: true, mutedUntil: MUTED_FOREVER, markedUnread: true });
    await waitFor(() => phone.client.chat(chatId)?.prefs?.markedUnread === true, { what: 'her phone hears it' });
    assert.deepEqual(phone.client.chat(chatId)?.prefs, { archived: true, mutedUntil: MUTED_FOREVER, markedUnread: true });
    // Bob's summary of the chat says nothing of Amy's settings.
    const bobToken = await accountsLogin(server.url, bob.deviceId, (d) => bob.deviceKey.sign(d));
    const { chat: bobView } = await new RestApi(server.url, bobToken).call<{ chat: ChatSummary }>('GET', `/chats/${chatId}`);
    assert.equal(bobView.prefs, undefined);
    assert.equal(JSON.stringify(bobView).includes('archived'), false);

    phone.client.markRead(chatId);
    await waitFor(() => amy.client.chat(chatId)?.prefs?.markedUnread === undefined, { what: 'the mark is off on her laptop too' });
    await amy.client.setChatPrefs(chatId, { archived: false, mutedUntil: 0 });
    await waitFor(() => phone.client.chat(chatId)?.prefs === undefined, { what: 'all off on her phone' });

    // Only a member changes their settings, and only with something to change.
    const mallory = await createUser(server.url, { start: false });
    const malloryApi = new RestApi(server.url, await accountsLogin(server.url, mallory.deviceId, (d) => mallory.deviceKey.sign(d)));
    await assert.rejects(malloryApi.call('PUT', `/chats/${chatId}/prefs`, { archived: true }), (e: unknown) => e instanceof ParleyError && e.code === 'not_member');
    await assert.rejects(new RestApi(server.url, bobToken).call('PUT', `/chats/${chatId}/prefs`, {}), (e: unknown) => e instanceof ParleyError && e.code === 'bad_request');
  });

  it('a muted chat wakes none of the person\'s devices with a push; unmuted, it does again', { timeout: 60_000 }, async () => {
    const pushes: string[] = [];
    const pushSender: PushSender = { publicKey: 'test', send: async (sub) => { pushes.push(sub.userId); return { gone: false }; } };
    await using server = await startTestServer({ PARLEY_PUSH_MIN_INTERVAL_MS: '0' }, { pushSender, hostResolver: everyNamePublic });
    const amy = await createUser(server.url);
    const bob = await createUser(server.url);
    const { chatId } = await amy.client.openDirect(bob.userId);
    await waitFor(() => bob.client.chat(chatId) !== undefined, { what: 'bob has the chat' });
    await bob.client.setChatPrefs(chatId, { mutedUntil: MUTED_FOREVER });
    const bobToken = await accountsLogin(server.url, bob.deviceId, (d) => bob.deviceKey.sign(d));
    await new RestApi(server.url, bobToken).call('POST', '/push/subscriptions', { endpoint: 'https://push.example/bob', keys: { p256dh: 'BPxxxx', auth: 'xxxx' } });
    await bob.client.stop();
    await amy.client.sendText(chatId, 'quiet please');
    await waitFor(() => amy.client.outbox().length === 0, { what: 'sent' });
    await new Promise((r) => setTimeout(r, 700)); // the notifier's coalescing window (250 ms) and more
    assert.equal(pushes.length, 0, "muted: no push");
    await new RestApi(server.url, bobToken).call('PUT', `/chats/${chatId}/prefs`, { mutedUntil: 0 });
    await amy.client.sendText(chatId, 'now loud');
    await waitFor(() => pushes.includes(bob.userId), { what: 'a push once unmuted' });
    await amy.client.stop();
  });
});
