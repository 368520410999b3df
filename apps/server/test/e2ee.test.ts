import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import WebSocket from 'ws';
import { accounts, generateDeviceKey, MemoryStore, MlsIdentity, ParleyClient, type WebSocketCtor } from '@parley/client';
import { createUser, newClient, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { leaks, serverBytes } from './server-bytes.ts';

/** A second device of an existing user, signed in with the recovery code (it gets a new code). */
async function secondDevice(user: TestUser): Promise<{ client: ParleyClient; deviceId: string; store: MemoryStore }> {
  const deviceKey = await generateDeviceKey();
  const added = await accounts.recover(user.baseUrl, { handle: user.handle, recoveryCode: user.recoveryCode, device: { name: 'second', publicKey: deviceKey.publicKey } });
  user.recoveryCode = added.recoveryCode ?? user.recoveryCode;
  const store = new MemoryStore();
  const client = new ParleyClient({
    baseUrl: user.baseUrl, session: { userId: user.userId, deviceId: added.deviceId }, deviceKey, store,
    WebSocket: WebSocket as unknown as WebSocketCtor, backoff: { minMs: 50, maxMs: 1000 },
  });
  await client.start();
  await waitFor(() => client.connectionState === 'online', { what: 'second device online' });
  return { client, deviceId: added.deviceId, store };
}

const texts = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system && !i.unreadable).map((i) => i.text);

