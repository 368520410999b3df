import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '@parley/protocol';
import { MLS_COMMIT_CONTENT_TYPE, MlsCodec, type ParleyClient, type StoredMessage, type WebSocketCtor } from '@parley/client';
import { addDevice, createUser, newClient, startTestServer, tappedWebSocket, waitFor, type ClientTweaks, type TestServer, type TestUser } from '@parley/testing';

const key = (u: { userId: string; deviceId: string }) => `${u.userId}:${u.deviceId}`;
/** Bob waits this long per rank before he reconciles: far longer than a held message may take. */
const RANK_DELAY_MS = 10_000;

/**
 * Bob's socket: records which frames reached his client (after it handled them), and when told,
 * answers his `commit` frames itself with an error, as a server refusing every commit would.
 */
class Tap {
  readonly frames: { type: string; chatId?: string }[] = [];
  refuseCommits = false;
  readonly WebSocket: WebSocketCtor = tappedWebSocket({
    handled: (data) => {
      const frame = JSON.parse(data) as { type: string; chat?: { chatId: string } };
      this.frames.push({ type: frame.type, ...(frame.chat ? { chatId: frame.chat.chatId } : {}) });
    },
    send: (data, io) => {
      const frame = JSON.parse(data) as { type?: string; rid?: string };
      if (!this.refuseCommits || frame.type !== 'commit') return io.out();
      setTimeout(() => io.reply(JSON.stringify({ type: 'error', rid: frame.rid, code: 'forbidden', message: 'this test refuses commits' })), 5);
    },
  });

  chatFrames(chatId: string): number {
    return this.frames.filter((f) => f.type === 'chat' && f.chatId === chatId).length;
  }
}

/** Bob's device, offline while the group forms (so it is not first in leaf order), back with the tap and a long rank delay. */
async function bobLater(server: TestServer, tweaks: ClientTweaks = {}): Promise<{ bob: TestUser; back: () => Promise<{ client: ParleyClient; tap: Tap }> }> {
  const bob = await createUser(server.url);
  await waitFor(async () => (await bob.client.keyPackageCount()).available > 0, { what: "bob's key packages" });
  await bob.client.stop();
  return {
    bob,
    back: async () => {
      const tap = new Tap();
      const client = newClient(server.url, bob.userId, bob.deviceId, bob.deviceKey, bob.store, undefined, {
        WebSocket: tap.WebSocket, ...tweaks, mls: { enabled: true, reconcileRankDelayMs: RANK_DELAY_MS, ...tweaks.mls },
      });
      await client.start();
      return { client, tap };
    },
  };
}

/**
 * What a device that should no longer be in the group reads if it keeps its state and follows the
 * chat's log (a server still serving it): its own codec on its own store, fed the log as Bob holds it.
 */
async function follow(device: TestUser, chatId: string, log: readonly Message[]): Promise<{ epoch: number | undefined; read: string[]; epochOf: (m: Message) => number | undefined }> {
  const keeper = device.client.keyPackages;
  assert.ok(keeper);
  const reader = new MlsCodec({ userId: device.userId, deviceId: device.deviceId, store: device.store, keys: keeper });
  const epoch = await reader.epoch(chatId);
  const last = (await device.store.getMessages(chatId)).at(-1)?.seq ?? 0;
  const after = log.filter((m) => m.seq > last);
  const batch = await reader.decodeBatch(chatId, after, () => undefined, async () => {});
  const read = batch.decoded.flatMap((d) => (d?.kind === 'content' && d.content.kind === 'text' ? [d.content.text] : []));
  return { epoch, read, epochOf: (m) => (m.envelope ? reader.epochOf(m.envelope) : undefined) };
}

async function rank(client: ParleyClient, chatId: string, who: { userId: string; deviceId: string }): Promise<number> {
  return (await client.encryptionMembers(chatId)).findIndex((m) => key(m) === key(who));
}

