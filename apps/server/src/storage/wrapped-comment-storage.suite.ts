import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ChannelWrapStorage } from './channel-wrap-storage.ts';
import type { CommunityStorage } from './community-storage.ts';
import type { Storage } from './storage.ts';
import { T0, did, seedChat, seedUsers, uid } from './storage.fixtures.ts';
import type { WrappedCommentStorage } from './wrapped-comment-storage.ts';

const C = 'comm_cmnt1';
const mark = (c: string) => c.repeat(32);

/** The WrappedCommentStorage contract (R177), run against SQLite and PostgreSQL. `open` gives a fresh, migrated database. */
export function wrappedCommentStorageSuite(name: string, open: () => Promise<{ storage: Storage; communities: CommunityStorage; wraps: ChannelWrapStorage; comments: WrappedCommentStorage }>): void {
  describe(`${name}: wrapped channel comment marks`, () => {
    let storage: Storage;
    let wraps: ChannelWrapStorage;
    let s: WrappedCommentStorage;
    const append = (body: string) => wraps.appendPost({ communityId: C, epoch: 1, authorId: uid('alice'), authorDevice: did('alice', 1), body, createdAt: T0 });
    beforeEach(async () => {
      let communities: CommunityStorage;
      ({ storage, communities, wraps, comments: s } = await open());
      await seedUsers(storage, 'alice', 'bob', 'carol');
      await seedChat(storage, 'chat_ann3', ['alice']);
      await communities.createCommunity({ communityId: C, name: '', createdAt: T0, ownerId: uid('alice'), settings: { roleLabels: 'none', studentsMayDm: false, channel: true, wrapped: true } },
        { communityId: C, userId: uid('alice'), role: 'owner', rights: [], label: null, joinedAt: T0 }, [{ chatId: 'chat_ann3', communityId: C, kind: 'announcements', open: false, createdAt: T0 }]);
      await wraps.createEpoch({ communityId: C, epoch: 1, createdBy: uid('alice'), createdAt: T0 });
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R177 a mark counts once per post, whoever sends it again; its sender is kept; removed, it stops counting', async () => {
      await append('cG9zdDE=');
      await append('cG9zdDI=');
      assert.equal(await s.addMark(C, 1, mark('a'), uid('bob'), T0), true);
      assert.equal(await s.addMark(C, 1, mark('b'), uid('carol'), T0), true);
      assert.equal(await s.addMark(C, 1, mark('a'), uid('carol'), T0), false); // the same comment's mark again: counted once, still Bob's
      assert.equal(await s.addMark(C, 2, mark('a'), uid('bob'), T0), true); // another post: its own count
      assert.deepEqual([...(await s.commentCounts(C, [2, 1, 3]))], [[2, 1], [1, 2], [3, 0]]);
      assert.equal(await s.markOwner(C, 1, mark('a')), uid('bob'));
      assert.equal(await s.markOwner(C, 1, mark('c')), undefined);
      assert.equal(await s.removeMark(C, 1, mark('a')), true);
      assert.equal(await s.removeMark(C, 1, mark('a')), false);
      assert.deepEqual([...(await s.commentCounts(C, [1, 2]))], [[1, 1], [2, 1]]);
      assert.deepEqual([...(await s.commentCounts(C, []))], []);
      assert.deepEqual([...(await s.commentCounts('comm_other', [1]))], [[1, 0]]);
    });
  });
}
