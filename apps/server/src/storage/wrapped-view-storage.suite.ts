import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ChannelWrapStorage } from './channel-wrap-storage.ts';
import type { CommunityStorage } from './community-storage.ts';
import type { Storage } from './storage.ts';
import { T0, did, seedChat, seedUsers, text, uid } from './storage.fixtures.ts';
import type { ChannelViewStorage } from './channel-view-storage.ts';
import { editMark, type WrappedResponseStorage } from './wrapped-response-storage.ts';
import type { WrappedViewStorage } from './wrapped-view-storage.ts';

const C = 'comm_views1';
const D = 'comm_views2';
const HOUR = 3_600_000;

/** The WrappedViewStorage contract (R183) and ChannelViewStorage's (R190, MLS mode), run against SQLite and PostgreSQL. `open` gives a fresh, migrated database. */
export function wrappedViewStorageSuite(name: string, open: () => Promise<{ storage: Storage; communities: CommunityStorage; wraps: ChannelWrapStorage; responses: WrappedResponseStorage; views: WrappedViewStorage; channelViews: ChannelViewStorage }>): void {
  describe(`${name}: wrapped channel view counters`, () => {
    let storage: Storage;
    let wraps: ChannelWrapStorage;
    let responses: WrappedResponseStorage;
    let s: WrappedViewStorage;
    let mls: ChannelViewStorage;
    const append = (communityId: string, body: string) => wraps.appendPost({ communityId, epoch: 1, authorId: uid('alice'), authorDevice: did('alice', 1), body, createdAt: T0 });
    beforeEach(async () => {
      let communities: CommunityStorage;
      ({ storage, communities, wraps, responses, views: s, channelViews: mls } = await open());
      await seedUsers(storage, 'alice');
      for (const [id, chat] of [[C, 'chat_v1'], [D, 'chat_v2']] as const) {
        await seedChat(storage, chat, ['alice']);
        await communities.createCommunity({ communityId: id, name: '', createdAt: T0, ownerId: uid('alice'), settings: { roleLabels: 'none', studentsMayDm: false, channel: true, wrapped: true } },
          { communityId: id, userId: uid('alice'), role: 'owner', rights: [], label: null, joinedAt: T0 }, [{ chatId: chat, communityId: id, kind: 'announcements', open: false, createdAt: T0 }]);
        await wraps.createEpoch({ communityId: id, epoch: 1, createdBy: uid('alice'), createdAt: T0 });
      }
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R183 views add up per post over buckets, one per post a report; info, edits, deleted and missing seqs are passed over', async () => {
      await append(C, 'i:aW5mbw=='); // 1: info alone
      await append(C, 'cG9zdDI='); // 2
      await append(C, 'ePost3Body='); // 3: a post whose base64 starts with e
      await append(C, `${editMark(2)}ZWRpdA==`); // 4: an edit
      await append(C, 'cG9zdDU='); // 5, deleted below
      await append(D, 'cG9zdA=='); // D's 1
      assert.equal(await responses.deletePost(C, 5), true);
      assert.deepEqual(await s.addViews(C, [1, 2, 2, 3, 4, 5, 99], T0), [2, 3]);
      assert.deepEqual(await s.addViews(C, [2], T0), [2]);
      assert.deepEqual(await s.addViews(C, [2, 3], T0 + HOUR), [2, 3]);
      assert.deepEqual(await s.addViews(C, [], T0), []);
      assert.deepEqual([...(await s.viewCounts(C, [1, 2, 3, 4, 5, 99]))].sort(), [[2, 3], [3, 2]]);
      assert.deepEqual([...(await s.viewCounts(D, [1, 2]))], [], 'another channel\'s seq 1 is not this one\'s');
      assert.deepEqual([...(await s.viewCounts(C, []))], []);
      // Reports racing (devices on many nodes): each one counts.
      await Promise.all(Array.from({ length: 10 }, () => s.addViews(D, [1], T0)));
      assert.deepEqual([...(await s.viewCounts(D, [1]))], [[1, 10]]);
    });

    it('R183 deleting a post (R167) drops its view counters; another post\'s stay', async () => {
      await append(C, 'cG9zdDE=');
      await append(C, 'cG9zdDI=');
      await s.addViews(C, [1, 2], T0);
      await s.addViews(C, [1], T0 + HOUR);
      assert.equal(await responses.deletePost(C, 1), true);
      assert.deepEqual([...(await s.viewCounts(C, [1, 2]))], [[2, 1]]);
      assert.deepEqual(await s.addViews(C, [1], T0 + 2 * HOUR), [], 'a deleted post counts no more');
      assert.deepEqual([...(await s.viewCounts(C, [1]))], []);
    });
    it('R190 a private channel\'s views in MLS mode add up per seq of its chat over buckets, one per seq a report; system rows, missing seqs and another chat\'s messages are passed over', async () => {
      // chat_v1's seq 1 is its creation (a system row); 2 and 3 are messages. chat_v2 has a message at 2 too.
      await storage.appendMessages([text('chat_v1', 'alice', 'post1'), text('chat_v1', 'alice', 'react1')]);
      await storage.appendMessages([text('chat_v2', 'alice', 'other1')]);
      assert.deepEqual(await mls.addViews(C, 'chat_v1', [1, 2, 2, 3, 99], T0), [2, 3]);
      assert.deepEqual(await mls.addViews(C, 'chat_v1', [2], T0 + HOUR), [2]);
      assert.deepEqual(await mls.addViews(C, 'chat_v1', [], T0), []);
      assert.deepEqual([...(await mls.viewCounts(C, [1, 2, 3, 99]))].sort(), [[2, 2], [3, 1]]);
      assert.deepEqual([...(await mls.viewCounts(D, [2]))], [], 'another channel\'s seq 2 is not this one\'s');
      assert.deepEqual([...(await mls.viewCounts(C, []))], []);
      // Reports racing (devices on many nodes): each one counts.
      await Promise.all(Array.from({ length: 10 }, () => mls.addViews(D, 'chat_v2', [2], T0)));
      assert.deepEqual([...(await mls.viewCounts(D, [2]))], [[2, 10]]);
    });
  });
}
