import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlaintextCodec } from '@parley/client';
import { createUser, startTestServer, waitFor } from '@parley/testing';

// Receipts and paging are about the log, not encryption: these two tests use the plaintext codec.
// With MLS a message to someone whose device never came online waits for their key packages, and a
// device that lost its store can't read old messages (e2ee.test.ts covers both sides of that).
const plain = () => ({ codec: new PlaintextCodec() });

describe('messaging between people', () => {
  it('two people find each other by handle, chat, and see the same log', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { displayName: 'Alice' });
    const bob = await createUser(server.url, { displayName: 'Bob' });
    const found = await alice.client.findUser('@' + bob.handle.toUpperCase());
    assert.equal(found.userId, bob.userId);
    const chat = await alice.client.openDirect(bob.userId);
    const again = await bob.client.openDirect(alice.userId);
    assert.equal(again.chatId, chat.chatId, 'a direct chat is opened once for both');

    const hello = await alice.client.sendText(chat.chatId, 'Hello, Bob!');
    await waitFor(() => bob.client.timeline(chat.chatId).some((i) => i.text === 'Hello, Bob!'), { what: 'bob receives' });
    await bob.client.sendText(chat.chatId, 'Hi Alice', { replyTo: hello });
    await waitFor(() => alice.client.timeline(chat.chatId).some((i) => i.text === 'Hi Alice'), { what: 'alice receives' });

    const reply = alice.client.timeline(chat.chatId).find((i) => i.text === 'Hi Alice');
    assert.equal(reply?.replyTo?.text, 'Hello, Bob!');
    assert.equal(bob.client.chat(chat.chatId)?.title, 'Alice');
    assert.deepEqual(alice.client.log(chat.chatId).map((m) => m.seq), bob.client.log(chat.chatId).map((m) => m.seq));
    assert.deepEqual(alice.client.log(chat.chatId).map((m) => m.clientMsgId), bob.client.log(chat.chatId).map((m) => m.clientMsgId));
    await alice.client.stop();
    await bob.client.stop();
  });

  it('edits, deletions for everyone and reactions show on both sides', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url);
    const bob = await createUser(server.url);
    const { chatId } = await alice.client.openDirect(bob.userId);
    const id = await alice.client.sendText(chatId, 'teh typo');
    const doomed = await alice.client.sendText(chatId, 'oops, wrong chat');
    await waitFor(() => bob.client.timeline(chatId).filter((i) => !i.system).length === 2);
    await alice.client.edit(chatId, id, 'the typo');
    await alice.client.deleteMessage(chatId, doomed);
    await bob.client.react(chatId, id, '👍', true);
    await waitFor(() => {
      const item = alice.client.timeline(chatId).find((i) => i.id === id);
      return item?.reactions.some((r) => r.emoji === '👍' && r.userIds.includes(bob.userId)) === true;
    }, { what: 'reaction at alice' });
    await waitFor(() => bob.client.timeline(chatId).find((i) => i.id === doomed)?.deleted === true, { what: 'deletion at bob' });
    const seen = bob.client.timeline(chatId).find((i) => i.id === id);
    assert.equal(seen?.text, 'the typo');
    assert.equal(seen?.edited, true);
    assert.equal(bob.client.timeline(chatId).find((i) => i.id === doomed)?.text, '');

    // Bob cannot edit or delete Alice's message: clients ignore it.
    await bob.client.edit(chatId, id, 'hacked');
    await bob.client.deleteMessage(chatId, id);
    await bob.client.sendText(chatId, 'marker');
    await waitFor(() => alice.client.timeline(chatId).some((i) => i.text === 'marker'));
    assert.equal(alice.client.timeline(chatId).find((i) => i.id === id)?.text, 'the typo');

    await bob.client.react(chatId, id, '👍', false);
    await waitFor(() => alice.client.timeline(chatId).find((i) => i.id === id)?.reactions.length === 0, { what: 'reaction removed' });
    await alice.client.stop();
    await bob.client.stop();
  });

  it('message states go sending → sent → delivered → read, with unread counters', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, plain());
    const bob = await createUser(server.url, { start: false, ...plain() });
    const { chatId } = await alice.client.openDirect(bob.userId);
    const id = await alice.client.sendText(chatId, 'are you there?');
    assert.equal(alice.client.timeline(chatId).find((i) => i.id === id)?.state, 'sending', 'not sent before the ack');
    await waitFor(() => alice.client.timeline(chatId).find((i) => i.id === id)?.state === 'sent', { what: 'sent' });

    await bob.client.start();
    await waitFor(() => alice.client.timeline(chatId).find((i) => i.id === id)?.state === 'delivered', { what: 'delivered' });
    await waitFor(() => bob.client.chat(chatId)?.unread === 1, { what: 'bob unread 1' });
    bob.client.markRead(chatId);
    assert.equal(bob.client.chat(chatId)?.unread, 0);
    await waitFor(() => alice.client.timeline(chatId).find((i) => i.id === id)?.state === 'read', { what: 'read' });
    await alice.client.stop();
    await bob.client.stop();
  });

  it('typing indicators reach the other person, not oneself', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url);
    const bob = await createUser(server.url);
    const { chatId } = await alice.client.openDirect(bob.userId);
    await waitFor(() => bob.client.chat(chatId) !== undefined);
    alice.client.typing(chatId);
    await waitFor(() => bob.client.chat(chatId)?.typing.includes(alice.userId) === true, { what: 'typing shown' });
    assert.deepEqual(alice.client.chat(chatId)?.typing, []);
    await alice.client.stop();
    await bob.client.stop();
  });

  it('the typing indicator stops when the typist\'s message arrives, and by itself within 6 s of the last keystroke', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url);
    const bob = await createUser(server.url);
    const { chatId } = await alice.client.openDirect(bob.userId);
    await waitFor(() => bob.client.chat(chatId) !== undefined);
    const typingAtBob = () => bob.client.chat(chatId)?.typing.includes(alice.userId) === true;

    // Typed and sent: gone when the message is there, not seconds later.
    alice.client.typing(chatId);
    await waitFor(typingAtBob, { what: 'typing shown' });
    await alice.client.sendText(chatId, 'done typing');
    await waitFor(() => bob.client.timeline(chatId).some((i) => i.text === 'done typing'), { what: 'message arrives' });
    assert.equal(typingAtBob(), false, 'no "is typing" next to the message just received');

    // The next message's first keystroke signals at once (the sender's 3 s throttle starts again on send).
    alice.client.typing(chatId);
    await waitFor(typingAtBob, { what: 'typing shown again right after sending', timeoutMs: 2000 });

    // Stopped typing without sending: gone after at most 6 s.
    const stoppedAt = Date.now();
    await waitFor(() => !typingAtBob(), { what: 'typing gone by itself', timeoutMs: 7000 });
    assert.ok(Date.now() - stoppedAt <= 6000, `gone after ${Date.now() - stoppedAt} ms`);
    await alice.client.stop();
    await bob.client.stop();
  });

  it('history pages back to the first message, and search finds text in all chats', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, plain());
    const bob = await createUser(server.url, plain());
    const { chatId } = await alice.client.openDirect(bob.userId);
    for (let i = 1; i <= 250; i++) await alice.client.sendText(chatId, `message number ${i}`);
    await waitFor(() => alice.client.outbox().length === 0, { what: 'all acked', timeoutMs: 30_000 });

    // A fresh device of Bob's starts with the newest page and scrolls back.
    await bob.client.stop();
    const { newClient } = await import('@parley/testing');
    const fresh = newClient(server.url, bob.userId, bob.deviceId, bob.deviceKey, undefined, new PlaintextCodec());
    await fresh.start();
    await waitFor(() => fresh.log(chatId).at(-1)?.seq === 251, { what: 'newest page' });
    assert.ok(fresh.log(chatId).length < 251, 'only a page at first');
    while (fresh.hasOlder(chatId)) await fresh.loadOlder(chatId);
    assert.deepEqual(fresh.log(chatId).map((m) => m.seq), Array.from({ length: 251 }, (_, i) => i + 1));
    const hits = fresh.search('NUMBER 25');
    assert.deepEqual(hits.map((h) => h.item.text).sort(), ['message number 25', 'message number 250'].sort());
    await alice.client.stop();
    await fresh.stop();
  });
});
