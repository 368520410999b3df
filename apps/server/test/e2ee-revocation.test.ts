import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MlsCodec, type ParleyClient } from '@parley/client';
import { addDevice, createUser, newClient, startTestServer, waitFor, type TestServer, type TestUser } from '@parley/testing';

const texts = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system && !i.unreadable).map((i) => i.text);
const key = (u: TestUser) => `${u.userId}:${u.deviceId}`;

async function memberDevices(client: ParleyClient, chatId: string): Promise<string[]> {
  return (await client.encryptionMembers(chatId)).map((m) => `${m.userId}:${m.deviceId}`).sort();
}

describe('end-to-end encryption: a revoked device still in a group', () => {
  it('R22 a Welcome whose tree still holds a just-revoked device: the new member joins, removes that leaf and reads new messages', async (t) => {
    await using server = await startTestServer();
    const clients: ParleyClient[] = [];
    t.after(() => Promise.all(clients.map((c) => c.stop())));
    const [alice, bob, carol] = await Promise.all([1, 2, 3].map(() => createUser(server.url)));
    if (!alice || !bob || !carol) throw new Error('users');
    const alice2 = await addDevice(alice);
    clients.push(alice.client, alice2.client, bob.client, carol.client);
    const { chatId } = await alice.client.createGroup({ name: 'a phone goes missing', memberIds: [bob.userId] });
    await waitFor(() => [alice, alice2, bob].every((d) => d.client.chat(chatId)?.encryption === 'on'), { what: 'the group formed', timeoutMs: 30_000 });

    // Carol's device has key packages on the server and is offline: it reads its Welcome later.
    await waitFor(async () => (await carol.client.keyPackageCount()).available > 0, { what: "carol's key packages" });
    await carol.client.stop();
    // A2 is offline too, so Alice's first device or Bob's adds Carol, not the device about to be revoked.
    await alice2.client.stop();
    await alice.client.addMember(chatId, carol.userId);
    await waitFor(async () => (await memberDevices(bob.client, chatId)).includes(key(carol)), { what: 'carol added to the group', timeoutMs: 30_000 });
    assert.ok((await memberDevices(bob.client, chatId)).includes(key(alice2)), 'the tree Carol gets holds A2');

    // Everyone goes offline, so nobody commits A2's removal, and Alice revokes A2.
    await Promise.all([alice.client.stop(), bob.client.stop()]);
    await alice.client.revokeDevice(alice2.deviceId);

    const carolBack = newClient(server.url, carol.userId, carol.deviceId, carol.deviceKey, carol.store);
    clients.push(carolBack);
    await carolBack.start();
    await waitFor(() => carolBack.chat(chatId)?.encryption === 'on', { what: 'carol joined from a Welcome whose tree holds a revoked device', timeoutMs: 20_000 });
    // With the others offline, her own reconcile removes the revoked leaf.
    await waitFor(async () => !(await memberDevices(carolBack, chatId)).includes(key(alice2)), { what: 'carol removed the revoked leaf', timeoutMs: 20_000 });
    assert.deepEqual(await memberDevices(carolBack, chatId), [key(alice), key(bob), key(carol)].sort());

    // Alice and Bob come back, apply Carol's removal, and the three talk.
    const aliceBack = newClient(server.url, alice.userId, alice.deviceId, alice.deviceKey, alice.store);
    const bobBack = newClient(server.url, bob.userId, bob.deviceId, bob.deviceKey, bob.store);
    clients.push(aliceBack, bobBack);
    await Promise.all([aliceBack.start(), bobBack.start()]);
    await waitFor(async () => JSON.stringify(await memberDevices(aliceBack, chatId)) === JSON.stringify(await memberDevices(carolBack, chatId)), { what: 'alice applied the removal', timeoutMs: 20_000 });
    await aliceBack.sendText(chatId, 'welcome, Carol');
    await carolBack.sendText(chatId, 'hi both');
    await waitFor(() => texts(carolBack, chatId).includes('welcome, Carol'), { what: 'carol reads alice', timeoutMs: 20_000 });
    await waitFor(() => texts(aliceBack, chatId).includes('hi both') && texts(bobBack, chatId).includes('hi both') && texts(bobBack, chatId).includes('welcome, Carol'), { what: 'alice and bob read carol', timeoutMs: 20_000 });
  });

  it('R22 what a revoked device sent before its revocation reads; what a server relays from it after is shown as failed its check', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-revoked-'));
    const first = await startTestServer({}, { dataDir });
    let server: TestServer | undefined = first;
    const clients: ParleyClient[] = [];
    t.after(async () => {
      await Promise.all(clients.map((c) => c.stop()));
      await server?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const [alice, bob] = await Promise.all([1, 2].map(() => createUser(first.url)));
    if (!alice || !bob) throw new Error('users');
    const alice2 = await addDevice(alice);
    clients.push(alice.client, alice2.client, bob.client);
    const { chatId } = await alice.client.openDirect(bob.userId);
    await waitFor(() => [alice, alice2, bob].every((d) => d.client.chat(chatId)?.encryption === 'on'), { what: 'the group formed', timeoutMs: 30_000 });

    // Bob is offline while A2 writes, and while A2 is revoked: he reads both later.
    await bob.client.stop();
    const before = await alice2.client.sendText(chatId, 'sent before the revocation');
    await waitFor(() => alice2.client.outbox().length === 0, { what: 'acked' });
    await Promise.all([alice.client.stop(), alice2.client.stop()]); // nobody commits A2's removal yet
    await alice.client.revokeDevice(alice2.deviceId);

    // Whoever holds A2 now still has its group state; a server that works with them relays what it writes.
    const keeper = alice2.client.keyPackages;
    assert.ok(keeper);
    const stolen = new MlsCodec({ userId: alice.userId, deviceId: alice2.deviceId, store: alice2.store, keys: keeper });
    const envelope = await stolen.encode(chatId, { kind: 'text', text: 'sent after the revocation' }, { prev: before });
    await first.close();
    server = undefined;
    const db = new Database(join(dataDir, 'parley.sqlite'));
    const { last } = db.prepare('SELECT last_seq AS last FROM chats WHERE chat_id = ?').get(chatId) as { last: number };
    db.prepare('INSERT INTO messages (chat_id, seq, client_msg_id, sender_user_id, sender_device_id, sent_at, content_type, payload, system) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(chatId, last + 1, 'after_revocation_1', alice.userId, alice2.deviceId, Date.now(), envelope.contentType, Buffer.from(envelope.payload, 'base64'), null);
    db.prepare('UPDATE chats SET last_seq = ? WHERE chat_id = ?').run(last + 1, chatId);
    db.close();

    const second = await startTestServer({}, { dataDir });
    server = second;
    const bobBack = newClient(second.url, bob.userId, bob.deviceId, bob.deviceKey, bob.store);
    clients.push(bobBack);
    await bobBack.start();
    await waitFor(() => bobBack.log(chatId).some((m) => m.seq === last + 1), { what: 'bob caught up' });
    const items = bobBack.timeline(chatId).filter((i) => !i.system && i.senderUserId === alice.userId);
    assert.deepEqual(items.map((i) => (i.unreadable ? `unreadable:${i.unreadableReason}` : i.text)), ['sent before the revocation', 'unreadable:tampered']);
    // And Bob's device removes the revoked leaf.
    await waitFor(async () => !(await memberDevices(bobBack, chatId)).includes(key(alice2)), { what: 'bob removed the revoked leaf', timeoutMs: 20_000 });
  });
});
