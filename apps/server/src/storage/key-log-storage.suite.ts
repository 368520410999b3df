import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { KEY_LOG_GENESIS_HASH, ParleyError, keyLogEntryBytes, type ErrorCode, type KeyLogEntry } from '@parley/protocol';
import type { Storage } from './storage.ts';

/**
 * The per-user device-key log part of the Storage contract (R19-R21). Called from `storageSuite`
 * with its storage of the current test.
 */
export function keyLogStorageSuite(storage: () => Storage): void {
  describe('device-key log', () => {
    it('R19 published keys are appended at indices 1, 2… chained by SHA-256 from the genesis hash', async () => {
      const s = storage();
      await seed(s, 'alice', 2);
      const first = await s.publishMlsKey(publish('alice', 1));
      const second = await s.publishMlsKey({ ...publish('alice', 2), at: T0 + 2 });
      assert.equal(first.created, true);
      assert.deepEqual(first.entry, {
        index: 1, kind: 'add', deviceId: did('alice', 1), mlsSignatureKey: key('alice', 1), at: T0 + 1,
        prevHash: KEY_LOG_GENESIS_HASH, hash: first.entry.hash,
      });
      assert.deepEqual([second.entry.index, second.entry.prevHash], [2, first.entry.hash]);
      const page = await s.getKeyLog(uid('alice'), 0, 100);
      assert.deepEqual(page, { entries: [first.entry, second.entry], head: { index: 2, hash: second.entry.hash } });
      checkChain(uid('alice'), page.entries);
    });

    it('R19 an empty log has head 0 and the genesis hash; logs are per user', async () => {
      const s = storage();
      await seed(s, 'alice');
      await seed(s, 'bob');
      await s.publishMlsKey(publish('alice', 1));
      assert.deepEqual(await s.getKeyLog(uid('bob'), 0, 100), { entries: [], head: { index: 0, hash: KEY_LOG_GENESIS_HASH } });
      assert.deepEqual(await s.getKeyLog(uid('nobody'), 0, 100), { entries: [], head: { index: 0, hash: KEY_LOG_GENESIS_HASH } });
      const bob = await s.publishMlsKey(publish('bob', 1));
      assert.deepEqual([bob.entry.index, bob.entry.prevHash], [1, KEY_LOG_GENESIS_HASH]);
    });

    it('R20 the same key again returns the first entry; another key for the device is refused with mls_key_conflict', async () => {
      const s = storage();
      await seed(s, 'alice');
      const first = await s.publishMlsKey(publish('alice', 1));
      assert.deepEqual(await s.publishMlsKey({ ...publish('alice', 1), at: T0 + 50 }), { entry: first.entry, created: false });
      await rejectsWith(s.publishMlsKey({ ...publish('alice', 1), mlsSignatureKey: key('mallory', 1) }), 'mls_key_conflict');
      assert.deepEqual((await s.getKeyLog(uid('alice'), 0, 100)).entries, [first.entry]);
    });

    it('R20 a key for a revoked device or for another user\'s device is refused and appends nothing', async () => {
      const s = storage();
      await seed(s, 'alice', 2);
      await seed(s, 'bob');
      await s.revokeDevice(did('alice', 2), T0 + 5);
      await rejectsWith(s.publishMlsKey(publish('alice', 2)), 'device_revoked');
      await rejectsWith(s.publishMlsKey({ ...publish('alice', 1), userId: uid('bob') }), 'device_not_found');
      await rejectsWith(s.publishMlsKey({ ...publish('alice', 1), deviceId: 'dev_none_' }), 'device_not_found');
      assert.deepEqual((await s.getKeyLog(uid('alice'), 0, 100)).head.index, 0);
      assert.deepEqual((await s.getKeyLog(uid('bob'), 0, 100)).head.index, 0);
    });

    it('R21 revoking a device that published a key appends one revoke entry with the revocation; one that did not, none', async () => {
      const s = storage();
      await seed(s, 'alice', 3);
      const added = await s.publishMlsKey(publish('alice', 1));
      await s.revokeDevice(did('alice', 1), T0 + 9);
      await s.revokeDevice(did('alice', 1), T0 + 10); // again: no second entry
      await s.revokeDevice(did('alice', 3), T0 + 11); // never published: nothing to record
      const { entries, head } = await s.getKeyLog(uid('alice'), 0, 100);
      assert.deepEqual(entries.map((e) => [e.index, e.kind, e.deviceId, e.mlsSignatureKey, e.at]), [
        [1, 'add', did('alice', 1), key('alice', 1), T0 + 1],
        [2, 'revoke', did('alice', 1), null, T0 + 9],
      ]);
      assert.equal(entries[1]?.prevHash, added.entry.hash);
      assert.deepEqual(head, { index: 2, hash: entries[1]?.hash });
      assert.equal((await s.getDevice(did('alice', 1)))?.revokedAt, T0 + 9);
      checkChain(uid('alice'), entries);
    });

    it('R19 pages: entries after an index, at most limit, with the head of the whole log', async () => {
      const s = storage();
      await seed(s, 'alice', 5);
      for (let i = 1; i <= 5; i++) await s.publishMlsKey({ ...publish('alice', i), at: T0 + i });
      const all = (await s.getKeyLog(uid('alice'), 0, 100)).entries;
      const page = await s.getKeyLog(uid('alice'), 1, 2);
      assert.deepEqual(page, { entries: all.slice(1, 3), head: { index: 5, hash: all[4]?.hash } });
      assert.deepEqual((await s.getKeyLog(uid('alice'), 5, 2)).entries, []);
      assert.deepEqual((await s.getKeyLog(uid('alice'), 9, 2)).entries, []);
    });

    it('R21 concurrent publishes and revocations for one user never fork the chain: indices 1..N, each prevHash the previous hash', async () => {
      const s = storage();
      const n = 12;
      await seed(s, 'alice', n);
      const work: Promise<unknown>[] = [];
      // A publish racing its device's revocation either lands first or is refused (R21): both are fine here.
      const revokedMeanwhile = (err: unknown) => {
        if (!(err instanceof ParleyError && err.code === 'device_revoked')) throw err;
      };
      for (let i = 1; i <= n; i++) {
        const revoked = i % 3 === 0;
        const publishes = [
          s.publishMlsKey({ ...publish('alice', i), at: T0 + i }),
          s.publishMlsKey({ ...publish('alice', i), at: T0 + i }), // a retry, racing its original
        ];
        work.push(...(revoked ? publishes.map((p) => p.catch(revokedMeanwhile)) : publishes));
        if (revoked) work.push(s.publishMlsKey(publish('alice', i)).then(() => s.revokeDevice(did('alice', i), T0 + 100 + i)));
      }
      await Promise.all(work);
      const { entries, head } = await s.getKeyLog(uid('alice'), 0, 100);
      assert.equal(entries.length, n + n / 3);
      assert.deepEqual(entries.map((e) => e.index), Array.from({ length: entries.length }, (_, i) => i + 1));
      assert.equal(entries.filter((e) => e.kind === 'add').length, n);
      assert.deepEqual(head, { index: entries.length, hash: entries.at(-1)?.hash });
      checkChain(uid('alice'), entries);
    });
  });
}

