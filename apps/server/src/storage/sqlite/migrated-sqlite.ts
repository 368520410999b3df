import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMigrations } from '../migrate.ts';
import { SqliteStorage } from './sqlite-storage.ts';

let template: string | undefined;

/**
 * Tests only (storage tests; @parley/testing's startTestServer). A SQLite database at this code's
 * latest migration, made once per machine and migration set (its name carries a hash of the
 * migration files) in the temp dir: copying it is ~100× faster than migrating a new file (~0.8 s
 * under CI load). Made under a unique name and renamed into place, so processes making it at once
 * each end with a whole file.
 */
function migratedTemplate(): string {
  if (template && existsSync(template)) return template;
  const key = createHash('sha256').update(JSON.stringify(loadMigrations('sqlite'))).digest('hex').slice(0, 20);
  const path = join(tmpdir(), `parley-test-migrated-${key}.sqlite`);
  if (!existsSync(path)) {
    const making = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    SqliteStorage.open(making).close(); // a clean close leaves no WAL beside it
    renameSync(making, path);
  }
  template = path;
  return path;
}

/** Writes a migrated SQLite database at `path` (a new file) and returns `path`: for storage tests and test servers. */
export function migratedSqliteFile(path: string): string {
  copyFileSync(migratedTemplate(), path);
  return path;
}
