import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { blobStorageSuite } from '../blob-storage.suite.ts';
import { SqliteBlobs } from './sqlite-blobs.ts';
import { SqliteStorage } from './sqlite-storage.ts';
import { migratedSqliteFile } from './migrated-sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-blobs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

blobStorageSuite('SqliteBlobs', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, blobs: new SqliteBlobs(storage.db) };
});
