import type Database from 'better-sqlite3';
import type { KeyPackageCount, KeyPackageRow, KeyPackageUpload } from '../storage.ts';
import { toKeyPackage } from './rows.ts';

/**
 * The key package directory's queries (R14) for SqliteStorage. The writes run inside the caller's
 * immediate transaction, which holds the database's write lock: a claimed one-time key package is
 * deleted before any other claim reads.
 */
type Query = (sql: string) => Database.Statement;
type Row = Record<string, unknown>;

/** Inside a write transaction. */
export function addKeyPackages(q: Query, u: KeyPackageUpload): void {
  q('DELETE FROM key_packages WHERE device_id = ? AND (created_at < ? OR (? = 1 AND last_resort = 0))')
    .run(u.deviceId, u.staleBefore, u.replaceOneTime ? 1 : 0);
  const insert = q(`INSERT INTO key_packages (key_package_id, user_id, device_id, key_package, last_resort, created_at)
    VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (device_id, key_package_id) DO NOTHING`);
  for (const k of u.oneTime) insert.run(k.keyPackageId, k.userId, u.deviceId, Buffer.from(k.keyPackage, 'base64'), k.createdAt);
  const last = u.lastResort;
  if (last) {
    q('DELETE FROM key_packages WHERE device_id = ? AND last_resort = 1 AND key_package_id != ?').run(u.deviceId, last.keyPackageId);
    // The same bytes again (or a stored one-time one) keep their created_at: re-uploading never makes a key package fresh.
    q(`INSERT INTO key_packages (key_package_id, user_id, device_id, key_package, last_resort, created_at)
      VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (device_id, key_package_id) DO UPDATE SET last_resort = 1`)
      .run(last.keyPackageId, last.userId, u.deviceId, Buffer.from(last.keyPackage, 'base64'), last.createdAt);
  }
}

export function countKeyPackages(q: Query, deviceId: string, freshSince: number): KeyPackageCount {
  const r = q(`SELECT COALESCE(SUM(last_resort = 0), 0) AS available, MAX(CASE WHEN last_resort = 1 THEN created_at END) AS last_resort_at
    FROM key_packages WHERE device_id = ? AND created_at >= ?`).get(deviceId, freshSince) as { available: number; last_resort_at: number | null };
  return { available: r.available, lastResortCreatedAt: r.last_resort_at };
}

/** Inside a write transaction. */
export function claimKeyPackages(q: Query, userIds: readonly string[], exceptDeviceId: string, freshSince: number, lastResortOnly: readonly string[] = []): KeyPackageRow[] {
  const devices = q(`SELECT device_id, user_id FROM devices WHERE user_id IN (SELECT value FROM json_each(?))
    AND revoked_at IS NULL AND device_id != ? ORDER BY user_id, device_id`).all(JSON.stringify(userIds), exceptDeviceId) as { device_id: string; user_id: string }[];
  const claimed: KeyPackageRow[] = [];
  for (const { device_id: deviceId, user_id: userId } of devices) {
    q('DELETE FROM key_packages WHERE device_id = ? AND created_at < ?').run(deviceId, freshSince);
    const oneTime = lastResortOnly.includes(userId) ? undefined
      : q('SELECT * FROM key_packages WHERE device_id = ? AND last_resort = 0 ORDER BY created_at, key_package_id LIMIT 1').get(deviceId) as Row | undefined;
    if (oneTime) {
      q('DELETE FROM key_packages WHERE device_id = ? AND key_package_id = ?').run(deviceId, oneTime['key_package_id']);
      claimed.push(toKeyPackage(oneTime));
      continue;
    }
    const fallback = q('SELECT * FROM key_packages WHERE device_id = ? AND last_resort = 1').get(deviceId) as Row | undefined;
    if (fallback) claimed.push(toKeyPackage(fallback));
  }
  return claimed;
}

export function deleteKeyPackagesBefore(q: Query, before: number): number {
  return q('DELETE FROM key_packages WHERE created_at < ?').run(before).changes;
}
