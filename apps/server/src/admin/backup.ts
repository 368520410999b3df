import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Key files a data dir may hold besides the database. Since migration 002 the server keeps its keys
 * in the database (`server_secrets`) and these files only seed it, but an older data dir's files
 * are kept with its backups all the same.
 */
export const KEY_FILES = ['secret.key', 'vapid.json'] as const;
export const DB_FILE = 'parley.sqlite';

/** One line of a command's report (printed by the CLI, asserted by tests). */
export type Report = (line: string) => void;

export interface BackupOptions {
  dataDir: string;
  out: string;
  report: Report;
}

/**
 * Takes an online, consistent copy of a data dir's database while the server keeps running, with
 * SQLite's backup API: it reads pages inside one read transaction, which in WAL mode never blocks
 * the server's writers, and the copy is the database as of one commit. Key files found in the data
 * dir are copied beside it as `OUT.secret.key` and `OUT.vapid.json`. Everything written is mode
 * 0600: the database holds the server's keys and session and recovery hashes.
 */
export async function backup({ dataDir, out, report }: BackupOptions): Promise<void> {
  const source = join(dataDir, DB_FILE);
  if (!existsSync(source)) throw new AdminError(`no database at ${source}`);
  mkdirSync(dirname(out), { recursive: true });
  // Written under a temporary name and renamed, so OUT is never a half-written database.
  const partial = `${out}.partial`;
  rmSync(partial, { force: true });
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    // All remaining pages in one step: one read transaction, so concurrent commits cannot force a restart.
    const { totalPages } = await db.backup(partial, { progress: () => 0x7fffffff });
    chmodSync(partial, 0o600);
    renameSync(partial, out);
    report(`database: ${out} (${totalPages} pages, schema at migration ${schemaVersion(out)})`);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    db.close();
  }
  for (const name of KEY_FILES) {
    const from = join(dataDir, name);
    const to = `${out}.${name}`;
    if (!existsSync(from)) {
      report(`${name}: not in ${dataDir}, skipped`);
      continue;
    }
    copySecret(from, to);
    report(`${name}: ${to}`);
  }
}

export interface RestoreOptions {
  from: string;
  dataDir: string;
  force: boolean;
  report: Report;
}

/**
 * Installs a backup as the database of a data dir (the server must be stopped). Refuses a data dir
 * that holds anything unless `force`, then checks the installed database with
 * `PRAGMA integrity_check`; throws if the check does not say ok.
 */
export async function restore({ from, dataDir, force, report }: RestoreOptions): Promise<void> {
  if (!existsSync(from)) throw new AdminError(`no backup at ${from}`);
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0 && !force) {
    throw new AdminError(`${dataDir} is not empty; pass --force to overwrite its database and key files`);
  }
  mkdirSync(dataDir, { recursive: true });
  const target = join(dataDir, DB_FILE);
  // A WAL or shared-memory file left by the replaced database would be replayed onto the restored one.
  for (const suffix of ['-wal', '-shm', '-journal']) rmSync(target + suffix, { force: true });
  const partial = `${target}.partial`;
  copySecret(from, partial);
  renameSync(partial, target);
  report(`database: ${target}`);
  for (const name of KEY_FILES) {
    const source = `${from}.${name}`;
    if (!existsSync(source)) {
      report(`${name}: not in the backup, skipped (the server keys are kept in the database)`);
      continue;
    }
    copySecret(source, join(dataDir, name));
    report(`${name}: ${join(dataDir, name)}`);
  }
  const db = new Database(target, { fileMustExist: true });
  try {
    const result = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    if (result.length !== 1 || result[0] !== 'ok') throw new AdminError(`integrity_check failed:\n${result.join('\n')}`);
    report(`integrity_check: ok (schema at migration ${maxMigration(db)})`);
  } finally {
    db.close();
  }
}

/** A failure the operator caused or can fix: the CLI prints its message without a stack. */
export class AdminError extends Error {
  override name = 'AdminError';
}

/** The highest migration a SQLite database records (0 for one never migrated). */
export function maxMigration(db: Database.Database): number {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!hasTable) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

function schemaVersion(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return maxMigration(db);
  } finally {
    db.close();
  }
}

function copySecret(from: string, to: string): void {
  copyFileSync(from, to);
  chmodSync(to, 0o600);
}
