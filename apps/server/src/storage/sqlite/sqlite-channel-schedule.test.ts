import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { channelScheduleStorageSuite } from '../channel-schedule-storage.suite.ts';
import { SqliteBlobs } from './sqlite-blobs.ts';
import { SqliteChannelSchedule } from './sqlite-channel-schedule.ts';
import { SqliteChannels } from './sqlite-channels.ts';
import { SqliteStorage } from './sqlite-storage.ts';
import { migratedSqliteFile } from './migrated-sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-channel-schedule-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

channelScheduleStorageSuite('SqliteChannelSchedule', async () => {
  const storage = SqliteStorage.open(migratedSqliteFile(join(dir, `db-${++n}.sqlite`)));
  return { storage, channels: new SqliteChannels(storage.db), schedule: new SqliteChannelSchedule(storage.db), blobs: new SqliteBlobs(storage.db) };
});
