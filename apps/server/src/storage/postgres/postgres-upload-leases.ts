import type pg from 'pg';
import type { UploadLeases } from '../../blob-store/upload-leases.ts';

/**
 * Upload leases (R53) in the cluster's PostgreSQL (table `upload_leases`, migration 017). Acquiring
 * is one UPSERT that takes the row only when it is free, expired or already the caller's: two nodes
 * racing for one upload are serialised by the row lock, and exactly one gets it.
 */
export class PostgresUploadLeases implements UploadLeases {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async acquire(blobId: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `INSERT INTO upload_leases (blob_id, holder, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (blob_id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE upload_leases.expires_at <= $4 OR upload_leases.holder = EXCLUDED.holder`,
      [blobId, holder, Math.round(now + ttlMs), Math.round(now)]);
    return rowCount === 1;
  }

  async renew(blobId: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    const { rowCount } = await this.#pool.query('UPDATE upload_leases SET expires_at = $3 WHERE blob_id = $1 AND holder = $2',
      [blobId, holder, Math.round(now + ttlMs)]);
    return rowCount === 1;
  }

  async release(blobId: string, holder: string): Promise<void> {
    await this.#pool.query('DELETE FROM upload_leases WHERE blob_id = $1 AND holder = $2', [blobId, holder]);
  }
}
