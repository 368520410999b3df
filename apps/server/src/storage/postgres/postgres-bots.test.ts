import { botStorageSuite } from '../bot-storage.suite.ts';
import { PostgresBlobs } from './postgres-blobs.ts';
import { PostgresBots } from './postgres-bots.ts';
import { PostgresStorage } from './postgres-storage.ts';
import { migratedDatabases } from './migrated-databases.ts';

/** Against the real PostgreSQL (PARLEY_TEST_PG_URL); each test gets a database of its own (a copy of one migrated once). */
const database = migratedDatabases('parley_b');

botStorageSuite('PostgresBots', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, bots: new PostgresBots(storage.pool), blobs: new PostgresBlobs(storage.pool) };
});
