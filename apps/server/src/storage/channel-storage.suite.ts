import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import type { BlobStorage } from './blob-storage.ts';
import type { ChannelPostRow, ChannelRow, ChannelStorage } from './channel-storage.ts';
import type { Storage } from './storage.ts';
import { T0, seedUsers, uid } from './storage.fixtures.ts';

const C = 'chan_0001';
const channel = (channelId = C, handle = 'city_news'): ChannelRow => ({
  channelId, handle, title: 'City news', description: 'From the city hall', ownerId: uid('alice'), createdAt: T0, lastSeq: 0, subscriberCount: 0,
  keyListVersion: 1, keyList: '{"v":1}', keyListSig: 'sig1',
});
const post = (postId: string, seq: number, over: Partial<ChannelPostRow> = {}): ChannelPostRow => ({
  channelId: C, postId, postSeq: seq, seq, version: 1, authorId: uid('alice'), deleted: false, signed: `{"post":"${postId}","seq":${seq}}`, signature: `sig_${postId}_${seq}`, ...over,
});
const code = (c: string) => (err: unknown) => err instanceof ParleyError && err.code === c;

/** The ChannelStorage contract (R95-R98), run against SQLite and PostgreSQL. `open` gives a fresh, migrated database. */
export function channelStorageSuite(name: string, open: () => Promise<{ storage: Storage; channels: ChannelStorage; blobs: BlobStorage }>): void {
  describe(`${name}: channels`, () => {
    let storage: Storage;
    let s: ChannelStorage;
    let blobs: BlobStorage;
    beforeEach(async () => {
      ({ storage, channels: s, blobs } = await open());
      await seedUsers(storage, 'alice', 'bob', 'carol');
      await s.createChannel(channel(), { channelId: C, userId: uid('alice'), role: 'owner', publicKey: 'key_alice', addedAt: T0 });
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R95 a channel reads back by id and handle; a second one with the same handle is refused and leaves nothing', async () => {
      assert.deepEqual(await s.getChannel(C), channel());
      assert.deepEqual(await s.getChannelByHandle('city_news'), channel());
      await assert.rejects(s.createChannel(channel('chan_0002'), { channelId: 'chan_0002', userId: uid('bob'), role: 'owner', publicKey: 'k', addedAt: T0 }), code('handle_taken'));
      assert.equal(await s.getChannel('chan_0002'), undefined);
      assert.deepEqual((await s.listAdmins(C)).map((a) => [a.userId, a.role, a.publicKey]), [[uid('alice'), 'owner', 'key_alice']]);
    });

    it('R95b admins: added once, up to the limit, keys registered later, the owner never removed; the key list moves one version at a time', async () => {
      assert.equal(await s.addAdmin({ channelId: C, userId: uid('bob'), role: 'admin', publicKey: null, addedAt: T0 + 1 }, 2), true);
      assert.equal(await s.addAdmin({ channelId: C, userId: uid('bob'), role: 'admin', publicKey: null, addedAt: T0 + 2 }, 2), false);
      await assert.rejects(s.addAdmin({ channelId: C, userId: uid('carol'), role: 'admin', publicKey: null, addedAt: T0 + 3 }, 2), code('channel_limit'));
      // R200: bob's invitation is pending until his device registers a key; the owner has none pending.
      assert.deepEqual((await s.pendingAdminOf(uid('bob'), 10)).map((a) => [a.channelId, a.role]), [[C, 'admin']]);
      assert.deepEqual(await s.pendingAdminOf(uid('alice'), 10), []);
      assert.equal(await s.setAdminKey(C, uid('bob'), 'key_bob'), true);
      assert.deepEqual(await s.pendingAdminOf(uid('bob'), 10), [], 'accepted: no longer an invitation');
      assert.deepEqual((await s.getAdmin(C, uid('bob')))?.publicKey, 'key_bob');
      assert.deepEqual((await s.listAdmins(C)).map((a) => a.userId), [uid('alice'), uid('bob')]);
      assert.equal(await s.setKeyList(C, 3, 'v3', 's3'), false, 'not the next version');
      assert.equal(await s.setKeyList(C, 2, 'v2', 's2'), true);
      assert.equal(await s.setKeyList(C, 2, 'v2b', 's2b'), false, 'version 2 is taken');
      assert.deepEqual(await s.getChannel(C).then((c) => [c?.keyListVersion, c?.keyList, c?.keyListSig]), [2, 'v2', 's2']);
      assert.equal(await s.removeAdmin(C, uid('alice')), false, 'the owner stays');
      assert.equal(await s.removeAdmin(C, uid('bob')), true);
      assert.equal(await s.getAdmin(C, uid('bob')), undefined);
    });

    it('R96 a post goes at the next seq only; an edit is the next version at a new seq; the log lists latest versions by seq', async () => {
      assert.equal(await s.putPost(post('post_0001', 1)), 'ok');
      assert.deepEqual(await s.putPost(post('post_0002', 1)), { lastSeq: 1 }, 'seq 1 is taken');
      assert.deepEqual(await s.putPost(post('post_0002', 3)), { lastSeq: 1 }, 'no gaps');
      assert.equal(await s.putPost(post('post_0002', 2)), 'ok');
      assert.equal(await s.putPost(post('post_0001', 3, { postSeq: 1, version: 3 })), 'version', 'version 2 comes first');
      assert.equal(await s.putPost(post('post_0001', 3)), 'version', 'a second version 1');
      assert.equal(await s.putPost(post('post_0001', 3, { postSeq: 2, version: 2 })), 'version', 'postSeq is fixed');
      assert.equal(await s.putPost(post('post_0001', 3, { postSeq: 1, version: 2, deleted: true })), 'ok');
      assert.equal((await s.getChannel(C))?.lastSeq, 3);
      assert.deepEqual((await s.listLog(C, 0, 10)).map((p) => [p.postId, p.seq, p.version, p.deleted]), [['post_0002', 2, 1, false], ['post_0001', 3, 2, true]]);
      assert.deepEqual((await s.listLog(C, 2, 10)).map((p) => p.postId), ['post_0001']);
      assert.deepEqual((await s.listLog(C, 0, 1)).map((p) => p.postId), ['post_0002']);
      assert.deepEqual(await s.getPost(C, 'post_0001'), post('post_0001', 3, { postSeq: 1, version: 2, deleted: true }));
      assert.deepEqual((await s.listPosts(C, { limit: 10, withDeleted: true })).map((p) => p.postId), ['post_0002', 'post_0001']);
      assert.deepEqual((await s.listPosts(C, { limit: 10, withDeleted: false })).map((p) => p.postId), ['post_0002']);
      assert.deepEqual((await s.listPosts(C, { beforePostSeq: 2, limit: 10, withDeleted: true })).map((p) => p.postId), ['post_0001']);
    });

    it('R96 two admins posting at once: one takes the seq, the other is told the log moved', async () => {
      const results = await Promise.all([s.putPost(post('post_000a', 1)), s.putPost(post('post_000b', 1))]);
      assert.deepEqual(results.filter((r) => r === 'ok').length, 1);
      assert.deepEqual(results.find((r) => r !== 'ok'), { lastSeq: 1 });
    });

    it('R97 subscriptions: counted on the channel, per-user limit, read position forward only, unread counts live posts after it', async () => {
      assert.equal(await s.subscribe({ channelId: C, userId: uid('bob'), readSeq: 0, muted: false, subscribedAt: T0 }, 1), true);
      assert.equal(await s.subscribe({ channelId: C, userId: uid('bob'), readSeq: 0, muted: false, subscribedAt: T0 }, 1), false);
      await s.createChannel(channel('chan_0002', 'other_news'), { channelId: 'chan_0002', userId: uid('alice'), role: 'owner', publicKey: 'k', addedAt: T0 });
      await assert.rejects(s.subscribe({ channelId: 'chan_0002', userId: uid('bob'), readSeq: 0, muted: false, subscribedAt: T0 }, 1), code('channel_limit'));
      assert.equal(await s.subscribe({ channelId: C, userId: uid('carol'), readSeq: 0, muted: true, subscribedAt: T0 + 1 }, 1), true);
      assert.equal((await s.getChannel(C))?.subscriberCount, 2);
      await s.putPost(post('post_0001', 1));
      await s.putPost(post('post_0002', 2));
      await s.putPost(post('post_0003', 3));
      await s.putPost(post('post_0002', 4, { postSeq: 2, version: 2, deleted: true }));
      assert.equal(await s.countUnread(C, 0), 2, 'the deleted one does not count');
      await s.setReadSeq(C, uid('bob'), 3);
      await s.setReadSeq(C, uid('bob'), 1);
      assert.equal((await s.getSubscription(C, uid('bob')))?.readSeq, 3);
      assert.equal(await s.countUnread(C, 3), 0);
      assert.equal(await s.setMuted(C, uid('bob'), true), true);
      assert.deepEqual(await s.listSubscriptions(uid('bob')), [{ channelId: C, userId: uid('bob'), readSeq: 3, muted: true, subscribedAt: T0 }]);
      assert.equal(await s.unsubscribe(C, uid('bob')), true);
      assert.equal(await s.unsubscribe(C, uid('bob')), false);
      assert.equal((await s.getChannel(C))?.subscriberCount, 1);
      assert.deepEqual(await s.listSubscriptions(uid('bob')), []);
    });

    it('R98 one reaction per person per post, counted; views add up per post over buckets with no one named', async () => {
      await s.putPost(post('post_0001', 1));
      await s.putPost(post('post_0002', 2));
      await s.setReaction(C, 'post_0001', uid('bob'), '👍');
      await s.setReaction(C, 'post_0001', uid('bob'), '🔥');
      await s.setReaction(C, 'post_0001', uid('carol'), '🔥');
      await s.setReaction(C, 'post_0002', uid('carol'), '👍');
      assert.deepEqual(await s.reactionCounts(C, ['post_0001', 'post_0002']), [
        { postId: 'post_0001', emoji: '🔥', count: 2 }, { postId: 'post_0002', emoji: '👍', count: 1 },
      ]);
      await s.setReaction(C, 'post_0001', uid('bob'), null);
      assert.deepEqual(await s.reactionCounts(C, ['post_0001']), [{ postId: 'post_0001', emoji: '🔥', count: 1 }]);
      assert.deepEqual([...await s.myReactions(C, uid('carol'), ['post_0001', 'post_0002'])].sort(), [['post_0001', '🔥'], ['post_0002', '👍']]);
      await s.addViews(C, ['post_0001', 'post_0002', 'post_0001'], T0);
      await s.addViews(C, ['post_0001'], T0);
      await s.addViews(C, ['post_0001'], T0 + 3_600_000);
      assert.deepEqual([...await s.viewCounts(C, ['post_0001', 'post_0002', 'post_0003'])].sort(), [['post_0001', 3], ['post_0002', 1]]);
    });

    it('R110 a post names its media in its own transaction; the media are served only while complete and named; named blobs are not swept', async () => {
      const blob = (blobId: string, completedAt: number | null) => ({ blobId, ownerUserId: uid('alice'), ownerDeviceId: 'dev_alice', length: 5, createdAt: T0, completedAt });
      const LIMITS = { quotaBytes: 1000, maxInFlight: 10 };
      const photo = 'photo_0000000000000001';
      const half = 'photo_0000000000000002';
      await blobs.createBlob(blob(photo, T0 + 1), LIMITS);
      await blobs.createBlob(blob(half, null), LIMITS);
      assert.equal(await s.putPost(post('post_0001', 1), [{ blobId: photo, mime: 'image/png' }, { blobId: half, mime: 'image/jpeg' }]), 'ok');
      assert.deepEqual(await s.postMedia(C, 'post_0001'), [{ blobId: photo, mime: 'image/png' }, { blobId: half, mime: 'image/jpeg' }]);
      assert.deepEqual(await s.getMedia(C, photo), { blobId: photo, mime: 'image/png', length: 5 });
      assert.equal(await s.getMedia(C, half), undefined, 'not complete');
      assert.equal(await s.getMedia('chan_0002', photo), undefined, 'another channel');
      assert.deepEqual(await blobs.expiredBlobs(T0 + 1000, 10), [half], 'a named complete blob is not swept (an unfinished one is a candidate, as ever)');
      assert.equal(await blobs.deleteBlob(photo), false);
      assert.equal(await blobs.deleteBlob(half, T0 + 1000), false, 'but not deleted while named');
      // A refused write changes no media; an edit without media keeps them; one with a new list replaces them.
      assert.deepEqual(await s.putPost(post('post_0002', 1), []), { lastSeq: 1 });
      assert.equal((await s.postMedia(C, 'post_0001')).length, 2);
      assert.equal(await s.putPost(post('post_0001', 2, { postSeq: 1, version: 2 })), 'ok');
      assert.equal((await s.postMedia(C, 'post_0001')).length, 2);
      assert.equal(await s.putPost(post('post_0001', 3, { postSeq: 1, version: 3, deleted: true }), []), 'ok');
      assert.deepEqual(await s.postMedia(C, 'post_0001'), []);
      assert.equal(await s.getMedia(C, photo), undefined);
      assert.deepEqual((await blobs.expiredBlobs(T0 + 1000, 10)).sort(), [photo, half].sort(), 'no longer named: swept like any upload');
    });

    it('R125 a signed head moves forward only and never past the log\'s end', async () => {
      assert.equal(await s.setHead(C, 1, 'h1', 'hs1'), false, 'the log is empty');
      await s.putPost(post('post_0001', 1));
      await s.putPost(post('post_0002', 2));
      assert.equal(await s.setHead(C, 2, 'h2', 'hs2'), true);
      assert.equal(await s.setHead(C, 1, 'h1', 'hs1'), false, 'never back');
      assert.equal(await s.setHead(C, 2, 'h2b', 'hs2b'), true, 'the same seq signed again later');
      assert.deepEqual((await s.getChannel(C))?.head, { seq: 2, signed: 'h2b', signature: 'hs2b' });
    });

    it('R111 search by handle or title prefix, case-folded, wildcards literal, most subscribers first, paged', async () => {
      await s.createChannel({ ...channel('chan_0002', 'city_sport'), title: 'Sport of the CITY' }, { channelId: 'chan_0002', userId: uid('bob'), role: 'owner', publicKey: 'k', addedAt: T0 });
      await s.createChannel({ ...channel('chan_0003', 'weather'), title: 'City weather 100%' }, { channelId: 'chan_0003', userId: uid('bob'), role: 'owner', publicKey: 'k', addedAt: T0 });
      await s.subscribe({ channelId: 'chan_0002', userId: uid('carol'), readSeq: 0, muted: false, subscribedAt: T0 }, 10);
      assert.deepEqual((await s.searchChannels('CITY', { offset: 0, limit: 10 })).map((c) => c.handle), ['city_sport', 'city_news', 'weather']);
      assert.deepEqual((await s.searchChannels('city', { offset: 1, limit: 1 })).map((c) => c.handle), ['city_news']);
      assert.deepEqual((await s.searchChannels('sport', { offset: 0, limit: 10 })).map((c) => c.handle), ['city_sport'], 'title prefix');
      assert.deepEqual((await s.searchChannels('city_', { offset: 0, limit: 10 })).map((c) => c.handle).sort(), ['city_news', 'city_sport']);
      assert.deepEqual(await s.searchChannels('c%', { offset: 0, limit: 10 }), [], '% is literal');
      assert.deepEqual(await s.searchChannels('cit_', { offset: 0, limit: 10 }), [], '_ is literal');
      assert.deepEqual(await s.searchChannels('news', { offset: 0, limit: 10 }), [], 'a prefix, not anywhere inside');
    });
  });
}
