import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import type { BlobStorage } from './blob-storage.ts';
import type { ChannelWrapStorage } from './channel-wrap-storage.ts';
import type { CommunityStorage } from './community-storage.ts';
import type { Storage } from './storage.ts';
import { T0, did, seedChat, seedUsers, uid } from './storage.fixtures.ts';
import type { WrappedScheduledRow, WrappedScheduleStorage } from './wrapped-schedule-storage.ts';

/** R192: a complete upload of alice's, for the sweep-of-unreferenced-uploads checks. */
async function aliceBlob(blobs: BlobStorage, name: string): Promise<string> {
  const blobId = `blob_${name}`.padEnd(22, '_');
  await blobs.createBlob({ blobId, ownerUserId: uid('alice'), ownerDeviceId: did('alice', 1), length: 10, createdAt: T0, completedAt: null }, { quotaBytes: 1e9, maxInFlight: 100 });
  await blobs.completeBlob(blobId, T0);
  return blobId;
}

const C = 'comm_sched1';
const D = 'comm_sched2';

/** The WrappedScheduleStorage contract (R188), run against SQLite and PostgreSQL. `open` gives a fresh, migrated database. */
export function wrappedScheduleStorageSuite(name: string, open: () => Promise<{ storage: Storage; communities: CommunityStorage; wraps: ChannelWrapStorage; schedule: WrappedScheduleStorage; blobs: BlobStorage }>): void {
  describe(`${name}: wrapped channel scheduled posts`, () => {
    let storage: Storage;
    let wraps: ChannelWrapStorage;
    let s: WrappedScheduleStorage;
    let blobs: BlobStorage;
    const row = (communityId: string, scheduleId: string, publishAt: number, body = 'c2VhbGVkIHBvc3Q='): WrappedScheduledRow => ({
      communityId, scheduleId, epoch: 1, authorId: uid('alice'), authorDevice: did('alice', 1), body, publishAt, createdAt: T0,
    });
    const codeOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof ParleyError ? e.code : String(e)));
    beforeEach(async () => {
      let communities: CommunityStorage;
      ({ storage, communities, wraps, schedule: s, blobs } = await open());
      await seedUsers(storage, 'alice', 'bob');
      for (const [id, chat] of [[C, 'chat_sch1'], [D, 'chat_sch2']] as const) {
        await seedChat(storage, chat, ['alice']);
        await communities.createCommunity({ communityId: id, name: '', createdAt: T0, ownerId: uid('alice'), settings: { roleLabels: 'none', studentsMayDm: false, channel: true, wrapped: true } },
          { communityId: id, userId: uid('alice'), role: 'owner', rights: [], label: null, joinedAt: T0 }, [{ chatId: chat, communityId: id, kind: 'announcements', open: false, createdAt: T0 }]);
        await wraps.createEpoch({ communityId: id, epoch: 1, createdBy: uid('alice'), createdAt: T0 });
      }
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R188 a scheduled post is kept, replaced by its id, listed soonest first and cancelled; a channel holds at most the limit, a replacement not counted twice', async () => {
      await s.putScheduled(row(C, 'sched_late_1', T0 + 3000), 2);
      await s.putScheduled(row(C, 'sched_soon_1', T0 + 1000), 2);
      await s.putScheduled(row(D, 'sched_other', T0 + 500), 2);
      assert.equal(await codeOf(s.putScheduled(row(C, 'sched_third', T0 + 2000), 2)), 'channel_limit');
      // A replacement (an edit, a re-seal) is no third post.
      await s.putScheduled({ ...row(C, 'sched_late_1', T0 + 500, 'cmVzZWFsZWQ='), epoch: 2, authorDevice: did('alice', 2) }, 2);
      assert.deepEqual((await s.listScheduled(C)).map((r) => [r.scheduleId, r.publishAt, r.epoch, r.body]), [['sched_late_1', T0 + 500, 2, 'cmVzZWFsZWQ='], ['sched_soon_1', T0 + 1000, 1, 'c2VhbGVkIHBvc3Q=']]);
      assert.equal((await s.getScheduled(C, 'sched_late_1'))?.authorDevice, did('alice', 2));
      assert.equal(await s.deleteScheduled(C, 'sched_soon_1'), true);
      assert.equal(await s.deleteScheduled(C, 'sched_soon_1'), false);
      assert.equal(await s.getScheduled(C, 'sched_soon_1'), undefined);
      assert.deepEqual((await s.listScheduled(D)).map((r) => r.scheduleId), ['sched_other']);
    });

    it('R188 due posts of every channel come soonest first, paged after the last one read; those not due yet stay out', async () => {
      await s.putScheduled(row(C, 'sched_a_0001', T0 + 100), 10);
      await s.putScheduled(row(D, 'sched_b_0001', T0 + 100), 10);
      await s.putScheduled(row(C, 'sched_c_0001', T0 + 50), 10);
      await s.putScheduled(row(C, 'sched_d_0001', T0 + 9000), 10);
      const ids = (rows: WrappedScheduledRow[]) => rows.map((r) => r.scheduleId);
      assert.deepEqual(ids(await s.listDue(T0 + 100, 10)), ['sched_c_0001', 'sched_a_0001', 'sched_b_0001']);
      const first = await s.listDue(T0 + 100, 2);
      assert.deepEqual(ids(first), ['sched_c_0001', 'sched_a_0001']);
      assert.deepEqual(ids(await s.listDue(T0 + 100, 2, first.at(-1))), ['sched_b_0001']);
      assert.deepEqual(ids(await s.listDue(T0 + 49, 10)), []);
    });

    it('R188 publishing appends the post and deletes its schedule in one transaction: once only; a cancelled or replaced one is not appended', async () => {
      const post = (body: string) => ({ communityId: C, epoch: 1, authorId: uid('alice'), authorDevice: did('alice', 1), body, createdAt: T0 });
      await s.putScheduled(row(C, 'sched_once_1', T0), 10);
      const first = await wraps.appendPost(post('c2VhbGVkIHBvc3Q='), undefined, 'sched_once_1');
      assert.equal(first.seq, 1);
      assert.equal(await s.getScheduled(C, 'sched_once_1'), undefined);
      // A second node's sweep with the same row: nothing appended.
      assert.equal(await codeOf(wraps.appendPost(post('c2VhbGVkIHBvc3Q='), undefined, 'sched_once_1')), 'not_found');
      // Replaced after the sweep read it: the old body is not published, the new one stays scheduled.
      await s.putScheduled(row(C, 'sched_edit_1', T0, 'bmV3IHRleHQ='), 10);
      assert.equal(await codeOf(wraps.appendPost(post('b2xkIHRleHQ='), undefined, 'sched_edit_1')), 'not_found');
      assert.equal((await s.getScheduled(C, 'sched_edit_1'))?.body, 'bmV3IHRleHQ=');
      assert.deepEqual((await wraps.listPosts(C, 0, 10)).map((p) => p.seq), [1]);
      // Under an epoch that is no longer the newest: refused, the schedule kept (the sweep leaves it stale).
      await wraps.createEpoch({ communityId: C, epoch: 2, createdBy: uid('alice'), createdAt: T0 + 1 });
      assert.equal(await codeOf(wraps.appendPost(post('bmV3IHRleHQ='), undefined, 'sched_edit_1')), 'channel_rekey_needed');
      assert.ok(await s.getScheduled(C, 'sched_edit_1'));
    });

    it('R192 a scheduled post holds its blobs (listed in order); publishing passes them to the post\'s references in the append, cancelling releases them', async () => {
      const [a, b, c] = [await aliceBlob(blobs, 'wsched_a'), await aliceBlob(blobs, 'wsched_b'), await aliceBlob(blobs, 'wsched_c')];
      const expired = async () => (await blobs.expiredBlobs(T0 + 1, 10)).sort();
      await s.putScheduled({ ...row(C, 'sched_files_1', T0), blobIds: [b, a] }, 10);
      await s.putScheduled({ ...row(C, 'sched_files_2', T0 + 10), blobIds: [c] }, 10);
      assert.deepEqual((await s.getScheduled(C, 'sched_files_1'))?.blobIds, [b, a]);
      assert.deepEqual((await s.listDue(T0 + 10, 10)).map((r) => r.blobIds), [[b, a], [c]]);
      assert.deepEqual(await expired(), []);
      const post = { communityId: C, epoch: 1, authorId: uid('alice'), authorDevice: did('alice', 1), body: 'c2VhbGVkIHBvc3Q=', createdAt: T0 };
      await wraps.appendPost(post, { chatId: 'chat_sch1', blobIds: [b, a] }, 'sched_files_1');
      assert.equal(await s.getScheduled(C, 'sched_files_1'), undefined);
      assert.deepEqual(await expired(), [], 'the post references them now');
      await s.deleteScheduled(C, 'sched_files_2');
      assert.deepEqual(await expired(), [c]);
      // A text-only scheduled post lists no blobs.
      await s.putScheduled(row(C, 'sched_text_1', T0), 10);
      assert.equal((await s.getScheduled(C, 'sched_text_1'))?.blobIds, undefined);
    });
  });
}

