import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { RELEASED_AT, type BlobStorage } from './blob-storage.ts';
import type { ChannelWrapStorage } from './channel-wrap-storage.ts';
import type { CommunityStorage } from './community-storage.ts';
import type { Storage } from './storage.ts';
import { T0, did, seedChat, seedUsers, uid } from './storage.fixtures.ts';
import { DELETED_BODY, editMark, pinMark, type WrappedResponseStorage } from './wrapped-response-storage.ts';

const C = 'comm_resp1';
const tok = (c: string) => c.repeat(32);

/** The WrappedResponseStorage contract (R166-R167), run against SQLite and PostgreSQL. `open` gives a fresh, migrated database. */
export function wrappedResponseStorageSuite(name: string, open: () => Promise<{ storage: Storage; communities: CommunityStorage; wraps: ChannelWrapStorage; responses: WrappedResponseStorage; blobs: BlobStorage }>): void {
  describe(`${name}: wrapped channel reactions and deletions`, () => {
    let storage: Storage;
    let wraps: ChannelWrapStorage;
    let s: WrappedResponseStorage;
    let blobs: BlobStorage;
    const append = (body: string) => wraps.appendPost({ communityId: C, epoch: 1, authorId: uid('alice'), authorDevice: did('alice', 1), body, createdAt: T0 });
    beforeEach(async () => {
      let communities: CommunityStorage;
      ({ storage, communities, wraps, responses: s, blobs } = await open());
      await seedUsers(storage, 'alice', 'bob', 'carol');
      await seedChat(storage, 'chat_ann2', ['alice']);
      await communities.createCommunity({ communityId: C, name: '', createdAt: T0, ownerId: uid('alice'), settings: { roleLabels: 'none', studentsMayDm: false, channel: true, wrapped: true } },
        { communityId: C, userId: uid('alice'), role: 'owner', rights: [], label: null, joinedAt: T0 }, [{ chatId: 'chat_ann2', communityId: C, kind: 'announcements', open: false, createdAt: T0 }]);
      await wraps.createEpoch({ communityId: C, epoch: 1, createdBy: uid('alice'), createdAt: T0 });
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R166 one reaction per user per post, replaced or taken back; counts per (post, token); each user\'s own', async () => {
      await append('cG9zdDE=');
      await append('ePost2Body=');
      await s.setReaction(C, 1, uid('bob'), tok('a'));
      await s.setReaction(C, 1, uid('carol'), tok('a'));
      await s.setReaction(C, 2, uid('carol'), tok('b'));
      await s.setReaction(C, 1, uid('carol'), tok('c')); // replaces her first
      assert.deepEqual(await s.reactionCounts(C, [1, 2, 3]), [
        { seq: 1, token: tok('a'), count: 1 }, { seq: 1, token: tok('c'), count: 1 }, { seq: 2, token: tok('b'), count: 1 },
      ]);
      assert.deepEqual([...(await s.myReactions(C, uid('carol'), [1, 2]))], [[1, tok('c')], [2, tok('b')]]);
      await s.setReaction(C, 1, uid('carol'), null);
      assert.deepEqual(await s.reactionCounts(C, [1]), [{ seq: 1, token: tok('a'), count: 1 }]);
      assert.deepEqual([...(await s.myReactions(C, uid('carol'), [1]))], []);
      assert.deepEqual(await s.reactionCounts(C, []), []);
      // One user's changes racing: the counts still say one reaction (theirs, whichever came last).
      await Promise.all(Array.from({ length: 12 }, (_, i) => s.setReaction(C, 2, uid('bob'), i % 3 === 2 ? null : tok(i % 2 ? 'd' : 'e'))));
      const mine = (await s.myReactions(C, uid('bob'), [2])).get(2);
      assert.deepEqual(await s.reactionCounts(C, [2]), [{ seq: 2, token: tok('b'), count: 1 }, ...(mine ? [{ seq: 2, token: mine, count: 1 }] : [])].sort((a, b) => a.token.localeCompare(b.token)));
    });

    it('R167 deleting a post drops its body, its edits\' bodies and its reactions; not twice', async () => {
      await append('cG9zdDE=');
      await append(`${editMark(1)}ZWRpdA==`);
      await append('cG9zdDM=');
      await append(`${editMark(3)}ZWRpdDM=`);
      await s.setReaction(C, 1, uid('bob'), tok('a'));
      assert.equal(await s.postBody(C, 2), `${editMark(1)}ZWRpdA==`);
      assert.equal(await s.deletePost(C, 1), true);
      assert.equal(await s.deletePost(C, 1), false);
      assert.equal(await s.deletePost(C, 9), false);
      assert.deepEqual((await wraps.listPosts(C, 0, 10)).map((p) => p.body), [DELETED_BODY, DELETED_BODY, 'cG9zdDM=', `${editMark(3)}ZWRpdDM=`]);
      assert.deepEqual(await s.reactionCounts(C, [1]), []);
      assert.equal(await s.postBody(C, 9), undefined);
    });

    it('R178 a member who leaves takes their reactions with them: their rows go and every count they were in drops', async () => {
      await append('cG9zdDE=');
      await append('cG9zdDI=');
      await s.setReaction(C, 1, uid('bob'), tok('a'));
      await s.setReaction(C, 1, uid('carol'), tok('a'));
      await s.setReaction(C, 2, uid('bob'), tok('b'));
      assert.equal(await s.dropReactions(C, uid('bob')), 2);
      assert.deepEqual(await s.reactionCounts(C, [1, 2]), [{ seq: 1, token: tok('a'), count: 1 }]);
      assert.deepEqual([...(await s.myReactions(C, uid('bob'), [1, 2]))], []);
      assert.deepEqual([...(await s.myReactions(C, uid('carol'), [1]))], [[1, tok('a')]]);
      assert.equal(await s.dropReactions(C, uid('bob')), 0);
    });

    it('R178 the newest post for a "last post" summary: not info alone, an edit, a pin (R184) or a deleted post; with its newest edit', async () => {
      assert.equal(await s.newestPost(C), undefined);
      await append('cG9zdDE=');
      await append('ePost2Body=');
      await append(`${editMark(1)}ZWRpdDE=`);
      await append(`${editMark(2)}ZWRpdEE=`);
      await append(`${editMark(2)}ZWRpdEI=`);
      await append('i:aW5mbw==');
      await append(`${pinMark(2)}cGluMg==`); // R184: a pin is no post either
      await append('pPost8Body=');
      await append(`${pinMark(8)}cGluOA==`);
      assert.equal((await s.newestPost(C))?.post.seq, 8, 'a post whose base64 body starts with a p is a post');
      await s.deletePost(C, 8);
      const newest = await s.newestPost(C);
      assert.deepEqual([newest?.post.seq, newest?.post.body, newest?.edit?.seq, newest?.edit?.body], [2, 'ePost2Body=', 5, `${editMark(2)}ZWRpdEI=`]);
      await s.deletePost(C, 2);
      const after = await s.newestPost(C);
      assert.deepEqual([after?.post.seq, after?.edit?.seq], [1, 3]);
    });

    it('R178 deleting a post releases its files\' references and its edits\', so the sweep takes them; another post\'s stay', async () => {
      const LIMITS = { quotaBytes: 1 << 20, maxInFlight: 10 };
      const blob = (n: string) => ({ blobId: n.padEnd(22, 'x'), ownerUserId: uid('alice'), ownerDeviceId: did('alice', 1), length: 10, createdAt: T0, completedAt: null });
      for (const n of ['photo', 'added', 'other']) {
        assert.equal(await blobs.createBlob(blob(n), LIMITS), undefined);
        await blobs.completeBlob(blob(n).blobId, T0 + 1);
      }
      const withFiles = (body: string, ...names: string[]) => wraps.appendPost({ communityId: C, epoch: 1, authorId: uid('alice'), authorDevice: did('alice', 1), body, createdAt: T0 },
        { chatId: 'chat_ann2', blobIds: names.map((n) => blob(n).blobId) });
      const post = await withFiles('cG9zdDE=', 'photo');
      await withFiles(`${editMark(post.seq)}ZWRpdA==`, 'added');
      await withFiles('cG9zdDM=', 'other');
      assert.deepEqual(await blobs.expiredBlobs(T0 + 10, 10), [], 'referenced: none is a candidate');
      assert.equal(await s.deletePost(C, post.seq), true);
      assert.deepEqual((await blobs.expiredBlobs(T0 + 10, 10)).sort(), [blob('added').blobId, blob('photo').blobId]);
      assert.equal((await blobs.listRefs(blob('other').blobId)).length, 1);
      // Marked released: the next sweep takes them whatever their window, and no post names them again (the post sent again after its deletion).
      assert.deepEqual((await blobs.expiredBlobs(RELEASED_AT + 1, 10)).sort(), [blob('added').blobId, blob('photo').blobId]);
      assert.deepEqual([(await blobs.getBlob(blob('photo').blobId))?.completedAt, (await blobs.getBlob(blob('other').blobId))?.completedAt], [RELEASED_AT, T0 + 1]);
      const last = (await wraps.latestPost(C))?.seq;
      await assert.rejects(withFiles('cG9zdDE=', 'photo'), (e: { code?: string }) => e.code === 'blob_not_found');
      assert.equal((await wraps.latestPost(C))?.seq, last, 'nothing appended');
    });
  });
}

/**
 * R178's migration (SQLite 036, PostgreSQL 039) on wrapped posts' blob references from before: `before`
 * seeds a database at the migrations before it (`exec` runs one statement, `?` placeholders); `after`
 * checks it upgraded. A post's reference moves to minus its seq; one where a chat message of the same
 * sender sits at the same seq of the announcements chat stays (it may be that message's).
 */
export const wrappedRefsMigration = {
  async before(s: { storage: Storage; communities: CommunityStorage; wraps: ChannelWrapStorage; blobs: BlobStorage; exec(sql: string, params: unknown[]): Promise<void> }): Promise<void> {
    await seedUsers(s.storage, 'alice');
    await seedChat(s.storage, 'chat_ann3', ['alice']);
    await s.communities.createCommunity({ communityId: C, name: '', createdAt: T0, ownerId: uid('alice'), settings: { roleLabels: 'none', studentsMayDm: false, channel: true, wrapped: true } },
      { communityId: C, userId: uid('alice'), role: 'owner', rights: [], label: null, joinedAt: T0 }, [{ chatId: 'chat_ann3', communityId: C, kind: 'announcements', open: false, createdAt: T0 }]);
    await s.wraps.createEpoch({ communityId: C, epoch: 1, createdBy: uid('alice'), createdAt: T0 });
    for (const n of ['one', 'two']) {
      await s.blobs.createBlob({ blobId: n.padEnd(22, 'x'), ownerUserId: uid('alice'), ownerDeviceId: did('alice', 1), length: 10, createdAt: T0, completedAt: null }, { quotaBytes: 1 << 20, maxInFlight: 10 });
      await s.blobs.completeBlob(n.padEnd(22, 'x'), T0 + 1);
      await s.wraps.appendPost({ communityId: C, epoch: 1, authorId: uid('alice'), authorDevice: did('alice', 1), body: 'cG9zdA==', createdAt: T0 });
    }
    // The chat's log: its creation (seq 1, a system entry) and a message of Alice's at seq 2.
    await s.storage.appendMessages([{ chatId: 'chat_ann3', clientMsgId: 'msg_two1', senderUserId: uid('alice'), senderDeviceId: did('alice', 1), sentAt: T0, envelope: { contentType: 'parley/e2ee', payload: 'AA==' }, system: null }]);
    // The references as R162 made them before R178: at the wrapped posts' seqs (1 and 2).
    for (const [n, seq] of [['one', 1], ['two', 2]] as const) {
      await s.exec('INSERT INTO blob_refs (chat_id, blob_id, sender_user_id, seq) VALUES (?, ?, ?, ?)', ['chat_ann3', n.padEnd(22, 'x'), uid('alice'), seq]);
    }
  },
  async after(blobs: BlobStorage): Promise<void> {
    assert.deepEqual((await blobs.listRefs('one'.padEnd(22, 'x'))).map((r) => r.seq), [-1]);
    assert.deepEqual((await blobs.listRefs('two'.padEnd(22, 'x'))).map((r) => r.seq), [2]);
  },
};
