import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import type { AppendRequest, AppendResult, EpochConflict, KeyPackageRow, Storage } from './storage.ts';

/**
 * The MLS delivery service part of the Storage contract (R14, R15, R16): epoch-ordered commits and
 * the key package directory. Called from `storageSuite` with its storage of the current test.
 */
export function mlsStorageSuite(storage: () => Storage): void {
  describe('appendCommit (MLS epochs)', () => {
    it('R15 a commit for the current epoch is appended at the next seq and moves the epoch on; a new chat is at epoch 0', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      assert.equal((await s.getChat(CHAT))?.mlsEpoch, 0);
      const first = accepted(await s.appendCommit(commit('alice', 'c1'), 0));
      assert.deepEqual([first.message.seq, first.duplicate], [2, false]);
      assert.equal((await s.getChat(CHAT))?.mlsEpoch, 1);
      const second = accepted(await s.appendCommit(commit('bob', 'c2'), 1));
      assert.equal(second.message.seq, 3);
      assert.deepEqual(await s.getChat(CHAT).then((c) => [c?.lastSeq, c?.mlsEpoch]), [3, 2]);
    });

    it('R15 each commit entry carries the epoch it was accepted at, as appended and as read back; no other entry does', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      const first = accepted(await s.appendCommit(commit('alice', 'c1'), 0));
      await s.appendMessages([text('alice', 'between')]);
      const second = accepted(await s.appendCommit(commit('bob', 'c2'), 1));
      assert.deepEqual([first.message.commitEpoch, second.message.commitEpoch], [0, 1]);
      const log = await s.getMessages(CHAT, { limit: 100 });
      assert.deepEqual(log.map((m) => [m.seq, m.commitEpoch]), [[1, undefined], [2, 0], [3, undefined], [4, 1]]);
      assert.deepEqual((await s.getMessages(CHAT, { beforeSeq: 5, limit: 1 }))[0], second.message);
    });

    it('R15 a commit for another epoch stores nothing and answers the current epoch', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      accepted(await s.appendCommit(commit('alice', 'c1'), 0));
      assert.deepEqual(await s.appendCommit(commit('bob', 'stale'), 0), { conflict: 1 });
      assert.deepEqual(await s.appendCommit(commit('bob', 'ahead'), 5), { conflict: 1 });
      assert.deepEqual(await s.getChat(CHAT).then((c) => [c?.lastSeq, c?.mlsEpoch]), [2, 1]);
      // Nothing was burnt: the same client id is fresh, not a duplicate, once it names the right epoch.
      const retry = accepted(await s.appendCommit(commit('bob', 'stale'), 1));
      assert.deepEqual([retry.message.seq, retry.duplicate], [3, false]);
    });

    it('R15 concurrent commits for one epoch: exactly one wins, every other one conflicts', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => s.appendCommit(commit(i % 2 ? 'bob' : 'alice', `race${i}`), 0)));
      const winners = results.filter((r): r is AppendResult => !('conflict' in r));
      assert.equal(winners.length, 1);
      assert.deepEqual(results.filter((r) => 'conflict' in r), Array.from({ length: 9 }, () => ({ conflict: 1 })));
      assert.deepEqual((await s.getMessages(CHAT, { limit: 100 })).map((m) => m.seq), [1, 2]);
      assert.equal((await s.getChat(CHAT))?.mlsEpoch, 1);
    });

    it('R16 a resend of an accepted commit returns the original as a duplicate though the epoch moved on', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      const original = accepted(await s.appendCommit(commit('alice', 'c1'), 0));
      accepted(await s.appendCommit(commit('bob', 'c2'), 1));
      const again = await s.appendCommit({ ...commit('alice', 'c1', [9, 9]), sentAt: T0 + 999 }, 0);
      assert.deepEqual(again, { message: original.message, duplicate: true });
      assert.deepEqual(await s.getChat(CHAT).then((c) => [c?.lastSeq, c?.mlsEpoch]), [3, 2]);
    });

    it('R3 seqs stay gapless with commits (won and lost) mixed among messages', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 12; i++) {
        work.push(s.appendMessages([text('alice', `m${i}`)]));
        work.push(s.appendCommit(commit('bob', `c${i}`), Math.floor(i / 2)));
      }
      await Promise.all(work);
      const log = await s.getMessages(CHAT, { limit: 100 });
      assert.deepEqual(log.map((m) => m.seq), Array.from({ length: log.length }, (_, i) => i + 1));
      const chat = await s.getChat(CHAT);
      assert.equal(chat?.lastSeq, log.length);
      assert.equal(log.length, 1 + 12 + (chat?.mlsEpoch ?? 0));
    });

    it('R17 the commit envelope is stored byte for byte', async () => {
      const s = storage();
      await seed(s, 'alice');
      const bytes = [0, 1, 0xff, 0x80, 0x00, 0x7f];
      const { message } = accepted(await s.appendCommit(commit('alice', 'c1', bytes), 0));
      const [stored] = await s.getMessages(CHAT, { afterSeq: 1, limit: 1 });
      assert.deepEqual(stored, message);
      assert.deepEqual([...Buffer.from(stored?.envelope?.payload ?? '', 'base64')], bytes);
    });

    it('a commit to an unknown chat is rejected with chat_not_found', async () => {
      const s = storage();
      await seed(s, 'alice');
      await assert.rejects(s.appendCommit({ ...commit('alice', 'c1'), chatId: 'chat_none' }, 0),
        (err: unknown) => err instanceof ParleyError && err.code === 'chat_not_found');
    });
  });

  describe('the group\'s public state (R35)', () => {
    it('is stored with the commit that led to it, for the next epoch; a conflict or a duplicate stores nothing', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      assert.equal(await s.getMlsGroupState(CHAT), undefined);
      accepted(await s.appendCommit(commit('alice', 'c1'), 0, { state: Uint8Array.of(1, 1), startedAt: T0 + 5 }));
      assert.deepEqual(await s.getMlsGroupState(CHAT), { epoch: 1, state: Uint8Array.of(1, 1), startedAt: T0 + 5 });
      assert.deepEqual(await s.appendCommit(commit('bob', 'c2'), 0, { state: Uint8Array.of(9), startedAt: T0 + 9 }), { conflict: 1 });
      const dup = await s.appendCommit(commit('alice', 'c1'), 0, { state: Uint8Array.of(9), startedAt: T0 + 9 });
      assert.ok(!('conflict' in dup) && dup.duplicate);
      accepted(await s.appendCommit(commit('bob', 'c3'), 1, { state: Uint8Array.of(2, 2, 2), startedAt: T0 + 5 }));
      assert.deepEqual(await s.getMlsGroupState(CHAT), { epoch: 2, state: Uint8Array.of(2, 2, 2), startedAt: T0 + 5 });
      // A commit appended without a state (no check made) leaves the last one, now behind the chat's epoch.
      accepted(await s.appendCommit(commit('bob', 'c4'), 2));
      assert.equal((await s.getMlsGroupState(CHAT))?.epoch, 2);
      assert.equal((await s.getChat(CHAT))?.mlsEpoch, 3);
    });

    it('R35b a state kept for joiners is read by its epoch until it expires; the chat\'s next such commit deletes the expired ones; a duplicate keeps nothing new', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      accepted(await s.appendCommit(commit('alice', 'c1'), 0, { state: Uint8Array.of(1), startedAt: 0, forJoiners: { until: T0 + 100, now: T0 } }));
      accepted(await s.appendCommit(commit('alice', 'c2'), 1, { state: Uint8Array.of(2), startedAt: 0 }));
      assert.deepEqual(await s.getMlsJoinState(CHAT, 1, T0 + 50), Uint8Array.of(1));
      assert.equal(await s.getMlsJoinState(CHAT, 2, T0 + 50), undefined, 'a commit without joiners keeps nothing apart');
      assert.equal(await s.getMlsJoinState(CHAT, 1, T0 + 101), undefined, 'expired');
      const dup = await s.appendCommit(commit('alice', 'c1'), 0, { state: Uint8Array.of(9), startedAt: 0, forJoiners: { until: T0 + 999, now: T0 } });
      assert.ok(!('conflict' in dup) && dup.duplicate);
      assert.deepEqual(await s.getMlsJoinState(CHAT, 1, T0 + 50), Uint8Array.of(1));
      accepted(await s.appendCommit(commit('bob', 'c3'), 2, { state: Uint8Array.of(3), startedAt: 0, forJoiners: { until: T0 + 500, now: T0 + 200 } }));
      assert.deepEqual(await s.getMlsJoinState(CHAT, 3, T0 + 200), Uint8Array.of(3));
      assert.equal(await s.getMlsJoinState(CHAT, 1, 0), undefined, 'deleted once expired, not only hidden');
      assert.equal(await s.getMlsJoinState('chat_none', 1, T0), undefined);
    });

    it('lists users\' devices with the key their log binds and whether they are revoked', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      await s.addDevice(device('bob', 2));
      const key = Buffer.alloc(32, 7).toString('base64');
      await s.publishMlsKey({ userId: uid('bob'), deviceId: did('bob', 1), mlsSignatureKey: key, at: T0 });
      await s.revokeDevice(did('bob', 1), T0 + 1);
      assert.deepEqual(await s.getDeviceKeys([uid('bob'), uid('nobody')]), [
        { userId: uid('bob'), deviceId: did('bob', 1), revoked: true, mlsSignatureKey: key },
        { userId: uid('bob'), deviceId: did('bob', 2), revoked: false, mlsSignatureKey: null },
      ]);
      assert.deepEqual(await s.getDeviceKeys([]), []);
    });

    it('tells which devices have a fresh key package', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      await s.addDevice(device('bob', 2));
      await add(s, 'bob', 1, [kp('bob', 1, 'old', 1)]);
      await add(s, 'bob', 2, [], { ...kp('bob', 2, 'last', 10), lastResort: true });
      assert.deepEqual(await s.devicesWithKeyPackages([did('bob', 1), did('bob', 2), did('alice', 1)], T0), [did('bob', 1), did('bob', 2)]);
      assert.deepEqual(await s.devicesWithKeyPackages([did('bob', 1), did('bob', 2)], T0 + 5), [did('bob', 2)]);
      assert.deepEqual(await s.devicesWithKeyPackages([], 0), []);
    });
  });

  describe('key packages (MLS directory)', () => {
    it('R41 a claim hands the devices of users in lastResortOnly their last-resort key package and consumes none of theirs', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob', 'carol');
      await add(s, 'bob', 1, [kp('bob', 1, 'b-one', 1)], { ...kp('bob', 1, 'b-last', 0), lastResort: true });
      await add(s, 'carol', 1, [kp('carol', 1, 'c-one', 1)]);
      const got = await s.claimKeyPackages([uid('bob'), uid('carol')], did('alice', 1), 0, [uid('bob'), uid('carol')]);
      assert.deepEqual(got.map((k) => [name(k), k.lastResort]), [['b-last', true]], 'bob: his last resort; carol has none, so nothing');
      assert.deepEqual(await s.countKeyPackages(did('bob', 1), 0), { available: 1, lastResortCreatedAt: T0 }, 'his one-time one is still there');
      assert.deepEqual((await claim(s, [uid('bob'), uid('carol')])).map(name), ['b-one', 'c-one']);
    });

    it('R14 claims take one-time key packages oldest first, one per device, each once; then the last resort, which stays', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      await s.addDevice(device('bob', 2));
      await add(s, 'bob', 1, [kp('bob', 1, 'b1a', 1), kp('bob', 1, 'b1b', 2)], kp('bob', 1, 'b1last', 0));
      await add(s, 'bob', 2, [kp('bob', 2, 'b2a', 1)]);
      assert.deepEqual(await s.countKeyPackages(did('bob', 1), 0), { available: 2, lastResortCreatedAt: T0 });
      assert.deepEqual(await s.countKeyPackages(did('bob', 2), 0), { available: 1, lastResortCreatedAt: null });

      const names = async () => (await claim(s, [uid('bob')])).map((k) => [k.deviceId, name(k), k.lastResort]);
      assert.deepEqual(await names(), [[did('bob', 1), 'b1a', false], [did('bob', 2), 'b2a', false]]);
      assert.deepEqual(await names(), [[did('bob', 1), 'b1b', false]]);
      assert.deepEqual(await names(), [[did('bob', 1), 'b1last', true]]);
      assert.deepEqual(await names(), [[did('bob', 1), 'b1last', true]]);
      assert.deepEqual(await s.countKeyPackages(did('bob', 1), 0), { available: 0, lastResortCreatedAt: T0 });
    });

    it('R14 a claimed key package reads back byte for byte with its user and device', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      const row = kp('bob', 1, 'b1', 1);
      await add(s, 'bob', 1, [row]);
      assert.deepEqual(await claim(s, [uid('bob'), uid('nobody')]), [row]);
    });

    it('R14 concurrent claims consume each one-time key package once: 20 claims of 5 give 5 distinct ones and the last resort', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      await add(s, 'bob', 1, Array.from({ length: 5 }, (_, i) => kp('bob', 1, `one${i}`, i)), kp('bob', 1, 'last', 0));
      const claims = await Promise.all(Array.from({ length: 20 }, () => claim(s, [uid('bob')])));
      const got = claims.map((c) => { assert.equal(c.length, 1); return c[0]!; });
      const oneTime = got.filter((k) => !k.lastResort).map(name);
      assert.deepEqual([...new Set(oneTime)].sort(), ['one0', 'one1', 'one2', 'one3', 'one4']);
      assert.equal(oneTime.length, 5);
      assert.deepEqual(got.filter((k) => k.lastResort).map(name), Array.from({ length: 15 }, () => 'last'));
      assert.deepEqual(await s.countKeyPackages(did('bob', 1), 0), { available: 0, lastResortCreatedAt: T0 });
    });

    it('R14 an upload with a last resort replaces the previous one; one-time ones add up; a repeat is stored once', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      await add(s, 'bob', 1, [kp('bob', 1, 'k1', 1)], kp('bob', 1, 'old', 1));
      await add(s, 'bob', 1, [kp('bob', 1, 'k1', 2), kp('bob', 1, 'k2', 2)], kp('bob', 1, 'new', 2));
      assert.deepEqual(await s.countKeyPackages(did('bob', 1), 0), { available: 2, lastResortCreatedAt: T0 + 2 });
      await claim(s, [uid('bob')]);
      await claim(s, [uid('bob')]);
      const [fallback] = await claim(s, [uid('bob')]);
      assert.deepEqual(fallback && [name(fallback), fallback.lastResort], ['new', true]);
    });

    it('R14 a key package uploaded again keeps its first upload time: re-uploading never makes it fresh', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      await add(s, 'bob', 1, [kp('bob', 1, 'k1', 1)], kp('bob', 1, 'last', 1));
      await add(s, 'bob', 1, [kp('bob', 1, 'k1', 50)], kp('bob', 1, 'last', 50));
      assert.deepEqual(await s.countKeyPackages(did('bob', 1), T0 + 10), { available: 0, lastResortCreatedAt: null });
      assert.deepEqual(await s.countKeyPackages(did('bob', 1), 0), { available: 1, lastResortCreatedAt: T0 + 1 });
    });

    it('R14 a claim never returns a key package stored before freshSince, and deletes those of the devices it names', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob', 'carol');
      await add(s, 'bob', 1, [kp('bob', 1, 'stale1', 1), kp('bob', 1, 'stale2', 2), kp('bob', 1, 'fresh', 20)], kp('bob', 1, 'staleLast', 3));
      await add(s, 'carol', 1, [kp('carol', 1, 'carolStale', 1)]);
      assert.deepEqual(await s.countKeyPackages(did('bob', 1), T0 + 10), { available: 1, lastResortCreatedAt: null }, 'only fresh ones count');
      assert.deepEqual((await claim(s, [uid('bob')], T0 + 10)).map(name), ['fresh'], 'the fresh one, though the stale ones are older');
      assert.deepEqual(await claim(s, [uid('bob')], T0 + 10), [], 'a stale last resort is not handed out either: bob is absent');
      assert.deepEqual(await s.countKeyPackages(did('bob', 1), 0), { available: 0, lastResortCreatedAt: null }, 'the stale ones are gone');
      assert.deepEqual(await s.countKeyPackages(did('carol', 1), 0), { available: 1, lastResortCreatedAt: null }, 'a device not claimed is left alone');
      // Stored exactly at freshSince is still fresh.
      await add(s, 'bob', 1, [kp('bob', 1, 'edge', 10)]);
      assert.deepEqual((await claim(s, [uid('bob')], T0 + 10)).map(name), ['edge']);
    });

    it('R14 an upload deletes the device\'s stale key packages first, and with replaceOneTime all its unclaimed one-time ones', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      await s.addDevice(device('bob', 2));
      await add(s, 'bob', 1, [kp('bob', 1, 'old', 1), kp('bob', 1, 'mid', 20)], kp('bob', 1, 'oldLast', 1));
      await add(s, 'bob', 2, [kp('bob', 2, 'other', 1)]);
      await s.addKeyPackages({ deviceId: did('bob', 1), oneTime: [kp('bob', 1, 'new', 30)], staleBefore: T0 + 10 });
      assert.deepEqual(await s.countKeyPackages(did('bob', 1), 0), { available: 2, lastResortCreatedAt: null }, 'old and oldLast were deleted');
      assert.deepEqual(await s.countKeyPackages(did('bob', 2), 0), { available: 1, lastResortCreatedAt: null }, 'another device keeps its own');

      await s.addKeyPackages({ deviceId: did('bob', 1), oneTime: [kp('bob', 1, 'newer', 40)], lastResort: kp('bob', 1, 'last', 40), staleBefore: T0 + 10, replaceOneTime: true });
      assert.deepEqual(await s.countKeyPackages(did('bob', 1), 0), { available: 1, lastResortCreatedAt: T0 + 40 });
      assert.deepEqual((await claim(s, [uid('bob')])).map(name), ['newer', 'other']);
      assert.deepEqual((await claim(s, [uid('bob')])).map(name), ['last']);
    });

    it('R14 deleteKeyPackagesBefore deletes every device\'s key packages stored before the time, last-resort ones too', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      await add(s, 'bob', 1, [kp('bob', 1, 'b-old', 1), kp('bob', 1, 'b-new', 10)], kp('bob', 1, 'b-last', 2));
      await add(s, 'alice', 1, [kp('alice', 1, 'a-old', 3)], kp('alice', 1, 'a-last', 10));
      assert.equal(await s.deleteKeyPackagesBefore(T0 + 10), 3);
      assert.deepEqual(await s.countKeyPackages(did('bob', 1), 0), { available: 1, lastResortCreatedAt: null });
      assert.deepEqual(await s.countKeyPackages(did('alice', 1), 0), { available: 0, lastResortCreatedAt: T0 + 10 });
      assert.equal(await s.deleteKeyPackagesBefore(T0 + 10), 0);
    });

    it('R14 a revoked device\'s key packages are deleted with it and it is never claimed; the claimer\'s own device is skipped', async () => {
      const s = storage();
      await seed(s, 'alice', 'bob');
      await s.addDevice(device('bob', 2));
      await add(s, 'bob', 1, [kp('bob', 1, 'b1', 1)], kp('bob', 1, 'b1last', 1));
      await add(s, 'bob', 2, [kp('bob', 2, 'b2', 1)]);
      await s.revokeDevice(did('bob', 1), T0 + 5);
      assert.deepEqual(await s.countKeyPackages(did('bob', 1), 0), { available: 0, lastResortCreatedAt: null });
      assert.deepEqual((await claim(s, [uid('bob')])).map(name), ['b2']);
      await add(s, 'bob', 2, [kp('bob', 2, 'b2x', 2)]);
      assert.deepEqual(await s.claimKeyPackages([uid('bob')], did('bob', 2), 0), []);
      assert.deepEqual(await claim(s, []), []);
    });
  });
}

