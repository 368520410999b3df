import { migratedDatabases } from './migrated-databases.ts';
import { blobStorageSuite } from '../blob-storage.suite.ts';
import { PostgresBlobs } from './postgres-blobs.ts';
import { PostgresStorage } from './postgres-storage.ts';

/** Against the real PostgreSQL (PARLEY_TEST_PG_URL); each test gets a database of its own (a copy of one migrated once). */
const database = migratedDatabases('parley_b');

blobStorageSuite('PostgresBlobs', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, blobs: new PostgresBlobs(storage.pool) };
});