/** Sends `text` from Bob as soon as his client heard the chat change; resolves with his log entry for it and how long it took to be acked. */
async function sendOnChange(client: ParleyClient, tap: Tap, chatId: string, seen: number, text: string): Promise<{ message: StoredMessage; ms: number }> {
  await waitFor(() => tap.chatFrames(chatId) > seen, { what: 'bob heard the chat change', intervalMs: 1 });
  const started = Date.now();
  const id = await client.sendText(chatId, text);
  await waitFor(() => client.log(chatId).some((m) => m.clientMsgId === id), { what: 'bob\'s message acked', timeoutMs: 30_000 });
  const message = client.log(chatId).find((m) => m.clientMsgId === id) as StoredMessage;
  return { message, ms: Date.now() - started };
}

/**
 * The one commit in Bob's log after `afterSeq`, once `device` is out of his group: the removal (his
 * own commits are applied at their ack, so the log's entry does not list what they removed).
 */
async function removal(client: ParleyClient, chatId: string, afterSeq: number, device: TestUser): Promise<Message> {
  assert.ok(!(await client.encryptionMembers(chatId)).some((m) => key(m) === key(device)), 'the leaf was removed');
  const commits = client.log(chatId).filter((m) => m.seq > afterSeq && m.envelope?.contentType === MLS_COMMIT_CONTENT_TYPE);
  assert.equal(commits.length, 1, 'one commit since the change');
  return commits[0] as Message;
}

