import type pg from 'pg';
import { ParleyError, type KeyLogEntry, type KeyLogHead } from '@parley/protocol';
import { EMPTY_KEY_LOG_HEAD, chainEntry, type KeyLogDraft } from '../key-log-chain.ts';
import type { KeyLogPage, PublishKeyRequest } from '../storage.ts';
import { toKeyLogEntry } from '../sqlite/rows.ts';

/**
 * The key log's queries (R19-R21) for PostgresStorage. Appends to a user's log are serialised
 * across nodes by a lock on the user's row (FOR NO KEY UPDATE: it does not block inserts that merely
 * reference the user), taken first in every transaction that appends; (user_id, idx) being the
 * primary key would refuse a fork even without it.
 */
type Queryable = pg.Pool | pg.PoolClient;
type Row = Record<string, unknown>;

async function lockUser(c: pg.PoolClient, userId: string): Promise<void> {
  await c.query('SELECT 1 FROM users WHERE user_id = $1 FOR NO KEY UPDATE', [userId]);
}

async function head(on: Queryable, userId: string): Promise<KeyLogHead> {
  const r = (await on.query<{ idx: number; hash: string }>('SELECT idx, hash FROM key_log WHERE user_id = $1 ORDER BY idx DESC LIMIT 1', [userId])).rows[0];
  return r ? { index: r.idx, hash: r.hash } : EMPTY_KEY_LOG_HEAD;
}

/** With the user's lock held. */
async function append(c: pg.PoolClient, userId: string, draft: KeyLogDraft): Promise<KeyLogEntry> {
  const entry = chainEntry(userId, await head(c, userId), draft);
  await c.query('INSERT INTO key_log (user_id, idx, kind, device_id, mls_signature_key, at, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [userId, entry.index, entry.kind, entry.deviceId, entry.mlsSignatureKey, entry.at, entry.prevHash, entry.hash]);
  return entry;
}

/** Inside a transaction: R20. */
export async function publishMlsKey(c: pg.PoolClient, r: PublishKeyRequest): Promise<{ entry: KeyLogEntry; created: boolean }> {
  await lockUser(c, r.userId);
  // Read after the lock (READ COMMITTED: a revocation that committed while we waited is seen).
  const device = (await c.query<{ user_id: string; revoked_at: number | null }>('SELECT user_id, revoked_at FROM devices WHERE device_id = $1', [r.deviceId])).rows[0];
  if (!device || device.user_id !== r.userId) throw new ParleyError('device_not_found', 'no such device');
  if (device.revoked_at !== null) throw new ParleyError('device_revoked', 'this device was signed out');
  const existing = (await c.query<Row>("SELECT * FROM key_log WHERE device_id = $1 AND kind = 'add'", [r.deviceId])).rows[0];
  if (existing) {
    const entry = toKeyLogEntry(existing);
    if (entry.mlsSignatureKey !== r.mlsSignatureKey) throw new ParleyError('mls_key_conflict', 'this device already published another MLS key');
    return { entry, created: false };
  }
  return { entry: await append(c, r.userId, { kind: 'add', deviceId: r.deviceId, mlsSignatureKey: r.mlsSignatureKey, at: r.at }), created: true };
}

/** Inside revokeDevice's transaction, before it touches anything: locks the user, so a publish cannot slip in between. */
export async function lockForRevoke(c: pg.PoolClient, deviceId: string): Promise<void> {
  const device = (await c.query<{ user_id: string }>('SELECT user_id FROM devices WHERE device_id = $1', [deviceId])).rows[0];
  if (device) await lockUser(c, device.user_id);
}

/** Inside revokeDevice's transaction, after lockForRevoke: R21, a revoke entry for a device that published a key (once). */
export async function appendRevoke(c: pg.PoolClient, deviceId: string, at: number): Promise<void> {
  const kinds = (await c.query<{ user_id: string; kind: string }>('SELECT user_id, kind FROM key_log WHERE device_id = $1', [deviceId])).rows;
  const added = kinds.find((k) => k.kind === 'add');
  if (!added || kinds.some((k) => k.kind === 'revoke')) return;
  await append(c, added.user_id, { kind: 'revoke', deviceId, mlsSignatureKey: null, at });
}

export async function getKeyLog(on: Queryable, userId: string, after: number, limit: number): Promise<KeyLogPage> {
  const h = await head(on, userId);
  const rows = (await on.query<Row>('SELECT * FROM key_log WHERE user_id = $1 AND idx > $2 AND idx <= $3 ORDER BY idx LIMIT $4', [userId, after, h.index, limit])).rows;
  return { entries: rows.map(toKeyLogEntry), head: h };
}
