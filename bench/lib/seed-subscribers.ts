// Issue 13: a channel's subscribers written in bulk by SQL into a running server's database (SQLite
// file or PostgreSQL), as bench/channel-offline.ts does: each its own user with one device and a
// `channel_subscribers` row (read position 0), `subscriber_count` kept. The first `withSessions` also
// get a session (token made here, its SHA-256 stored as the server stores a login's), so they can
// connect and call REST as themselves without a sign-up and login each over REST.
import { createHash, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { SessionSpec } from './protocol.ts';

export type SeedTarget = { sqlitePath: string } | { pgUrl: string };

export interface Seeded {
  /** The users with a session, in order. */
  sessions: SessionSpec[];
  seconds: number;
}

const DAY = 86_400_000;

interface Row { userId: string; handle: string; deviceId: string; tokenHash?: string }

export async function seedSubscribers(target: SeedTarget, channelId: string, count: number, withSessions: number): Promise<Seeded> {
  const t0 = performance.now();
  const prefix = randomBytes(4).toString('hex');
  const now = Date.now();
  const sessions: SessionSpec[] = [];
  const row = (i: number): Row => {
    const userId = `sub${prefix}${i}`;
    const deviceId = `dev${prefix}${i}`;
    const r: Row = { userId, handle: `sub_${prefix}_${i}`, deviceId };
    if (i < withSessions) {
      const token = randomBytes(32).toString('base64url');
      r.tokenHash = createHash('sha256').update(token).digest('hex');
      sessions.push({ userId, deviceId, token });
    }
    return r;
  };
  if ('sqlitePath' in target) {
    const db = new Database(target.sqlitePath);
    db.pragma('busy_timeout = 10000');
    db.transaction(() => {
      const user = db.prepare('INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash) VALUES (?, ?, ?, ?, ?)');
      const device = db.prepare('INSERT INTO devices (device_id, user_id, name, public_key, created_at) VALUES (?, ?, ?, ?, ?)');
      const session = db.prepare('INSERT INTO sessions (token_hash, device_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)');
      const sub = db.prepare('INSERT INTO channel_subscribers (channel_id, user_id, read_seq, muted, subscribed_at) VALUES (?, ?, 0, 0, ?)');
      for (let i = 0; i < count; i++) {
        const r = row(i);
        user.run(r.userId, r.handle, `subscriber ${i}`, now, 'x');
        device.run(r.deviceId, r.userId, 'bench', 'seeded', now);
        if (r.tokenHash) session.run(r.tokenHash, r.deviceId, r.userId, now, now + DAY);
        sub.run(channelId, r.userId, now);
      }
      db.prepare('UPDATE channels SET subscriber_count = subscriber_count + ? WHERE channel_id = ?').run(count, channelId);
    })();
    db.close();
  } else {
    const client = new pg.Client({ connectionString: target.pgUrl });
    await client.connect();
    try {
      await client.query('BEGIN');
      for (let start = 0; start < count; start += 10_000) {
        const rows = Array.from({ length: Math.min(10_000, count - start) }, (_, j) => row(start + j));
        const users = rows.map((r) => r.userId);
        const devices = rows.map((r) => r.deviceId);
        await client.query(`INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash)
          SELECT u, h, 'subscriber', $3, 'x' FROM unnest($1::text[], $2::text[]) AS t(u, h)`, [users, rows.map((r) => r.handle), now]);
        await client.query(`INSERT INTO devices (device_id, user_id, name, public_key, created_at)
          SELECT d, u, 'bench', 'seeded', $3 FROM unnest($1::text[], $2::text[]) AS t(d, u)`, [devices, users, now]);
        const withToken = rows.filter((r) => r.tokenHash);
        if (withToken.length) {
          await client.query(`INSERT INTO sessions (token_hash, device_id, user_id, created_at, expires_at)
            SELECT h, d, u, $4, $5 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(h, d, u)`,
          [withToken.map((r) => r.tokenHash), withToken.map((r) => r.deviceId), withToken.map((r) => r.userId), now, now + DAY]);
        }
        await client.query(`INSERT INTO channel_subscribers (channel_id, user_id, read_seq, muted, subscribed_at)
          SELECT $1, u, 0, 0, $3 FROM unnest($2::text[]) AS t(u)`, [channelId, users, now]);
      }
      await client.query('UPDATE channels SET subscriber_count = subscriber_count + $1 WHERE channel_id = $2', [count, channelId]);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
  }
  return { sessions, seconds: (performance.now() - t0) / 1000 };
}
