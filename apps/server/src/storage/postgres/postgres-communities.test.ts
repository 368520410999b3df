import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { communityStorageSuite } from '../community-storage.suite.ts';
import { loadMigrations } from '../migrate.ts';
import { seedChat, seedUsers } from '../storage.fixtures.ts';
import { PostgresCommunities } from './postgres-communities.ts';
import { PostgresModeration } from './postgres-moderation.ts';
import { PostgresJoinRequests } from './postgres-join-requests.ts';
import { joinRequestStorageSuite } from '../join-request-storage.suite.ts';
import { moderationStorageSuite } from '../moderation-storage.suite.ts';
import { PostgresStorage } from './postgres-storage.ts';
import { channelWrapStorageSuite } from '../channel-wrap-storage.suite.ts';
import { PostgresChannelWraps } from './postgres-channel-wraps.ts';
import { PostgresBlobs } from './postgres-blobs.ts';
import { wrappedRefsMigration, wrappedResponseStorageSuite } from '../wrapped-response-storage.suite.ts';
import { PostgresWrappedResponses } from './postgres-wrapped-responses.ts';
import { wrappedVoteStorageSuite } from '../wrapped-vote-storage.suite.ts';
import { PostgresWrappedVotes } from './postgres-wrapped-votes.ts';
import { wrappedCommentStorageSuite } from '../wrapped-comment-storage.suite.ts';
import { mlsScheduleStorageSuite, wrappedScheduleStorageSuite } from '../wrapped-schedule-storage.suite.ts';
import { PostgresWrappedSchedule } from './postgres-wrapped-schedule.ts';
import { PostgresWrappedComments } from './postgres-wrapped-comments.ts';
import { wrappedViewStorageSuite } from '../wrapped-view-storage.suite.ts';
import { PostgresWrappedViews } from './postgres-wrapped-views.ts';
import { PostgresChannelViews } from './postgres-channel-views.ts';
import { wrappedReadStorageSuite } from '../wrapped-read-storage.suite.ts';
import { PostgresWrappedReads } from './postgres-wrapped-reads.ts';
import { freshDatabases } from '@parley/testing/postgres';
import { migratedDatabases } from './migrated-databases.ts';

/**
 * Against the real PostgreSQL (PARLEY_TEST_PG_URL); each test gets a database of its own: a copy of
 * one migrated once, or an empty one for the migration tests.
 */
const database = migratedDatabases('parley_c');
const emptyDatabase = freshDatabases('parley_c');

communityStorageSuite('PostgresCommunities', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, communities: new PostgresCommunities(storage.pool) };
});

channelWrapStorageSuite('PostgresChannelWraps', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, communities: new PostgresCommunities(storage.pool), wraps: new PostgresChannelWraps(storage.pool), blobs: new PostgresBlobs(storage.pool) };
});

wrappedResponseStorageSuite('PostgresWrappedResponses', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, communities: new PostgresCommunities(storage.pool), wraps: new PostgresChannelWraps(storage.pool), responses: new PostgresWrappedResponses(storage.pool), blobs: new PostgresBlobs(storage.pool) };
});

wrappedViewStorageSuite('PostgresWrappedViews', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, communities: new PostgresCommunities(storage.pool), wraps: new PostgresChannelWraps(storage.pool), responses: new PostgresWrappedResponses(storage.pool), views: new PostgresWrappedViews(storage.pool), channelViews: new PostgresChannelViews(storage.pool) };
});

wrappedVoteStorageSuite('PostgresWrappedVotes', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, communities: new PostgresCommunities(storage.pool), wraps: new PostgresChannelWraps(storage.pool), responses: new PostgresWrappedResponses(storage.pool), votes: new PostgresWrappedVotes(storage.pool) };
});

wrappedReadStorageSuite('PostgresWrappedReads', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, communities: new PostgresCommunities(storage.pool), wraps: new PostgresChannelWraps(storage.pool), responses: new PostgresWrappedResponses(storage.pool), reads: new PostgresWrappedReads(storage.pool) };
});

wrappedCommentStorageSuite('PostgresWrappedComments', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, communities: new PostgresCommunities(storage.pool), wraps: new PostgresChannelWraps(storage.pool), comments: new PostgresWrappedComments(storage.pool) };
});

wrappedScheduleStorageSuite('PostgresWrappedSchedule', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, communities: new PostgresCommunities(storage.pool), wraps: new PostgresChannelWraps(storage.pool), schedule: new PostgresWrappedSchedule(storage.pool), blobs: new PostgresBlobs(storage.pool) };
});

