import type pg from 'pg';
import type { BlobCreateRefusal, BlobRefRow, BlobRow, BlobStorage, BlobUsage } from '../blob-storage.ts';
import { DELETABLE_SQL, EXPIRED_SQL, MAY_READ_SQL, toBlob, toBlobRef } from '../sqlite/sqlite-blobs.ts';
import { inTransaction } from './transaction.ts';

type Row = Record<string, unknown>;
type Queryable = pg.Pool | pg.PoolClient;

const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Blob metadata (R53-R56) in the cluster's PostgreSQL database. Creating a blob locks the owner's
 * user row, so the quota and the uploads-in-flight cap hold under concurrent creations on any node.
 */
export class PostgresBlobs implements BlobStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async createBlob(row: BlobRow, limits: { quotaBytes: number; maxInFlight: number }): Promise<BlobCreateRefusal | undefined> {
    return inTransaction(this.#pool, async (c) => {
      await c.query('SELECT 1 FROM users WHERE user_id = $1 FOR NO KEY UPDATE', [row.ownerUserId]);
      const used = await this.#usage(c, row.ownerUserId);
      if (used.usedBytes + row.length > limits.quotaBytes) return 'quota_exceeded';
      if (await this.#inFlight(c, row.ownerDeviceId) >= limits.maxInFlight) return 'too_many_uploads';
      await c.query('INSERT INTO blobs (blob_id, owner_user_id, owner_device_id, length, created_at, completed_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [row.blobId, row.ownerUserId, row.ownerDeviceId, row.length, row.createdAt, row.completedAt]);
      return undefined;
    });
  }

  async getBlob(blobId: string): Promise<BlobRow | undefined> {
    const r = (await this.#pool.query<Row>('SELECT * FROM blobs WHERE blob_id = $1', [blobId])).rows[0];
    return r && toBlob(r);
  }

  async completeBlob(blobId: string, at: number): Promise<boolean> {
    await this.#pool.query('UPDATE blobs SET completed_at = $1 WHERE blob_id = $2 AND completed_at IS NULL', [at, blobId]);
    return (await this.#pool.query('SELECT 1 FROM blobs WHERE blob_id = $1', [blobId])).rowCount === 1;
  }

  async mayRead(userId: string, blobId: string): Promise<boolean> {
    return (await this.#pool.query(MAY_READ_SQL('$1', '$2'), [userId, blobId])).rowCount === 1;
  }

  async usage(userId: string): Promise<BlobUsage> {
    return this.#usage(this.#pool, userId);
  }

  async #usage(q: Queryable, userId: string): Promise<BlobUsage> {
    const r = (await q.query<Row>('SELECT COALESCE(SUM(length), 0) AS used, COUNT(*) AS n FROM blobs WHERE owner_user_id = $1', [userId])).rows[0];
    return { usedBytes: Number(r?.['used'] ?? 0), blobs: Number(r?.['n'] ?? 0) };
  }

  async inFlight(deviceId: string): Promise<number> {
    return this.#inFlight(this.#pool, deviceId);
  }

  async #inFlight(q: Queryable, deviceId: string): Promise<number> {
    const r = (await q.query<Row>('SELECT COUNT(*) AS n FROM blobs WHERE owner_device_id = $1 AND completed_at IS NULL', [deviceId])).rows[0];
    return Number(r?.['n'] ?? 0);
  }

  async unfinishedBefore(deviceId: string, before: number): Promise<BlobRow[]> {
    return (await this.#pool.query<Row>('SELECT * FROM blobs WHERE owner_device_id = $1 AND completed_at IS NULL AND created_at < $2 ORDER BY created_at, blob_id',
      [deviceId, before])).rows.map(toBlob);
  }

  async listRefs(blobId: string): Promise<BlobRefRow[]> {
    return (await this.#pool.query<Row>('SELECT * FROM blob_refs WHERE blob_id = $1 ORDER BY chat_id, seq, sender_user_id', [blobId])).rows.map(toBlobRef);
  }

  async expiredBlobs(before: number, limit: number): Promise<string[]> {
    return (await this.#pool.query<{ blob_id: string }>(EXPIRED_SQL('$1', '$2'), [before, limit])).rows.map((r) => r.blob_id);
  }

  async deleteBlob(blobId: string, onlyIfExpiredBefore?: number): Promise<boolean> {
    const sql = `DELETE FROM blobs WHERE ${DELETABLE_SQL('$1', onlyIfExpiredBefore === undefined ? undefined : '$2')}`;
    try {
      const r = await this.#pool.query(sql, onlyIfExpiredBefore === undefined ? [blobId] : [blobId, onlyIfExpiredBefore]);
      return r.rowCount === 1;
    } catch (err) {
      // A reference committed between the check and the delete: the blob stays (R54 wins over R56).
      if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION) return false;
      throw err;
    }
  }
}
