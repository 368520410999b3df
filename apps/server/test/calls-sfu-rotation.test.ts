import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FrameKeySink, GroupCall, ParleyClient } from '@parley/client';
import { createUser, Janus, startTestServer, waitFor } from '@parley/testing';

/**
 * R76/R77 through the real server, the SDK and a real Janus (Node: no WebRTC, so the devices join
 * the room without media; the browser test carries frames): every participant's group call follows
 * the chat's MLS epoch; when one leaves the call and stays in the chat, one update commit moves the
 * others to a new epoch, and a burst of joins and leaves makes one commit; a member removed from
 * the chat is kicked from the room and its removal commit is the rotation (no extra commit).
 */

const settleMs = 400;
const rankDelayMs = 1500;
const tweaks = { client: { mls: { enabled: true }, calls: { groupRotation: { settleMs, rankDelayMs } } } };
/** No peer in Node: the sink is never made, but the call still follows the chat's keys. */
const frameCrypto = (): FrameKeySink => ({ setEpoch() {}, close() {} });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('R76/R77 group call keys follow the chat (Janus, SDK)', () => {
  it('R77 a participant leaving moves the others to a new epoch with one commit; a burst of joins and leaves makes one; a removed member is kicked and its removal commit serves', { timeout: 90_000 }, async () => {
    await using janus = await Janus.start();
    await using server = await startTestServer({
      PARLEY_JANUS_URL: janus.url, PARLEY_JANUS_ADMIN_URL: janus.adminUrl, PARLEY_JANUS_ADMIN_SECRET: janus.adminSecret,
      PARLEY_JANUS_ROOM_ADMIN_KEY: janus.roomAdminKey, PARLEY_SFU_SWEEP_INTERVAL_MS: '3600000',
    });
    const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((displayName) => createUser(server.url, { displayName, ...tweaks })));
    const clients: ParleyClient[] = [alice!.client, bob!.client, carol!.client];
    try {
      const { chatId } = await alice!.client.createGroup({ name: 'Entrance 2', memberIds: [bob!.userId, carol!.userId] });
      await waitFor(() => clients.every((c) => c.chat(chatId)?.encryption === 'on'), { what: 'the group encrypted on every device', timeoutMs: 30_000 });
      const join = (c: ParleyClient) => c.calls.joinGroup(chatId, { frameCrypto });
      const [a, b, c] = [await join(alice!.client), await join(bob!.client), await join(carol!.client)];
      const epochs = (...calls: GroupCall[]) => calls.map((x) => x.view.frameEpoch);
      await waitFor(() => a.view.participants.length === 2 && b.view.participants.length === 2, { what: 'everyone in the room' });
      await waitFor(() => new Set(epochs(a, b, c)).size === 1 && a.view.frameEpoch !== undefined, { what: 'one epoch key in the call' });
      const e0 = a.view.frameEpoch!;

      // Carol leaves the call, not the chat: the others move on by one commit.
      await c.leave();
      await waitFor(() => a.view.frameEpoch === e0 + 1 && b.view.frameEpoch === e0 + 1, { what: 'alice and bob rotate past carol\'s epoch', timeoutMs: 20_000 });
      await sleep(settleMs + 2 * rankDelayMs + 1000); // past the fallback's turn: no second commit
      assert.deepEqual(epochs(a, b), [e0 + 1, e0 + 1], 'one commit for one leave');

      // A burst: Carol joins and leaves three times in a row; then it is quiet.
      for (let i = 0; i < 3; i++) {
        const again = await join(carol!.client);
        assert.equal(again.view.frameEpoch, e0 + 1, 'a member rejoining gets the current epoch');
        await again.leave();
      }
      await waitFor(() => a.view.frameEpoch === e0 + 2 && b.view.frameEpoch === e0 + 2, { what: 'one rotation after the burst', timeoutMs: 20_000 });
      await sleep(settleMs + 2 * rankDelayMs + 1000);
      assert.deepEqual(epochs(a, b), [e0 + 2, e0 + 2], 'three joins and leaves: one commit');

      // Alice removes Bob from the chat mid-call: Janus drops him; the removal commit is the rotation.
      await alice!.client.removeMember(chatId, bob!.userId);
      await waitFor(() => b.view.state === 'left', { what: 'bob kicked from the room' });
      await waitFor(() => a.view.frameEpoch === e0 + 3, { what: 'alice on the epoch without bob', timeoutMs: 20_000 });
      assert.equal(b.view.frameEpoch, e0 + 2, 'bob never got the epoch of his removal');
      await sleep(settleMs + 2 * rankDelayMs + 1000);
      assert.equal(a.view.frameEpoch, e0 + 3, 'no rotation commit on top of the removal');
      await a.leave();
    } finally {
      await Promise.all(clients.map((x) => x.stop()));
    }
  });
});