mlsScheduleStorageSuite('PostgresWrappedSchedule (channel_mls_scheduled)', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, communities: new PostgresCommunities(storage.pool), wrapped: new PostgresWrappedSchedule(storage.pool), schedule: new PostgresWrappedSchedule(storage.pool, 'channel_mls_scheduled') };
});

moderationStorageSuite('PostgresModeration', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, communities: new PostgresCommunities(storage.pool), moderation: new PostgresModeration(storage.pool) };
});

joinRequestStorageSuite('PostgresJoinRequests', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, communities: new PostgresCommunities(storage.pool), joinRequests: new PostgresJoinRequests(storage.pool) };
});

describe('PostgresCommunities migration', () => {
  it('R66 migration 020 on a database with chats from before: they stay as they were, belong to no community, and a community can link them', async () => {
    const url = await emptyDatabase();
    const all = loadMigrations('postgres');
    const at = all.findIndex((m) => m.name === '020_communities');
    assert.ok(at > 0);
    const old = await PostgresStorage.open(url, { migrations: all.slice(0, at) });
    await seedUsers(old, 'alice');
    await seedChat(old, 'chat_old1', ['alice']);
    await old.close();
    const upgraded = await PostgresStorage.open(url, { migrations: all });
    try {
      assert.deepEqual(upgraded.appliedMigrations, all.slice(at).map((m) => m.version));
      assert.equal((await upgraded.getChat('chat_old1'))?.chatId, 'chat_old1');
      const communities = new PostgresCommunities(upgraded.pool);
      assert.equal(await communities.getCommunityChat('chat_old1'), undefined);
      assert.deepEqual(await communities.listCommunitiesForUser('user_alice'), []);
    } finally {
      await upgraded.close();
    }
  });

  it('R178 migration 039 on wrapped posts\' file references from before: moved to minus their seq, except where a chat message may have made one', async () => {
    const url = await emptyDatabase();
    const all = loadMigrations('postgres');
    const at = all.findIndex((m) => m.name === '039_wrapped_leave_and_delete');
    assert.ok(at > 0);
    const old = await PostgresStorage.open(url, { migrations: all.slice(0, at) });
    await wrappedRefsMigration.before({ storage: old, communities: new PostgresCommunities(old.pool), wraps: new PostgresChannelWraps(old.pool), blobs: new PostgresBlobs(old.pool),
      exec: async (sql, params) => { let i = 0; await old.pool.query(sql.replace(/\?/g, () => `$${++i}`), params); } });
    await old.close();
    const upgraded = await PostgresStorage.open(url, { migrations: all });
    try {
      await wrappedRefsMigration.after(new PostgresBlobs(upgraded.pool));
    } finally {
      await upgraded.close();
    }
  });

  it('R100 migration 024 on invites from before: they keep admitting without approval, and requests can be made', async () => {
    const url = await emptyDatabase();
    const all = loadMigrations('postgres');
    const at = all.findIndex((m) => m.name === '024_join_requests');
    assert.ok(at > 0);
    const old = await PostgresStorage.open(url, { migrations: all.slice(0, at) });
    await seedUsers(old, 'alice', 'bob');
    await seedChat(old, 'chat_ann1', ['alice']);
    await new PostgresCommunities(old.pool).createCommunity({ communityId: 'comm_old1', name: '', createdAt: 1, ownerId: 'user_alice', settings: { roleLabels: 'none', studentsMayDm: false } },
      { communityId: 'comm_old1', userId: 'user_alice', role: 'owner', rights: [], label: null, joinedAt: 1 }, [{ chatId: 'chat_ann1', communityId: 'comm_old1', kind: 'announcements', open: false, createdAt: 1 }]);
    await old.pool.query("INSERT INTO community_invites (token, community_id, created_by, created_at, expires_at, max_uses, uses) VALUES ('tok_old01', 'comm_old1', 'user_alice', 1, 99, NULL, 0)");
    await old.close();
    const upgraded = await PostgresStorage.open(url, { migrations: all });
    try {
      assert.equal((await new PostgresCommunities(upgraded.pool).getCommunityInvite('tok_old01'))?.needsApproval, false);
      const requests = new PostgresJoinRequests(upgraded.pool);
      const row = { requestId: 'jr_old01', communityId: 'comm_old1', userId: 'user_bob', inviteToken: 'tok_old01', note: '', status: 'pending' as const, createdAt: 2, decidedBy: null, decidedAt: null };
      assert.deepEqual(await requests.addJoinRequest(row, { maxPending: 5 }), row);
    } finally {
      await upgraded.close();
    }
  });
});
