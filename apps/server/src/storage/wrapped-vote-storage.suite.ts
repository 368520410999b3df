import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ChannelWrapStorage } from './channel-wrap-storage.ts';
import type { CommunityStorage } from './community-storage.ts';
import type { Storage } from './storage.ts';
import { T0, did, seedChat, seedUsers, uid } from './storage.fixtures.ts';
import type { WrappedResponseStorage } from './wrapped-response-storage.ts';
import type { WrappedVoteStorage } from './wrapped-vote-storage.ts';

const C = 'comm_votes1';
const tok = (c: string) => c.repeat(32);

/** The WrappedVoteStorage contract (R185), run against SQLite and PostgreSQL. `open` gives a fresh, migrated database. */
export function wrappedVoteStorageSuite(name: string, open: () => Promise<{ storage: Storage; communities: CommunityStorage; wraps: ChannelWrapStorage; responses: WrappedResponseStorage; votes: WrappedVoteStorage }>): void {
  describe(`${name}: wrapped channel poll votes`, () => {
    let storage: Storage;
    let wraps: ChannelWrapStorage;
    let responses: WrappedResponseStorage;
    let s: WrappedVoteStorage;
    const append = (body: string) => wraps.appendPost({ communityId: C, epoch: 1, authorId: uid('alice'), authorDevice: did('alice', 1), body, createdAt: T0 });
    beforeEach(async () => {
      let communities: CommunityStorage;
      ({ storage, communities, wraps, responses, votes: s } = await open());
      await seedUsers(storage, 'alice', 'bob', 'carol');
      await seedChat(storage, 'chat_ann5', ['alice']);
      await communities.createCommunity({ communityId: C, name: '', createdAt: T0, ownerId: uid('alice'), settings: { roleLabels: 'none', studentsMayDm: false, channel: true, wrapped: true } },
        { communityId: C, userId: uid('alice'), role: 'owner', rights: [], label: null, joinedAt: T0 }, [{ chatId: 'chat_ann5', communityId: C, kind: 'announcements', open: false, createdAt: T0 }]);
      await wraps.createEpoch({ communityId: C, epoch: 1, createdBy: uid('alice'), createdAt: T0 });
      await append('cG9sbDE=');
      await append('cG9sbDI=');
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R185 a user\'s choice is a set of tokens, replaced whole or taken back; counts per (poll, token), voters, each user\'s own', async () => {
      await s.setVotes(C, 1, uid('bob'), [tok('a')]);
      await s.setVotes(C, 1, uid('carol'), [tok('a'), tok('b')]);
      await s.setVotes(C, 2, uid('carol'), [tok('c')]);
      assert.deepEqual(await s.voteCounts(C, [1, 2, 3]), [
        { seq: 1, token: tok('a'), count: 2 }, { seq: 1, token: tok('b'), count: 1 }, { seq: 2, token: tok('c'), count: 1 },
      ]);
      assert.deepEqual([...(await s.voters(C, [1, 2, 3]))], [[1, 2], [2, 1], [3, 0]]);
      assert.deepEqual([...(await s.myVotes(C, uid('carol'), [1, 2]))], [[1, [tok('a'), tok('b')]], [2, [tok('c')]]]);
      await s.setVotes(C, 1, uid('carol'), [tok('d')]); // replaces both
      assert.deepEqual(await s.voteCounts(C, [1]), [{ seq: 1, token: tok('a'), count: 1 }, { seq: 1, token: tok('d'), count: 1 }]);
      await s.setVotes(C, 1, uid('bob'), []);
      assert.deepEqual(await s.voteCounts(C, [1]), [{ seq: 1, token: tok('d'), count: 1 }]);
      assert.deepEqual([...(await s.myVotes(C, uid('bob'), [1]))], []);
      assert.deepEqual(await s.voteCounts(C, []), []);
      // One user's changes racing: one whole choice stays (whichever came last), never a mix.
      const choices = [[tok('e')], [tok('f'), tok('g')], []];
      await Promise.all(Array.from({ length: 12 }, (_, i) => s.setVotes(C, 2, uid('bob'), choices[i % 3]!)));
      const mine = (await s.myVotes(C, uid('bob'), [2])).get(2) ?? [];
      assert.ok(choices.some((c) => JSON.stringify(c) === JSON.stringify(mine)), `a whole choice: ${mine.join(',')}`);
      assert.equal((await s.voters(C, [2])).get(2), mine.length > 0 ? 2 : 1);
      assert.deepEqual(await s.voteCounts(C, [2]), [tok('c'), ...mine].sort().map((token) => ({ seq: 2, token, count: 1 })), 'the counts follow the choices');
    });

    it('R185 a deleted poll\'s votes go with it; a leaver\'s votes go (R178), every count they were in drops', async () => {
      await s.setVotes(C, 1, uid('bob'), [tok('a')]);
      await s.setVotes(C, 1, uid('carol'), [tok('a')]);
      await s.setVotes(C, 2, uid('bob'), [tok('b'), tok('c')]);
      await s.setVotes(C, 2, uid('carol'), [tok('b')]);
      assert.equal(await s.dropVotes(C, uid('bob')), 3);
      assert.deepEqual(await s.voteCounts(C, [1, 2]), [{ seq: 1, token: tok('a'), count: 1 }, { seq: 2, token: tok('b'), count: 1 }]);
      assert.deepEqual([...(await s.myVotes(C, uid('bob'), [1, 2]))], []);
      assert.equal(await s.dropVotes(C, uid('bob')), 0);
      assert.equal(await responses.deletePost(C, 2), true);
      assert.deepEqual(await s.voteCounts(C, [1, 2]), [{ seq: 1, token: tok('a'), count: 1 }]);
      assert.deepEqual([...(await s.voters(C, [2]))], [[2, 0]]);
    });
  });
}
