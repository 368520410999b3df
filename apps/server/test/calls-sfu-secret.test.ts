import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallContent, Message } from '@parley/protocol';
import { CallSecret, type FrameKeySink, type GroupCall, type ParleyClient } from '@parley/client';
import { createUser, Janus, startTestServer, waitFor } from '@parley/testing';

/**
 * R120 through the real server, the SDK and a real Janus (Node: no WebRTC, so the devices join the
 * room without media; calls-sfu-e2ee-media.test.ts carries frames): the first to join hands out a
 * call secret in the chat's log, wrapped for each participant; when one leaves the call and stays
 * in the chat, the next secret is wrapped for the others only and they move to a new frame key
 * without any MLS commit; a member removed from the chat is kicked and left out the same way.
 * R135: a join entry naming someone else's seat with another key is wrapped nothing.
 */

const tweaks = { client: { mls: { enabled: true }, calls: { groupSecretSettleMs: 100 } } };
/** No peer in Node: the sink is never made, but the call still follows its keys. */
const frameCrypto = (): FrameKeySink => ({ setEpoch() {}, close() {} });

describe('R120 a group call\'s per-call secret (Janus, SDK)', () => {
  it('R120 a participant who leaves the call but stays in the chat is left out of the next secret; the others move on together; a removed member likewise; R135 a forged join for a present seat gets nothing', { timeout: 90_000 }, async () => {
    await using janus = await Janus.start();
    await using server = await startTestServer({
      PARLEY_JANUS_URL: janus.url, PARLEY_JANUS_ADMIN_URL: janus.adminUrl, PARLEY_JANUS_ADMIN_SECRET: janus.adminSecret,
      PARLEY_JANUS_ROOM_ADMIN_KEY: janus.roomAdminKey, PARLEY_SFU_SWEEP_INTERVAL_MS: '3600000',
    });
    const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((displayName) => createUser(server.url, { displayName, ...tweaks })));
    const clients: ParleyClient[] = [alice!.client, bob!.client, carol!.client];
    // What Carol's device reads of the call secrets (she stays in the chat).
    const carolSees: CallContent[] = [];
    carol!.client.on('message', (m: Message) => {
      const d = (m as Message & { decoded?: { kind: string; content?: CallContent } }).decoded;
      if (d?.kind === 'content' && d.content?.kind === 'call' && d.content.action === 'group_key') carolSees.push(d.content);
    });
    try {
      const { chatId } = await alice!.client.createGroup({ name: 'Entrance 2', memberIds: [bob!.userId, carol!.userId] });
      await waitFor(() => clients.every((c) => c.chat(chatId)?.encryption === 'on'), { what: 'the group encrypted on every device', timeoutMs: 30_000 });
      const join = (c: ParleyClient) => c.calls.joinGroup(chatId, { frameCrypto });
      const [a, b] = [await join(alice!.client), await join(bob!.client)];
      const epochs = (...calls: GroupCall[]) => calls.map((x) => x.view.frameEpoch);
      await waitFor(() => a.view.participants.some((p) => p.seat !== undefined) && new Set(epochs(a, b)).size === 1 && a.view.frameEpoch !== undefined, { what: 'alice and bob keyed', timeoutMs: 20_000 });
      // R135: Carol's device, outside the call, says Bob's seat is hers: a join naming his publisher id with her own key.
      // (Delivered to the participants' devices as the log would: an ordinary member's message.)
      const forger = await CallSecret.create({ chatId, self: b.view.feedId, others: () => [], seat: () => undefined, post: async () => undefined, changed: () => undefined });
      const forged = { kind: 'call', callId: 'forged-join-1', action: 'group_join', media: 'audio', feedId: b.view.feedId, pub: forger.pub } as const;
      const from = { seq: 1_000_000, senderUserId: carol!.userId, senderDeviceId: carol!.deviceId, sentAt: Date.now() } as Parameters<ParleyClient['calls']['received']>[1];
      for (const x of [alice!.client, bob!.client]) await x.calls.received(chatId, from, forged);
      const c = await join(carol!.client); // a newcomer: the keyer hands out a secret for the seats in the room
      await waitFor(() => a.view.participants.length === 2 && b.view.participants.length === 2, { what: 'everyone in the room' });
      await waitFor(() => new Set(epochs(a, b, c)).size === 1 && a.view.frameEpoch !== undefined, { what: 'one frame key in the call', timeoutMs: 20_000 });
      const e0 = a.view.frameEpoch!;
      const all = [a.view.feedId, b.view.feedId, c.view.feedId].sort();
      assert.deepEqual(carolSees.at(-1)?.keys?.map((k) => k.feedId).sort(), all, 'the secret in use was wrapped for all three');
      for (const [i, entry] of carolSees.entries()) await forger.entry(i, false, entry);
      assert.equal(forger.gen, undefined, 'the forged join\'s key opens no copy: bob\'s seat was wrapped for bob\'s key');

      // Carol leaves the call, not the chat: one new secret, for Alice and Bob only; no commit.
      const seen = carolSees.length;
      await c.leave();
      await waitFor(() => a.view.frameEpoch === e0 + 1 && b.view.frameEpoch === e0 + 1, { what: 'alice and bob on a secret without carol', timeoutMs: 20_000 });
      await waitFor(() => carolSees.length > seen, { what: 'carol\'s device gets the entry (she is in the chat)' });
      const next = carolSees.at(-1)!;
      assert.deepEqual(next.keys!.map((k) => k.feedId).sort(), [a.view.feedId, b.view.feedId].sort(), 'wrapped for the two still in the call');
      assert.equal(c.view.frameEpoch, e0, 'carol\'s call was never handed a later key');

      // Carol joins again: she gets the secret of her new join; leaving again leaves her out again.
      const again = await join(carol!.client);
      await waitFor(() => again.view.frameEpoch !== undefined && again.view.frameEpoch === a.view.frameEpoch && b.view.frameEpoch === a.view.frameEpoch, { what: 'carol back in on the current secret', timeoutMs: 20_000 });
      const withCarol = a.view.frameEpoch!;
      await again.leave();
      await waitFor(() => a.view.frameEpoch! > withCarol && b.view.frameEpoch === a.view.frameEpoch, { what: 'a new secret after she left again', timeoutMs: 20_000 });

      // Alice removes Bob from the chat mid-call: Janus drops him; Alice moves on, Bob's call gets nothing more.
      const bobLast = b.view.frameEpoch;
      await alice!.client.removeMember(chatId, bob!.userId);
      await waitFor(() => b.view.state === 'left', { what: 'bob kicked from the room' });
      await waitFor(() => a.view.frameEpoch! > bobLast!, { what: 'alice on a key without bob', timeoutMs: 20_000 });
      assert.equal(b.view.frameEpoch, bobLast, 'bob never got a later key');
      await a.leave();
    } finally {
      await Promise.all(clients.map((x) => x.stop()));
    }
  });

  it('R124 starting a group call rings the other members\' devices (Join or Dismiss); joining on any device stops it; a muted chat does not ring', { timeout: 60_000 }, async () => {
    await using janus = await Janus.start();
    await using server = await startTestServer({
      PARLEY_JANUS_URL: janus.url, PARLEY_JANUS_ADMIN_URL: janus.adminUrl, PARLEY_JANUS_ADMIN_SECRET: janus.adminSecret,
      PARLEY_JANUS_ROOM_ADMIN_KEY: janus.roomAdminKey, PARLEY_SFU_SWEEP_INTERVAL_MS: '3600000',
    });
    const [alice, bob, carol, dan] = await Promise.all(['Alice', 'Bob', 'Carol', 'Dan'].map((displayName) => createUser(server.url, { displayName, ...tweaks })));
    const clients: ParleyClient[] = [alice!.client, bob!.client, carol!.client, dan!.client];
    try {
      const { chatId } = await alice!.client.createGroup({ name: 'Entrance 2', memberIds: [bob!.userId, carol!.userId, dan!.userId] });
      await waitFor(() => clients.every((c) => c.chat(chatId) !== undefined), { what: 'everyone sees the group' });
      await dan!.client.setChatPrefs(chatId, { mutedUntil: Date.now() + 3_600_000 });
      await waitFor(() => (dan!.client.chat(chatId)?.prefs?.mutedUntil ?? 0) > Date.now(), { what: 'dan muted the group' });
      const a = await alice!.client.calls.joinGroup(chatId);
      assert.equal(a.view.started, true, 'alice found the room empty: she started the call');
      await waitFor(() => bob!.client.calls.groupRings().length === 1 && carol!.client.calls.groupRings().length === 1, { what: 'bob\'s and carol\'s devices ring' });
      const ring = bob!.client.calls.groupRings()[0]!;
      assert.deepEqual([ring.chatId, ring.fromUserId], [chatId, alice!.userId], 'the ring says which group and who started it');
      assert.equal(alice!.client.calls.groupRings().length, 0, 'the starter does not ring');
      // Bob joins: his ring stops, and his joining does not ring anyone again (the room was not empty).
      const b = await bob!.client.calls.joinGroup(chatId);
      assert.equal(b.view.started, undefined);
      assert.equal(bob!.client.calls.groupRings().length, 0, 'joined: no more ringing');
      carol!.client.calls.dismissGroupRing(chatId);
      assert.equal(carol!.client.calls.groupRings().length, 0, 'dismissed');
      await alice!.client.sendText(chatId, 'after the join'); // everything before it has reached dan's device
      await waitFor(async () => (await dan!.client.timeline(chatId)).some((i) => i.text === 'after the join'), { what: 'dan caught up' });
      assert.equal(dan!.client.calls.groupRings().length, 0, 'a muted chat does not ring');
      await Promise.all([a.leave(), b.leave()]);
    } finally {
      await Promise.all(clients.map((x) => x.stop()));
    }
  });
});
