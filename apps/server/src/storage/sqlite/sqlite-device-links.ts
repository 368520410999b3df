import type Database from 'better-sqlite3';
import type { DeviceLinkRow, DeviceLinkStorage } from '../device-link-storage.ts';
import type { DeviceRow } from '../storage.ts';
import { statementCache } from './statement-cache.ts';

type Row = Record<string, unknown>;

/** Row ↔ domain for `device_links`; the column shapes are the same in both dialects. */
export function toDeviceLink(r: Row): DeviceLinkRow {
  return {
    linkId: String(r['link_id']),
    userId: String(r['user_id']),
    deviceName: String(r['device_name']),
    publicKey: String(r['public_key']),
    codeHash: String(r['code_hash']),
    createdAt: Number(r['created_at']),
    expiresAt: Number(r['expires_at']),
    attempts: Number(r['attempts']),
    status: String(r['status']) as DeviceLinkRow['status'],
    deviceId: r['device_id'] === null ? null : String(r['device_id']),
    closedAt: r['closed_at'] === null ? null : Number(r['closed_at']),
    sourceKey: r['source_key'] == null ? null : String(r['source_key']),
    origin: r['origin_hint'] == null ? null : String(r['origin_hint']),
    displacedAt: r['displaced_at'] == null ? null : Number(r['displaced_at']),
  };
}

/**
 * Device links (R23-R26) in the single node's SQLite database (the one SqliteStorage opened and
 * migrated). Writes run in immediate transactions, which hold the database's write lock.
 */
export class SqliteDeviceLinks implements DeviceLinkStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  #get(linkId: string): DeviceLinkRow | undefined {
    const r = this.#q('SELECT * FROM device_links WHERE link_id = ?').get(linkId) as Row | undefined;
    return r && toDeviceLink(r);
  }

  async createLink(link: DeviceLinkRow, maxPending: number, now: number): Promise<DeviceLinkRow[]> {
    return this.#db.transaction(() => {
      const open = (this.#q("SELECT * FROM device_links WHERE user_id = ? AND status = 'pending' AND expires_at > ? ORDER BY created_at, link_id")
        .all(link.userId, now) as Row[]).map(toDeviceLink);
      const out = displacedBy(open, link, maxPending);
      for (const linkId of out) {
        this.#q('UPDATE device_links SET displaced_at = ?, expires_at = ?, closed_at = ? WHERE link_id = ?').run(now, now, now, linkId);
      }
      this.#q(`INSERT INTO device_links (link_id, user_id, device_name, public_key, code_hash, created_at, expires_at, attempts, status, device_id, closed_at,
          source_key, origin_hint, displaced_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(link.linkId, link.userId, link.deviceName, link.publicKey, link.codeHash, link.createdAt, link.expiresAt,
          link.attempts, link.status, link.deviceId, link.closedAt, link.sourceKey, link.origin, link.displacedAt);
      return out.map((linkId) => this.#get(linkId)).filter((l): l is DeviceLinkRow => l !== undefined);
    }).immediate();
  }

  async getLink(linkId: string): Promise<DeviceLinkRow | undefined> {
    return this.#get(linkId);
  }

  async listPendingLinks(userId: string, now: number): Promise<DeviceLinkRow[]> {
    const rows = this.#q("SELECT * FROM device_links WHERE user_id = ? AND status = 'pending' AND expires_at > ? ORDER BY created_at, link_id")
      .all(userId, now) as Row[];
    return rows.map(toDeviceLink);
  }

  async recordWrongCode(linkId: string, maxAttempts: number, now: number): Promise<DeviceLinkRow | undefined> {
    return this.#db.transaction(() => {
      this.#q(`UPDATE device_links SET attempts = attempts + 1,
          status = CASE WHEN attempts + 1 >= ? THEN 'locked' ELSE status END,
          closed_at = CASE WHEN attempts + 1 >= ? THEN ? ELSE closed_at END
        WHERE link_id = ? AND status = 'pending' AND displaced_at IS NULL`).run(maxAttempts, maxAttempts, now, linkId);
      return this.#get(linkId);
    }).immediate();
  }

  async approveLink(linkId: string, device: DeviceRow, now: number): Promise<DeviceLinkRow | undefined> {
    return this.#db.transaction(() => {
      const link = this.#get(linkId);
      if (!link || link.status !== 'pending' || link.expiresAt <= now) return link;
      this.#q('INSERT INTO devices (device_id, user_id, name, public_key, created_at, last_seen_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(device.deviceId, device.userId, device.name, device.publicKey, device.createdAt, device.lastSeenAt, device.revokedAt);
      this.#q("UPDATE device_links SET status = 'approved', device_id = ?, closed_at = ? WHERE link_id = ?").run(device.deviceId, now, linkId);
      return this.#get(linkId);
    }).immediate();
  }

  async denyLink(linkId: string, now: number): Promise<DeviceLinkRow | undefined> {
    return this.#db.transaction(() => {
      this.#q("UPDATE device_links SET status = 'denied', closed_at = ? WHERE link_id = ? AND status = 'pending' AND expires_at > ?").run(now, linkId, now);
      return this.#get(linkId);
    }).immediate();
  }

  async deleteLinksBefore(before: number): Promise<number> {
    return this.#q('DELETE FROM device_links WHERE expires_at < ?').run(before).changes;
  }
}

/**
 * R43: which of a user's open links (oldest first) a new link displaces: those from its own source,
 * then the oldest of the rest while the slots are full. Shared by both dialects.
 */
export function displacedBy(open: readonly DeviceLinkRow[], link: DeviceLinkRow, maxPending: number): string[] {
  const same = open.filter((l) => link.sourceKey !== null && l.sourceKey === link.sourceKey);
  const rest = open.filter((l) => !same.includes(l));
  const over = Math.max(0, rest.length - (maxPending - 1));
  return [...same, ...rest.slice(0, over)].map((l) => l.linkId);
}
