import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WRAPPED_INFO_MARK, type ChannelWrapRow, type ChannelWrapStorage } from './channel-wrap-storage.ts';
import type { BlobStorage } from './blob-storage.ts';
import type { CommunityStorage } from './community-storage.ts';
import type { Storage } from './storage.ts';
import { T0, did, seedChat, seedUsers, uid } from './storage.fixtures.ts';

const C = 'comm_wrap1';
const key = (name: string) => Buffer.alloc(32, name.charCodeAt(0)).toString('base64');
const wrap = (name: string, epoch: number): ChannelWrapRow => ({
  communityId: C, epoch, userId: uid(name), deviceId: did(name, 1), wrapped: `sealed_${name}_${epoch}`, wrappedBy: did('alice', 1),
});

/** The ChannelWrapStorage contract (R141-R142), run against SQLite and PostgreSQL. `open` gives a fresh, migrated database. */
export function channelWrapStorageSuite(name: string, open: () => Promise<{ storage: Storage; communities: CommunityStorage; wraps: ChannelWrapStorage; blobs: BlobStorage }>): void {
  describe(`${name}: wrapped channel epochs`, () => {
    let storage: Storage;
    let s: ChannelWrapStorage;
    let communities: CommunityStorage;
    let blobs: BlobStorage;
    beforeEach(async () => {
      ({ storage, communities, wraps: s, blobs } = await open());
      await seedUsers(storage, 'alice', 'bob', 'carol');
      await seedChat(storage, 'chat_ann1', ['alice']);
      await communities.createCommunity({ communityId: C, name: '', createdAt: T0, ownerId: uid('alice'), settings: { roleLabels: 'none', studentsMayDm: false, channel: true, wrapped: true } },
        { communityId: C, userId: uid('alice'), role: 'owner', rights: [], label: null, joinedAt: T0 }, [{ chatId: 'chat_ann1', communityId: C, kind: 'announcements', open: false, createdAt: T0 }]);
      for (const n of ['bob', 'carol']) {
        await communities.addCommunityMember({ communityId: C, userId: uid(n), role: 'member', rights: [], label: null, joinedAt: T0 });
      }
      for (const n of ['alice', 'bob', 'carol']) await storage.publishMlsKey({ userId: uid(n), deviceId: did(n, 1), mlsSignatureKey: key(n), at: T0 });
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R141 epochs run 1, 2, … one at a time; wraps per device; a device lists its own; the unwrapped are live members\' devices with a key; wraps are pruned per device', async () => {
      assert.equal(await s.currentEpoch(C), undefined);
      assert.equal(await s.createEpoch({ communityId: C, epoch: 2, createdBy: uid('alice'), createdAt: T0 }), false);
      assert.equal(await s.createEpoch({ communityId: C, epoch: 1, createdBy: uid('alice'), createdAt: T0 }), true);
      assert.equal(await s.createEpoch({ communityId: C, epoch: 1, createdBy: uid('alice'), createdAt: T0 }), false);
      assert.deepEqual(await s.currentEpoch(C), { communityId: C, epoch: 1, createdBy: uid('alice'), createdAt: T0 });
      assert.deepEqual((await s.listUnwrapped(C, 1, '', 10)).map((d) => [d.deviceId, d.mlsSignatureKey]),
        [[did('alice', 1), key('alice')], [did('bob', 1), key('bob')], [did('carol', 1), key('carol')]]);
      // Paged one at a time from the cursor device: each once, in order.
      const paged: string[] = [];
      for (let after = ''; ;) {
        const [next] = await s.listUnwrapped(C, 1, after, 1);
        if (!next) break;
        paged.push(next.deviceId);
        after = next.deviceId;
      }
      assert.deepEqual(paged, [did('alice', 1), did('bob', 1), did('carol', 1)]);
      assert.deepEqual(await s.putWraps([wrap('bob', 1), wrap('alice', 1)]), [wrap('bob', 1), wrap('alice', 1)]);
      // R149: another admin's device wrapping the same (epoch, device): the first wrap is kept, the call says it stored nothing of it.
      assert.deepEqual(await s.putWraps([{ ...wrap('bob', 1), wrapped: 'replaced' }]), []);
      assert.deepEqual((await s.listUnwrapped(C, 1, '', 10)).map((d) => d.deviceId), [did('carol', 1)]);
      assert.deepEqual(await s.listUnwrapped(C, 1, did('carol', 1), 10), []);
      await storage.revokeDevice(did('carol', 1), T0 + 1);
      assert.deepEqual(await s.listUnwrapped(C, 1, '', 10), [], 'a revoked device gets no wrap');
      // (A post under epoch 1, so its wraps are kept when epoch 2 supersedes it: R146.)
      await s.appendPost({ communityId: C, epoch: 1, authorId: uid('alice'), authorDevice: did('alice', 1), body: 'c2VhbGVk', createdAt: T0 });
      assert.equal(await s.createEpoch({ communityId: C, epoch: 2, createdBy: uid('alice'), createdAt: T0 + 2 }), true);
      // Two admin devices storing the same wrap at once: one of them stores it.
      assert.equal((await Promise.all([s.putWraps([wrap('bob', 2)]), s.putWraps([wrap('bob', 2)])])).flat().length, 1);
      assert.deepEqual(await s.listWrapsForDevice(C, did('bob', 1), 0, 10), [wrap('bob', 1), wrap('bob', 2)]);
      assert.deepEqual(await s.listWrapsForDevice(C, did('bob', 1), 1, 10), [wrap('bob', 2)]);
      assert.deepEqual(await s.listWrapsForDevice(C, did('carol', 1), 0, 10), []);
      // Pruned: a removed member's (or revoked) device's wraps go, only in this community, and no one else's.
      assert.equal(await s.deleteWraps(C, [did('bob', 1), did('carol', 1)]), 2);
      assert.equal(await s.deleteWraps('comm_none', [did('alice', 1)]), 0);
      assert.deepEqual(await s.listWrapsForDevice(C, did('bob', 1), 0, 10), []);
      assert.deepEqual(await s.listWrapsForDevice(C, did('alice', 1), 0, 10), [wrap('alice', 1)]);
    });

    it('R172 a wrap for a device revoked, or a user removed, before the store\'s transaction is refused with the whole batch', async () => {
      await s.createEpoch({ communityId: C, epoch: 1, createdBy: uid('alice'), createdAt: T0 });
      // An admin listed Carol's device as unwrapped; it is revoked before the wraps are stored.
      assert.deepEqual((await s.listUnwrapped(C, 1, '', 10)).map((d) => d.deviceId), [did('alice', 1), did('bob', 1), did('carol', 1)]);
      await storage.revokeDevice(did('carol', 1), T0 + 1);
      await assert.rejects(s.putWraps([wrap('bob', 1), wrap('carol', 1)]), (e: unknown) => (e as { code?: string }).code === 'device_not_found');
      assert.deepEqual(await s.listWrapsForDevice(C, did('bob', 1), 0, 10), [], 'nothing of the batch is stored');
      assert.deepEqual(await s.listWrapsForDevice(C, did('carol', 1), 0, 10), []);
      // A device named under another user is no live device of that user.
      await assert.rejects(s.putWraps([{ ...wrap('bob', 1), userId: uid('alice') }]), (e: unknown) => (e as { code?: string }).code === 'device_not_found');
      // Bob is removed between the listing and the store: his wrap is refused.
      await communities.removeCommunityMember(C, uid('bob'));
      await assert.rejects(s.putWraps([wrap('alice', 1), wrap('bob', 1)]), (e: unknown) => (e as { code?: string }).code === 'not_member');
      assert.deepEqual(await s.listWrapsForDevice(C, did('alice', 1), 0, 10), []);
      // A revocation racing the store: either the wrap is refused, or it was stored before the revocation (which then finds it, R146).
      await s.createEpoch({ communityId: C, epoch: 2, createdBy: uid('alice'), createdAt: T0 + 2 });
      const [stored] = await Promise.allSettled([s.putWraps([wrap('alice', 2)]), storage.revokeDevice(did('alice', 1), T0 + 3)]);
      const held = await s.listWrapsForDevice(C, did('alice', 1), 1, 10);
      assert.equal(held.length, stored.status === 'fulfilled' ? 1 : 0);
    });

    it('R146 a superseded epoch\'s wraps go when it holds only info entries (or nothing), never when it holds a post; no post lands in a superseded epoch', async () => {
      const entry = (epoch: number, body: string) => ({ communityId: C, epoch, authorId: uid('alice'), authorDevice: did('alice', 1), body, createdAt: T0 });
      const open = async (epoch: number) => {
        assert.equal(await s.createEpoch({ communityId: C, epoch, createdBy: uid('alice'), createdAt: T0 + epoch }), true);
        await s.putWraps(['alice', 'bob', 'carol'].map((n) => wrap(n, epoch)));
      };
      const epochsOf = async (n: string) => (await s.listWrapsForDevice(C, did(n, 1), 0, 10)).map((w) => w.epoch);
      await open(1);
      await s.appendPost(entry(1, `${WRAPPED_INFO_MARK}bmFtZQ==`)); // R161: the epoch's first entry, the channel's name
      await s.appendPost(entry(1, `${WRAPPED_INFO_MARK}cmVuYW1l`)); // a rename
      await open(2);
      assert.deepEqual(await epochsOf('bob'), [2], 'epoch 1 held only info entries: its wraps went');
      await s.appendPost(entry(2, `${WRAPPED_INFO_MARK}bmFtZQ==`));
      await s.appendPost(entry(2, 'cG9zdA=='));
      await s.appendPost(entry(2, `${WRAPPED_INFO_MARK}cmVuYW1l`)); // a post, then a rename: still a post in it
      await open(3);
      await open(4); // epoch 3 held nothing at all
      assert.deepEqual(await epochsOf('carol'), [2, 4]);
      assert.deepEqual(await epochsOf('alice'), [2, 4]);
      // An admin who read epoch 3 as current posts after epoch 4 opened: refused in the append's transaction, no seq taken.
      await assert.rejects(s.appendPost(entry(3, 'bGF0ZQ==')), (e: unknown) => (e as { code?: string }).code === 'channel_rekey_needed');
      assert.equal((await s.latestPost(C))?.seq, 5);
    });

    it('R142, R161-R162 posts take the next seq and read back in order, the newest too; one naming a missing blob is not stored; the last removal time only moves forward', async () => {
      await s.createEpoch({ communityId: C, epoch: 1, createdBy: uid('alice'), createdAt: T0 });
      const p = { communityId: C, epoch: 1, authorId: uid('alice'), authorDevice: did('alice', 1), body: 'c2VhbGVk', createdAt: T0 };
      assert.equal((await s.appendPost(p)).seq, 1);
      assert.equal((await s.appendPost({ ...p, body: 'dHdv' })).seq, 2);
      assert.deepEqual((await s.listPosts(C, 0, 10)).map((r) => [r.seq, r.body]), [[1, 'c2VhbGVk'], [2, 'dHdv']]);
      assert.deepEqual(await s.listPosts(C, 1, 10), [{ ...p, body: 'dHdv', seq: 2 }]);
      // R161: the newest post; R162: a post naming a blob that is not there is refused whole (no seq taken).
      assert.deepEqual(await s.latestPost(C), { ...p, body: 'dHdv', seq: 2 });
      assert.equal(await s.latestPost('comm_none'), undefined);
      await assert.rejects(s.appendPost(p, { chatId: 'chat_ann1', blobIds: ['B'.repeat(22)] }), /no such blob/);
      assert.equal((await s.latestPost(C))?.seq, 2);
      assert.equal(await s.lastRemovalAt(C), undefined);
      await s.markRemoval(C, T0 + 5);
      await s.markRemoval(C, T0 + 3);
      assert.equal(await s.lastRemovalAt(C), T0 + 5);
    });

    it('R162 a post whose files a post of its author already references is that post again: answered, nothing appended', async () => {
      await s.createEpoch({ communityId: C, epoch: 1, createdBy: uid('alice'), createdAt: T0 });
      const limits = { quotaBytes: 1e9, maxInFlight: 10 };
      for (const [b, owner] of [['a', 'alice'], ['b', 'alice'], ['c', 'bob']] as const) {
        await blobs.createBlob({ blobId: b.repeat(22), ownerUserId: uid(owner), ownerDeviceId: did(owner, 1), length: 10, createdAt: T0, completedAt: null }, limits);
        await blobs.completeBlob(b.repeat(22), T0);
      }
      const p = { communityId: C, epoch: 1, authorId: uid('alice'), authorDevice: did('alice', 1), body: 'c2VhbGVk', createdAt: T0 };
      const refs = { chatId: 'chat_ann1', blobIds: ['a'.repeat(22), 'b'.repeat(22)] };
      const first = await s.appendPost(p, refs);
      assert.deepEqual([first.seq, first.repeated], [1, undefined]);
      // Sent again (another seal of it, the epoch since renewed): the stored post comes back, nothing new in the log.
      await s.createEpoch({ communityId: C, epoch: 2, createdBy: uid('alice'), createdAt: T0 });
      assert.deepEqual(await s.appendPost({ ...p, epoch: 2, body: 'YWdhaW4=' }, refs), { ...p, seq: 1, repeated: true });
      assert.deepEqual((await s.listPosts(C, 0, 10)).map((r) => r.seq), [1]);
      // Another author's post with its own file, and a post with no files, are new posts.
      assert.equal((await s.appendPost({ ...p, epoch: 2, authorId: uid('bob'), authorDevice: did('bob', 1) }, { chatId: 'chat_ann1', blobIds: ['c'.repeat(22)] })).seq, 2);
      assert.equal((await s.appendPost({ ...p, epoch: 2 })).seq, 3);
    });
  });
}
