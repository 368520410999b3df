import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { BlobRow, BlobStorage } from './blob-storage.ts';
import { device, did, rejectsWith, seedChat, seedUsers, sys, T0, text, uid } from './storage.fixtures.ts';
import type { Storage } from './storage.ts';

const TTL = 86_400_000;
const LIMITS = { quotaBytes: 1000, maxInFlight: 3 };

function blob(name: string, owner: string, opts: Partial<BlobRow> = {}): BlobRow {
  return { blobId: `blob_${name}`.padEnd(22, '_'), ownerUserId: uid(owner), ownerDeviceId: did(owner, 1), length: 100, createdAt: T0, completedAt: null, ...opts };
}
const id = (name: string): string => blob(name, 'x').blobId;

/**
 * The BlobStorage contract (R53-R56), run against SQLite and PostgreSQL. `open` gives a fresh, migrated
 * database: its Storage (users, chats and the log appends that write references) and its BlobStorage.
 */
export function blobStorageSuite(name: string, open: () => Promise<{ storage: Storage; blobs: BlobStorage }>): void {
  describe(`${name}: blobs`, () => {
    let storage: Storage;
    let blobs: BlobStorage;
    beforeEach(async () => {
      ({ storage, blobs } = await open());
      await seedUsers(storage, 'alice', 'bob', 'carol');
      await seedChat(storage, 'chat_ab', ['alice', 'bob']);
      await seedChat(storage, 'chat_ac', ['alice', 'carol']);
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R53 a stored blob reads back as written; completing it stamps the time once; unknown ids are undefined', async () => {
      assert.equal(await blobs.createBlob(blob('one', 'alice'), LIMITS), undefined);
      assert.deepEqual(await blobs.getBlob(id('one')), blob('one', 'alice'));
      assert.equal(await blobs.getBlob(id('nope')), undefined);
      assert.equal(await blobs.completeBlob(id('one'), T0 + 5), true);
      assert.equal(await blobs.completeBlob(id('one'), T0 + 9), true);
      assert.equal((await blobs.getBlob(id('one')))?.completedAt, T0 + 5);
      assert.equal(await blobs.completeBlob(id('nope'), T0), false);
    });

    it('R53 quota: an upload that would pass the account\'s bytes is refused and nothing is stored; unfinished ones count', async () => {
      assert.equal(await blobs.createBlob(blob('a', 'alice', { length: 600 }), LIMITS), undefined);
      await blobs.completeBlob(id('a'), T0);
      assert.equal(await blobs.createBlob(blob('b', 'alice', { length: 400 }), LIMITS), undefined);
      assert.equal(await blobs.createBlob(blob('c', 'alice', { length: 1 }), LIMITS), 'quota_exceeded');
      assert.equal(await blobs.getBlob(id('c')), undefined);
      assert.deepEqual(await blobs.usage(uid('alice')), { usedBytes: 1000, blobs: 2 });
      assert.deepEqual(await blobs.usage(uid('bob')), { usedBytes: 0, blobs: 0 });
      assert.equal(await blobs.createBlob(blob('d', 'bob', { length: 1000 }), LIMITS), undefined, 'another account has its own quota');
    });

    it('R53 uploads in flight are counted per device, finished ones do not count; concurrent creations keep both limits', async () => {
      for (const n of ['1', '2', '3']) assert.equal(await blobs.createBlob(blob(n, 'alice', { length: 1 }), LIMITS), undefined);
      assert.equal(await blobs.createBlob(blob('4', 'alice', { length: 1 }), LIMITS), 'too_many_uploads');
      assert.equal(await blobs.inFlight(did('alice', 1)), 3);
      await storage.addDevice(device('alice', 2));
      assert.equal(await blobs.createBlob(blob('5', 'alice', { length: 1, ownerDeviceId: did('alice', 2) }), LIMITS), undefined, 'another device');
      assert.deepEqual((await blobs.unfinishedBefore(did('alice', 1), T0 + 1)).map((b) => b.blobId), [id('1'), id('2'), id('3')]);
      assert.deepEqual(await blobs.unfinishedBefore(did('alice', 1), T0), []);
      await blobs.completeBlob(id('1'), T0);
      assert.deepEqual((await blobs.unfinishedBefore(did('alice', 1), T0 + 1)).map((b) => b.blobId), [id('2'), id('3')]);
      assert.equal(await blobs.createBlob(blob('6', 'alice', { length: 1 }), LIMITS), undefined, 'a finished upload frees a slot');

      const racing = await Promise.all(Array.from({ length: 8 }, (_, i) => blobs.createBlob(blob(`race${i}`, 'bob', { length: 300 }), { quotaBytes: 1000, maxInFlight: 100 })));
      assert.equal(racing.filter((r) => r === undefined).length, 3, 'three of 300 bytes fit 1000');
      assert.equal((await blobs.usage(uid('bob'))).usedBytes, 900);
    });

    it('R54 a message that names complete blobs records its references with its seq, once, also when sent again', async () => {
      await blobs.createBlob(blob('f', 'alice'), LIMITS);
      await blobs.completeBlob(id('f'), T0);
      const [first] = await storage.appendMessages([{ ...text('chat_ab', 'alice', 'msg_with_file'), blobs: { add: [id('f')], release: [] } }]);
      const [again] = await storage.appendMessages([{ ...text('chat_ab', 'alice', 'msg_with_file'), blobs: { add: [id('f')], release: [] } }]);
      assert.equal(again?.duplicate, true);
      assert.deepEqual(await blobs.listRefs(id('f')), [{ chatId: 'chat_ab', blobId: id('f'), senderUserId: uid('alice'), seq: first!.message.seq }]);
      // A batch of plain sends and sends with blobs keeps every entry's seq in order.
      const batch = await storage.appendMessages([text('chat_ab', 'bob', 'plain_one'), { ...text('chat_ac', 'alice', 'fwd_to_c'), blobs: { add: [id('f')], release: [] } }, text('chat_ab', 'bob', 'plain_two')]);
      assert.deepEqual(batch.map((r) => r.message.seq), [first!.message.seq + 1, 2, first!.message.seq + 2]);
      assert.equal((await blobs.listRefs(id('f'))).length, 2);
    });

    it('R54 an unknown or unfinished blob fails the append and nothing is written', async () => {
      await blobs.createBlob(blob('half', 'alice'), LIMITS);
      const before = (await storage.getChat('chat_ab'))?.lastSeq;
      await rejectsWith(storage.appendMessages([{ ...text('chat_ab', 'alice', 'msg_missing'), blobs: { add: [id('missing')], release: [] } }]), 'blob_not_found');
      await rejectsWith(storage.appendMessages([{ ...text('chat_ab', 'alice', 'msg_halfway'), blobs: { add: [id('half')], release: [] } }]), 'blob_incomplete');
      assert.equal((await storage.getChat('chat_ab'))?.lastSeq, before);
      assert.deepEqual(await storage.getMessages('chat_ab', { afterSeq: before ?? 0, limit: 10 }), []);
      assert.deepEqual(await blobs.listRefs(id('half')), []);
    });

    it('R55 the uploader and current members of a referencing chat may read; others, and a removed member, may not', async () => {
      await blobs.createBlob(blob('r', 'alice'), LIMITS);
      await blobs.completeBlob(id('r'), T0);
      assert.deepEqual([await blobs.mayRead(uid('alice'), id('r')), await blobs.mayRead(uid('bob'), id('r'))], [true, false], 'before any reference only the uploader');
      await storage.appendMessages([{ ...text('chat_ab', 'alice', 'msg_ref_r'), blobs: { add: [id('r')], release: [] } }]);
      assert.deepEqual([await blobs.mayRead(uid('bob'), id('r')), await blobs.mayRead(uid('carol'), id('r'))], [true, false]);
      assert.equal(await blobs.mayRead(uid('bob'), id('nope')), false);
      await storage.applyChatChange('chat_ab', { kind: 'remove_member', userId: uid('bob') }, sys('chat_ab', 'alice', 'removed_bob', { kind: 'member_removed', userId: uid('bob') }));
      assert.equal(await blobs.mayRead(uid('bob'), id('r')), false, 'access follows current membership');
    });

    it('R56 release drops only this sender\'s references in this chat, with the message that says so', async () => {
      await blobs.createBlob(blob('s', 'alice'), LIMITS);
      await blobs.completeBlob(id('s'), T0);
      await storage.appendMessages([
        { ...text('chat_ab', 'alice', 'alice_sends'), blobs: { add: [id('s')], release: [] } },
        { ...text('chat_ab', 'bob', 'bob_forwards'), blobs: { add: [id('s')], release: [] } },
        { ...text('chat_ac', 'alice', 'alice_to_c'), blobs: { add: [id('s')], release: [] } },
      ]);
      await storage.appendMessages([{ ...text('chat_ab', 'alice', 'alice_deletes'), blobs: { add: [], release: [id('s')] } }]);
      assert.deepEqual((await blobs.listRefs(id('s'))).map((r) => `${r.chatId}:${r.senderUserId}`).sort(), [`chat_ab:${uid('bob')}`, `chat_ac:${uid('alice')}`]);
    });

    it('R56 expired: unfinished uploads and unreferenced complete blobs past the TTL, oldest first; deleting frees the quota', async () => {
      await blobs.createBlob(blob('old_half', 'alice', { createdAt: T0 }), LIMITS);
      await blobs.createBlob(blob('new_half', 'alice', { createdAt: T0 + TTL }), LIMITS);
      await blobs.createBlob(blob('unref', 'alice', { createdAt: T0 - 10 }), LIMITS);
      await blobs.completeBlob(id('unref'), T0 + 1);
      await blobs.createBlob(blob('ref', 'alice', { createdAt: T0 - 20 }), LIMITS);
      await blobs.completeBlob(id('ref'), T0);
      await storage.appendMessages([{ ...text('chat_ab', 'alice', 'msg_ref'), blobs: { add: [id('ref')], release: [] } }]);
      await blobs.createBlob(blob('released', 'alice', { createdAt: T0 - 30 }), LIMITS);
      await blobs.completeBlob(id('released'), T0 + 2);
      await storage.appendMessages([{ ...text('chat_ab', 'alice', 'msg_rel'), blobs: { add: [id('released')], release: [] } }]);
      await storage.appendMessages([{ ...text('chat_ab', 'alice', 'msg_rel_del'), blobs: { add: [], release: [id('released')] } }]);

      const now = T0 + TTL + 10;
      assert.deepEqual(await blobs.expiredBlobs(now - TTL, 100), [id('old_half'), id('unref'), id('released')]);
      assert.deepEqual(await blobs.expiredBlobs(now - TTL, 1), [id('old_half')]);
      assert.equal(await blobs.deleteBlob(id('ref'), now - TTL), false, 'a referenced blob stays');
      assert.equal(await blobs.deleteBlob(id('ref')), false, 'even without the age condition');
      assert.equal(await blobs.deleteBlob(id('new_half'), now - TTL), false, 'not expired');
      assert.equal(await blobs.deleteBlob(id('unref'), now - TTL), true);
      assert.equal(await blobs.deleteBlob(id('unref'), now - TTL), false, 'once');
      assert.equal(await blobs.getBlob(id('unref')), undefined);
      assert.equal(await blobs.deleteBlob(id('new_half')), true, 'a cancelled upload goes at once');
      assert.deepEqual(await blobs.usage(uid('alice')), { usedBytes: 300, blobs: 3 });
    });
  });
}
