import type pg from 'pg';
import { inTransaction } from './transaction.ts';
import type { DeviceLinkRow, DeviceLinkStorage } from '../device-link-storage.ts';
import { displacedBy, toDeviceLink } from '../sqlite/sqlite-device-links.ts';
import type { DeviceRow } from '../storage.ts';

type Row = Record<string, unknown>;

/**
 * Device links (R23-R26) in the cluster's PostgreSQL database (the pool PostgresStorage opened and
 * migrated). A link's row lock serialises approvals, denials and wrong codes across nodes; creating
 * a link locks the user's row so the cap on pending links holds under concurrent requests.
 */
export class PostgresDeviceLinks implements DeviceLinkStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  #tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.#pool, fn);
  }

  async createLink(link: DeviceLinkRow, maxPending: number, now: number): Promise<DeviceLinkRow[]> {
    return this.#tx(async (c) => {
      await c.query('SELECT 1 FROM users WHERE user_id = $1 FOR NO KEY UPDATE', [link.userId]);
      const open = (await c.query<Row>(
        "SELECT * FROM device_links WHERE user_id = $1 AND status = 'pending' AND expires_at > $2 ORDER BY created_at, link_id", [link.userId, now])).rows.map(toDeviceLink);
      const out = displacedBy(open, link, maxPending);
      const displaced = out.length === 0 ? [] : (await c.query<Row>(
        'UPDATE device_links SET displaced_at = $1, expires_at = $1, closed_at = $1 WHERE link_id = ANY($2) RETURNING *', [now, out])).rows.map(toDeviceLink);
      await c.query(`INSERT INTO device_links (link_id, user_id, device_name, public_key, code_hash, created_at, expires_at, attempts, status, device_id, closed_at,
          source_key, origin_hint, displaced_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [link.linkId, link.userId, link.deviceName, link.publicKey, link.codeHash, link.createdAt, link.expiresAt,
        link.attempts, link.status, link.deviceId, link.closedAt, link.sourceKey, link.origin, link.displacedAt]);
      return displaced.sort((a, b) => a.createdAt - b.createdAt || a.linkId.localeCompare(b.linkId));
    });
  }

  async getLink(linkId: string): Promise<DeviceLinkRow | undefined> {
    const r = (await this.#pool.query<Row>('SELECT * FROM device_links WHERE link_id = $1', [linkId])).rows[0];
    return r && toDeviceLink(r);
  }

  async listPendingLinks(userId: string, now: number): Promise<DeviceLinkRow[]> {
    const rows = (await this.#pool.query<Row>(
      "SELECT * FROM device_links WHERE user_id = $1 AND status = 'pending' AND expires_at > $2 ORDER BY created_at, link_id", [userId, now])).rows;
    return rows.map(toDeviceLink);
  }

  async recordWrongCode(linkId: string, maxAttempts: number, now: number): Promise<DeviceLinkRow | undefined> {
    const updated = (await this.#pool.query<Row>(`UPDATE device_links SET attempts = attempts + 1,
        status = CASE WHEN attempts + 1 >= $1 THEN 'locked' ELSE status END,
        closed_at = CASE WHEN attempts + 1 >= $1 THEN $2 ELSE closed_at END
      WHERE link_id = $3 AND status = 'pending' AND displaced_at IS NULL RETURNING *`, [maxAttempts, now, linkId])).rows[0];
    return updated ? toDeviceLink(updated) : this.getLink(linkId);
  }

  async approveLink(linkId: string, device: DeviceRow, now: number): Promise<DeviceLinkRow | undefined> {
    return this.#tx(async (c) => {
      const r = (await c.query<Row>('SELECT * FROM device_links WHERE link_id = $1 FOR UPDATE', [linkId])).rows[0];
      const link = r && toDeviceLink(r);
      if (!link || link.status !== 'pending' || link.expiresAt <= now) return link;
      await c.query('INSERT INTO devices (device_id, user_id, name, public_key, created_at, last_seen_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [device.deviceId, device.userId, device.name, device.publicKey, device.createdAt, device.lastSeenAt, device.revokedAt]);
      const updated = (await c.query<Row>("UPDATE device_links SET status = 'approved', device_id = $1, closed_at = $2 WHERE link_id = $3 RETURNING *",
        [device.deviceId, now, linkId])).rows[0];
      return updated && toDeviceLink(updated);
    });
  }

  async denyLink(linkId: string, now: number): Promise<DeviceLinkRow | undefined> {
    const updated = (await this.#pool.query<Row>(
      "UPDATE device_links SET status = 'denied', closed_at = $1 WHERE link_id = $2 AND status = 'pending' AND expires_at > $1 RETURNING *", [now, linkId])).rows[0];
    return updated ? toDeviceLink(updated) : this.getLink(linkId);
  }

  async deleteLinksBefore(before: number): Promise<number> {
    return (await this.#pool.query('DELETE FROM device_links WHERE expires_at < $1', [before])).rowCount ?? 0;
  }
}
