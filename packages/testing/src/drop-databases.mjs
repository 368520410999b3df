// Drops test databases, 4 at a time, in a process of its own: started detached by postgres.ts so a
// test file does not wait for the drops (each DROP DATABASE waits for a checkpoint of the server).
//   node drop-databases.mjs <admin url> <name>...
// Plain JavaScript (run by `node` itself, whether the tests run from sources or from bundles).
import pg from 'pg';

const [url, ...names] = process.argv.slice(2);
if (!url) process.exit(2);
let failed = 0;
// At most 4 connections: max_connections (100) is shared with the tests of every lane, and a drop is
// not waited for; drops at once still share their checkpoint wait.
const queue = names.filter((name) => /^[a-z0-9_]+$/.test(name));
await Promise.all(Array.from({ length: 4 }, async () => {
  for (let name = queue.shift(); name; name = queue.shift()) await drop(name);
}));
process.exit(failed > 0 ? 1 : 0);

async function drop(name) {
  // Twice: a first try can meet a copy from the template or another drop's lock under load.
  for (let attempt = 0; attempt < 2; attempt++) {
    const admin = new pg.Client({ connectionString: url });
    try {
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      return;
    } catch (err) {
      if (attempt === 1) {
        failed++;
        process.stderr.write(`could not drop test database ${name}: ${err?.message ?? err}\n`);
      }
    } finally {
      await admin.end().catch(() => {});
    }
  }
}
