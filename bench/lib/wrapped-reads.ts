// R182: what counting a member's unread wrapped posts costs when the log is long: n entries (1 KB bodies;
// every 10th an info entry, every 25th an edit, every 50th deleted), a member who read nothing (every
// post after their position is counted), on SQLite and PostgreSQL through the stores the server runs
// (`reads`: the position, the log's end and the count). Also the query plans, and the count without
// the partial index `channel_wrapped_posts_unread` (037/040) for comparison.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@parley/testing/postgres';
import { SqliteStorage } from '../../apps/server/src/storage/sqlite/sqlite-storage.ts';
import { SqliteWrappedReads } from '../../apps/server/src/storage/sqlite/sqlite-wrapped-reads.ts';
import { PostgresStorage } from '../../apps/server/src/storage/postgres/postgres-storage.ts';
import { PostgresWrappedReads } from '../../apps/server/src/storage/postgres/postgres-wrapped-reads.ts';
import type { WrappedReadStorage } from '../../apps/server/src/storage/wrapped-read-storage.ts';
import { round } from './fixture.ts';

const C = 'comm_bench_reads';
const SETTINGS = JSON.stringify({ roleLabels: 'none', studentsMayDm: false, channel: true, wrapped: true });
const body = (i: number) => {
  const b = 'QUJD'.repeat(256);
  if (i % 50 === 0) return 'd:';
  if (i % 25 === 0) return `e${i - 1}:${b}`;
  if (i % 10 === 0) return `i:${b}`;
  return b;
};
const expected = (n: number) => Array.from({ length: n }, (_, k) => k + 1).filter((i) => i % 10 !== 0 && i % 25 !== 0 && i % 50 !== 0).length;

async function time(reads: WrappedReadStorage, times: number): Promise<{ ms: number; unread: number }> {
  let unread = (await reads.reads('user_reader', [C]))[0]?.unread ?? -1;
  const t = performance.now();
  for (let i = 0; i < times; i++) unread = (await reads.reads('user_reader', [C]))[0]?.unread ?? -1;
  return { ms: (performance.now() - t) / times, unread };
}

export async function benchWrappedReads(n: number, log: (o: Record<string, unknown>) => void): Promise<void> {
  // SQLite
  const dir = mkdtempSync(join(tmpdir(), 'parley-reads-bench-'));
  const storage = SqliteStorage.open(join(dir, 'bench.sqlite'));
  const db = storage.db;
  db.transaction(() => {
    for (const u of ['user_admin', 'user_reader']) db.prepare("INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash) VALUES (?, ?, 'a', 0, 'x')").run(u, u);
    db.prepare('INSERT INTO communities (community_id, name, created_at, owner_id, settings) VALUES (?, ?, 0, ?, ?)').run(C, '', 'user_admin', SETTINGS);
    db.prepare("INSERT INTO channel_epochs (community_id, epoch, created_by, created_at) VALUES (?, 1, 'user_admin', 0)").run(C);
    const post = db.prepare("INSERT INTO channel_wrapped_posts (community_id, seq, epoch, author_id, author_device, body, created_at) VALUES (?, ?, 1, 'user_admin', 'dev_admin', ?, 0)");
    for (let i = 1; i <= n; i++) post.run(C, i, body(i));
    db.prepare("INSERT INTO channel_wrapped_reads (community_id, user_id, read_seq, muted) VALUES (?, 'user_reader', 0, 0)").run(C);
  })();
  db.exec('ANALYZE');
  const sqlite = new SqliteWrappedReads(db);
  const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT COUNT(*) AS n FROM channel_wrapped_posts WHERE community_id = @c AND seq > @r AND author_id <> @u AND body NOT LIKE 'i:%' AND body <> 'd:' AND NOT (substr(body, 1, 1) = 'e' AND instr(body, ':') > 0)`)
    .all({ c: C, r: 0, u: 'user_reader' }) as { detail: string }[];
  const withIndex = await time(sqlite, 50);
  const countOnly = db.prepare(`SELECT COUNT(*) AS n FROM channel_wrapped_posts WHERE community_id = @c AND seq > @r AND author_id <> @u AND body NOT LIKE 'i:%' AND body <> 'd:' AND NOT (substr(body, 1, 1) = 'e' AND instr(body, ':') > 0)`);
  const tc = performance.now();
  for (let i = 0; i < 50; i++) countOnly.get({ c: C, r: 0, u: 'user_reader' });
  const countMs = (performance.now() - tc) / 50;
  db.exec('DROP INDEX channel_wrapped_posts_unread');
  const without = await time(sqlite, 20);
  log({ bench: 'R182 unread count of a wrapped channel', storage: 'sqlite', entries: n, unread: withIndex.unread, expected: expected(n), ms: round(withIndex.ms, 2), countMs: round(countMs, 2), msWithoutIndex: round(without.ms, 2), plan: plan.map((p) => p.detail).join('; ') });
  await storage.close();
  rmSync(dir, { recursive: true, force: true });

  // PostgreSQL
  const database = await createTestDatabase('parley_bench_reads');
  try {
    const pg = await PostgresStorage.open(database.url, { poolSize: 2 });
    await pg.pool.query("INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash) VALUES ('user_admin', 'user_admin', 'a', 0, 'x'), ('user_reader', 'user_reader', 'a', 0, 'x')");
    await pg.pool.query('INSERT INTO communities (community_id, name, created_at, owner_id, settings) VALUES ($1, $2, 0, $3, $4)', [C, '', 'user_admin', SETTINGS]);
    await pg.pool.query("INSERT INTO channel_epochs (community_id, epoch, created_by, created_at) VALUES ($1, 1, 'user_admin', 0)", [C]);
    for (let i = 1; i <= n; i += 1000) {
      const seqs = Array.from({ length: Math.min(1000, n - i + 1) }, (_, k) => i + k);
      await pg.pool.query(`INSERT INTO channel_wrapped_posts (community_id, seq, epoch, author_id, author_device, body, created_at)
        SELECT $1, s, 1, 'user_admin', 'dev_admin', b, 0 FROM unnest($2::bigint[], $3::text[]) AS t(s, b)`, [C, seqs, seqs.map(body)]);
    }
    await pg.pool.query("INSERT INTO channel_wrapped_reads (community_id, user_id, read_seq, muted) VALUES ($1, 'user_reader', 0, 0)", [C]);
    await pg.pool.query('VACUUM ANALYZE channel_wrapped_posts');
    const pgReads = new PostgresWrappedReads(pg.pool);
    const pgPlan = (await pg.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT COUNT(*) FROM channel_wrapped_posts p WHERE p.community_id = $1 AND p.seq > 0 AND p.author_id <> 'user_reader' AND body NOT LIKE 'i:%' AND body <> 'd:' AND body !~ '^e[0-9]+:'`, [C])).rows.map((r) => r['QUERY PLAN'].trim());
    const pgWith = await time(pgReads, 50);
    await pg.pool.query('DROP INDEX channel_wrapped_posts_unread');
    const pgWithout = await time(pgReads, 20);
    log({ bench: 'R182 unread count of a wrapped channel', storage: 'postgres', entries: n, unread: pgWith.unread, expected: expected(n), ms: round(pgWith.ms, 2), msWithoutIndex: round(pgWithout.ms, 2), plan: pgPlan.slice(0, 3).join('; ') });
    await pg.close();
  } finally {
    await database.drop();
  }
}
