// Drops the test databases named on the command line: `node drop-databases.mjs <admin url> <name>…`.
// Started detached by freshDatabases (./postgres.ts) when a test file's tests are done, so the file
// does not wait for it. Each DROP DATABASE waits for an immediate checkpoint and for every backend to
// take note (a barrier); drops that arrive together share that wait, so they go all at once, in waves
// sized to the connections the server has free (less a margin for the tests running meanwhile).
import pg from 'pg';

const [url, ...names] = process.argv.slice(2);

async function withAdmin(fn) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

const freeConnections = () => withAdmin(async (admin) => Number((await admin.query(
  `SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
          - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS free`,
)).rows[0]?.free ?? 0));

const queue = names.filter((name) => /^[a-z0-9_]+$/.test(name));
while (queue.length > 0) {
  const wave = queue.splice(0, Math.max(4, Math.min(64, (await freeConnections()) - 30)));
  await Promise.all(wave.map((name) => withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined)));
}