// --- fixtures --------------------------------------------------------------------------------

const T0 = 1_700_000_000_000;
const CHAT = 'chat_mls_';
const uid = (n: string): string => `user_${n}`.padEnd(8, '_');
const did = (n: string, i: number): string => `dev_${n}_${i}`;
const device = (n: string, i: number) => ({ deviceId: did(n, i), userId: uid(n), name: `${n} ${i}`, publicKey: `key_${n}_${i}`, createdAt: T0 + i, lastSeenAt: null, revokedAt: null });

async function seed(s: Storage, ...names: string[]): Promise<void> {
  for (const n of names) {
    await s.createUser({ userId: uid(n), handle: n, displayName: n, createdAt: T0, recoveryHash: 'salt:hash' }, device(n, 1));
  }
  await s.createChat(
    { chatId: CHAT, kind: 'group', name: 'mls', color: '#336699', createdAt: T0, lastSeq: 0, mlsEpoch: 0, directKey: null },
    names.map((n, i) => ({ chatId: CHAT, userId: uid(n), role: i === 0 ? 'owner' : 'member', joinedAt: T0, deliveredSeq: 0, readSeq: 0, adminSince: i === 0 ? T0 : null })),
    { chatId: CHAT, clientMsgId: 'created_', senderUserId: uid(names[0] ?? 'alice'), senderDeviceId: did(names[0] ?? 'alice', 1), sentAt: T0, envelope: null, system: { kind: 'created' } },
  );
}