// --- fixtures --------------------------------------------------------------------------------

const T0 = 1_700_000_000_000;
const uid = (n: string): string => `user_${n}`.padEnd(8, '_');
const did = (n: string, i: number): string => `dev_${n}_${i}`;
/** A distinct 32-byte key per (name, device), base64. */
const key = (n: string, i: number): string => createHash('sha256').update(`${n}/${i}`).digest('base64');
const device = (n: string, i: number) => ({ deviceId: did(n, i), userId: uid(n), name: `${n} ${i}`, publicKey: `key_${n}_${i}`, createdAt: T0 + i, lastSeenAt: null, revokedAt: null });
const publish = (n: string, i: number) => ({ userId: uid(n), deviceId: did(n, i), mlsSignatureKey: key(n, i), at: T0 + 1 });

async function seed(s: Storage, name: string, devices = 1): Promise<void> {
  await s.createUser({ userId: uid(name), handle: name, displayName: name, createdAt: T0, recoveryHash: 'salt:hash' }, device(name, 1));
  for (let i = 2; i <= devices; i++) await s.addDevice(device(name, i));
}

/** Recomputes every hash from the documented encoding: the chain a client would check. */
function checkChain(userId: string, entries: readonly KeyLogEntry[]): void {
  let prev = KEY_LOG_GENESIS_HASH;
  entries.forEach((e, i) => {
    assert.equal(e.index, i + 1);
    assert.equal(e.prevHash, prev);
    assert.equal(createHash('sha256').update(keyLogEntryBytes({ userId, ...e })).digest('hex'), e.hash, `hash of entry ${e.index}`);
    prev = e.hash;
  });
}

async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof ParleyError && err.code === code);
}
