import type pg from 'pg';
import { pendingMigrations, type AppliedMigration, type Migration } from '../migrate.ts';
import { inTransaction } from './transaction.ts';

/**
 * Key of the transaction-scoped advisory lock that serialises migrations: every node of a cluster
 * opening the same database at once queues on it, so each migration runs exactly once.
 * (Advisory locks are per database, so test databases on one server do not contend.)
 */
const MIGRATION_LOCK = 0x7061726c6579; // 'parley'

/**
 * Applies the pending migrations to a PostgreSQL database, each in its own transaction together
 * with its `schema_migrations` record, so a failure leaves the schema at a whole number. Each
 * transaction takes the advisory lock first and re-reads what is applied, so a node that waited
 * on another sees its work and does not repeat it. Returns the versions this call applied.
 */
export async function migratePostgres(pool: pg.Pool, migrations: readonly Migration[], now: () => number): Promise<number[]> {
  const ran: number[] = [];
  for (;;) {
    const next = await inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      // Under the lock: concurrent CREATE TABLE IF NOT EXISTS can otherwise collide in pg_type.
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const applied = (await client.query<AppliedMigration>('SELECT version, name FROM schema_migrations ORDER BY version')).rows;
      // Throws for a database newer than this code, or one whose record disagrees with a file.
      const pending = pendingMigrations(migrations, applied)[0];
      if (pending) {
        await client.query(pending.sql); // simple protocol: a file may hold many statements
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [pending.version, pending.name, now()]);
      }
      return pending;
    });
    if (!next) return ran;
    ran.push(next.version);
  }
}
