import { createTestDatabase } from '@parley/testing/postgres';
import { uploadLeasesSuite } from '../../blob-store/upload-leases.suite.ts';
import { PostgresStorage } from './postgres-storage.ts';
import { PostgresUploadLeases } from './postgres-upload-leases.ts';

uploadLeasesSuite('PostgresUploadLeases', async () => {
  const db = await createTestDatabase('parley_ul');
  const storage = await PostgresStorage.open(db.url);
  return { leases: new PostgresUploadLeases(storage.pool), close: async () => { await storage.close(); await db[Symbol.asyncDispose](); } };
});
