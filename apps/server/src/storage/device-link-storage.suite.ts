import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DeviceLinkRow, DeviceLinkStorage } from './device-link-storage.ts';
import type { DeviceRow, Storage } from './storage.ts';

/**
 * The DeviceLinkStorage contract (R23-R26), run against SQLite and PostgreSQL. `open` gives a fresh,
 * migrated database: its Storage (to create the users links belong to) and its DeviceLinkStorage.
 */
export function deviceLinkStorageSuite(name: string, open: () => Promise<{ storage: Storage; links: DeviceLinkStorage }>): void {
  describe(`${name}: device links`, () => {
    let storage: Storage;
    let links: DeviceLinkStorage;
    beforeEach(async () => {
      ({ storage, links } = await open());
      for (const who of ['alice', 'bob']) await storage.createUser(user(who), device(who, 'dev_first_' + who));
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R23 a stored link reads back as it was written; unknown ids are undefined', async () => {
      const l = link('alice', 'link_one_1', { sourceKey: 'key_a', origin: '203.0.113.x' });
      assert.deepEqual(await links.createLink(l, 3, T0), []);
      assert.deepEqual(await links.getLink(l.linkId), l);
      assert.deepEqual(await links.getLink('link_nope_1'), undefined);
      await links.createLink(link('alice', 'link_old_1', { sourceKey: null }), 3, T0);
      assert.equal((await links.getLink('link_old_1'))?.sourceKey, null);
    });

    it('R26 pending links: only the user\'s own, unexpired and pending ones, oldest first', async () => {
      await links.createLink(link('alice', 'link_b_0001', { createdAt: T0 + 2 }), 9, T0);
      await links.createLink(link('alice', 'link_a_0001', { createdAt: T0 + 1 }), 9, T0);
      await links.createLink(link('alice', 'link_short1', { expiresAt: T0 + 10 }), 9, T0);
      await links.createLink(link('alice', 'link_denied'), 9, T0);
      await links.denyLink('link_denied', T0);
      await links.createLink(link('bob', 'link_bob_01'), 9, T0);
      assert.deepEqual((await links.listPendingLinks(USER('alice'), T0 + 10)).map((l) => l.linkId), ['link_a_0001', 'link_b_0001']);
      assert.deepEqual((await links.listPendingLinks(USER('bob'), T0)).map((l) => l.linkId), ['link_bob_01']);
    });

    it('R43 at most maxPending open links per user, even when requested at once: each new one displaces the oldest', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => links.createLink(link('alice', `link_race${i}`, { sourceKey: `src_${i}`, createdAt: T0 + i }), 3, T0 + 10)));
      assert.equal(results.flat().length, 5, 'every link past the third displaced one');
      const open = await links.listPendingLinks(USER('alice'), T0 + 10);
      assert.equal(open.length, 3);
      for (const gone of results.flat()) {
        assert.deepEqual([gone.status, gone.displacedAt, gone.expiresAt, gone.closedAt], ['pending', T0 + 10, T0 + 10, T0 + 10]);
        assert.deepEqual(await links.getLink(gone.linkId), gone);
      }
      // Another user's links, and expired ones, do not count.
      assert.deepEqual(await links.createLink(link('bob', 'link_bob_01'), 3, T0), []);
      assert.deepEqual(await links.createLink(link('alice', 'link_later1', { createdAt: TTL + T0, expiresAt: T0 + 2 * TTL }), 3, T0 + TTL), []);
    });

    it('R43 a new link displaces its own source\'s open link first, then the oldest other one only when the slots are full', async () => {
      await links.createLink(link('alice', 'link_src_a1', { sourceKey: 'src_a', createdAt: T0 + 1 }), 3, T0 + 1);
      await links.createLink(link('alice', 'link_src_b1', { sourceKey: 'src_b', createdAt: T0 + 2 }), 3, T0 + 2);
      // Same source: replaces a1 although a slot is free.
      const same = await links.createLink(link('alice', 'link_src_a2', { sourceKey: 'src_a', createdAt: T0 + 3 }), 3, T0 + 3);
      assert.deepEqual(same.map((l) => l.linkId), ['link_src_a1']);
      await links.createLink(link('alice', 'link_src_c1', { sourceKey: 'src_c', createdAt: T0 + 4 }), 3, T0 + 4);
      assert.deepEqual((await links.listPendingLinks(USER('alice'), T0 + 4)).map((l) => l.linkId), ['link_src_b1', 'link_src_a2', 'link_src_c1']);
      // Full: a fourth source displaces the oldest, b1.
      const full = await links.createLink(link('alice', 'link_src_d1', { sourceKey: 'src_d', createdAt: T0 + 5 }), 3, T0 + 5);
      assert.deepEqual(full.map((l) => l.linkId), ['link_src_b1']);
      assert.deepEqual((await links.listPendingLinks(USER('alice'), T0 + 5)).map((l) => l.linkId), ['link_src_a2', 'link_src_c1', 'link_src_d1']);
      // A displaced link can no longer be answered, nor take wrong codes.
      assert.equal((await links.approveLink('link_src_b1', device('alice', 'dev_new_0001'), T0 + 6))?.deviceId, null);
      assert.equal(await storage.getDevice('dev_new_0001'), undefined);
      assert.equal((await links.recordWrongCode('link_src_b1', 3, T0 + 6))?.attempts, 0);
      assert.equal((await links.denyLink('link_src_b1', T0 + 6))?.status, 'pending');
      // Another user's source keys are theirs: bob's link from "src_a" displaces nothing of alice's.
      assert.deepEqual(await links.createLink(link('bob', 'link_bob_01', { sourceKey: 'src_a' }), 3, T0 + 7), []);
    });

    it('R24 wrong codes count up and the one that reaches the limit locks the link for good', async () => {
      await links.createLink(link('alice', 'link_one_1'), 3, T0);
      assert.equal((await links.recordWrongCode('link_one_1', 3, T0 + 1))?.attempts, 1);
      assert.equal((await links.recordWrongCode('link_one_1', 3, T0 + 2))?.status, 'pending');
      const locked = await links.recordWrongCode('link_one_1', 3, T0 + 3);
      assert.deepEqual([locked?.attempts, locked?.status, locked?.closedAt], [3, 'locked', T0 + 3]);
      assert.deepEqual(await links.recordWrongCode('link_one_1', 3, T0 + 4), locked);
      assert.equal((await links.approveLink('link_one_1', device('alice', 'dev_new_0001'), T0 + 5))?.status, 'locked');
      assert.equal(await storage.getDevice('dev_new_0001'), undefined);
      assert.equal(await links.recordWrongCode('link_nope_1', 3, T0), undefined);
    });

    it('R24 approval adds the device and closes the link in one step; a second approval changes nothing', async () => {
      await links.createLink(link('alice', 'link_one_1'), 3, T0);
      const approved = await links.approveLink('link_one_1', device('alice', 'dev_new_0001'), T0 + 5);
      assert.deepEqual([approved?.status, approved?.deviceId, approved?.closedAt], ['approved', 'dev_new_0001', T0 + 5]);
      assert.deepEqual(await storage.getDevice('dev_new_0001'), device('alice', 'dev_new_0001'));
      const again = await links.approveLink('link_one_1', device('alice', 'dev_new_0002'), T0 + 6);
      assert.deepEqual(again, approved);
      assert.equal(await storage.getDevice('dev_new_0002'), undefined);
      assert.deepEqual((await links.denyLink('link_one_1', T0 + 7))?.status, 'approved');
      assert.deepEqual(await links.listPendingLinks(USER('alice'), T0 + 8), []);
    });

    it('R24 of concurrent approvals of one link exactly one adds a device', async () => {
      await links.createLink(link('alice', 'link_one_1'), 3, T0);
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => links.approveLink('link_one_1', device('alice', `dev_race_${i}x`), T0 + 1)));
      const winners = new Set(results.map((r) => r?.deviceId));
      assert.equal(winners.size, 1);
      const devices = (await storage.listDevices(USER('alice'))).map((d) => d.deviceId).sort();
      assert.deepEqual(devices, ['dev_first_alice', [...winners][0]].sort());
    });

    it('R23 an expired link is neither approved nor denied; a denied one is not approved', async () => {
      await links.createLink(link('alice', 'link_one_1'), 3, T0);
      const late = await links.approveLink('link_one_1', device('alice', 'dev_new_0001'), T0 + TTL);
      assert.deepEqual([late?.status, late?.deviceId], ['pending', null]);
      assert.equal(await storage.getDevice('dev_new_0001'), undefined);
      assert.equal((await links.denyLink('link_one_1', T0 + TTL))?.status, 'pending');

      await links.createLink(link('alice', 'link_two_2'), 3, T0);
      assert.equal((await links.denyLink('link_two_2', T0 + 1))?.status, 'denied');
      assert.equal((await links.approveLink('link_two_2', device('alice', 'dev_new_0002'), T0 + 2))?.status, 'denied');
      assert.equal(await storage.getDevice('dev_new_0002'), undefined);
    });

    it('old links are deleted by expiry, whatever became of them', async () => {
      await links.createLink(link('alice', 'link_old_01'), 3, T0);
      await links.createLink(link('alice', 'link_old_02'), 3, T0);
      await links.approveLink('link_old_02', device('alice', 'dev_new_0001'), T0 + 1);
      await links.createLink(link('alice', 'link_new_01', { createdAt: T0 + TTL, expiresAt: T0 + 2 * TTL }), 3, T0 + TTL);
      assert.equal(await links.deleteLinksBefore(T0 + TTL + 1), 2);
      assert.deepEqual([await links.getLink('link_old_01'), await links.getLink('link_old_02')], [undefined, undefined]);
      assert.ok(await links.getLink('link_new_01'));
      assert.ok(await storage.getDevice('dev_new_0001'), 'the device an old link added stays');
    });
  });
}

const T0 = 1_700_000_000_000;
const TTL = 600_000;
const USER = (who: string) => `user_${who}_0001`;

function user(who: string) {
  return { userId: USER(who), handle: who, displayName: who, createdAt: T0, recoveryHash: 'h' };
}

function device(who: string, deviceId: string): DeviceRow {
  return { deviceId, userId: USER(who), name: `${who}'s ${deviceId}`, publicKey: 'A'.repeat(43) + '=', createdAt: T0, lastSeenAt: null, revokedAt: null };
}

function link(who: string, linkId: string, over: Partial<DeviceLinkRow> = {}): DeviceLinkRow {
  return {
    linkId, userId: USER(who), deviceName: 'new phone', publicKey: 'B'.repeat(43) + '=', codeHash: 'c'.repeat(64),
    createdAt: T0, expiresAt: T0 + TTL, attempts: 0, status: 'pending', deviceId: null, closedAt: null,
    sourceKey: `src_${linkId}`, origin: null, displacedAt: null, ...over,
  };
}
