import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KeyLogAlert, ParleyClient, StoredMessage } from '@parley/client';
import { rewriteKeyLogEntry, addDevice, createUser, startTestServer, waitFor, type ClientTweaks, type TestUser } from '@parley/testing';

/**
 * Members of a chat compare the key-log heads they verified (docs/PROTOCOL.md R33), through a real
 * server: a server that shows two members different histories of a third member's log is caught.
 */

/** Short R33 timers, so a test sees what a person's devices do over minutes. */
const FAST: ClientTweaks = { mls: { enabled: true, keyLogHeads: { settleMs: 100, rankDelayMs: 300, minIntervalMs: 1000, graceMs: 3000 } } };

const key = (u: TestUser) => `${u.userId}:${u.deviceId}`;

async function memberDevices(client: ParleyClient, chatId: string): Promise<string[]> {
  return (await client.encryptionMembers(chatId)).map((m) => `${m.userId}:${m.deviceId}`).sort();
}

/** Collects a client's keyLogAlert events. */
function alertsOf(client: ParleyClient): KeyLogAlert[] {
  const seen: KeyLogAlert[] = [];
  client.on('keyLogAlert', (a) => seen.push(a));
  return seen;
}

/** The key_log_heads messages a device holds for a chat (its own included), in log order. */
function headsMessages(client: ParleyClient, chatId: string): StoredMessage[] {
  return (client.log(chatId) as readonly StoredMessage[]).filter((m) => m.decoded?.kind === 'content' && m.decoded.content.kind === 'key_log_heads');
}

