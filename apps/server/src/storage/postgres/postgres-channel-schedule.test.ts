import { channelScheduleStorageSuite } from '../channel-schedule-storage.suite.ts';
import { PostgresBlobs } from './postgres-blobs.ts';
import { PostgresChannelSchedule } from './postgres-channel-schedule.ts';
import { PostgresChannels } from './postgres-channels.ts';
import { PostgresStorage } from './postgres-storage.ts';
import { migratedDatabases } from './migrated-databases.ts';

/** Against the real PostgreSQL (PARLEY_TEST_PG_URL); each test gets a database of its own (a copy of one migrated once). */
const database = migratedDatabases('parley_chs');

channelScheduleStorageSuite('PostgresChannelSchedule', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, channels: new PostgresChannels(storage.pool), schedule: new PostgresChannelSchedule(storage.pool), blobs: new PostgresBlobs(storage.pool) };
});
