import { after } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@parley/testing';
import { blobStorageSuite } from '../blob-storage.suite.ts';
import { PostgresBlobs } from './postgres-blobs.ts';
import { PostgresStorage } from './postgres-storage.ts';

/** Against the real PostgreSQL (PARLEY_TEST_PG_URL); each test gets a database of its own. */
const databases: TestDatabase[] = [];
after(async () => { for (const db of databases) await db.drop(); });

blobStorageSuite('PostgresBlobs', async () => {
  const db = await createTestDatabase('parley_b');
  databases.push(db);
  const storage = await PostgresStorage.open(db.url);
  return { storage, blobs: new PostgresBlobs(storage.pool) };
});
