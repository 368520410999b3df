import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addDevice, createUser, newClient, startTestServer, waitFor } from '@parley/testing';

/** R51 drafts through the real server with MLS: kept across a restart, on the person's other device, cleared by a send. */
describe('R51 drafts', () => {
  it('a draft typed on the laptop is on the phone after a pause, survives a restart, and a send clears it on both', { timeout: 90_000 }, async () => {
    await using server = await startTestServer();
    const amy = await createUser(server.url);
    const bob = await createUser(server.url);
    const { chatId } = await amy.client.openDirect(bob.userId);
    await amy.client.sendText(chatId, 'hello'); // her note-to-self chat appears with her second device's history
    const phone = await addDevice(amy);
    let laptop = amy.client;
    await using _stop = { [Symbol.asyncDispose]: async () => { for (const c of [laptop, bob.client, phone.client]) await c.stop(); } };
    await waitFor(() => phone.client.chat(chatId) !== undefined, { what: 'the chat on her phone', timeoutMs: 30_000 });

    laptop.setDraft(chatId, 'Dear neighbours, the meeting is');
    assert.equal(laptop.draft(chatId), 'Dear neighbours, the meeting is');
    await waitFor(() => phone.client.draft(chatId) === 'Dear neighbours, the meeting is', { what: 'the draft on her phone', timeoutMs: 40_000 });

    // The laptop's app restarts: the draft is in its (sealed) store.
    await laptop.stop();
    laptop = newClient(server.url, amy.userId, amy.deviceId, amy.deviceKey, amy.store);
    await laptop.start();
    assert.equal(laptop.draft(chatId), 'Dear neighbours, the meeting is');

    // The phone finishes and sends it: the draft is gone there and, soon, on the laptop.
    await phone.client.sendText(chatId, 'Dear neighbours, the meeting is at 7');
    assert.equal(phone.client.draft(chatId), '');
    await waitFor(() => laptop.draft(chatId) === '', { what: 'the laptop\'s draft cleared', timeoutMs: 40_000 });
    // Nothing of it shows as a message in her saved messages.
    for (const c of laptop.chats()) assert.ok(laptop.timeline(c.chatId).every((i) => !i.text.startsWith('Dear neighbours, the meeting is') || c.chatId === chatId));
  });
});
