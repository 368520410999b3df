import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { loadMigrations } from '../storage/migrate.ts';
import { PostgresStorage } from '../storage/postgres/postgres-storage.ts';
import { AdminError, DB_FILE, KEY_FILES, maxMigration, type Report } from './backup.ts';

export interface MigrateOptions {
  dataDir: string;
  databaseUrl: string;
  report: Report;
  /** Rows per INSERT (capped so a statement stays under PostgreSQL's 65535 parameters). */
  batchRows?: number;
}

/** Rows copied per table, in copy order. */
export type TableCounts = Record<string, number>;

/** A PostgreSQL column as information_schema describes it. */
interface PgColumn {
  name: string;
  type: string;
}

const INTEGER_TYPES = new Set(['bigint', 'integer', 'smallint', 'numeric']);

/**
 * Copies a single node's SQLite database into an empty PostgreSQL database, for moving to a
 * cluster. The SQLite file is opened read-only (the server should be stopped, or later writes are
 * not copied); the PostgreSQL schema is made by opening PostgresStorage, which runs its migrations.
 * It refuses unless both schemas are at this release's newest migration for their dialect (the
 * numbers differ: some migrations exist in one dialect only), every SQLite column has a PostgreSQL
 * column of the same name, and every target table is empty. Every
 * table SQLite has (but schema_migrations) is copied, parents before children, in batches inside
 * one PostgreSQL transaction, and the row counts are compared before COMMIT: the target ends up
 * with all of it or none of it.
 */
export async function migrateToPostgres({ dataDir, databaseUrl, report, batchRows = 500 }: MigrateOptions): Promise<TableCounts> {
  const file = join(dataDir, DB_FILE);
  if (!existsSync(file)) throw new AdminError(`no database at ${file}`);
  const sqlite = new Database(file, { readonly: true, fileMustExist: true });
  // Integers come out as BigInt, so nothing above 2^53 is rounded on the way.
  sqlite.defaultSafeIntegers(true);
  let storage: PostgresStorage | undefined;
  try {
    // Migration numbers are per dialect (PostgreSQL has migrations SQLite has not), so "the same
    // schema" means: each database at the newest migration this release ships for its dialect.
    const sqliteVersion = Number(maxMigration(sqlite));
    const sqliteLatest = loadMigrations('sqlite').length;
    if (sqliteVersion !== sqliteLatest) {
      throw new AdminError(`schemas differ: SQLite is at migration ${sqliteVersion}, this release at ${sqliteLatest}; ` +
        'start this release of the server once on the data dir to migrate it (or use the release that wrote it), then run this again');
    }
    storage = await PostgresStorage.open(databaseUrl); // refuses a database newer than this release
    const pool = storage.pool;
    const pgVersion = Number((await pool.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')).rows[0]?.v ?? 0);
    const pgLatest = loadMigrations('postgres').length;
    if (pgVersion !== pgLatest) throw new AdminError(`schemas differ: PostgreSQL is at migration ${pgVersion}, this release at ${pgLatest}`);
    report(`schema: SQLite at migration ${sqliteVersion}, PostgreSQL at ${pgVersion}: the newest of this release for each`);
    const tables = copyOrder(sqlite);
    const pgColumns = new Map<string, PgColumn[]>();
    for (const table of tables) {
      const columns = await columnsOf(pool, table);
      if (columns.length === 0) throw new AdminError(`table ${table} is in SQLite but not in PostgreSQL`);
      pgColumns.set(table, columns);
    }
    const nonEmpty: string[] = [];
    for (const table of tables) {
      if ((await pool.query(`SELECT 1 FROM ${ident(table)} LIMIT 1`)).rowCount) nonEmpty.push(table);
    }
    if (nonEmpty.length > 0) throw new AdminError(`target is not empty (${nonEmpty.join(', ')} hold rows); migrate into a fresh database`);

    const client = await pool.connect();
    let broken: Error | undefined;
    const counts: TableCounts = {};
    try {
      await client.query('BEGIN');
      // One SQLite read transaction too: every table is read as of the same commit.
      sqlite.exec('BEGIN');
      try {
        for (const table of tables) {
          counts[table] = await copyTable(sqlite, client, table, pgColumns.get(table) ?? [], batchRows);
        }
        await verifyCounts(client, counts);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        });
        throw err;
      } finally {
        sqlite.exec('COMMIT');
      }
    } finally {
      client.release(broken);
    }
    for (const [table, n] of Object.entries(counts)) report(`${table}: ${n} rows (counts match)`);
    report(secretsNote(sqlite, dataDir));
    return counts;
  } finally {
    sqlite.close();
    await storage?.close();
  }
}

/**
 * Since migration 002 the deployment's keys live in `server_secrets` (copied above); a data dir's
 * key files only seed that table when a server starts. Names as main.ts stores them.
 */
const SECRETS: Record<string, (typeof KEY_FILES)[number]> = { 'token-signing-key': 'secret.key', 'vapid-keys': 'vapid.json' };

