import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { KEY_LOG_GENESIS_HASH, keyLogEntryBytes, type KeyLogEntry } from '@parley/protocol';
import { createUser, newClient, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { accounts } from '../accounts.ts';
import { ParleyClient } from '../client.ts';
import type { WebSocketCtor } from '../connection.ts';
import { generateDeviceKey } from '../device-key.ts';
import { MemoryStore } from '../stores/memory-store.ts';
import type { KeyLogAlert } from './own-log-monitor.ts';

/** A user's own devices review their key log (docs/PROTOCOL.md R31), against a real server. */

/**
 * What a malicious server would do: append a key for a device the account does not have to the
 * user's log, chained as the server chains entries (key-log-chain.ts), so every reader's chain check
 * (R22) passes. Written straight into the test server's SQLite database; the honest server never does it.
 */
function forgeGhostEntry(dataDir: string, userId: string, deviceId: string): KeyLogEntry {
  const db = new Database(join(dataDir, 'parley.sqlite'));
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = OFF'); // the ghost has no row in devices
    const head = db.prepare('SELECT idx, hash FROM key_log WHERE user_id = ? ORDER BY idx DESC LIMIT 1').get(userId) as { idx: number; hash: string } | undefined;
    const fields = {
      index: (head?.idx ?? 0) + 1, kind: 'add' as const, deviceId, mlsSignatureKey: randomBytes(32).toString('base64'),
      at: Date.now(), prevHash: head?.hash ?? KEY_LOG_GENESIS_HASH,
    };
    const entry = { ...fields, hash: createHash('sha256').update(keyLogEntryBytes({ userId, ...fields })).digest('hex') };
    db.prepare('INSERT INTO key_log (user_id, idx, kind, device_id, mls_signature_key, at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(userId, entry.index, entry.kind, entry.deviceId, entry.mlsSignatureKey, entry.at, entry.prevHash, entry.hash);
    return entry;
  } finally {
    db.close();
  }
}

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

      const ghost = forgeGhostEntry(server.dataDir, alice.userId, 'dev_ghost_of_alice');
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
