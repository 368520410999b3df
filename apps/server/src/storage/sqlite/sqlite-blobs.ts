import type Database from 'better-sqlite3';
import type { BlobCreateRefusal, BlobRefRow, BlobRow, BlobStorage, BlobUsage } from '../blob-storage.ts';
import { statementCache } from './statement-cache.ts';

type Row = Record<string, unknown>;

/** Row ↔ domain for `blobs`; the column shapes are the same in both dialects. */
export function toBlob(r: Row): BlobRow {
  return {
    blobId: String(r['blob_id']),
    ownerUserId: String(r['owner_user_id']),
    ownerDeviceId: String(r['owner_device_id']),
    length: Number(r['length']),
    createdAt: Number(r['created_at']),
    completedAt: r['completed_at'] == null ? null : Number(r['completed_at']),
  };
}

export function toBlobRef(r: Row): BlobRefRow {
  return { chatId: String(r['chat_id']), blobId: String(r['blob_id']), senderUserId: String(r['sender_user_id']), seq: Number(r['seq']) };
}

/** R55 (and R162: a current member of the community whose announcements chat references it: a wrapped channel's files), the same in both dialects (placeholders: `@user`/`$1` for the user, `@blob`/`$2` for the blob). */
export const MAY_READ_SQL = (user: string, blob: string): string => `SELECT 1 FROM blobs b WHERE b.blob_id = ${blob} AND (b.owner_user_id = ${user}
  OR EXISTS (SELECT 1 FROM blob_refs r JOIN members m ON m.chat_id = r.chat_id AND m.user_id = ${user} WHERE r.blob_id = b.blob_id)
  OR EXISTS (SELECT 1 FROM blob_refs r JOIN community_chats cc ON cc.chat_id = r.chat_id AND cc.kind = 'announcements'
    JOIN community_members cm ON cm.community_id = cc.community_id AND cm.user_id = ${user} WHERE r.blob_id = b.blob_id))`;

/** R56's candidates (placeholders for `before`, then for the limit); a blob a public post names (R110), a bot's avatar (R143) or a scheduled post's file (R192) is not one. */
export const EXPIRED_SQL = (before: string, limit: string): string => `SELECT blob_id FROM (
    SELECT blob_id, created_at AS since FROM blobs WHERE completed_at IS NULL AND created_at < ${before}
    UNION ALL
    SELECT blob_id, completed_at AS since FROM blobs b WHERE completed_at IS NOT NULL AND completed_at < ${before}
      AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob_id = b.blob_id)
      AND NOT EXISTS (SELECT 1 FROM channel_media c WHERE c.blob_id = b.blob_id)
      AND NOT EXISTS (SELECT 1 FROM bots a WHERE a.avatar_blob_id = b.blob_id)
      AND NOT EXISTS (SELECT 1 FROM channel_scheduled_blobs s WHERE s.blob_id = b.blob_id)
      AND NOT EXISTS (SELECT 1 FROM channel_wrapped_scheduled_blobs w WHERE w.blob_id = b.blob_id)
  ) AS expired ORDER BY since, blob_id LIMIT ${limit}`;

/** The condition under which a blob row may go (placeholders for the blob, then `before`). */
export const DELETABLE_SQL = (blob: string, before: string | undefined): string => `blob_id = ${blob}
  AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob_id = blobs.blob_id)
  AND NOT EXISTS (SELECT 1 FROM channel_media c WHERE c.blob_id = blobs.blob_id)
  AND NOT EXISTS (SELECT 1 FROM bots a WHERE a.avatar_blob_id = blobs.blob_id)
  AND NOT EXISTS (SELECT 1 FROM channel_scheduled_blobs s WHERE s.blob_id = blobs.blob_id)
  AND NOT EXISTS (SELECT 1 FROM channel_wrapped_scheduled_blobs w WHERE w.blob_id = blobs.blob_id)${before === undefined ? ''
  : ` AND ((completed_at IS NULL AND created_at < ${before}) OR (completed_at IS NOT NULL AND completed_at < ${before}))`}`;

