import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError, parseMarkdown, type ParleyClient } from '@parley/client';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { leaks, serverBytes } from './server-bytes.ts';

const find = (client: ParleyClient, chatId: string, pred: (text: string) => boolean) => client.timeline(chatId).find((i) => !i.notice && pred(i.text));

describe('R49 forward and R50 pin, end-to-end encrypted', () => {
  it('a forward keeps text, formatting and preview, names its sender unless they asked not to be, and the server stores no plaintext', async () => {
    await using server = await startTestServer();
    const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((displayName) => createUser(server.url, { displayName })));
    if (!alice || !bob || !carol) throw new Error('users');
    const withBob = await alice.client.openDirect(bob.userId);
    const group = await alice.client.createGroup({ name: 'Forwards', memberIds: [carol.userId] });
    await waitFor(() => [withBob.chatId, group.chatId].every((id) => alice.client.chat(id)?.encryption === 'on') && bob.client.chat(withBob.chatId)?.encryption === 'on'
      && carol.client.chat(group.chatId)?.encryption === 'on', { what: 'encryption on', timeoutMs: 30_000 });

    const secret = parseMarkdown('the **vault** code is _7391_ https://example.com/vault');
    const preview = { url: 'https://example.com/vault', title: 'Vault manual' };
    await bob.client.sendText(withBob.chatId, secret.text, { entities: secret.entities, preview });
    await bob.client.sendText(withBob.chatId, 'quiet words nobody should trace', { noForwardName: true });
    await waitFor(() => find(alice.client, withBob.chatId, (t) => t.startsWith('quiet')) !== undefined, { what: 'alice reads both', timeoutMs: 30_000 });
    const original = find(alice.client, withBob.chatId, (t) => t === secret.text);
    const quiet = find(alice.client, withBob.chatId, (t) => t.startsWith('quiet'));
    if (!original || !quiet) throw new Error('messages');
    assert.equal(quiet.noForwardName, true);

    const ids = await alice.client.forward([group.chatId], withBob.chatId, original.id);
    await alice.client.forward([group.chatId], withBob.chatId, quiet.id);
    assert.equal(ids.length, 1);
    await waitFor(() => find(carol.client, group.chatId, (t) => t.startsWith('quiet')) !== undefined, { what: 'carol reads the forwards', timeoutMs: 30_000 });
    const got = find(carol.client, group.chatId, (t) => t === secret.text);
    assert.equal(got?.unencrypted, undefined, 'it came MLS-encrypted');
    assert.deepEqual([got?.entities, got?.preview, got?.senderUserId], [secret.entities, preview, alice.userId]);
    assert.deepEqual(got?.forwarded, { from: { userId: bob.userId, displayName: 'Bob' }, sentAt: original.sentAt });
    assert.deepEqual(find(carol.client, group.chatId, (t) => t.startsWith('quiet'))?.forwarded, { sentAt: quiet.sentAt }, 'no name where Bob asked');

    // Forwarded again, it still comes from Bob (not from Alice, who forwarded it first).
    const [again] = await carol.client.forward([group.chatId], group.chatId, got?.id ?? '');
    await waitFor(() => alice.client.timeline(group.chatId).some((i) => i.id === again), { what: 'alice reads the second forward', timeoutMs: 30_000 });
    assert.equal(alice.client.timeline(group.chatId).find((i) => i.id === again)?.forwarded?.from?.userId, bob.userId);
    await assert.rejects(alice.client.forward([group.chatId], withBob.chatId, 'nosuchmsg1'), (e: unknown) => e instanceof ParleyError && e.code === 'bad_request');

    await Promise.all([alice, bob, carol].map((u) => u.client.stop()));
    const everything = serverBytes(server.dataDir);
    assert.ok(leaks(everything, new TextEncoder().encode(group.chatId)), 'the scan finds what is there (chat ids)');
    for (const s of ['the vault code is', 'quiet words nobody', 'Vault manual', '"forwarded"']) {
      assert.ok(!leaks(everything, new TextEncoder().encode(s)), `plaintext found on the server: ${s}`);
    }
  });

  it('R202 a public channel\'s post forwarded as text or with its photo names the channel (sendText, sendFiles {forwarded}); the receiver gets both', async () => {
    await using server = await startTestServer();
    const [alice, bob] = await Promise.all(['Alice', 'Bob'].map((displayName) => createUser(server.url, { displayName })));
    if (!alice || !bob) throw new Error('users');
    const chat = await alice.client.openDirect(bob.userId);
    await waitFor(() => alice.client.chat(chat.chatId)?.encryption === 'on' && bob.client.chat(chat.chatId)?.encryption === 'on', { what: 'encryption on', timeoutMs: 30_000 });
    const forwarded = { channel: { name: 'City News' }, sentAt: 1_700_000_000_000 };
    await alice.client.sendText(chat.chatId, 'Roads closed.', { forwarded });
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    await alice.client.sendFiles(chat.chatId, [{ source: new Blob([png], { type: 'image/png' }), name: 'bridge.png', mime: 'image/png', size: png.length }], { text: 'The bridge.', forwarded });
    await waitFor(() => find(bob.client, chat.chatId, (t) => t === 'The bridge.')?.attachments?.length === 1, { what: 'bob reads both', timeoutMs: 30_000 });
    assert.deepEqual(find(bob.client, chat.chatId, (t) => t === 'Roads closed.')?.forwarded, forwarded);
    const photo = find(bob.client, chat.chatId, (t) => t === 'The bridge.');
    assert.deepEqual(photo?.forwarded, forwarded);
    assert.deepEqual([...new Uint8Array(await (await bob.client.downloadAttachment(photo!.attachments![0]!)).arrayBuffer())], [...png]);
    await Promise.all([alice, bob].map((u) => u.client.stop()));
  });

  it('pins reach every member; in a group a member may not pin and an admin who pinned loses the pin when demoted', async () => {
    await using server = await startTestServer();
    const [ann, ben, cat] = await Promise.all([1, 2, 3].map(() => createUser(server.url)));
    if (!ann || !ben || !cat) throw new Error('users');
    const group = await ann.client.createGroup({ name: 'Pins', memberIds: [ben.userId, cat.userId] });
    await waitFor(() => [ann, ben, cat].every((u) => u.client.chat(group.chatId)?.encryption === 'on'), { what: 'encryption on', timeoutMs: 30_000 });
    await ben.client.sendText(group.chatId, 'meeting at 6');
    await ben.client.sendText(group.chatId, 'bring snacks');
    await waitFor(() => [ann, cat].every((u) => find(u.client, group.chatId, (t) => t === 'bring snacks')), { what: 'fan-out', timeoutMs: 30_000 });
    const meeting = find(ann.client, group.chatId, (t) => t === 'meeting at 6');
    const snacks = find(ann.client, group.chatId, (t) => t === 'bring snacks');
    if (!meeting || !snacks) throw new Error('messages');

    assert.equal(ben.client.mayPin(group.chatId), false);
    await assert.rejects(ben.client.pin(group.chatId, meeting.id, true), (e: unknown) => e instanceof ParleyError && e.code === 'forbidden');
    await ann.client.pin(group.chatId, meeting.id, true);
    await waitFor(() => [ben, cat].every((u) => u.client.pinned(group.chatId)[0]?.id === meeting.id), { what: 'everyone sees the pin', timeoutMs: 30_000 });
    assert.ok(cat.client.timeline(group.chatId).some((i) => i.notice === 'pinned' && i.pinOf?.text === 'meeting at 6'));

    await ann.client.setRole(group.chatId, cat.userId, 'admin');
    await waitFor(() => cat.client.mayPin(group.chatId), { what: 'cat is an admin', timeoutMs: 30_000 });
    await cat.client.pin(group.chatId, snacks.id, true);
    await waitFor(() => ben.client.pinned(group.chatId).map((i) => i.id).join() === [snacks.id, meeting.id].join(), { what: 'ben sees both pins, latest first', timeoutMs: 30_000 });
    await ann.client.pin(group.chatId, meeting.id, false);
    await waitFor(() => ben.client.pinned(group.chatId).map((i) => i.id).join() === snacks.id, { what: 'ben sees the unpin', timeoutMs: 30_000 });
    // Receivers judge pins by the roles the chat summary gives now (R50).
    await ann.client.setRole(group.chatId, cat.userId, 'member');
    await waitFor(() => ben.client.pinned(group.chatId).length === 0, { what: 'the demoted admin\'s pin no longer counts', timeoutMs: 30_000 });
    await Promise.all([ann, ben, cat].map((u) => u.client.stop()));
  });
});
