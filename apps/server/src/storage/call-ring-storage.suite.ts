import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Storage } from './storage.ts';
import { T0, uid, did, user, device } from './storage.fixtures.ts';

/**
 * R118: which devices ring for calls through Web Push. Called from `storageSuite` with its storage
 * of the current test.
 */
export function callRingStorageSuite(storage: () => Storage): void {
  describe('call ringing devices (R118)', () => {
    it('set is idempotent, list names only the user\'s own devices, clear takes one device out', async () => {
      const s = storage();
      await s.createUser(user('alice'), device('alice', 1));
      await s.addDevice(device('alice', 2));
      await s.createUser(user('bob'), device('bob', 1));
      assert.deepEqual(await s.listCallRingingDevices(uid('alice')), []);
      await s.setCallRinging(did('alice', 1), uid('alice'), T0);
      await s.setCallRinging(did('alice', 1), uid('alice'), T0 + 5);
      await s.setCallRinging(did('alice', 2), uid('alice'), T0);
      await s.setCallRinging(did('bob', 1), uid('bob'), T0);
      assert.deepEqual(await s.listCallRingingDevices(uid('alice')), [did('alice', 1), did('alice', 2)]);
      await s.clearCallRinging(did('alice', 1));
      await s.clearCallRinging(did('alice', 1));
      assert.deepEqual(await s.listCallRingingDevices(uid('alice')), [did('alice', 2)]);
      assert.deepEqual(await s.listCallRingingDevices(uid('bob')), [did('bob', 1)]);
    });

    it('revoking a device stops it ringing', async () => {
      const s = storage();
      await s.createUser(user('alice'), device('alice', 1));
      await s.addDevice(device('alice', 2));
      await s.setCallRinging(did('alice', 1), uid('alice'), T0);
      await s.setCallRinging(did('alice', 2), uid('alice'), T0);
      await s.revokeDevice(did('alice', 2), T0 + 10);
      assert.deepEqual(await s.listCallRingingDevices(uid('alice')), [did('alice', 1)]);
    });
  });
}
