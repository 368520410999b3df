// R166: what reading a wrapped post's reaction counts costs on the server (domain + SQLite store, no
// HTTP) when the post holds `n` reactions, against a post holding 10 in the same database: the store
// keeps a count per (post, token) with each change, so a read costs a row per distinct token.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WrappedResponses } from '../../apps/server/src/domain/channels/wrapped-responses.ts';
import { SqliteCommunities } from '../../apps/server/src/storage/sqlite/sqlite-communities.ts';
import { SqliteStorage } from '../../apps/server/src/storage/sqlite/sqlite-storage.ts';
import { SqliteWrappedResponses } from '../../apps/server/src/storage/sqlite/sqlite-wrapped-responses.ts';
import { SqliteWrappedViews } from '../../apps/server/src/storage/sqlite/sqlite-wrapped-views.ts';
import { MemoryBus } from '../../apps/server/src/bus/memory-bus.ts';
import { MemoryRateLimiter } from '../../apps/server/src/domain/memory-rate-limiter.ts';
import { round } from './fixture.ts';

export async function benchWrappedReactions(n: number, log: (o: Record<string, unknown>) => void): Promise<void> {
  const C = 'comm_bench_reactions';
  const dir = mkdtempSync(join(tmpdir(), 'parley-reactions-bench-'));
  const storage = SqliteStorage.open(join(dir, 'bench.sqlite'));
  const db = storage.db;
  const t0 = performance.now();
  // Six tokens (a palette's worth), most reactions on the first ones, as real counts skew.
  const token = (i: number) => String.fromCharCode(97 + Math.min(5, Math.floor(Math.log2(1 + (i % 63))))).repeat(32);
  db.transaction(() => {
    db.prepare("INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash) VALUES ('user_admin', 'user_admin', 'a', 0, 'x')").run();
    db.prepare('INSERT INTO communities (community_id, name, created_at, owner_id, settings) VALUES (?, ?, 0, ?, ?)')
      .run(C, '', 'user_admin', JSON.stringify({ roleLabels: 'none', studentsMayDm: false, channel: true, wrapped: true }));
    db.prepare("INSERT INTO community_members (community_id, user_id, role, rights, label, joined_at) VALUES (?, 'user_admin', 'owner', '', NULL, 0)").run(C);
    db.prepare("INSERT INTO channel_epochs (community_id, epoch, created_by, created_at) VALUES (?, 1, 'user_admin', 0)").run(C);
    const post = db.prepare("INSERT INTO channel_wrapped_posts (community_id, seq, epoch, author_id, author_device, body, created_at) VALUES (?, ?, 1, 'user_admin', 'dev_admin', 'AAAA', 0)");
    post.run(C, 1);
    post.run(C, 2);
    const react = db.prepare('INSERT INTO channel_wrapped_reactions (community_id, seq, user_id, token) VALUES (?, ?, ?, ?)');
    for (let i = 0; i < n; i++) react.run(C, 1, `user_s${i}`, token(i));
    for (let i = 0; i < 10; i++) react.run(C, 2, `user_s${i}`, token(i));
    // The counts the store keeps with each change (R166), as n reactions one by one would have left them.
    db.prepare('INSERT INTO channel_wrapped_reaction_counts (community_id, seq, token, n) SELECT community_id, seq, token, COUNT(*) FROM channel_wrapped_reactions GROUP BY community_id, seq, token').run();
  })();
  const seedMs = performance.now() - t0;
  const domain = new WrappedResponses({
    communities: new SqliteCommunities(db), responses: new SqliteWrappedResponses(db), views: new SqliteWrappedViews(db), limits: { reactionsPerMin: 1_000_000 },
    limiter: new MemoryRateLimiter({ now: () => Date.now() }), bus: new MemoryBus(),
  });
  const auth = { userId: 'user_admin', deviceId: 'dev_admin' };
  const time = async (seq: number, reads: number) => {
    await domain.counts(auth, C, [seq]);
    const t = performance.now();
    for (let i = 0; i < reads; i++) await domain.counts(auth, C, [seq]);
    return (performance.now() - t) / reads;
  };
  // Interleaved rounds, so the machine's noise falls on both alike.
  let big = 0;
  let small = 0;
  const rounds = 5;
  for (let r = 0; r < rounds; r++) {
    big += await time(1, 200);
    small += await time(2, 200);
  }
  const counts = (await domain.counts(auth, C, [1]))[0]!;
  const reactT = performance.now();
  for (let i = 0; i < 200; i++) await domain.react(auth, C, 1, i % 2 === 0 ? token(0) : null);
  const reactMs = (performance.now() - reactT) / 200;
  log({
    bench: 'wrapped-reactions', reactions: n, tokens: Object.keys(counts.reactions).length, seedS: round(seedMs / 1000, 1),
    countsReadMs: round(big / rounds, 3), countsReadMsAt10: round(small / rounds, 3), ratio: round(big / small, 1), reactMs: round(reactMs, 3),
  });
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}