function commit(sender: string, clientMsgId: string, bytes: number[] = [1, 2, 3]): AppendRequest {
  return {
    chatId: CHAT, clientMsgId: clientMsgId.padEnd(8, '_'), senderUserId: uid(sender), senderDeviceId: did(sender, 1), sentAt: T0 + 100,
    envelope: { contentType: 'message/mls', payload: Buffer.from(bytes).toString('base64') }, system: null,
  };
}

function text(sender: string, clientMsgId: string): AppendRequest {
  return { ...commit(sender, clientMsgId), envelope: { contentType: 'parley/plain+json', payload: Buffer.from('{}').toString('base64') } };
}

function accepted(result: AppendResult | EpochConflict): AppendResult {
  assert.ok(!('conflict' in result), `expected the commit to be accepted, got ${JSON.stringify(result)}`);
  return result;
}

/** A key package whose bytes spell its name; `at` orders it (createdAt). */
function kp(owner: string, n: number, label: string, at: number): KeyPackageRow {
  return {
    keyPackageId: `id_${label}`, userId: uid(owner), deviceId: did(owner, n), keyPackage: Buffer.from(label).toString('base64'),
    lastResort: false, createdAt: T0 + at,
  };
}

const name = (k: KeyPackageRow): string => Buffer.from(k.keyPackage, 'base64').toString();

/** An upload by one device; nothing is stale (staleBefore 0) unless a test says so. */
function add(s: Storage, owner: string, n: number, oneTime: KeyPackageRow[], lastResort?: KeyPackageRow): Promise<void> {
  return s.addKeyPackages({ deviceId: did(owner, n), oneTime, ...(lastResort ? { lastResort } : {}), staleBefore: 0 });
}

/** Alice's device claims; every key package is fresh unless `freshSince` says otherwise. */
function claim(s: Storage, userIds: string[], freshSince = 0): Promise<KeyPackageRow[]> {
  return s.claimKeyPackages(userIds, did('alice', 1), freshSince);
}