describe('end-to-end encryption: members compare key-log heads (R33)', () => {
  it('R33 a server that shows two members different histories of a third member\'s log: both raise key_log_split for it after they exchange heads in the chat', async (t) => {
    await using server = await startTestServer();
    const clients: ParleyClient[] = [];
    t.after(() => Promise.all(clients.map((c) => c.stop())));
    const [bob, dave] = await Promise.all([1, 2].map(() => createUser(server.url, { client: FAST })));
    // Carol's device has not looked at Dave's log yet: it will first see it after the rewrite.
    const carol = await createUser(server.url, { client: FAST, start: false });
    if (!bob || !dave) throw new Error('users');
    const dave2 = await addDevice(dave, { client: FAST });
    clients.push(bob.client, dave.client, dave2.client, carol.client);
    const bobAlerts = alertsOf(bob.client);
    const carolAlerts = alertsOf(carol.client);

    const { chatId } = await bob.client.createGroup({ name: 'three of us', memberIds: [dave.userId] });
    await waitFor(() => [bob, dave, dave2].every((d) => d.client.chat(chatId)?.encryption === 'on'), { what: 'the group formed', timeoutMs: 30_000 });
    // Dave's second device goes: his log is add, add, revoke; Bob's device verifies all three.
    await dave2.client.stop();
    await dave.client.revokeDevice(dave2.deviceId);
    await waitFor(async () => !(await memberDevices(bob.client, chatId)).includes(key(dave2)), { what: 'the revoked device left the group', timeoutMs: 30_000 });
    const bobView = await bob.client.keys.log(dave.userId, 0);
    assert.deepEqual(bobView.map((e) => e.kind), ['add', 'add', 'revoke']);

    // From now on the server shows everyone else entry 3 as a ghost key of Dave's instead.
    rewriteKeyLogEntry(server.dataDir, dave.userId, 3, 'dev_ghost_of_dave');
    await carol.client.start();
    await bob.client.addMember(chatId, carol.userId);
    await waitFor(() => carol.client.chat(chatId)?.encryption === 'on', { what: 'carol joined the group', timeoutMs: 30_000 });
    const carolView = await carol.client.keys.verified(dave.userId);
    assert.equal(carolView.length, 3, 'Carol verified the rewritten log: on its own it is consistent');
    assert.notEqual(carolView[2]?.hash, bobView[2]?.hash);
    assert.ok((await carol.client.keys.devices(dave.userId)).some((d) => d.deviceId === 'dev_ghost_of_dave'), 'Carol\'s device would trust the ghost key');

    // Raised once per (user, index): Carol's names whichever honest device told her first, Bob's or Dave's own
    // (Bob tells first by rank, but a loaded machine can let Dave's come first).
    const split = (alerts: readonly KeyLogAlert[], senders: readonly string[]) => alerts.find((a) => a.kind === 'key_log_split' && a.userId === dave.userId && senders.includes(a.senderUserId));
    await waitFor(() => split(bobAlerts, [carol.userId]) !== undefined && split(carolAlerts, [bob.userId, dave.userId]) !== undefined, { what: 'bob and carol find the split view', timeoutMs: 30_000 });
    const bobAlert = split(bobAlerts, [carol.userId]);
    assert.ok(bobAlert?.kind === 'key_log_split');
    assert.deepEqual([bobAlert.reason, bobAlert.index, bobAlert.chatId, bobAlert.userName, bobAlert.senderName], ['hash_differs', 3, chatId, dave.displayName, carol.displayName]);
    const carolAlert = split(carolAlerts, [bob.userId, dave.userId]);
    assert.ok(carolAlert?.kind === 'key_log_split');
    const carolHeard = carolAlert.senderUserId === bob.userId ? bob.displayName : dave.displayName;
    assert.deepEqual([carolAlert.reason, carolAlert.index, carolAlert.chatId, carolAlert.userName, carolAlert.senderName], ['hash_differs', 3, chatId, dave.displayName, carolHeard]);
    assert.equal(carolAlerts.filter((a) => a.kind === 'key_log_split' && a.userId === dave.userId).length, 1, 'once, whoever told first');
    assert.ok(bob.client.keyLogAlerts().some((a) => a.kind === 'key_log_split'), 'listed until dismissed');
    assert.ok(carol.client.keyLogAlerts().some((a) => a.kind === 'key_log_split'));
    // Dave's own device sees Carol's view of its log differ from its own, too.
    await waitFor(() => dave.client.keyLogAlerts().some((a) => a.kind === 'key_log_split' && a.userId === dave.userId && a.senderUserId === carol.userId), { what: 'dave finds it too', timeoutMs: 30_000 });

    // Once per (user, index): more heads later raise nothing new.
    const raised = bobAlerts.filter((a) => a.kind === 'key_log_split').length;
    await carol.client.sendText(chatId, 'hello');
    await waitFor(() => bob.client.timeline(chatId).some((i) => i.text === 'hello'), { what: 'bob reads carol', timeoutMs: 20_000 });
    assert.equal(bobAlerts.filter((a) => a.kind === 'key_log_split').length, raised);
    // The heads messages are in the log, never in the timeline.
    assert.ok(headsMessages(bob.client, chatId).length > 0);
    const shown = bob.client.timeline(chatId).filter((i) => !i.system);
    assert.deepEqual(shown.map((i) => i.text), ['hello']);
  });

  it('R33 honest operation: members and devices added and revoked, heads exchanged after each change, no key_log_split anywhere, and few heads messages', async (t) => {
    await using server = await startTestServer();
    const clients: ParleyClient[] = [];
    t.after(() => Promise.all(clients.map((c) => c.stop())));
    const [alice, bob, carol] = await Promise.all([1, 2, 3].map(() => createUser(server.url, { client: FAST })));
    if (!alice || !bob || !carol) throw new Error('users');
    clients.push(alice.client, bob.client, carol.client);
    const all = [alice, bob, carol];
    const { chatId } = await alice.client.createGroup({ name: 'honest', memberIds: [bob.userId] });
    await waitFor(() => [alice, bob].every((d) => d.client.chat(chatId)?.encryption === 'on'), { what: 'the group formed', timeoutMs: 30_000 });

    // A device added, a member added, the device revoked.
    const bob2 = await addDevice(bob, { client: FAST });
    clients.push(bob2.client);
    all.push(bob2);
    await waitFor(() => bob2.client.chat(chatId)?.encryption === 'on', { what: "bob's new device joined", timeoutMs: 30_000 });
    await alice.client.addMember(chatId, carol.userId);
    await waitFor(() => carol.client.chat(chatId)?.encryption === 'on', { what: 'carol joined', timeoutMs: 30_000 });
    await bob2.client.stop();
    await bob.client.revokeDevice(bob2.deviceId);
    await waitFor(async () => !(await memberDevices(alice.client, chatId)).includes(key(bob2)), { what: 'the revoked device left the group', timeoutMs: 30_000 });

    // Bob's newest head (add, add, revoke) is said in the chat, and every device there has it (said or heard).
    const bobHead = async () => (await alice.client.keys.log(bob.userId, 0)).at(-1);
    const said = (d: TestUser) => headsMessages(d.client, chatId).filter((m) => {
      const c = m.decoded?.kind === 'content' ? m.decoded.content : undefined;
      return c?.kind === 'key_log_heads' && c.heads.some((h) => h.userId === bob.userId && h.index === 3);
    });
    await waitFor(async () => (await bobHead())?.index === 3, { what: 'the revocation logged' });
    await waitFor(() => [alice, bob, carol].every((d) => said(d).length > 0), { what: "bob's head 3 said in the chat", timeoutMs: 30_000 });
    assert.ok([alice, bob, carol].some((d) => said(d).some((m) => m.senderDeviceId !== d.deviceId)), 'heard from another device');
    // The heads said agree with every device's own view; after the grace period, nothing was raised.
    await new Promise((r) => setTimeout(r, 4000));
    for (const d of all) assert.deepEqual(d.client.keyLogAlerts().filter((a) => a.kind === 'key_log_split'), [], `${d.handle}'s device`);
    for (const d of [alice, carol]) assert.deepEqual(d.client.keyLogAlerts(), [], `${d.handle}'s device raised nothing at all`);
    const count = headsMessages(alice.client, chatId).length;
    // Four changes (the group formed, a device joined, a member joined, a device left): about one telling each, not one per device.
    assert.ok(count <= 10, `${count} key_log_heads messages`);
  });
});
