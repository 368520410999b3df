import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ChannelPostRow, ChannelStorage } from './channel-storage.ts';
import type { Storage } from './storage.ts';
import { T0, seedUsers, uid } from './storage.fixtures.ts';
import type { WrappedVoteStorage } from './wrapped-vote-storage.ts';

const C = 'chan_poll1';
const post = (postId: string, seq: number, over: Partial<ChannelPostRow> = {}): ChannelPostRow => ({
  channelId: C, postId, postSeq: seq, seq, version: 1, authorId: uid('alice'), deleted: false, signed: `{"post":"${postId}"}`, signature: `sig_${postId}_${seq}`, ...over,
});

/**
 * R198: the vote store on public channels' tables (CHANNEL_VOTE_TABLES), beside ChannelStorage in one
 * database, run against SQLite and PostgreSQL: counts per option, one whole choice per user, and a
 * deleted post's votes gone in the deletion's transaction.
 */
export function channelVoteStorageSuite(name: string, open: () => Promise<{ storage: Storage; channels: ChannelStorage; votes: WrappedVoteStorage }>): void {
  describe(`${name}: public channel poll votes`, () => {
    let storage: Storage;
    let channels: ChannelStorage;
    let s: WrappedVoteStorage;
    beforeEach(async () => {
      ({ storage, channels, votes: s } = await open());
      await seedUsers(storage, 'alice', 'bob', 'carol');
      await channels.createChannel({
        channelId: C, handle: 'poll_news', title: 'Polls', description: '', ownerId: uid('alice'), createdAt: T0, lastSeq: 0, subscriberCount: 0,
        keyListVersion: 1, keyList: '{"v":1}', keyListSig: 'sig1',
      }, { channelId: C, userId: uid('alice'), role: 'owner', publicKey: 'key_alice', addedAt: T0 });
      assert.equal(await channels.putPost(post('post_poll1', 1)), 'ok');
      assert.equal(await channels.putPost(post('post_poll2', 2)), 'ok');
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R198 choices by option index are counted per poll, replaced whole or taken back; an edit keeps them, a deletion drops that poll\'s alone', async () => {
      await s.setVotes(C, 1, uid('bob'), ['0']);
      await s.setVotes(C, 1, uid('carol'), ['0', '2']);
      await s.setVotes(C, 2, uid('carol'), ['1']);
      assert.deepEqual(await s.voteCounts(C, [1, 2]), [{ seq: 1, token: '0', count: 2 }, { seq: 1, token: '2', count: 1 }, { seq: 2, token: '1', count: 1 }]);
      await s.setVotes(C, 1, uid('carol'), ['1']);
      await s.setVotes(C, 1, uid('bob'), []);
      assert.deepEqual(await s.voteCounts(C, [1]), [{ seq: 1, token: '1', count: 1 }]);
      assert.deepEqual([...(await s.voters(C, [1, 2]))], [[1, 1], [2, 1]]);
      assert.deepEqual([...(await s.myVotes(C, uid('carol'), [1, 2]))], [[1, ['1']], [2, ['1']]]);
      assert.equal(await channels.putPost(post('post_poll1', 3, { postSeq: 1, version: 2 })), 'ok', 'an edit');
      assert.deepEqual((await s.voters(C, [1])).get(1), 1, 'an edit keeps the votes');
      assert.equal(await channels.putPost(post('post_poll1', 4, { postSeq: 1, version: 3, deleted: true })), 'ok', 'the deletion');
      assert.deepEqual(await s.voteCounts(C, [1, 2]), [{ seq: 2, token: '1', count: 1 }], 'the other poll keeps its votes');
      assert.deepEqual([...(await s.voters(C, [1]))], [[1, 0]]);
      assert.deepEqual([...(await s.myVotes(C, uid('carol'), [1]))], []);
    });
  });
}
