/**
 * R53: one writer per unfinished upload, across every node. A lease names its holder (one tus
 * request on one node) and runs until `expiresAt`; the holder renews it while it writes, so a node
 * that dies mid-upload frees the upload when its lease runs out. MemoryUploadLeases serves one node;
 * PostgresUploadLeases (storage/postgres) a cluster. Both pass `upload-leases.suite.ts`.
 */
export interface UploadLeases {
  /** Takes the lease for `holder` until `now + ttlMs`, unless another holder's lease runs past `now`. */
  acquire(blobId: string, holder: string, now: number, ttlMs: number): Promise<boolean>;
  /** Extends the holder's lease to `now + ttlMs`; false when it no longer holds it (it ran out and was taken). */
  renew(blobId: string, holder: string, now: number, ttlMs: number): Promise<boolean>;
  /** Lets go of the lease if `holder` holds it. */
  release(blobId: string, holder: string): Promise<void>;
}

export class MemoryUploadLeases implements UploadLeases {
  readonly #leases = new Map<string, { holder: string; expiresAt: number }>();

  async acquire(blobId: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    const lease = this.#leases.get(blobId);
    if (lease && lease.holder !== holder && lease.expiresAt > now) return false;
    this.#leases.set(blobId, { holder, expiresAt: now + ttlMs });
    return true;
  }

  async renew(blobId: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    const lease = this.#leases.get(blobId);
    if (lease?.holder !== holder) return false;
    lease.expiresAt = now + ttlMs;
    return true;
  }

  async release(blobId: string, holder: string): Promise<void> {
    if (this.#leases.get(blobId)?.holder === holder) this.#leases.delete(blobId);
  }
}
