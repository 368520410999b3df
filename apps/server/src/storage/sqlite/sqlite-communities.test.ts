import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { communityStorageSuite } from '../community-storage.suite.ts';
import { loadMigrations } from '../migrate.ts';
import { SqliteCommunities } from './sqlite-communities.ts';
import { SqliteModeration } from './sqlite-moderation.ts';
import { SqliteJoinRequests } from './sqlite-join-requests.ts';
import { joinRequestStorageSuite } from '../join-request-storage.suite.ts';
import { moderationStorageSuite } from '../moderation-storage.suite.ts';
import { SqliteStorage } from './sqlite-storage.ts';
import { channelWrapStorageSuite } from '../channel-wrap-storage.suite.ts';
import { SqliteChannelWraps } from './sqlite-channel-wraps.ts';
import { SqliteBlobs } from './sqlite-blobs.ts';
import { wrappedRefsMigration, wrappedResponseStorageSuite } from '../wrapped-response-storage.suite.ts';
import { SqliteWrappedResponses } from './sqlite-wrapped-responses.ts';
import { wrappedCommentStorageSuite } from '../wrapped-comment-storage.suite.ts';
import { mlsScheduleStorageSuite, wrappedScheduleStorageSuite } from '../wrapped-schedule-storage.suite.ts';
import { SqliteWrappedSchedule } from './sqlite-wrapped-schedule.ts';
import { SqliteWrappedComments } from './sqlite-wrapped-comments.ts';
import { wrappedViewStorageSuite } from '../wrapped-view-storage.suite.ts';
import { SqliteWrappedViews } from './sqlite-wrapped-views.ts';
import { SqliteChannelViews } from './sqlite-channel-views.ts';
import { wrappedVoteStorageSuite } from '../wrapped-vote-storage.suite.ts';
import { SqliteWrappedVotes } from './sqlite-wrapped-votes.ts';
import { wrappedReadStorageSuite } from '../wrapped-read-storage.suite.ts';
import { SqliteWrappedReads } from './sqlite-wrapped-reads.ts';
import { seedChat, seedUsers } from '../storage.fixtures.ts';
import { migratedSqliteFile } from './migrated-sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-communities-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

communityStorageSuite('SqliteCommunities', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, communities: new SqliteCommunities(storage.db) };
});

channelWrapStorageSuite('SqliteChannelWraps', async () => {
  const storage = SqliteStorage.open(join(dir, `db-${++n}.sqlite`));
  return { storage, communities: new SqliteCommunities(storage.db), wraps: new SqliteChannelWraps(storage.db), blobs: new SqliteBlobs(storage.db) };
});

wrappedResponseStorageSuite('SqliteWrappedResponses', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, communities: new SqliteCommunities(storage.db), wraps: new SqliteChannelWraps(storage.db), responses: new SqliteWrappedResponses(storage.db), blobs: new SqliteBlobs(storage.db) };
});

wrappedVoteStorageSuite('SqliteWrappedVotes', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, communities: new SqliteCommunities(storage.db), wraps: new SqliteChannelWraps(storage.db), responses: new SqliteWrappedResponses(storage.db), votes: new SqliteWrappedVotes(storage.db) };
});

wrappedReadStorageSuite('SqliteWrappedReads', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, communities: new SqliteCommunities(storage.db), wraps: new SqliteChannelWraps(storage.db), responses: new SqliteWrappedResponses(storage.db), reads: new SqliteWrappedReads(storage.db) };
});

wrappedCommentStorageSuite('SqliteWrappedComments', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, communities: new SqliteCommunities(storage.db), wraps: new SqliteChannelWraps(storage.db), comments: new SqliteWrappedComments(storage.db) };
});

wrappedViewStorageSuite('SqliteWrappedViews', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, communities: new SqliteCommunities(storage.db), wraps: new SqliteChannelWraps(storage.db), responses: new SqliteWrappedResponses(storage.db), views: new SqliteWrappedViews(storage.db), channelViews: new SqliteChannelViews(storage.db) };
});

wrappedScheduleStorageSuite('SqliteWrappedSchedule', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, communities: new SqliteCommunities(storage.db), wraps: new SqliteChannelWraps(storage.db), schedule: new SqliteWrappedSchedule(storage.db), blobs: new SqliteBlobs(storage.db) };
});

