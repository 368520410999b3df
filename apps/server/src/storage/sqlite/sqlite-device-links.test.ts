import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { deviceLinkStorageSuite } from '../device-link-storage.suite.ts';
import { SqliteDeviceLinks } from './sqlite-device-links.ts';
import { SqliteStorage } from './sqlite-storage.ts';
import { migratedSqliteFile } from './migrated-sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-links-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

deviceLinkStorageSuite('SqliteDeviceLinks', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, links: new SqliteDeviceLinks(storage.db) };
});
