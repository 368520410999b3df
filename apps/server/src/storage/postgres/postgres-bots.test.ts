import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { botStorageSuite } from '../bot-storage.suite.ts';
import { PostgresBots } from './postgres-bots.ts';
import { PostgresStorage } from './postgres-storage.ts';

/** Against the real PostgreSQL (PARLEY_TEST_PG_URL); each test gets a database of its own. */
const BASE_URL = process.env['PARLEY_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: BASE_URL, max: 2 });
const created: string[] = [];

after(async () => {
  for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

async function database(): Promise<string> {
  const name = `parley_b_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  created.push(name);
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

botStorageSuite('PostgresBots', async () => {
  const storage = await PostgresStorage.open(await database());
  return { storage, bots: new PostgresBots(storage.pool) };
});