describe('end-to-end encryption (MLS)', () => {
  it('two users and three devices chat encrypted; a 5-member group adds, removes, edits, reacts, revokes; the server holds no plaintext or key', async () => {
    const log: Buffer[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write(chunk: Buffer, _e, cb) { log.push(Buffer.from(chunk)); cb(); } }));
    await using server = await startTestServer({ PARLEY_LOG_LEVEL: 'debug' }, { logger });
    const [alice, bob, carol, dave, erin] = await Promise.all([1, 2, 3, 4, 5].map(() => createUser(server.url)));
    if (!alice || !bob || !carol || !dave || !erin) throw new Error('users');
    const alice2 = await secondDevice(alice);
    const secrets: string[] = [];
    const say = (s: string) => (secrets.push(s), s);

    // A direct chat: both of Alice's devices and Bob's device are in its group.
    const direct = await alice.client.openDirect(bob.userId);
    await alice.client.sendText(direct.chatId, say('the spare key is under the blue flowerpot'));
    await waitFor(() => texts(bob.client, direct.chatId).includes('the spare key is under the blue flowerpot'), { what: 'bob reads' });
    await waitFor(() => texts(alice2.client, direct.chatId).includes('the spare key is under the blue flowerpot'), { what: "alice's second device reads" });
    assert.equal(bob.client.chat(direct.chatId)?.encryption, 'on');
    await bob.client.sendText(direct.chatId, say('thanks, picking it up at seven'));
    await waitFor(() => texts(alice.client, direct.chatId).includes('thanks, picking it up at seven') && texts(alice2.client, direct.chatId).includes('thanks, picking it up at seven'), { what: 'alice reads on both' });
    const first = alice.client.timeline(direct.chatId).find((i) => i.text.startsWith('the spare key'));
    assert.ok(first);
    await alice.client.edit(direct.chatId, first.id, say('the key is with the concierge now'));
    await bob.client.react(direct.chatId, first.id, '👍', true);
    await waitFor(() => bob.client.timeline(direct.chatId).some((i) => i.text === 'the key is with the concierge now' && i.edited), { what: 'edit seen' });
    await waitFor(() => alice2.client.timeline(direct.chatId).some((i) => i.reactions.some((r) => r.emoji === '👍')), { what: 'reaction seen' });

    // A group of five.
    const group = await alice.client.createGroup({ name: say('Flat 12 surprise party'), memberIds: [bob.userId, carol.userId, dave.userId] });
    await waitFor(() => [bob, carol, dave].every((u) => u.client.chat(group.chatId)?.encryption === 'on'), { what: 'members joined the group', timeoutMs: 30_000 });
    await carol.client.sendText(group.chatId, say('I will bring the cake with marzipan roses'));
    await waitFor(() => [alice.client, alice2.client, bob.client, dave.client].every((c) => texts(c, group.chatId).includes('I will bring the cake with marzipan roses')), { what: 'group fan-out' });

    await alice.client.addMember(group.chatId, erin.userId);
    await waitFor(() => erin.client.chat(group.chatId)?.encryption === 'on', { what: 'erin joined', timeoutMs: 30_000 });
    // The group's name is end-to-end encrypted; the device that added Erin named the group again for her.
    await waitFor(() => erin.client.chat(group.chatId)?.title === 'Flat 12 surprise party', { what: 'erin sees the group name' });
    assert.equal((await erin.client.getChat(group.chatId)).name, '', 'the server has no group name');
    // A new member can't read what was sent before she joined; she reads what comes after.
    assert.ok(!texts(erin.client, group.chatId).includes('I will bring the cake with marzipan roses'));
    await dave.client.sendText(group.chatId, say('balloons are in my car trunk'));
    await waitFor(() => texts(erin.client, group.chatId).includes('balloons are in my car trunk'), { what: 'erin reads new' });

    // Dave is removed: he can't read what is sent after.
    await alice.client.removeMember(group.chatId, dave.userId);
    await waitFor(async () => !(await memberDevices(alice.client, group.chatId)).some((m) => m.startsWith(dave.userId)), { what: 'dave out of the group', timeoutMs: 30_000 });
    await bob.client.sendText(group.chatId, say('party moved to Saturday at eight'));
    await waitFor(() => texts(erin.client, group.chatId).includes('party moved to Saturday at eight'), { what: 'erin reads' });
    assert.ok(!texts(dave.client, group.chatId).includes('party moved to Saturday at eight'));

    // Alice revokes her second device: it is removed from every group and reads nothing sent after.
    await alice.client.revokeDevice(alice2.deviceId);
    await waitFor(async () => !(await memberDevices(bob.client, direct.chatId)).includes(`${alice.userId}:${alice2.deviceId}`), { what: 'revoked device removed', timeoutMs: 30_000 });
    await bob.client.sendText(direct.chatId, say('new door code is 4711'));
    await waitFor(() => texts(alice.client, direct.chatId).includes('new door code is 4711'), { what: 'alice reads' });
    assert.ok(!texts(alice2.client, direct.chatId).includes('new door code is 4711'));

    // What the server holds: no plaintext from the scenario, no device's MLS private key.
    const keys: Uint8Array[] = [];
    for (const store of [alice.store, bob.store, carol.store, alice2.store]) {
      const bytes = await store.getMlsIdentity();
      assert.ok(bytes, 'identity stored');
      keys.push(MlsIdentity.fromBytes(bytes).signaturePrivateKey);
    }
    await Promise.all([alice, bob, carol, dave, erin].map((u) => u.client.stop()));
    await alice2.client.stop();
    const everything = serverBytes(server.dataDir, log);
    assert.ok(everything.length > 10_000, 'the scan saw the database');
    assert.ok(leaks(everything, new TextEncoder().encode(group.chatId)), 'the scan finds what is there (chat ids)');
    for (const s of secrets) assert.ok(!leaks(everything, new TextEncoder().encode(s)), `plaintext found on the server: ${s}`);
    for (const k of keys) assert.ok(!leaks(everything, k), 'a private key found on the server');
  });

  it('a new device of a user gets the history of its chats from an existing device, end-to-end encrypted', async () => {
    await using server = await startTestServer();
    const [alice, bob] = await Promise.all([1, 2].map(() => createUser(server.url)));
    if (!alice || !bob) throw new Error('users');
    const direct = await alice.client.openDirect(bob.userId);
    await alice.client.sendText(direct.chatId, 'before the new phone: meet at the bakery');
    await waitFor(() => texts(bob.client, direct.chatId).length === 1, { what: 'bob reads' });
    await bob.client.sendText(direct.chatId, 'sure, 10 am', { entities: [{ type: 'bold', offset: 6, length: 5 }] });
    await waitFor(() => texts(alice.client, direct.chatId).includes('sure, 10 am'), { what: 'alice reads' });
    const first = alice.client.timeline(direct.chatId).find((i) => i.text.startsWith('before the new phone'));
    assert.ok(first);
    // R47: the edit's formatting travels with it, and with the history.
    await alice.client.edit(direct.chatId, first.id, 'before the new phone: meet at the bakery on Main St', { entities: [{ type: 'italic', offset: 41, length: 7 }] });
    await waitFor(() => texts(bob.client, direct.chatId).includes('before the new phone: meet at the bakery on Main St'), { what: 'edit' });

    const phone = await secondDevice(alice);
    await waitFor(() => phone.client.chat(direct.chatId)?.encryption === 'on', { what: 'the new device is in the group', timeoutMs: 30_000 });
    await waitFor(() => texts(phone.client, direct.chatId).includes('sure, 10 am'), { what: 'history reached the new device', timeoutMs: 30_000 });
    assert.deepEqual(texts(phone.client, direct.chatId), ['before the new phone: meet at the bakery on Main St', 'sure, 10 am']);
    assert.deepEqual(phone.client.timeline(direct.chatId).filter((i) => !i.system).map((i) => i.entities),
      [[{ type: 'italic', offset: 41, length: 7 }], [{ type: 'bold', offset: 6, length: 5 }]], 'formatting kept through history');
    assert.ok(phone.client.timeline(direct.chatId).find((i) => i.text === 'sure, 10 am')?.senderUserId === bob.userId);
    // Bob's device, not Alice's, got no history message: it only ever sees ciphertext in Alice's note-to-self chat.
    assert.ok(!bob.client.chats().some((c) => c.members.length === 1));
    // And the new device reads what comes next, like any member.
    await bob.client.sendText(direct.chatId, 'see you there');
    await waitFor(() => texts(phone.client, direct.chatId).includes('see you there'), { what: 'new message' });
    await Promise.all([alice.client.stop(), bob.client.stop(), phone.client.stop()]);
  });

  it('a history share cut off by a restart (the new device not yet in the note-to-self group) is resumed when the device is back', async () => {
    await using server = await startTestServer();
    // Alice's laptop can't commit in her note-to-self chat, so the share waits for the new phone to join it.
    const blocked = new Set<string>();
    class NoSelfCommits extends WebSocket {
      override send(data: string): void {
        const frame = JSON.parse(data) as { type?: string; chatId?: string };
        if (frame.type !== 'commit' || !blocked.has(frame.chatId ?? '')) super.send(data);
      }
    }
    const alice = await createUser(server.url, { client: { WebSocket: NoSelfCommits as unknown as WebSocketCtor } });
    const bob = await createUser(server.url);
    const self = await alice.client.openDirect(alice.userId);
    await waitFor(() => alice.client.chat(self.chatId)?.encryption === 'on', { what: 'note-to-self group' });
    blocked.add(self.chatId);
    const direct = await alice.client.openDirect(bob.userId);
    await alice.client.sendText(direct.chatId, 'said before the phone: the code is 1234');
    await waitFor(() => texts(bob.client, direct.chatId).length === 1, { what: 'bob reads' });

    const phone = await secondDevice(alice);
    await waitFor(async () => (await memberDevices(alice.client, direct.chatId)).includes(`${alice.userId}:${phone.deviceId}`), { what: 'the phone is in the chat group', timeoutMs: 30_000 });
    const owed = async () => JSON.parse((await alice.store.getMeta('history-share-owed')) ?? '[]') as { chatId: string; deviceId: string }[];
    await waitFor(async () => (await owed()).some((o) => o.chatId === direct.chatId && o.deviceId === phone.deviceId), { what: 'the share is owed' });
    await alice.client.stop(); // the laptop goes away mid-share
    assert.ok(!texts(phone.client, direct.chatId).includes('said before the phone: the code is 1234'));

    const laptop = newClient(server.url, alice.userId, alice.deviceId, alice.deviceKey, alice.store);
    await laptop.start();
    await waitFor(() => texts(phone.client, direct.chatId).includes('said before the phone: the code is 1234'), { what: 'history reached the phone after the restart', timeoutMs: 30_000 });
    await waitFor(async () => (await owed()).length === 0, { what: 'nothing owed any more' });
    await Promise.all([laptop.stop(), bob.client.stop(), phone.client.stop()]);
  });

  it('a device rotates its leaf key (an update commit) when it is older than mls.rotateAfterMs; the chat goes on', async () => {
    await using server = await startTestServer();
    const bob = await createUser(server.url);
    const deviceKey = await generateDeviceKey();
    const handle = `rot_${Date.now().toString(36)}`;
    const created = await accounts.createWithDeviceKey(server.url, { handle, displayName: 'Rotating Alice', deviceName: 'laptop', deviceKey });
    const alice = new ParleyClient({
      baseUrl: server.url, session: { userId: created.userId, deviceId: created.deviceId }, deviceKey, store: new MemoryStore(),
      WebSocket: WebSocket as unknown as WebSocketCtor, backoff: { minMs: 50, maxMs: 1000 }, mls: { enabled: true, rotateAfterMs: 300 },
    });
    await alice.start();
    await waitFor(() => alice.connectionState === 'online', { what: 'alice online' });
    const { chatId } = await alice.openDirect(bob.userId);
    await alice.sendText(chatId, 'before rotation');
    await waitFor(() => texts(bob.client, chatId).includes('before rotation'), { what: 'bob reads' });
    const epochOf = async () => (await bob.client.getChat(chatId)).mlsEpoch;
    const before = await epochOf();
    await new Promise((r) => setTimeout(r, 400));
    alice.checkEncryption(chatId); // the leaf key is older than 300 ms now
    await waitFor(async () => (await epochOf()) > before, { what: 'an update commit', timeoutMs: 20_000 });
    assert.deepEqual((await alice.encryptionMembers(chatId)).map((m) => m.userId).sort(), [created.userId, bob.userId].sort(), 'same members');
    await alice.sendText(chatId, 'after rotation');
    await bob.client.sendText(chatId, 'still reading you');
    await waitFor(() => texts(bob.client, chatId).includes('after rotation') && texts(alice, chatId).includes('still reading you'), { what: 'both read after' });
    await Promise.all([alice.stop(), bob.client.stop()]);
  });

  it('R29 a device that lost its group state waits, asks the members to add it again, and reads new messages', async () => {
    await using server = await startTestServer();
    const [alice, bob] = await Promise.all([1, 2].map(() => createUser(server.url)));
    if (!alice || !bob) throw new Error('users');
    const { chatId } = await alice.client.openDirect(bob.userId);
    await alice.client.sendText(chatId, 'first');
    await waitFor(() => texts(bob.client, chatId).includes('first'), { what: 'bob reads' });

    // Bob's device loses its MLS state for the chat (think: a restored backup of an old profile).
    await bob.client.stop();
    await bob.store.deleteMlsGroup(chatId);
    const restarted = newClient(server.url, bob.userId, bob.deviceId, bob.deviceKey, bob.store);
    await restarted.start();
    await waitFor(() => restarted.connectionState === 'online', { what: 'bob back' });
    await waitFor(() => restarted.chat(chatId)?.encryption === 'waiting', { what: 'bob sees he is waiting' });
    // Nobody's group changed, so only the device's own request brings it back.
    await waitFor(() => restarted.chat(chatId)?.encryption === 'on', { what: 'bob added again', timeoutMs: 45_000 });
    assert.ok(texts(restarted, chatId).includes('first'), 'what it had read stays');
    await alice.client.sendText(chatId, 'after the re-add');
    await waitFor(() => texts(restarted, chatId).includes('after the re-add'), { what: 'bob reads again' });
    await restarted.sendText(chatId, 'and I can write');
    await waitFor(() => texts(alice.client, chatId).includes('and I can write'), { what: 'alice reads bob' });
    await Promise.all([alice.client.stop(), restarted.stop()]);
  });

  it('R29 a device whose first key packages reach the server while it waits outside a group asks at once to be added: its message does not wait for the members\' back-off', { timeout: 120_000 }, async () => {
    await using server = await startTestServer();
    const [alice, carol] = await Promise.all([1, 2].map(() => createUser(server.url)));
    if (!alice || !carol) throw new Error('users');
    const ben = await createUser(server.url, { start: false });
    const { storage, chats } = server.services;
    // Ben's phone is slow to make its key packages: the server takes his first ones only when the test says.
    let release = () => {};
    const released = new Promise<void>((resolve) => { release = resolve; });
    const addKeyPackages = storage.addKeyPackages.bind(storage);
    storage.addKeyPackages = async (upload) => {
      if (upload.deviceId === ben.deviceId) await released;
      return addKeyPackages(upload);
    };
    let uploaded = false;
    const asks = { before: 0, after: 0 };
    const requestRejoin = chats.requestRejoin.bind(chats);
    chats.requestRejoin = async (caller, chatId) => {
      if (caller.deviceId === ben.deviceId) asks[uploaded ? 'after' : 'before'] += 1;
      return requestRejoin(caller, chatId);
    };
    const { chatId } = await alice.client.createGroup({ name: 'stairwell B', memberIds: [ben.userId, carol.userId] });
    await waitFor(() => [alice, carol].every((u) => u.client.chat(chatId)?.encryption === 'on'), { what: 'the group formed without Ben', timeoutMs: 30_000 });
    await ben.client.start();
    await waitFor(() => ben.client.chat(chatId)?.encryption === 'waiting', { what: 'ben waits outside the group', timeoutMs: 30_000 });
    await ben.client.sendText(chatId, 'hello from the new phone');
    // Outside for 10 s, he asks (R29); the members' devices find no key package of his and back off.
    await waitFor(() => asks.before > 0, { what: 'ben asked to be added', timeoutMs: 30_000 });
    uploaded = true;
    release();
    // His key packages are there now: he asks again at once, rather than 30 s after his first ask; the
    // members' devices would otherwise add him only at their next try (up to 30 s after their last).
    await waitFor(() => texts(alice.client, chatId).includes('hello from the new phone'), { what: 'alice reads ben', timeoutMs: 45_000 });
    assert.ok(asks.after > 0, 'ben asked to be added once his key packages were on the server');
    await waitFor(() => texts(carol.client, chatId).includes('hello from the new phone'), { what: 'carol reads ben' });
    await Promise.all([alice, ben, carol].map((u) => u.client.stop()));
  });

  it('R30 a server that alters, drops, reorders or replays ciphertexts is caught and shown, never believed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-mitm-'));
    try {
      let server = await startTestServer({}, { dataDir });
      const [alice, bob] = await Promise.all([1, 2].map(() => createUser(server.url)));
      if (!alice || !bob) throw new Error('users');
      const { chatId } = await alice.client.openDirect(bob.userId);
      await alice.client.sendText(chatId, 'one');
      await waitFor(() => texts(bob.client, chatId).includes('one'), { what: 'bob reads one' });
      await bob.client.stop();
      for (const t of ['two', 'three', 'four', 'five']) await alice.client.sendText(chatId, t);
      await waitFor(() => alice.client.outbox().length === 0, { what: 'acked' });
      const seqOf = (t: string) => alice.client.timeline(chatId).find((i) => i.text === t)?.seq ?? 0;
      const [two, three, five] = [seqOf('two'), seqOf('three'), seqOf('five')];
      await alice.client.stop();
      await server.close();

      // The server turns bad: it flips a byte of "two", drops "three" (renumbering what follows, so the
      // log has no gap) and appends a replay of the last ciphertext as a new message.
      const db = new Database(join(dataDir, 'parley.sqlite'));
      const row = (seq: number) => db.prepare('SELECT * FROM messages WHERE chat_id = ? AND seq = ?').get(chatId, seq) as Record<string, unknown>;
      const altered = Buffer.from(row(two)['payload'] as Buffer);
      const at = altered.length - 20;
      altered[at] = (altered[at] ?? 0) ^ 0x01;
      db.prepare('UPDATE messages SET payload = ? WHERE chat_id = ? AND seq = ?').run(altered, chatId, two);
      db.prepare('DELETE FROM messages WHERE chat_id = ? AND seq = ?').run(chatId, three);
      for (let seq = three + 1; seq <= five; seq++) db.prepare('UPDATE messages SET seq = ? WHERE chat_id = ? AND seq = ?').run(seq - 1, chatId, seq);
      const last = row(five - 1);
      db.prepare('INSERT INTO messages (chat_id, seq, client_msg_id, sender_user_id, sender_device_id, sent_at, content_type, payload, system) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(chatId, five, 'replayed_copy_1', last['sender_user_id'], last['sender_device_id'], Number(last['sent_at']) + 1, last['content_type'], last['payload'], null);
      db.prepare('UPDATE chats SET last_seq = ? WHERE chat_id = ?').run(five, chatId);
      db.close();

      server = await startTestServer({}, { dataDir });
      const back = newClient(server.url, bob.userId, bob.deviceId, bob.deviceKey, bob.store);
      await back.start();
      await waitFor(() => back.log(chatId).at(-1)?.seq === five, { what: 'bob caught up' });
      const items = back.timeline(chatId).filter((i) => !i.system);
      const show = items.map((i) => (i.unreadable ? `unreadable:${i.unreadableReason}` : `${i.text}${i.missingBefore ? ' (missing before)' : ''}`));
      assert.deepEqual(show, ['one', 'unreadable:tampered', 'four (missing before)', 'five', 'unreadable:tampered']);
      await back.stop();
      await server.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

async function memberDevices(client: ParleyClient, chatId: string): Promise<string[]> {
  return (await client.encryptionMembers(chatId)).map((m) => `${m.userId}:${m.deviceId}`);
}
