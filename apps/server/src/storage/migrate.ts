import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Numbered, forward-only schema migrations shared by every dialect. A dialect folder
 * (`migrations/<dialect>/`) holds `NNN_name.sql` files; each runs once, in its own transaction,
 * and is recorded in `schema_migrations (version, name, applied_at)`. A shipped file is never
 * edited: a change is a new file with the next number.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
}

const FILE = /^(\d{3})_[a-z0-9_]+\.sql$/;

/** Lists the migrations of a dialect folder (or of `dir`, for tests), ordered by number. */
export function loadMigrations(dialect: 'sqlite' | 'postgres', dir?: string): Migration[] {
  const folder = dir ?? fileURLToPath(new URL(`./migrations/${dialect}/`, import.meta.url));
  const migrations = readdirSync(folder)
    .filter((file) => FILE.test(file))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 3)), name: file.replace(/\.sql$/, ''), sql: readFileSync(join(folder, file), 'utf8') }));
  checkNumbering(migrations);
  return migrations;
}

/** Versions must run 1, 2, 3… so that "at migration N" means the same schema everywhere. */
function checkNumbering(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name}: expected number ${String(i + 1).padStart(3, '0')}`);
  });
}

/**
 * The migrations still to apply, given what the database records as applied. Refuses a database
 * that knows a migration this code does not (a newer schema: running older code on it could
 * corrupt it) or whose record disagrees with the file of the same number.
 */
export function pendingMigrations(known: readonly Migration[], applied: readonly AppliedMigration[]): Migration[] {
  const byVersion = new Map(known.map((m) => [m.version, m]));
  for (const a of applied) {
    const m = byVersion.get(a.version);
    if (!m) throw new Error(`database has migration ${a.name}, unknown to this server: is it older than the database?`);
    if (m.name !== a.name) throw new Error(`database has migration ${a.name} where this server has ${m.name}`);
  }
  const done = new Set(applied.map((a) => a.version));
  return known.filter((m) => !done.has(m.version));
}
