import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { channelStorageSuite } from '../channel-storage.suite.ts';
import { channelVoteStorageSuite } from '../channel-vote-storage.suite.ts';
import { CHANNEL_VOTE_TABLES } from '../wrapped-vote-storage.ts';
import { SqliteBlobs } from './sqlite-blobs.ts';
import { SqliteChannels } from './sqlite-channels.ts';
import { SqliteStorage } from './sqlite-storage.ts';
import { SqliteWrappedVotes } from './sqlite-wrapped-votes.ts';
import { migratedSqliteFile } from './migrated-sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-channels-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

channelStorageSuite('SqliteChannels', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, channels: new SqliteChannels(storage.db), blobs: new SqliteBlobs(storage.db) };
});

channelVoteStorageSuite('SqliteWrappedVotes(channel_votes)', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, channels: new SqliteChannels(storage.db), votes: new SqliteWrappedVotes(storage.db, CHANNEL_VOTE_TABLES) };
});
