import type Database from 'better-sqlite3';
import type { DeviceKeyRow, MlsGroupStateRow, NextGroupState } from '../storage.ts';

/** The queries behind commit checks (R35, R36) for SqliteStorage: group public states, device keys. */
type Query = (sql: string) => Database.Statement;

export function getMlsGroupState(q: Query, chatId: string): MlsGroupStateRow | undefined {
  const r = q('SELECT epoch, state, started_at FROM mls_group_states WHERE chat_id = ?').get(chatId) as { epoch: number; state: Buffer; started_at: number } | undefined;
  return r && { epoch: r.epoch, state: new Uint8Array(r.state), startedAt: r.started_at };
}

/** Inside appendCommit's transaction. */
export function putMlsGroupState(q: Query, chatId: string, row: MlsGroupStateRow): void {
  q(`INSERT INTO mls_group_states (chat_id, epoch, state, started_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (chat_id) DO UPDATE SET epoch = excluded.epoch, state = excluded.state, started_at = excluded.started_at`)
    .run(chatId, row.epoch, Buffer.from(row.state), row.startedAt);
}

/** Inside appendCommit's transaction: R35b, the state kept for the devices the commit added. */
export function putMlsJoinState(q: Query, chatId: string, epoch: number, state: Uint8Array, keep: NonNullable<NextGroupState['forJoiners']>): void {
  q('DELETE FROM mls_join_states WHERE chat_id = ? AND expires_at < ?').run(chatId, keep.now);
  q('INSERT INTO mls_join_states (chat_id, epoch, state, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, epoch) DO NOTHING')
    .run(chatId, epoch, Buffer.from(state), keep.until);
}

export function getMlsJoinState(q: Query, chatId: string, epoch: number, now: number): Uint8Array | undefined {
  const r = q('SELECT state FROM mls_join_states WHERE chat_id = ? AND epoch = ? AND expires_at >= ?').get(chatId, epoch, now) as { state: Buffer } | undefined;
  return r && new Uint8Array(r.state);
}

export function getDeviceKeys(q: Query, userIds: readonly string[]): DeviceKeyRow[] {
  if (userIds.length === 0) return [];
  const rows = q(`SELECT d.user_id, d.device_id, d.revoked_at, k.mls_signature_key FROM devices d
    LEFT JOIN key_log k ON k.device_id = d.device_id AND k.kind = 'add'
    WHERE d.user_id IN (SELECT value FROM json_each(?)) ORDER BY d.user_id, d.device_id`)
    .all(JSON.stringify(userIds)) as { user_id: string; device_id: string; revoked_at: number | null; mls_signature_key: string | null }[];
  return rows.map((r) => ({ userId: r.user_id, deviceId: r.device_id, revoked: r.revoked_at !== null, mlsSignatureKey: r.mls_signature_key }));
}

export function devicesWithKeyPackages(q: Query, deviceIds: readonly string[], freshSince: number): string[] {
  if (deviceIds.length === 0) return [];
  const rows = q(`SELECT DISTINCT device_id FROM key_packages WHERE device_id IN (SELECT value FROM json_each(?)) AND created_at >= ? ORDER BY device_id`)
    .all(JSON.stringify(deviceIds), freshSince) as { device_id: string }[];
  return rows.map((r) => r.device_id);
}
