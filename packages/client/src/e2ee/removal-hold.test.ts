import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyLogEntry } from '@parley/protocol';
import { RemovalCheck, RemovalHold, wantedDevices } from './removal-hold.ts';

const CHAT = 'chat_hold';
const me = { userId: 'a', deviceId: '1' };
const a2 = { userId: 'a', deviceId: '2' };
const b1 = { userId: 'b', deviceId: '1' };

function clock() {
  const c = { t: 1000, now: () => c.t };
  return c;
}

test('R34 a leaf the device list no longer has holds messages until a commit removing it is applied; commits never ask', () => {
  const c = clock();
  const hold = new RemovalHold({ holdMs: 60_000, now: c.now });
  const group = [me, a2, b1];
  assert.equal(hold.observe(CHAT, hold.tick(), group, [me, a2, b1], me), false);
  assert.equal(hold.blocks(CHAT, () => group), false, 'nothing pending: nothing held');
  hold.observe(CHAT, hold.tick(), group, [me, b1], me); // a2 revoked
  assert.equal(hold.blocks(CHAT, () => group), true);
  assert.equal(hold.holding(CHAT), true);
  assert.equal(hold.blocks('another_chat', () => group), false, 'other chats go on');
  c.t += 5_000;
  assert.equal(hold.blocks(CHAT, () => group), true);
  // The removal commit applied (by any device): the group encoded for no longer has the leaf.
  assert.equal(hold.blocks(CHAT, () => [me, b1]), false);
  assert.equal(hold.holding(CHAT), false, 'and the hold is gone');
});

test('R34 this device\'s own leaf never holds, and a leaf wanted again releases', () => {
  const hold = new RemovalHold({ holdMs: 60_000, now: clock().now });
  hold.observe(CHAT, hold.tick(), [me, b1], [b1], me);
  assert.equal(hold.blocks(CHAT, () => [me, b1]), false);
  hold.observe(CHAT, hold.tick(), [me, b1], [me], me); // b's user removed
  assert.equal(hold.blocks(CHAT, () => [me, b1]), true);
  assert.equal(hold.observe(CHAT, hold.tick(), [me, b1], [me, b1], me), true, 'added back before anyone committed the removal');
  assert.equal(hold.blocks(CHAT, () => [me, b1]), false);
});

test('R34 the chat changed: messages wait until a device list fetched after the change is observed', () => {
  const hold = new RemovalHold({ holdMs: 60_000, now: clock().now });
  const group = [me, b1];
  const before = hold.tick(); // a fetch that started before the change can't show it
  hold.mark(CHAT);
  assert.equal(hold.blocks(CHAT, () => group), true);
  assert.equal(hold.observe(CHAT, before, group, group, me), false);
  assert.equal(hold.blocks(CHAT, () => group), true);
  assert.equal(hold.observe(CHAT, hold.tick(), group, group, me), true);
  assert.equal(hold.blocks(CHAT, () => group), false);
});

test('R34 a hold is bounded: after holdForRemovalMs of being connected the leaf no longer holds, and is not held for again', () => {
  const c = clock();
  const hold = new RemovalHold({ holdMs: 1_000, now: c.now });
  const group = [me, a2];
  hold.observe(CHAT, hold.tick(), group, [me], me);
  c.t += 600;
  hold.offline();
  c.t += 10_000; // offline: nothing is sent and this device can't commit, so the clock stands still
  hold.online();
  assert.equal(hold.blocks(CHAT, () => group), true);
  c.t += 399;
  assert.equal(hold.blocks(CHAT, () => group), true);
  c.t += 1;
  assert.equal(hold.blocks(CHAT, () => group), false, 'released though the leaf is still there');
  assert.equal(hold.holding(CHAT), false);
  hold.observe(CHAT, hold.tick(), group, [me], me);
  assert.equal(hold.blocks(CHAT, () => group), false, 'the same leaf keeps its deadline');
  // A provisional hold (the chat changed, no device list yet) is bounded too.
  hold.mark('other');
  c.t += 1_000;
  assert.equal(hold.blocks('other', () => group), false);
});

test('R34 holdForRemovalMs 0 holds nothing', () => {
  const hold = new RemovalHold({ holdMs: 0, now: clock().now });
  hold.mark(CHAT);
  hold.observe(CHAT, hold.tick(), [me, a2], [me], me);
  assert.equal(hold.blocks(CHAT, () => [me, a2]), false);
});

test('R34 a device the key log this client verified shows revoked does not belong, whatever the device list says', async () => {
  const entry = (index: number, kind: 'add' | 'revoke', deviceId: string): KeyLogEntry => ({ index, kind, deviceId, mlsSignatureKey: kind === 'add' ? 'AAAA' : null, at: index, prevHash: '', hash: '' });
  const logs: Record<string, KeyLogEntry[]> = { a: [entry(1, 'add', '1'), entry(2, 'add', '2'), entry(3, 'revoke', '2')] };
  const wanted = await wantedDevices([me, a2, b1], { verified: async (userId) => logs[userId] ?? [] });
  assert.deepEqual(wanted, [me, b1]);
});

test('R34 RemovalCheck: a device with messages held for a removal does not wait its rank delay; one without does, and a held message cuts it short', async () => {
  const hold = new RemovalHold({ holdMs: 60_000 });
  let waiting = 0;
  let list = [me, b1];
  const released: string[] = [];
  const check = new RemovalCheck({
    hold, keys: { verified: async () => [] }, me,
    fetchDevices: async () => list, members: async () => [me, a2, b1], waiting: () => waiting, released: (chatId) => released.push(chatId),
  });
  waiting = 1;
  const t0 = Date.now();
  await check.rankDelay(CHAT, 5_000);
  assert.ok(Date.now() - t0 < 1_000, 'committed at once');
  assert.equal(hold.blocks(CHAT, () => [me, a2, b1]), true);

  waiting = 0;
  const t1 = Date.now();
  const delayed = check.rankDelay(CHAT, 5_000);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(check.cut(CHAT), true, 'a message was written and held meanwhile');
  await delayed;
  assert.ok(Date.now() - t1 < 1_000);
  assert.equal(check.cut(CHAT), false);

  list = [me, a2, b1];
  await check.devices(CHAT);
  assert.deepEqual(released, [CHAT], 'a2 is wanted again: the waiting message tries at once');
});
