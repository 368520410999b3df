import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { channelStorageSuite } from '../channel-storage.suite.ts';
import { SqliteBlobs } from './sqlite-blobs.ts';
import { SqliteChannels } from './sqlite-channels.ts';
import { SqliteStorage } from './sqlite-storage.ts';
import { migratedSqliteFile } from './migrated-sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-channels-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

channelStorageSuite('SqliteChannels', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, channels: new SqliteChannels(storage.db), blobs: new SqliteBlobs(storage.db) };
});