mlsScheduleStorageSuite('SqliteWrappedSchedule (channel_mls_scheduled)', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, communities: new SqliteCommunities(storage.db), wrapped: new SqliteWrappedSchedule(storage.db), schedule: new SqliteWrappedSchedule(storage.db, 'channel_mls_scheduled') };
});

moderationStorageSuite('SqliteModeration', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, communities: new SqliteCommunities(storage.db), moderation: new SqliteModeration(storage.db) };
});

joinRequestStorageSuite('SqliteJoinRequests', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, communities: new SqliteCommunities(storage.db), joinRequests: new SqliteJoinRequests(storage.db) };
});

describe('SqliteCommunities migration', () => {
  it('R66 migration 017 on a database with chats from before: they stay as they were, belong to no community, and a community can link them', async () => {
    const path = join(dir, 'before.sqlite');
    const all = loadMigrations('sqlite');
    const at = all.findIndex((m) => m.name === '017_communities');
    assert.ok(at > 0);
    const old = SqliteStorage.open(path, { migrations: all.slice(0, at) });
    await seedUsers(old, 'alice');
    await seedChat(old, 'chat_old1', ['alice']);
    await old.close();
    const upgraded = SqliteStorage.open(path, { migrations: all });
    try {
      assert.deepEqual(upgraded.appliedMigrations, all.slice(at).map((m) => m.version));
      assert.equal((await upgraded.getChat('chat_old1'))?.chatId, 'chat_old1');
      const communities = new SqliteCommunities(upgraded.db);
      assert.equal(await communities.getCommunityChat('chat_old1'), undefined);
      assert.deepEqual(await communities.listCommunitiesForUser('user_alice'), []);
    } finally {
      await upgraded.close();
    }
  });

  it('R178 migration 036 on wrapped posts\' file references from before: moved to minus their seq, except where a chat message may have made one', async () => {
    const path = join(dir, 'before-036.sqlite');
    const all = loadMigrations('sqlite');
    const at = all.findIndex((m) => m.name === '036_wrapped_leave_and_delete');
    assert.ok(at > 0);
    const old = SqliteStorage.open(path, { migrations: all.slice(0, at) });
    await wrappedRefsMigration.before({ storage: old, communities: new SqliteCommunities(old.db), wraps: new SqliteChannelWraps(old.db), blobs: new SqliteBlobs(old.db),
      exec: async (sql, params) => { old.db.prepare(sql).run(...params); } });
    await old.close();
    const upgraded = SqliteStorage.open(path, { migrations: all });
    try {
      await wrappedRefsMigration.after(new SqliteBlobs(upgraded.db));
    } finally {
      await upgraded.close();
    }
  });

  it('R100 migration 021 on invites from before: they keep admitting without approval, and requests can be made', async () => {
    const path = join(dir, 'before-021.sqlite');
    const all = loadMigrations('sqlite');
    const at = all.findIndex((m) => m.name === '021_join_requests');
    assert.ok(at > 0);
    const old = SqliteStorage.open(path, { migrations: all.slice(0, at) });
    await seedUsers(old, 'alice', 'bob');
    await seedChat(old, 'chat_ann1', ['alice']);
    await new SqliteCommunities(old.db).createCommunity({ communityId: 'comm_old1', name: '', createdAt: 1, ownerId: 'user_alice', settings: { roleLabels: 'none', studentsMayDm: false } },
      { communityId: 'comm_old1', userId: 'user_alice', role: 'owner', rights: [], label: null, joinedAt: 1 }, [{ chatId: 'chat_ann1', communityId: 'comm_old1', kind: 'announcements', open: false, createdAt: 1 }]);
    old.db.prepare("INSERT INTO community_invites (token, community_id, created_by, created_at, expires_at, max_uses, uses) VALUES ('tok_old01', 'comm_old1', 'user_alice', 1, 99, NULL, 0)").run();
    await old.close();
    const upgraded = SqliteStorage.open(path, { migrations: all });
    try {
      assert.equal((await new SqliteCommunities(upgraded.db).getCommunityInvite('tok_old01'))?.needsApproval, false);
      const requests = new SqliteJoinRequests(upgraded.db);
      const row = { requestId: 'jr_old01', communityId: 'comm_old1', userId: 'user_bob', inviteToken: 'tok_old01', note: '', status: 'pending' as const, createdAt: 2, decidedBy: null, decidedAt: null };
      assert.deepEqual(await requests.addJoinRequest(row, { maxPending: 5 }), row);
    } finally {
      await upgraded.close();
    }
  });
});