function secretsNote(sqlite: Database.Database, dataDir: string): string {
  const hasTable = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'server_secrets'").get();
  const stored = new Set(hasTable ? (sqlite.prepare('SELECT name FROM server_secrets').all() as { name: string }[]).map((r) => r.name) : []);
  const missing = Object.entries(SECRETS).filter(([name]) => !stored.has(name)).map(([, file]) => file);
  if (missing.length === 0) return 'done. The server keys were copied with the database (server_secrets): cluster nodes need no key files.';
  const present = missing.filter((file) => existsSync(join(dataDir, file)));
  return `done. The database holds no ${missing.join(', ')}: the first cluster node to start makes new ones` +
    (present.length ? `, unless its data dir (PARLEY_DATA_DIR) holds ${present.map((f) => join(dataDir, f)).join(', ')}: give it these files.` : '.');
}

/** SQLite's user tables, each after the tables its foreign keys point to. */
export function copyOrder(db: Database.Database): string[] {
  const names = (db.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
  ).all() as { name: string }[]).map((r) => r.name);
  const parents = new Map(names.map((name) => [name, (db.pragma(`foreign_key_list(${ident(name)})`) as { table: string }[])
    .map((fk) => fk.table).filter((t) => t !== name)]));
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string): void => {
    if (ordered.includes(name)) return;
    if (visiting.has(name)) throw new AdminError(`foreign keys form a cycle through ${name}`);
    visiting.add(name);
    for (const parent of parents.get(name) ?? []) if (parents.has(parent)) visit(parent);
    visiting.delete(name);
    ordered.push(name);
  };
  names.forEach(visit);
  return ordered;
}

async function columnsOf(pool: pg.Pool, table: string): Promise<PgColumn[]> {
  const { rows } = await pool.query<PgColumn>(
    'SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
    [table],
  );
  return rows;
}

/** Copies one table in multi-row INSERTs; returns the rows copied. */
async function copyTable(sqlite: Database.Database, client: pg.PoolClient, table: string, pgColumns: readonly PgColumn[], batchRows: number): Promise<number> {
  const columns = (sqlite.pragma(`table_info(${ident(table)})`) as { name: string }[]).map((c) => c.name);
  const types = columns.map((name) => {
    const column = pgColumns.find((c) => c.name === name);
    if (!column) throw new AdminError(`column ${table}.${name} is in SQLite but not in PostgreSQL`);
    return column.type;
  });
  const perBatch = Math.max(1, Math.min(batchRows, Math.floor(60_000 / columns.length)));
  const head = `INSERT INTO ${ident(table)} (${columns.map(ident).join(', ')}) VALUES `;
  // The iterator stays open across awaits; nothing else uses this SQLite connection meanwhile.
  const rows = sqlite.prepare(`SELECT ${columns.map(ident).join(', ')} FROM ${ident(table)}`).raw(true).iterate() as IterableIterator<unknown[]>;
  let copied = 0;
  try {
    for (;;) {
      const batch: unknown[][] = [];
      for (let next = rows.next(); !next.done; next = rows.next()) {
        batch.push(next.value);
        if (batch.length === perBatch) break;
      }
      if (batch.length === 0) break;
      const params: unknown[] = [];
      const tuples = batch.map((row) => {
        const slots = row.map((value, i) => {
          params.push(toPostgres(value, types[i] ?? 'text', `${table}.${columns[i]}`));
          return `$${params.length}`;
        });
        return `(${slots.join(', ')})`;
      });
      await client.query(head + tuples.join(', '), params);
      copied += batch.length;
    }
  } finally {
    rows.return?.();
  }
  const inSqlite = Number((sqlite.prepare(`SELECT COUNT(*) AS n FROM ${ident(table)}`).get() as { n: bigint }).n);
  if (inSqlite !== copied) throw new AdminError(`${table}: SQLite counts ${inSqlite} rows but ${copied} were read`);
  return copied;
}

/** Converts a SQLite value for a column of the given PostgreSQL type. */
export function toPostgres(value: unknown, pgType: string, where: string): unknown {
  if (value === null) return null;
  if (pgType === 'bytea') {
    if (Buffer.isBuffer(value)) return value;
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    throw new AdminError(`${where}: cannot store ${typeof value} as bytea`);
  }
  if (Buffer.isBuffer(value)) throw new AdminError(`${where}: a blob cannot go into a ${pgType} column`);
  // BigInt as its decimal text: pg sends it as is, PostgreSQL parses it exactly.
  if (typeof value === 'bigint') return value.toString();
  if (INTEGER_TYPES.has(pgType) && typeof value === 'number' && !Number.isInteger(value)) {
    throw new AdminError(`${where}: ${value} is not an integer`);
  }
  return value;
}

async function verifyCounts(client: pg.PoolClient, counts: TableCounts): Promise<void> {
  for (const [table, expected] of Object.entries(counts)) {
    const { rows } = await client.query<{ n: string }>(`SELECT COUNT(*)::text AS n FROM ${ident(table)}`);
    const actual = Number(rows[0]?.n);
    if (actual !== expected) throw new AdminError(`${table}: copied ${expected} rows but PostgreSQL counts ${actual}; rolled back`);
  }
}

/** Quotes an identifier read from sqlite_master (the same quoting works in both dialects). */
function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
