import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ChannelWrapStorage } from './channel-wrap-storage.ts';
import type { CommunityStorage } from './community-storage.ts';
import type { Storage } from './storage.ts';
import { T0, did, seedChat, seedUsers, uid } from './storage.fixtures.ts';
import { DELETED_BODY, editMark, type WrappedResponseStorage } from './wrapped-response-storage.ts';
import type { WrappedReadStorage } from './wrapped-read-storage.ts';

const C = 'comm_read1';

/** The WrappedReadStorage contract (R182), run against SQLite and PostgreSQL. `open` gives a fresh, migrated database. */
export function wrappedReadStorageSuite(name: string, open: () => Promise<{
  storage: Storage; communities: CommunityStorage; wraps: ChannelWrapStorage; responses: WrappedResponseStorage; reads: WrappedReadStorage;
}>): void {
  describe(`${name}: wrapped channel read positions`, () => {
    let storage: Storage;
    let wraps: ChannelWrapStorage;
    let responses: WrappedResponseStorage;
    let s: WrappedReadStorage;
    const append = (body: string, author = 'alice') => wraps.appendPost({ communityId: C, epoch: 1, authorId: uid(author), authorDevice: did(author, 1), body, createdAt: T0 });
    const read = async (user: string) => (await s.reads(uid(user), [C]))[0];
    beforeEach(async () => {
      let communities: CommunityStorage;
      ({ storage, communities, wraps, responses, reads: s } = await open());
      await seedUsers(storage, 'alice', 'bob', 'carol');
      await seedChat(storage, 'chat_ann4', ['alice']);
      await communities.createCommunity({ communityId: C, name: '', createdAt: T0, ownerId: uid('alice'), settings: { roleLabels: 'none', studentsMayDm: false, channel: true, wrapped: true } },
        { communityId: C, userId: uid('alice'), role: 'owner', rights: [], label: null, joinedAt: T0 }, [{ chatId: 'chat_ann4', communityId: C, kind: 'announcements', open: false, createdAt: T0 }]);
      await wraps.createEpoch({ communityId: C, epoch: 1, createdBy: uid('alice'), createdAt: T0 });
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R182 a newcomer starts at the log\'s end; unread counts posts only: not info alone, edits, deleted posts or one\'s own', async () => {
      await append('cG9zdDE=');
      await s.start(C, uid('bob'));
      assert.deepEqual(await read('bob'), { communityId: C, readSeq: 1, lastSeq: 1, unread: 0, muted: false });
      await append('ePost2Body='); // 2: a post (a base64 body may start with "e")
      await append('i:aW5mbw=='); // 3: info alone
      await append(`${editMark(2)}ZWRpdA==`); // 4: an edit
      await append('cG9zdDU='); // 5: a post, deleted below
      await append('cG9zdDY=', 'bob'); // 6: Bob's own
      await append('cG9zdDc='); // 7
      assert.deepEqual(await read('bob'), { communityId: C, readSeq: 1, lastSeq: 7, unread: 3, muted: false });
      assert.equal(await responses.deletePost(C, 5), true);
      assert.equal((await read('bob'))?.unread, 2);
      assert.equal((await read('carol'))?.unread, 0); // no position yet: the log's end, first asked
      assert.equal((await read('carol'))?.readSeq, 7);
    });

    it('R182 the position moves forward only, never past the log\'s end; mute is kept; forgetting starts again', async () => {
      await s.start(C, uid('bob'));
      for (let i = 0; i < 4; i++) await append('cG9zdA==');
      await s.markRead(C, uid('bob'), 3);
      assert.deepEqual(await read('bob'), { communityId: C, readSeq: 3, lastSeq: 4, unread: 1, muted: false });
      await s.markRead(C, uid('bob'), 2);
      assert.equal((await read('bob'))?.readSeq, 3);
      await s.markRead(C, uid('bob'), 99);
      assert.equal((await read('bob'))?.readSeq, 4);
      await s.setMuted(C, uid('bob'), true);
      await append('cG9zdA==');
      assert.deepEqual(await read('bob'), { communityId: C, readSeq: 4, lastSeq: 5, unread: 1, muted: true });
      await s.setMuted(C, uid('carol'), true); // no position yet: the log's end, muted
      assert.deepEqual(await read('carol'), { communityId: C, readSeq: 5, lastSeq: 5, unread: 0, muted: true });
      await s.forget(C, uid('bob'));
      await append('cG9zdA==');
      await s.start(C, uid('bob'));
      assert.deepEqual(await read('bob'), { communityId: C, readSeq: 6, lastSeq: 6, unread: 0, muted: false });
      assert.deepEqual(await s.reads(uid('bob'), []), []);
    });
  });
}
