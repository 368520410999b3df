import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import type { BlobStorage } from './blob-storage.ts';
import type { ChannelScheduleStorage, ScheduledPostRow } from './channel-schedule-storage.ts';
import type { ChannelStorage } from './channel-storage.ts';
import type { Storage } from './storage.ts';
import { T0, created, did, group, member, seedUsers, uid } from './storage.fixtures.ts';

const C = 'chan_0001';
const scheduled = (postId: string, publishAt: number, channelId = C): ScheduledPostRow => ({
  channelId, postId, publishAt, authorId: uid('alice'), signed: `{"post":"${postId}"}`, signature: `sig_${postId}`, createdAt: T0,
});
/** R192: a complete upload of alice's, for the sweep-of-unreferenced-uploads checks. */
async function aliceBlob(blobs: BlobStorage, name: string): Promise<string> {
  const blobId = `blob_${name}`.padEnd(22, '_');
  await blobs.createBlob({ blobId, ownerUserId: uid('alice'), ownerDeviceId: did('alice', 1), length: 10, createdAt: T0, completedAt: null }, { quotaBytes: 1e9, maxInFlight: 100 });
  await blobs.completeBlob(blobId, T0);
  return blobId;
}
const code = (c: string) => (err: unknown) => err instanceof ParleyError && err.code === c;

/** The ChannelScheduleStorage contract (R114, R115), run against SQLite and PostgreSQL. `open` gives a fresh, migrated database. */
export function channelScheduleStorageSuite(name: string, open: () => Promise<{ storage: Storage; channels: ChannelStorage; schedule: ChannelScheduleStorage; blobs: BlobStorage }>): void {
  describe(`${name}: channel schedule and discussions`, () => {
    let storage: Storage;
    let s: ChannelScheduleStorage;
    let blobs: BlobStorage;
    beforeEach(async () => {
      let channels: ChannelStorage;
      ({ storage, channels, schedule: s, blobs } = await open());
      await seedUsers(storage, 'alice', 'bob');
      for (const [id, handle] of [[C, 'city_news'], ['chan_0002', 'school_news']] as const) {
        await channels.createChannel({ channelId: id, handle, title: 'News', description: '', ownerId: uid('alice'), createdAt: T0, lastSeq: 0, subscriberCount: 0,
          keyListVersion: 1, keyList: '{"v":1}', keyListSig: 'sig1' }, { channelId: id, userId: uid('alice'), role: 'owner', publicKey: 'key_alice', addedAt: T0 });
      }
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R115 scheduled posts: written, replaced by id (an edit), listed soonest first, due ones across channels, deleted once; a channel holds at most the limit', async () => {
      await s.putScheduled(scheduled('post_b', T0 + 2000), 2);
      await s.putScheduled(scheduled('post_a', T0 + 1000), 2);
      await s.putScheduled(scheduled('post_c', T0 + 500, 'chan_0002'), 2);
      await assert.rejects(s.putScheduled(scheduled('post_d', T0 + 100), 2), code('channel_limit'));
      // Replacing one already there is not one more.
      await s.putScheduled({ ...scheduled('post_b', T0 + 3000), signed: '{"post":"post_b","edited":true}' }, 2);
      assert.deepEqual((await s.listScheduled(C)).map((r) => [r.postId, r.publishAt]), [['post_a', T0 + 1000], ['post_b', T0 + 3000]]);
      assert.equal((await s.getScheduled(C, 'post_b'))?.signed, '{"post":"post_b","edited":true}');
      assert.deepEqual(await s.getScheduled(C, 'post_a'), scheduled('post_a', T0 + 1000));
      assert.deepEqual((await s.listDue(T0 + 1000, 10)).map((r) => [r.channelId, r.postId]), [['chan_0002', 'post_c'], [C, 'post_a']]);
      assert.deepEqual((await s.listDue(T0 + 5000, 1)).map((r) => r.postId), ['post_c']);
      assert.equal(await s.deleteScheduled(C, 'post_a'), true);
      assert.equal(await s.deleteScheduled(C, 'post_a'), false);
      assert.equal(await s.getScheduled(C, 'post_a'), undefined);
    });

    it('R192 a scheduled post holds the blobs it names from the sweep of unreferenced uploads, until replaced without them or deleted', async () => {
      const [a, b] = [await aliceBlob(blobs, 'sched_a'), await aliceBlob(blobs, 'sched_b')];
      const expired = async () => (await blobs.expiredBlobs(T0 + 1, 10)).sort();
      assert.deepEqual(await expired(), [a, b]);
      await s.putScheduled(scheduled('post_a', T0 + 1000), 5, [a, b]);
      assert.deepEqual(await expired(), []);
      assert.equal(await blobs.deleteBlob(a, T0 + 1), false);
      // Replaced (an edit) without `a`: `a` goes back to the sweep, `b` stays held.
      await s.putScheduled(scheduled('post_a', T0 + 2000), 5, [b]);
      assert.deepEqual(await expired(), [a]);
      // Cancelled (or published, or dropped): the row and its hold go together.
      await s.deleteScheduled(C, 'post_a');
      assert.deepEqual(await expired(), [a, b]);
    });

    it('R114 a channel links one discussion chat: set, replaced, read back, unlinked', async () => {
      for (const chatId of ['chat_d1', 'chat_d2']) await storage.createChat(group(chatId), [member(chatId, 'alice', 'owner')], created(chatId, 'alice'));
      assert.equal(await s.getDiscussion(C), undefined);
      await s.setDiscussion(C, { channelId: C, chatId: 'chat_d1', linkedBy: uid('alice'), linkedAt: T0 });
      await s.setDiscussion(C, { channelId: C, chatId: 'chat_d2', linkedBy: uid('alice'), linkedAt: T0 + 1, openSeq: 7 });
      assert.deepEqual(await s.getDiscussion(C), { channelId: C, chatId: 'chat_d2', linkedBy: uid('alice'), linkedAt: T0 + 1, openSeq: 7 }, 'R154 with where `open` was stated');
      await s.setDiscussion(C, { channelId: C, chatId: 'chat_d2', linkedBy: uid('alice'), linkedAt: T0 + 2 });
      assert.deepEqual(await s.getDiscussion(C), { channelId: C, chatId: 'chat_d2', linkedBy: uid('alice'), linkedAt: T0 + 2 });
      await s.setDiscussion(C, null);
      assert.equal(await s.getDiscussion(C), undefined);
    });
  });
}