/**
 * R191: the same store on `channel_mls_scheduled`, and `Storage.appendScheduled`, which publishes a row
 * into the announcements chat's log only at its MLS epoch, deleting it in the same transaction.
 */
export function mlsScheduleStorageSuite(name: string, open: () => Promise<{ storage: Storage; communities: CommunityStorage; wrapped: WrappedScheduleStorage; schedule: WrappedScheduleStorage }>): void {
  describe(`${name}: MLS-mode channel scheduled posts`, () => {
    let storage: Storage;
    let s: WrappedScheduleStorage;
    let wrapped: WrappedScheduleStorage;
    const chatId = 'chat_mls_sch';
    const row = (scheduleId: string, epoch: number, body = 'c2VhbGVkIE1MUyBwb3N0'): WrappedScheduledRow => ({
      communityId: C, scheduleId, epoch, authorId: uid('alice'), authorDevice: did('alice', 1), body, publishAt: T0 + 100, createdAt: T0,
    });
    const entry = (r: WrappedScheduledRow) => ({
      chatId, clientMsgId: r.scheduleId, senderUserId: r.authorId, senderDeviceId: r.authorDevice, sentAt: T0 + 100,
      envelope: { contentType: 'parley/mls-scheduled', payload: r.body }, system: null,
    });
    const publish = (r: WrappedScheduledRow) => storage.appendScheduled(entry(r), r.epoch, { communityId: C, scheduleId: r.scheduleId, body: r.body });
    beforeEach(async () => {
      let communities: CommunityStorage;
      ({ storage, communities, wrapped, schedule: s } = await open());
      await seedUsers(storage, 'alice');
      await seedChat(storage, chatId, ['alice']);
      await communities.createCommunity({ communityId: C, name: '', createdAt: T0, ownerId: uid('alice'), settings: { roleLabels: 'none', studentsMayDm: false, channel: true } },
        { communityId: C, userId: uid('alice'), role: 'owner', rights: [], label: null, joinedAt: T0 }, [{ chatId, communityId: C, kind: 'announcements', open: false, createdAt: T0 }]);
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R191 an MLS-mode channel\'s scheduled posts are kept apart from wrapped ones', async () => {
      await s.putScheduled(row('sched_mls_1', 0), 10);
      assert.deepEqual((await s.listScheduled(C)).map((r) => r.scheduleId), ['sched_mls_1']);
      assert.deepEqual(await wrapped.listScheduled(C), []);
      assert.deepEqual((await s.listDue(T0 + 100, 10)).map((r) => r.scheduleId), ['sched_mls_1']);
      assert.deepEqual(await wrapped.listDue(T0 + 100, 10), []);
    });

    it('R191 an MLS-mode channel\'s scheduled post is text only (R192\'s files are wrapped channels\'): one naming blobs is refused, nothing kept', async () => {
      await assert.rejects(s.putScheduled({ ...row('sched_mls_f', 0), blobIds: ['blob_mls_file_000000001'] }, 10), /text only/);
      assert.equal(await s.getScheduled(C, 'sched_mls_f'), undefined);
    });

    it('R191 publishing appends the post as its author\'s entry only at its epoch and deletes the row in the same transaction: once only; a replaced one is not appended', async () => {
      const before = (await storage.getChat(chatId))?.lastSeq ?? 0;
      await s.putScheduled(row('sched_mls_1', 0), 10);
      const first = await publish(row('sched_mls_1', 0));
      assert.ok(typeof first === 'object' && 'message' in first);
      assert.deepEqual([first.message.seq, first.message.senderUserId, first.message.envelope?.contentType], [before + 1, uid('alice'), 'parley/mls-scheduled']);
      assert.equal(await s.getScheduled(C, 'sched_mls_1'), undefined);
      // A second node's sweep with the same row: nothing appended.
      assert.equal(await publish(row('sched_mls_1', 0)), 'gone');
      // Replaced after the sweep read it: the old body is not published, the new one stays.
      await s.putScheduled(row('sched_mls_2', 0, 'bmV3IHNlYWxlZCBib2R5'), 10);
      assert.equal(await publish(row('sched_mls_2', 0)), 'gone');
      // A commit moved the chat's epoch: refused, the row kept (the sweep leaves it stale).
      assert.ok('message' in (await storage.appendCommit({ ...entry(row('commit_0001', 0)), envelope: { contentType: 'parley/mls-commit', payload: 'AAAA' } }, 0) as object));
      assert.deepEqual(await publish(row('sched_mls_2', 0, 'bmV3IHNlYWxlZCBib2R5')), { conflict: 1 });
      assert.ok(await s.getScheduled(C, 'sched_mls_2'));
      assert.equal((await storage.getChat(chatId))?.lastSeq, before + 2, 'the post and the commit, nothing else');
    });
  });
}
