import { channelStorageSuite } from '../channel-storage.suite.ts';
import { channelVoteStorageSuite } from '../channel-vote-storage.suite.ts';
import { CHANNEL_VOTE_TABLES } from '../wrapped-vote-storage.ts';
import { PostgresBlobs } from './postgres-blobs.ts';
import { PostgresChannels } from './postgres-channels.ts';
import { PostgresStorage } from './postgres-storage.ts';
import { PostgresWrappedVotes } from './postgres-wrapped-votes.ts';
import { migratedDatabases } from './migrated-databases.ts';

/** Against the real PostgreSQL (PARLEY_TEST_PG_URL); each test gets a database of its own (a copy of one migrated once). */
const database = migratedDatabases('parley_ch');

channelStorageSuite('PostgresChannels', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, channels: new PostgresChannels(storage.pool), blobs: new PostgresBlobs(storage.pool) };
});

channelVoteStorageSuite('PostgresWrappedVotes(channel_votes)', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, channels: new PostgresChannels(storage.pool), votes: new PostgresWrappedVotes(storage.pool, CHANNEL_VOTE_TABLES) };
});
