import type Database from 'better-sqlite3';
import { pendingMigrations, type AppliedMigration, type Migration } from '../migrate.ts';

/**
 * Applies the pending migrations to a SQLite database, each in its own transaction together with
 * its `schema_migrations` record, so a crash leaves the schema at a whole number. Returns the
 * versions it applied.
 */
export function migrateSqlite(db: Database.Database, migrations: readonly Migration[], now: () => number): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as AppliedMigration[];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const ran: number[] = [];
  for (const m of pendingMigrations(migrations, applied)) {
    // IMMEDIATE: take the write lock before reading, so two processes opening one file cannot both apply m.
    db.transaction(() => {
      if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) return;
      db.exec(m.sql);
      record.run(m.version, m.name, now());
      ran.push(m.version);
    }).immediate();
  }
  return ran;
}
