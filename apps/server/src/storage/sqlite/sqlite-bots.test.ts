import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { botStorageSuite } from '../bot-storage.suite.ts';
import { SqliteBlobs } from './sqlite-blobs.ts';
import { SqliteBots } from './sqlite-bots.ts';
import { SqliteStorage } from './sqlite-storage.ts';
import { migratedSqliteFile } from './migrated-sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-bots-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

botStorageSuite('SqliteBots', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, bots: new SqliteBots(storage.db), blobs: new SqliteBlobs(storage.db) };
});
