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
import { seedChat, seedUsers } from '../storage.fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-communities-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

communityStorageSuite('SqliteCommunities', async () => {
  const storage = SqliteStorage.open(join(dir, `db-${++n}.sqlite`));
  return { storage, communities: new SqliteCommunities(storage.db) };
});

moderationStorageSuite('SqliteModeration', async () => {
  const storage = SqliteStorage.open(join(dir, `db-${++n}.sqlite`));
  return { storage, communities: new SqliteCommunities(storage.db), moderation: new SqliteModeration(storage.db) };
});

joinRequestStorageSuite('SqliteJoinRequests', async () => {
  const storage = SqliteStorage.open(join(dir, `db-${++n}.sqlite`));
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
});
