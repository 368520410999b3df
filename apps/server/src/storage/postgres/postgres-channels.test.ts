import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { channelStorageSuite } from '../channel-storage.suite.ts';
import { PostgresBlobs } from './postgres-blobs.ts';
import { PostgresChannels } from './postgres-channels.ts';
import { PostgresStorage } from './postgres-storage.ts';

/** Against the real PostgreSQL (PARLEY_TEST_PG_URL); each test gets a database of its own. */
const BASE_URL = process.env['PARLEY_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: BASE_URL, max: 2 });
const created: string[] = [];

after(async () => {
  for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

channelStorageSuite('PostgresChannels', async () => {
  const name = `parley_ch_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  created.push(name);
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  const storage = await PostgresStorage.open(url.toString());
  return { storage, channels: new PostgresChannels(storage.pool), blobs: new PostgresBlobs(storage.pool) };
});
