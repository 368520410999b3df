import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToBase64 } from '../encoding.ts';
import { MlsGroupSession } from '../mls/index.ts';
import { addAndJoin, newDevice, utf8 } from '../mls/test-fixtures.ts';
import { MemoryStore } from '../stores/memory-store.ts';
import { MemberSince } from './member-since.ts';
import { firstPart, memberKey, reconcileGroup, rejoinDue } from './reconcile.ts';

const CHAT = 'chat_reconcile';

test('R34 a removal never waits for an add: a key package that fails (here one the key log does not bind) leaves the removal committed', async () => {
  const [owner, leaving, joining] = await Promise.all([newDevice('alice'), newDevice('bob'), newDevice('carol')]);
  // The owner's authenticate hook refuses Carol's key (a forged key package from a bad server).
  const session = await MlsGroupSession.create(owner.identity, utf8(CHAT), { authenticate: async (m) => m.userId !== 'carol' });
  await addAndJoin(session, [], [leaving]);
  const store = new MemoryStore();
  const sent: number[] = [];
  const { result } = await reconcileGroup(session, {
    chatId: CHAT, userId: 'alice', deviceId: 'phone', store, since: new MemberSince(store),
    create: () => { throw new Error('the group exists'); },
  }, {
    serverEpoch: Number(session.epoch),
    devices: [owner.identity, joining.identity].map((i) => ({ userId: i.userId, deviceId: i.deviceId })),
    claim: async () => [{ userId: 'carol', deviceId: 'phone', keyPackage: bytesToBase64(joining.keyPackages[0]!.keyPackage), lastResort: false }],
    send: async ({ epoch }) => (sent.push(epoch), 'accepted'),
  });
  assert.deepEqual(result, { kind: 'committed_partly', missing: ['carol:phone'], added: [] });
  assert.equal(sent.length, 1);
  assert.deepEqual(session.members().map(memberKey), ['alice:phone'], "bob's leaf is gone; carol is tried again later");
});

test('insider: a device whose key package is garbage (or forged) is left out alone; the others are added in the same commit', async () => {
  const [owner, bob, carol, mallory] = await Promise.all([newDevice('alice'), newDevice('bob'), newDevice('carol'), newDevice('mallory')]);
  const session = await MlsGroupSession.create(owner.identity, utf8(CHAT), { authenticate: async (m) => m.userId !== 'forged' });
  const store = new MemoryStore();
  const garbage = bytesToBase64(Uint8Array.from({ length: 300 }, (_, i) => i & 0xff));
  const forgedDevice = await newDevice('forged');
  const { result } = await reconcileGroup(session, {
    chatId: CHAT, userId: 'alice', deviceId: 'phone', store, since: new MemberSince(store),
    create: () => { throw new Error('the group exists'); },
  }, {
    serverEpoch: Number(session.epoch),
    devices: [owner, bob, carol, mallory, forgedDevice].map((d) => ({ userId: d.identity.userId, deviceId: d.identity.deviceId })),
    claim: async () => [
      { userId: 'bob', deviceId: 'phone', keyPackage: bytesToBase64(bob.keyPackages[0]!.keyPackage), lastResort: false },
      { userId: 'carol', deviceId: 'phone', keyPackage: bytesToBase64(carol.keyPackages[0]!.keyPackage), lastResort: false },
      { userId: 'mallory', deviceId: 'phone', keyPackage: garbage, lastResort: false },
      { userId: 'forged', deviceId: 'phone', keyPackage: bytesToBase64(forgedDevice.keyPackages[0]!.keyPackage), lastResort: false },
    ],
    send: async () => 'accepted',
  });
  assert.deepEqual(result, { kind: 'committed_partly', missing: ['forged:phone', 'mallory:phone'], added: ['bob:phone', 'carol:phone'] });
  assert.deepEqual(session.members().map(memberKey).sort(), ['alice:phone', 'bob:phone', 'carol:phone']);
});

