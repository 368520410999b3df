import type Database from 'better-sqlite3';
import { ParleyError, type KeyLogEntry, type KeyLogHead } from '@parley/protocol';
import { EMPTY_KEY_LOG_HEAD, chainEntry, type KeyLogDraft } from '../key-log-chain.ts';
import type { KeyLogPage, PublishKeyRequest } from '../storage.ts';
import { toKeyLogEntry } from './rows.ts';

/**
 * The key log's queries (R19-R21) for SqliteStorage. Every write runs inside the caller's
 * immediate transaction, which holds the database's write lock: appends are serialised.
 */
type Query = (sql: string) => Database.Statement;
type Row = Record<string, unknown>;

function head(q: Query, userId: string): KeyLogHead {
  const r = q('SELECT idx, hash FROM key_log WHERE user_id = ? ORDER BY idx DESC LIMIT 1').get(userId) as { idx: number; hash: string } | undefined;
  return r ? { index: r.idx, hash: r.hash } : EMPTY_KEY_LOG_HEAD;
}

function append(q: Query, userId: string, draft: KeyLogDraft): KeyLogEntry {
  const entry = chainEntry(userId, head(q, userId), draft);
  q('INSERT INTO key_log (user_id, idx, kind, device_id, mls_signature_key, at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(userId, entry.index, entry.kind, entry.deviceId, entry.mlsSignatureKey, entry.at, entry.prevHash, entry.hash);
  return entry;
}

/** Inside a write transaction: R20. */
export function publishMlsKey(q: Query, r: PublishKeyRequest): { entry: KeyLogEntry; created: boolean } {
  const device = q('SELECT user_id, revoked_at FROM devices WHERE device_id = ?').get(r.deviceId) as { user_id: string; revoked_at: number | null } | undefined;
  if (!device || device.user_id !== r.userId) throw new ParleyError('device_not_found', 'no such device');
  if (device.revoked_at !== null) throw new ParleyError('device_revoked', 'this device was signed out');
  const existing = q("SELECT * FROM key_log WHERE device_id = ? AND kind = 'add'").get(r.deviceId) as Row | undefined;
  if (existing) {
    const entry = toKeyLogEntry(existing);
    if (entry.mlsSignatureKey !== r.mlsSignatureKey) throw new ParleyError('mls_key_conflict', 'this device already published another MLS key');
    return { entry, created: false };
  }
  return { entry: append(q, r.userId, { kind: 'add', deviceId: r.deviceId, mlsSignatureKey: r.mlsSignatureKey, at: r.at }), created: true };
}

/** Inside revokeDevice's transaction: R21, a revoke entry for a device that published a key (once). */
export function appendRevoke(q: Query, deviceId: string, at: number): void {
  const added = q("SELECT user_id FROM key_log WHERE device_id = ? AND kind = 'add'").get(deviceId) as { user_id: string } | undefined;
  if (!added || q("SELECT 1 FROM key_log WHERE device_id = ? AND kind = 'revoke'").get(deviceId)) return;
  append(q, added.user_id, { kind: 'revoke', deviceId, mlsSignatureKey: null, at });
}

export function getKeyLog(q: Query, userId: string, after: number, limit: number): KeyLogPage {
  const h = head(q, userId);
  const rows = q('SELECT * FROM key_log WHERE user_id = ? AND idx > ? AND idx <= ? ORDER BY idx LIMIT ?').all(userId, after, h.index, limit) as Row[];
  return { entries: rows.map(toKeyLogEntry), head: h };
}