describe('end-to-end encryption: nothing new is encrypted to a device that should no longer be in the group (R34)', () => {
  it('R34 a message sent right after a device is revoked goes out only in an epoch after its removal: the revoked device, following the log, can\'t read it; it waited only for the removal commit', async (t) => {
    await using server = await startTestServer();
    const clients: ParleyClient[] = [];
    t.after(() => Promise.all(clients.map((c) => c.stop())));
    const alice = await createUser(server.url);
    const later = await bobLater(server);
    const alice2 = await addDevice(alice);
    clients.push(alice.client, alice2.client);
    const { chatId } = await alice.client.openDirect(later.bob.userId);
    await waitFor(async () => (await alice.client.encryptionMembers(chatId)).length === 3, { what: 'the group formed', timeoutMs: 30_000 });
    const { client: bob, tap } = await later.back();
    clients.push(bob);
    await waitFor(() => [alice.client, alice2.client, bob].every((c) => c.chat(chatId)?.encryption === 'on'), { what: 'everyone in the group', timeoutMs: 30_000 });
    assert.ok((await rank(bob, chatId, later.bob)) > 0, 'bob is not first in leaf order: he would wait his rank delay');

    // Alice's devices go offline (A2 keeps its state), so only Bob can commit A2's removal; Alice revokes A2.
    await Promise.all([alice.client.stop(), alice2.client.stop()]);
    const seen = tap.chatFrames(chatId);
    const lastSeq = bob.log(chatId).at(-1)?.seq ?? 0;
    await alice.client.revokeDevice(alice2.deviceId);
    const { message, ms } = await sendOnChange(bob, tap, chatId, seen, 'sent right after the revocation');

    const commit = await removal(bob, chatId, lastSeq, alice2);
    assert.equal(commit.senderDeviceId, later.bob.deviceId);
    assert.ok(commit.seq < message.seq, 'the removal is ordered before the message');
    assert.ok(ms < RANK_DELAY_MS - 2_000, `the message waited ${ms} ms: for the removal commit, not for bob's rank delay`);
    assert.ok(message.sentAt - commit.sentAt < 3_000, 'it went out right after the removal commit');

    const a2 = await follow(alice2, chatId, bob.log(chatId));
    assert.ok(!a2.read.includes('sent right after the revocation'), 'the revoked device read the message');
    assert.ok((a2.epochOf(message) ?? 0) > (a2.epoch ?? Infinity), 'encrypted in an epoch the revoked device never had');
  });

  it('R34 a message sent right after a member is removed goes out only in an epoch after the removal of their devices: their device, following the log, can\'t read it', async (t) => {
    await using server = await startTestServer();
    const clients: ParleyClient[] = [];
    t.after(() => Promise.all(clients.map((c) => c.stop())));
    const [alice, carol] = await Promise.all([1, 2].map(() => createUser(server.url)));
    if (!alice || !carol) throw new Error('users');
    clients.push(alice.client, carol.client);
    const later = await bobLater(server);
    const { chatId } = await alice.client.createGroup({ name: 'leaving soon', memberIds: [later.bob.userId, carol.userId] });
    await waitFor(async () => (await alice.client.encryptionMembers(chatId)).length === 3, { what: 'the group formed', timeoutMs: 30_000 });
    const { client: bob, tap } = await later.back();
    clients.push(bob);
    await waitFor(() => [alice.client, carol.client, bob].every((c) => c.chat(chatId)?.encryption === 'on'), { what: 'everyone in the group', timeoutMs: 30_000 });
    assert.ok((await rank(bob, chatId, later.bob)) > 0, 'bob is not first in leaf order');

    // Carol's device keeps its state (offline, it never hears chat_removed); Alice is offline too.
    await Promise.all([alice.client.stop(), carol.client.stop()]);
    const seen = tap.chatFrames(chatId);
    const lastSeq = bob.log(chatId).at(-1)?.seq ?? 0;
    await alice.client.removeMember(chatId, carol.userId);
    const { message, ms } = await sendOnChange(bob, tap, chatId, seen, 'sent right after carol left');

    const commit = await removal(bob, chatId, lastSeq, carol);
    assert.ok(commit.seq < message.seq, 'the removal is ordered before the message');
    assert.ok(ms < RANK_DELAY_MS - 2_000, `the message waited ${ms} ms`);
    const c = await follow(carol, chatId, bob.log(chatId));
    assert.ok(!c.read.includes('sent right after carol left'), 'the removed member read the message');
    assert.ok((c.epochOf(message) ?? 0) > (c.epoch ?? Infinity));
  });

  it('R34 a removal that can\'t be committed holds messages (shown as sending) for mls.holdForRemovalMs only, then they go out', async (t) => {
    const HOLD_MS = 1_500;
    await using server = await startTestServer();
    const clients: ParleyClient[] = [];
    t.after(() => Promise.all(clients.map((c) => c.stop())));
    const alice = await createUser(server.url);
    const later = await bobLater(server, { mls: { enabled: true, holdForRemovalMs: HOLD_MS } });
    const alice2 = await addDevice(alice);
    clients.push(alice.client, alice2.client);
    const { chatId } = await alice.client.openDirect(later.bob.userId);
    await waitFor(async () => (await alice.client.encryptionMembers(chatId)).length === 3, { what: 'the group formed', timeoutMs: 30_000 });
    const { client: bob, tap } = await later.back();
    clients.push(bob);
    await waitFor(() => [alice.client, alice2.client, bob].every((c) => c.chat(chatId)?.encryption === 'on'), { what: 'everyone in the group', timeoutMs: 30_000 });

    await Promise.all([alice.client.stop(), alice2.client.stop()]);
    tap.refuseCommits = true; // the one device that could remove A2 can't
    const seen = tap.chatFrames(chatId);
    await alice.client.revokeDevice(alice2.deviceId);
    await waitFor(() => tap.chatFrames(chatId) > seen, { what: 'bob heard the chat change', intervalMs: 1 });
    const started = Date.now();
    const id = await bob.sendText(chatId, 'sent while the removal is refused');
    await new Promise((r) => setTimeout(r, HOLD_MS / 2));
    assert.equal(bob.timeline(chatId).find((i) => i.id === id)?.state, 'sending', 'held, shown as sending');
    await waitFor(() => bob.log(chatId).some((m) => m.clientMsgId === id), { what: 'released after the bound', timeoutMs: 15_000 });
    const ms = Date.now() - started;
    assert.ok(ms >= HOLD_MS - 200, `released after ${ms} ms, before the bound`);
    assert.ok(ms < HOLD_MS + 5_000, `released after ${ms} ms`);
    assert.ok((await bob.encryptionMembers(chatId)).some((m) => key(m) === key(alice2)), 'the leaf was never removed');
    // The trade-off of the bound: the message reached the leaf that is still in the tree.
    assert.ok((await follow(alice2, chatId, bob.log(chatId))).read.includes('sent while the removal is refused'));
  });
});
