import { deviceLinkStorageSuite } from '../device-link-storage.suite.ts';
import { PostgresDeviceLinks } from './postgres-device-links.ts';
import { PostgresStorage } from './postgres-storage.ts';
import { migratedDatabases } from './migrated-databases.ts';

/** Against the real PostgreSQL (PARLEY_TEST_PG_URL); each test gets a database of its own (a copy of one migrated once). */
const database = migratedDatabases('parley_l');

deviceLinkStorageSuite('PostgresDeviceLinks', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, links: new PostgresDeviceLinks(storage.pool) };
});
