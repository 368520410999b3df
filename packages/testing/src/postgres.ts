import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The machine's PostgreSQL (trust auth); PARLEY_TEST_PG_URL overrides. */
export const TEST_PG_URL = process.env['PARLEY_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `await using` hands the drop to a detached process (dropInBackground); `drop()` waits until it is gone. */
export interface TestDatabase extends AsyncDisposable {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A database made once and copied for each test (`CREATE DATABASE … TEMPLATE`): much faster than
 * running every migration again. `key` names what `migrate` makes (a hash of the migration files):
 * a template is reused, by any test process on this PostgreSQL, only by code with the same key.
 */
export interface DatabaseTemplate {
  key: string;
  /** Brings the empty database at `url` to the template's state and closes every connection to it. */
  migrate(url: string): Promise<void>;
}

/** Templates not used for this long are dropped by the next process that makes one. */
const TEMPLATE_STALE_MS = 2 * 24 * 3600_000;
const TEMPLATE_PREFIX = 'parley_tpl_';

const urlOf = (name: string): string => {
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

const templates = new Map<string, Promise<string>>();

/**
 * The template database for `template`, made if no process made it yet. Safe with many processes at
 * once (other test files, other checkouts on the same server): each name is made under a session
 * advisory lock on the admin database, and is marked a template (IS_TEMPLATE, no connections) only
 * once migrated, so a half-made one (a process killed while migrating) is dropped and made again.
 */
function templateFor(template: DatabaseTemplate): Promise<string> {
  if (!/^[a-z0-9]{1,40}$/.test(template.key)) throw new Error(`template key must be [a-z0-9]{1,40}: ${template.key}`);
  let made = templates.get(template.key);
  if (!made) {
    made = makeTemplate(template);
    made.catch(() => templates.delete(template.key));
    templates.set(template.key, made);
  }
  return made;
}

async function makeTemplate(template: DatabaseTemplate): Promise<string> {
  const name = `${TEMPLATE_PREFIX}${template.key}`;
  return withAdmin(async (admin) => {
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    try {
      const row = (await admin.query<{ ready: boolean }>('SELECT datistemplate AND NOT datallowconn AS ready FROM pg_database WHERE datname = $1', [name])).rows[0];
      if (!row?.ready) {
        if (row) await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
        await admin.query(`CREATE DATABASE ${name}`);
        await template.migrate(urlOf(name));
        await admin.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
      }
      await admin.query(`COMMENT ON DATABASE ${name} IS 'parley test template, last used ${Date.now()}'`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
    }
    await dropStaleTemplates(admin, name);
    return name;
  });
}

/** Other checkouts' templates (older migrations) not used for two days: each is skipped while someone holds its lock. */
async function dropStaleTemplates(admin: pg.Client, keep: string): Promise<void> {
  const rows = (await admin.query<{ datname: string; note: string | null }>(
    "SELECT datname, shobj_description(oid, 'pg_database') AS note FROM pg_database WHERE datname LIKE $1 AND datname <> $2",
    [`${TEMPLATE_PREFIX}%`, keep],
  )).rows;
  for (const { datname, note } of rows) {
    const lastUsed = Number(/last used (\d+)/.exec(note ?? '')?.[1] ?? 0);
    if (Date.now() - lastUsed < TEMPLATE_STALE_MS || !/^[a-z0-9_]+$/.test(datname)) continue;
    if (!(await admin.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [datname])).rows[0]?.ok) continue;
    try {
      await admin.query(`ALTER DATABASE ${datname} WITH IS_TEMPLATE false`);
      await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    } catch {
      // Being copied right now, or dropped by another process: it goes next time.
    } finally {
      await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [datname]);
    }
  }
}

/**
 * Creates a fresh database for one test and drops it afterwards (`await using`): empty, or a copy
 * of `template` (already migrated) when one is given.
 */
export async function createTestDatabase(prefix = 'parley_c', template?: DatabaseTemplate): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const from = template ? await templateFor(template) : undefined;
  await withAdmin((admin) => admin.query(from ? `CREATE DATABASE ${name} TEMPLATE ${from}` : `CREATE DATABASE ${name}`));
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  };
  const dropLater = async () => {
    if (dropped) return;
    dropped = true;
    await dropInBackground([name]);
  };
  return { name, url: urlOf(name), drop, [Symbol.asyncDispose]: dropLater };
}

const dropper = fileURLToPath(new URL('./drop-databases.mjs', import.meta.url));

/**
 * Drops the databases `names` in a detached process (drop-databases.mjs) that outlives this one, so no
 * test waits for it. A DROP DATABASE waits for an immediate checkpoint of the whole server (PostgreSQL
 * 15), which fsyncs every file written since the last one, other test files' too: measured after
 * postgres-storage.test.ts's 96 databases, 7.8 s for 48,247 files on a quiet machine; 6-46 s per
 * storage test file in CI runs beside the other lane. PARLEY_TEST_PG_DROP_WAIT=1 drops here and waits.
 */
export function dropInBackground(names: readonly string[]): Promise<void> {
  if (names.length === 0) return Promise.resolve();
  if (process.env['PARLEY_TEST_PG_DROP_WAIT'] === '1') {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [dropper, TEST_PG_URL, ...names], { stdio: 'inherit' });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`drop-databases.mjs exited with ${code}`))));
    });
  }
  spawn(process.execPath, [dropper, TEST_PG_URL, ...names], { detached: true, stdio: 'ignore' }).unref();
  return Promise.resolve();
}

/**
 * For a test file whose tests each want a database of their own: returns a function that creates
 * one and gives its URL (empty, or a copy of `template`); every database it made is dropped when
 * the file's tests are done. Call it at the top level of the test file (it registers a node:test
 * `after` hook).
 */
export function freshDatabases(prefix: string, template?: DatabaseTemplate): () => Promise<string> {
  const made: TestDatabase[] = [];
  // All in one detached process (dropInBackground): drops at once share their checkpoint wait
  // (measured under CI-like load: 12 drops took 19.8 s one after the other, 0.7 s all at once).
  after(() => dropInBackground(made.map((db) => db.name)));
  return async () => {
    const db = await createTestDatabase(prefix, template);
    made.push(db);
    return db.url;
  };
}