/** Blob metadata (R53-R56) in the single node's SQLite database; writes hold its write lock. */
export class SqliteBlobs implements BlobStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  async createBlob(row: BlobRow, limits: { quotaBytes: number; maxInFlight: number }): Promise<BlobCreateRefusal | undefined> {
    return this.#db.transaction((): BlobCreateRefusal | undefined => {
      const used = this.#usage(row.ownerUserId).usedBytes;
      if (used + row.length > limits.quotaBytes) return 'quota_exceeded';
      if (this.#inFlight(row.ownerDeviceId) >= limits.maxInFlight) return 'too_many_uploads';
      this.#q('INSERT INTO blobs (blob_id, owner_user_id, owner_device_id, length, created_at, completed_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(row.blobId, row.ownerUserId, row.ownerDeviceId, row.length, row.createdAt, row.completedAt);
      return undefined;
    }).immediate();
  }

  async getBlob(blobId: string): Promise<BlobRow | undefined> {
    const r = this.#q('SELECT * FROM blobs WHERE blob_id = ?').get(blobId) as Row | undefined;
    return r && toBlob(r);
  }

  async completeBlob(blobId: string, at: number): Promise<boolean> {
    this.#q('UPDATE blobs SET completed_at = ? WHERE blob_id = ? AND completed_at IS NULL').run(at, blobId);
    return this.#q('SELECT 1 FROM blobs WHERE blob_id = ?').get(blobId) !== undefined;
  }

  async mayRead(userId: string, blobId: string): Promise<boolean> {
    return this.#q(MAY_READ_SQL('@user', '@blob')).get({ user: userId, blob: blobId }) !== undefined;
  }

  async usage(userId: string): Promise<BlobUsage> {
    return this.#usage(userId);
  }

  #usage(userId: string): BlobUsage {
    const r = this.#q('SELECT COALESCE(SUM(length), 0) AS used, COUNT(*) AS n FROM blobs WHERE owner_user_id = ?').get(userId) as { used: number; n: number };
    return { usedBytes: Number(r.used), blobs: Number(r.n) };
  }

  async inFlight(deviceId: string): Promise<number> {
    return this.#inFlight(deviceId);
  }

  #inFlight(deviceId: string): number {
    return (this.#q('SELECT COUNT(*) AS n FROM blobs WHERE owner_device_id = ? AND completed_at IS NULL').get(deviceId) as { n: number }).n;
  }

  async unfinishedBefore(deviceId: string, before: number): Promise<BlobRow[]> {
    return (this.#q('SELECT * FROM blobs WHERE owner_device_id = ? AND completed_at IS NULL AND created_at < ? ORDER BY created_at, blob_id').all(deviceId, before) as Row[]).map(toBlob);
  }

  async listRefs(blobId: string): Promise<BlobRefRow[]> {
    return (this.#q('SELECT * FROM blob_refs WHERE blob_id = ? ORDER BY chat_id, seq, sender_user_id').all(blobId) as Row[]).map(toBlobRef);
  }

  async expiredBlobs(before: number, limit: number): Promise<string[]> {
    return (this.#q(EXPIRED_SQL('@before', '@limit')).all({ before, limit }) as { blob_id: string }[]).map((r) => r.blob_id);
  }

  async deleteBlob(blobId: string, onlyIfExpiredBefore?: number): Promise<boolean> {
    const sql = `DELETE FROM blobs WHERE ${DELETABLE_SQL('@blob', onlyIfExpiredBefore === undefined ? undefined : '@before')}`;
    const info = onlyIfExpiredBefore === undefined ? this.#q(sql).run({ blob: blobId }) : this.#q(sql).run({ blob: blobId, before: onlyIfExpiredBefore });
    return info.changes > 0;
  }
}
