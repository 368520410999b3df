import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AdminError, backup, restore } from './backup.ts';
import { migrateToPostgres } from './migrate-to-postgres.ts';
import { PostgresStorage } from '../storage/postgres/postgres-storage.ts';
import { SqliteStorage } from '../storage/sqlite/sqlite-storage.ts';
import { PostgresModeration } from '../storage/postgres/postgres-moderation.ts';
import { SqliteModeration } from '../storage/sqlite/sqlite-moderation.ts';

const HELP = `parley-admin: operator commands for a Parley data dir

Usage:
  npm run parley-admin -- <command> [options]
  node apps/server/bin/parley-admin.mjs <command> [options]

Commands:
  backup --data-dir DIR --out FILE
      Online, consistent copy of DIR/parley.sqlite to FILE while the server runs (SQLite's backup
      API: it does not block the server). The database holds the server keys (token signing, VAPID),
      so FILE is all a restore needs. Key files an older data dir still holds (secret.key,
      vapid.json) are copied too, to FILE.secret.key and FILE.vapid.json. Everything is written
      with mode 0600: keep backups private, they hold the server keys and session hashes.

  restore --from FILE --data-dir DIR [--force]
      Stop the server first. Installs FILE as DIR/parley.sqlite (and FILE.secret.key,
      FILE.vapid.json as DIR/secret.key, DIR/vapid.json when the backup has them), removes a stale
      WAL, then runs PRAGMA integrity_check and fails unless it says ok.
      Refuses a DIR that is not empty unless --force (which replaces the database and key files).

  migrate-to-postgres --data-dir DIR --database-url postgres://USER@HOST:PORT/DB
      Stop the server first. Copies the single node's SQLite database into an empty PostgreSQL
      database, in one transaction, creating the schema first. Refuses unless the target tables
      are empty and both databases are at the newest migration this release has for them (start
      this release of the server once on DIR if SQLite is behind; the numbers may differ between
      SQLite and PostgreSQL). Verifies and prints the row count of every table. The server keys are
      copied with the database (table server_secrets), so every node of the cluster uses the same
      ones; if it reports a key missing, give the first node DIR's key files.

  reports (--data-dir DIR | --database-url URL) [--since ISO-DATE]
      Prints, one JSON line each, what people reported of requests from strangers (R44): when, who
      reported whom, the chat, the reason and the note. Reports carry no message content.

  community-reports (--data-dir DIR | --database-url URL) [--since ISO-DATE] [--open]
      Prints, one JSON line each, the messages members reported in communities (R84), newest first:
      when, the community, chat and log position, who sent it, who reported it, the reason, the
      reported text, and whether a moderator resolved it (R84b; --open: only unresolved ones).
      Each was checked when filed: its sender's device committed to exactly that text (message
      franking, R83). This is the only message content the server ever holds; it is deleted
      PARLEY_REPORT_RETENTION_MS after it was resolved (or filed, if no one resolved it).

Exit status: 0 done, 1 failed (nothing half-done is left behind), 2 bad usage.
`;

class UsageError extends Error {}

/** Runs one command; returns the process exit status. Lines go to `out`, problems to `err`. */
export async function runAdmin(argv: readonly string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        'data-dir': { type: 'string' },
        out: { type: 'string' },
        from: { type: 'string' },
        force: { type: 'boolean', default: false },
        'database-url': { type: 'string' },
        since: { type: 'string' },
        open: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    err(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    out(HELP);
    return values.help || command === 'help' ? 0 : 2;
  }
  const need = (name: 'data-dir' | 'out' | 'from' | 'database-url'): string => {
    const value = values[name];
    if (!value) throw new UsageError(`${command} needs --${name}`);
    return value;
  };
  try {
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
    switch (command) {
      case 'backup':
        await backup({ dataDir: resolve(need('data-dir')), out: resolve(need('out')), report: out });
        break;
      case 'restore':
        await restore({ from: resolve(need('from')), dataDir: resolve(need('data-dir')), force: values.force, report: out });
        break;
      case 'migrate-to-postgres':
        await migrateToPostgres({ dataDir: resolve(need('data-dir')), databaseUrl: need('database-url'), report: out });
        break;
      case 'reports': {
        const since = values.since ? Date.parse(values.since) : 0;
        if (Number.isNaN(since)) throw new UsageError('--since takes a date, e.g. 2026-12-01');
        const storage = values['database-url']
          ? await PostgresStorage.open(values['database-url'])
          : SqliteStorage.open(join(resolve(need('data-dir')), 'parley.sqlite'));
        try {
          for (const r of await storage.listReports(since, 10_000)) {
            out(JSON.stringify({ at: new Date(r.createdAt).toISOString(), reporter: r.reporterUserId, reported: r.reportedUserId, chatId: r.chatId, reason: r.reason, note: r.note }));
          }
        } finally {
          await storage.close();
        }
        break;
      }
      case 'community-reports': {
        const since = values.since ? Date.parse(values.since) : 0;
        if (Number.isNaN(since)) throw new UsageError('--since takes a date, e.g. 2026-12-01');
        const pgStorage = values['database-url'] ? await PostgresStorage.open(values['database-url']) : undefined;
        const sqliteStorage = pgStorage ? undefined : SqliteStorage.open(join(resolve(need('data-dir')), 'parley.sqlite'));
        try {
          const moderation = pgStorage ? new PostgresModeration(pgStorage.pool) : new SqliteModeration(sqliteStorage!.db);
          for (const r of await moderation.listReports({ limit: 10_000, state: values.open ? 'open' : 'all' })) {
            if (r.createdAt < since) continue;
            out(JSON.stringify({
              at: new Date(r.createdAt).toISOString(), communityId: r.communityId, chatId: r.chatId, seq: r.seq, sender: r.senderUserId,
              reporter: r.reporterUserId, reason: r.reason, text: r.text, sentAt: new Date(r.sentAt).toISOString(),
              resolved: r.resolved ? { at: new Date(r.resolved.at).toISOString(), by: r.resolved.by, outcome: r.resolved.outcome } : null,
            }));
          }
        } finally {
          await (pgStorage ?? sqliteStorage)?.close();
        }
        break;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${e.message}\n\n${HELP}`);
      return 2;
    }
    err(e instanceof AdminError ? `${command}: ${e.message}` : `${command} failed: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
}

process.exitCode = await runAdmin(process.argv.slice(2), (line) => console.log(line), (line) => console.error(line));
