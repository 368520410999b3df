import { createHash } from 'node:crypto';
import { freshDatabases, type DatabaseTemplate } from '@parley/testing/postgres';
import { loadMigrations } from '../migrate.ts';
import { PostgresStorage } from './postgres-storage.ts';

/**
 * Tests only. The template of a database at this code's latest migration: made once per PostgreSQL
 * server (its name carries a hash of every migration file, so a checkout with other migrations
 * makes its own) and copied for each test, instead of migrating each test's database again.
 */
export const migratedTemplate: DatabaseTemplate = {
  key: createHash('sha256').update(JSON.stringify(loadMigrations('postgres'))).digest('hex').slice(0, 20),
  migrate: async (url) => (await PostgresStorage.open(url, { poolSize: 1 })).close(),
};

/**
 * `freshDatabases` whose databases are already at the latest migration (a copy of the template):
 * for storage tests that don't test migrating itself; those use `freshDatabases` (empty databases).
 */
export function migratedDatabases(prefix: string): () => Promise<string> {
  return freshDatabases(prefix, migratedTemplate);
}
