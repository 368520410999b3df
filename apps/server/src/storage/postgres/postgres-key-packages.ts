import type pg from 'pg';
import type { KeyPackageCount, KeyPackageRow, KeyPackageUpload } from '../storage.ts';
import { toKeyPackage } from '../sqlite/rows.ts';

/** The key package directory's queries (R14) for PostgresStorage. */
type Queryable = pg.Pool | pg.PoolClient;
type Row = Record<string, unknown>;

/** Code-point order, as SQLite's default collation sorts (localeCompare would not match it). */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Inside a transaction. */
export async function addKeyPackages(c: pg.PoolClient, u: KeyPackageUpload): Promise<void> {
  await c.query('DELETE FROM key_packages WHERE device_id = $1 AND (created_at < $2 OR ($3 AND last_resort = 0))',
    [u.deviceId, u.staleBefore, u.replaceOneTime === true]);
  if (u.oneTime.length > 0) {
    const column = <T>(f: (k: KeyPackageRow) => T): T[] => u.oneTime.map(f);
    await c.query(`INSERT INTO key_packages (key_package_id, user_id, device_id, key_package, last_resort, created_at)
      SELECT k.id, k.user_id, $3, k.bytes, 0, k.created_at
      FROM unnest($1::text[], $2::text[], $4::bytea[], $5::bigint[]) AS k(id, user_id, bytes, created_at)
      ON CONFLICT (device_id, key_package_id) DO NOTHING`,
    [column((k) => k.keyPackageId), column((k) => k.userId), u.deviceId, column((k) => Buffer.from(k.keyPackage, 'base64')), column((k) => k.createdAt)]);
  }
  const last = u.lastResort;
  if (last) {
    await c.query('DELETE FROM key_packages WHERE device_id = $1 AND last_resort = 1 AND key_package_id <> $2', [u.deviceId, last.keyPackageId]);
    // The same bytes again (or a stored one-time one) keep their created_at: re-uploading never makes a key package fresh.
    await c.query(`INSERT INTO key_packages (key_package_id, user_id, device_id, key_package, last_resort, created_at)
      VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (device_id, key_package_id) DO UPDATE SET last_resort = 1`,
    [last.keyPackageId, last.userId, u.deviceId, Buffer.from(last.keyPackage, 'base64'), last.createdAt]);
  }
}

export async function countKeyPackages(on: Queryable, deviceId: string, freshSince: number): Promise<KeyPackageCount> {
  const r = (await on.query<Row>(`SELECT COUNT(*) FILTER (WHERE last_resort = 0) AS available, MAX(created_at) FILTER (WHERE last_resort = 1) AS last_resort_at
    FROM key_packages WHERE device_id = $1 AND created_at >= $2`, [deviceId, freshSince])).rows[0];
  return { available: (r?.['available'] as number | undefined) ?? 0, lastResortCreatedAt: (r?.['last_resort_at'] as number | null | undefined) ?? null };
}

/** Inside a transaction. */
export async function claimKeyPackages(c: pg.PoolClient, userIds: readonly string[], exceptDeviceId: string, freshSince: number, lastResortOnly: readonly string[] = []): Promise<KeyPackageRow[]> {
  // Lock the devices (sorted, so overlapping claims queue instead of deadlocking): concurrent
  // claims for one device run one after the other, and each statement below (READ COMMITTED)
  // sees the deletions of the claims that went before it. A revocation waits for us too.
  const rows = (await c.query<{ device_id: string; user_id: string }>(`SELECT device_id, user_id FROM devices WHERE user_id = ANY($1::text[]) AND revoked_at IS NULL AND device_id <> $2
    ORDER BY device_id FOR UPDATE`, [userIds, exceptDeviceId])).rows;
  const devices = rows.map((r) => r.device_id);
  if (devices.length === 0) return [];
  await c.query('DELETE FROM key_packages WHERE device_id = ANY($1::text[]) AND created_at < $2', [devices, freshSince]);
  const mayConsume = rows.filter((r) => !lastResortOnly.includes(r.user_id)).map((r) => r.device_id);
  const oneTime = (await c.query<Row>(`DELETE FROM key_packages k USING (
      SELECT DISTINCT ON (device_id) device_id, key_package_id FROM key_packages
      WHERE device_id = ANY($1::text[]) AND last_resort = 0 ORDER BY device_id, created_at, key_package_id
    ) AS oldest
    WHERE k.device_id = oldest.device_id AND k.key_package_id = oldest.key_package_id RETURNING k.*`, [mayConsume])).rows;
  const served = new Set(oneTime.map((r) => r['device_id'] as string));
  const without = devices.filter((d) => !served.has(d));
  const fallback = without.length === 0 ? [] : (await c.query<Row>('SELECT * FROM key_packages WHERE device_id = ANY($1::text[]) AND last_resort = 1', [without])).rows;
  return [...oneTime, ...fallback].map(toKeyPackage).sort((a, b) => compare(a.userId, b.userId) || compare(a.deviceId, b.deviceId));
}

export async function deleteKeyPackagesBefore(on: Queryable, before: number): Promise<number> {
  return (await on.query('DELETE FROM key_packages WHERE created_at < $1', [before])).rowCount ?? 0;
}
