import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { forgeKeyLogEntry, createUser, newClient, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { accounts } from '../accounts.ts';
import { ParleyClient } from '../client.ts';
import type { WebSocketCtor } from '../connection.ts';
import { generateDeviceKey } from '../device-key.ts';
import { MemoryStore } from '../stores/memory-store.ts';
import type { KeyLogAlert } from './own-log-monitor.ts';

/** A user's own devices review their key log (docs/PROTOCOL.md R31), against a real server. */

/** Collects a client's keyLogAlert events. */
function alertsOf(client: ParleyClient): KeyLogAlert[] {
  const seen: KeyLogAlert[] = [];
  client.on('keyLogAlert', (a) => seen.push(a));
  return seen;
}

async function online(client: ParleyClient, what: string): Promise<void> {
  await client.start();
  await waitFor(() => client.connectionState === 'online', { what: `${what} online` });
}

/** Until the user's log has this device's key (it publishes on connect). */
async function published(user: TestUser, client: ParleyClient, deviceId: string): Promise<void> {
  await waitFor(async () => (await client.keys.log(user.userId, 0)).some((e) => e.deviceId === deviceId), { what: `${deviceId}'s key in the log`, timeoutMs: 15_000 });
}

/** A second device of the user's account through the recovery code (R27 path), started. */
async function secondDevice(user: TestUser): Promise<{ client: ParleyClient; deviceId: string }> {
  const deviceKey = await generateDeviceKey();
  const added = await accounts.recover(user.baseUrl, { handle: user.handle, recoveryCode: user.recoveryCode, device: { name: 'Work laptop', publicKey: deviceKey.publicKey } });
  user.recoveryCode = added.recoveryCode ?? user.recoveryCode;
  const client = newClient(user.baseUrl, user.userId, added.deviceId, deviceKey);
  await online(client, 'second device');
  return { client, deviceId: added.deviceId };
}

describe('own key log review (R31)', () => {
  test('R31 a key in the user\'s log for a device the account does not have is unknown_device_key on the user\'s device', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { start: false });
    const bob = await createUser(server.url);
    // Alice's phone, checking every 300 ms so the periodic review is what finds the ghost.
    const store = new MemoryStore();
    const phone = new ParleyClient({
      baseUrl: server.url, session: { userId: alice.userId, deviceId: alice.deviceId }, deviceKey: alice.deviceKey, store,
      WebSocket: WebSocket as unknown as WebSocketCtor, backoff: { minMs: 50, maxMs: 1000 }, ownKeyLogCheckMs: 300,
    });
    const raised = alertsOf(phone);
    try {
      await online(phone, 'alice');
      await published(alice, phone, alice.deviceId);
      assert.deepEqual(await phone.checkOwnKeyLog(), [], 'its own key is no alert');

      const ghost = forgeKeyLogEntry(server.dataDir, alice.userId, 'dev_ghost_of_alice');
      // Bob's client verifies the chain and would trust the ghost's key: the log alone can't tell.
      assert.ok((await bob.client.keys.devices(alice.userId)).some((d) => d.deviceId === ghost.deviceId));
      assert.ok(!(await phone.me()).devices.some((d) => d.deviceId === ghost.deviceId));

      await waitFor(() => raised.length > 0, { what: 'the phone raises an alert', timeoutMs: 10_000 });
      const [alert] = raised;
      assert.ok(alert?.kind === 'unknown_device_key', `got ${alert?.kind}`);
      assert.deepEqual([alert.deviceId, alert.index, alert.at], [ghost.deviceId, ghost.index, ghost.at]);
      assert.deepEqual(phone.keyLogAlerts().map((a) => a.id), [alert.id]);
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(raised.length, 1, 'raised once, though every check still finds it');

      await phone.dismissKeyLogAlert(alert.id);
      assert.deepEqual(phone.keyLogAlerts(), []);
      await phone.stop();
      // Restarted with the same store: dismissed stays dismissed.
      const again = newClient(server.url, alice.userId, alice.deviceId, alice.deviceKey, store);
      const raisedAgain = alertsOf(again);
      await online(again, 'alice again');
      assert.deepEqual(await again.checkOwnKeyLog(), []);
      assert.deepEqual(again.keyLogAlerts(), []);
      assert.deepEqual(raisedAgain, []);
      await again.stop();
    } finally {
      await phone.stop();
      await bob.client.stop();
    }
  });

  test('R31 a device added to the account raises new_device_key once on the other device, not again after a restart; a revocation raises nothing', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url);
    const raised = alertsOf(alice.client);
    await published(alice, alice.client, alice.deviceId);
    assert.deepEqual(await alice.client.checkOwnKeyLog(), []);

    // device_added reaches the phone before the laptop has published its key; the phone looks again until it has.
    const laptop = await secondDevice(alice);
    try {
      await waitFor(() => raised.length > 0, { what: 'the phone reports the new key', timeoutMs: 20_000 });
      const [alert] = raised;
      assert.ok(alert?.kind === 'new_device_key', `got ${alert?.kind}`);
      assert.deepEqual([alert.deviceId, alert.deviceName], [laptop.deviceId, 'Work laptop']);
      assert.equal(alert.index, 2);
      assert.deepEqual(await alice.client.checkOwnKeyLog(), []);
      assert.equal(raised.length, 1);
      // The new device takes what was there before it as reviewed: nothing to tell on it.
      await published(alice, laptop.client, laptop.deviceId);
      assert.deepEqual(await laptop.client.checkOwnKeyLog(), []);
      assert.deepEqual(laptop.client.keyLogAlerts(), []);

      // The app restarts with the same store: the alert is still there to read, but not raised again.
      await alice.client.stop();
      const again = newClient(server.url, alice.userId, alice.deviceId, alice.deviceKey, alice.store);
      const raisedAgain = alertsOf(again);
      try {
        await online(again, 'alice again');
        assert.deepEqual(await again.checkOwnKeyLog(), []);
        assert.deepEqual(again.keyLogAlerts().map((a) => a.id), [alert.id]);
        // "Not you? Revoke it": the revoke entry is no alert either, and it settles the new key's alert.
        await again.revokeDevice(laptop.deviceId);
        assert.deepEqual(await again.checkOwnKeyLog(), []);
        assert.deepEqual(again.keyLogAlerts(), []);
        assert.deepEqual(raisedAgain, []);
      } finally {
        await again.stop();
      }
    } finally {
      await laptop.client.stop();
      await alice.client.stop();
    }
  });
});