test('R36b a part: whole users in id order, at most maxAdds devices (at least one user) and 100 users', () => {
  const d = (userId: string, deviceId: string) => ({ userId, deviceId });
  const devices = [d('u3', 'a'), d('u1', 'b'), d('u2', 'a'), d('u1', 'a'), d('u2', 'b'), d('u4', 'a')];
  assert.deepEqual(firstPart(devices, 3).map(memberKey), ['u1:a', 'u1:b']);
  assert.deepEqual(firstPart(devices, 4).map(memberKey), ['u1:a', 'u1:b', 'u2:a', 'u2:b']);
  assert.deepEqual(firstPart(devices, 1).map(memberKey), ['u1:a', 'u1:b'], 'one user even past the cap');
  assert.equal(firstPart(devices, 100).length, 6);
  const many = Array.from({ length: 150 }, (_, i) => d(`user${String(i).padStart(3, '0')}`, 'phone'));
  assert.equal(firstPart(many, 400).length, 100, 'one claim names at most 100 users');
});

test('R36b a part in which no device has a key package is passed over: a new group whose first users have none still adds the later ones', async () => {
  const [owner, zed] = await Promise.all([newDevice('alice'), newDevice('zed')]);
  const store = new MemoryStore();
  const claims: string[][] = [];
  let session: MlsGroupSession | undefined;
  const { result, merged } = await reconcileGroup(undefined, {
    chatId: CHAT, userId: 'alice', deviceId: 'phone', store, since: new MemberSince(store),
    create: async () => (session = await MlsGroupSession.create(owner.identity, utf8(CHAT))),
  }, {
    serverEpoch: 0,
    maxAdds: 2,
    // Three residents whose devices used up their key packages come before Zed in id order.
    devices: ['alice', 'res1', 'res2', 'res3', 'zed'].map((userId) => ({ userId, deviceId: 'phone' })),
    claim: async (userIds) => {
      claims.push(userIds);
      return userIds.includes('zed') ? [{ userId: 'zed', deviceId: 'phone', keyPackage: bytesToBase64(zed.keyPackages[0]!.keyPackage), lastResort: false }] : [];
    },
    send: async () => 'accepted',
  });
  assert.deepEqual(claims, [['res1', 'res2'], ['res3', 'zed']]);
  assert.deepEqual(result, { kind: 'committed_partly', missing: ['res1:phone', 'res2:phone', 'res3:phone'], added: ['zed:phone'] });
  assert.ok(merged && merged === session);
  assert.deepEqual(merged.members().map(memberKey).sort(), ['alice:phone', 'zed:phone']);
});

test('R29 a device outside a group asks to be added after 10 s, then every 30 s; at once, once, when its first key packages reach the server', () => {
  const ask = (t: Partial<Parameters<typeof rejoinDue>[0]>) => rejoinDue({ now: 100_000, waitingSince: 100_000, askedAt: undefined, reachableAt: undefined, reachableAsked: undefined, ...t });
  assert.equal(ask({}), undefined, 'just outside: members may be adding it');
  assert.equal(ask({ waitingSince: 90_000 }), 'waited');
  assert.equal(ask({ waitingSince: 50_000, askedAt: 80_000 }), undefined, 'asked 20 s ago');
  assert.equal(ask({ waitingSince: 50_000, askedAt: 70_000 }), 'waited');
  // Its key packages reached the server 0.5 s ago, after members' devices found none (they back off up to 30 s).
  assert.equal(ask({ waitingSince: 99_000, reachableAt: 99_500 }), 'reachable');
  assert.equal(ask({ waitingSince: 99_800, reachableAt: 99_500 }), undefined, 'there before it waited: members adding it found them (an ask would race their add)');
  assert.equal(ask({ waitingSince: 95_000, askedAt: 90_000, reachableAt: 99_500 }), 'reachable', 'an ask before its key packages were there is not answered');
  assert.equal(ask({ waitingSince: 99_000, reachableAt: 99_500, reachableAsked: 99_500 }), undefined, 'once');
  assert.equal(ask({ reachableAt: 30_000 }), undefined, 'long reachable: the 10 s rule');
});
