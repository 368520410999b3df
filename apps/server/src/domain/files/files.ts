import { BlobId, ParleyError, type StorageUsage } from '@parley/protocol';
import type { BlobBytes } from '../../blob-store/blob-bytes.ts';
import type { FileLimits } from '../../config.ts';
import type { BlobRow, BlobStorage } from '../../storage/blob-storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { Clock, Random } from '../ports.ts';
import type { RateLimiter } from '../rate-limiter.ts';

export interface FilesDeps {
  blobs: BlobStorage;
  bytes: BlobBytes;
  clock: Clock;
  random: Random;
  limiter: RateLimiter;
  limits: FileLimits;
  /** Told about bytes that could not be removed from the store (their rows are gone: nothing serves them). */
  onOrphan?: (blobId: string, err: unknown) => void;
}

/** What one sweep did (R56). */
export interface SweepResult {
  deleted: number;
  /** Bytes of the deleted blobs' declared lengths: quota given back. */
  freedBytes: number;
}

const HOUR_MS = 3_600_000;
/**
 * An upload whose creation answer was lost (a cut during POST) holds a slot with no byte stored and
 * no client that knows its id. When a device's slots are full, those of its uploads older than this
 * with nothing stored are deleted to make room; one still wanted is simply created again.
 */
export const RECLAIM_EMPTY_UPLOAD_AFTER_MS = 15 * 60_000;
/** Blobs one sweep deletes at most; the next sweep goes on. */
const SWEEP_BATCH = 500;

/**
 * Files (R53-R56): uploads are created, checked and completed here; who may touch or read a blob,
 * what a `send` may reference, and when a blob is deleted. The bytes go through `BlobBytes`; this
 * class never sees them. Every "no" about a blob a caller may not know of is `blob_not_found`.
 */
export class Files {
  readonly #d: FilesDeps;

  constructor(deps: FilesDeps) {
    this.#d = deps;
  }

  get limits(): FileLimits {
    return this.#d.limits;
  }

  /**
   * R53: a new upload of `length` bytes for the caller's device. Refused before anything is stored:
   * `file_too_large`, `rate_limited` (uploads started per hour), `quota_exceeded`, `too_many_uploads`.
   */
  async create(auth: AuthContext, length: number): Promise<BlobRow> {
    const { maxBlobBytes, uploadsPerHour, quotaBytes, maxUploadsInFlight } = this.#d.limits;
    if (!Number.isSafeInteger(length) || length < 0) throw new ParleyError('bad_request', 'Upload-Length: a number of bytes');
    if (length > maxBlobBytes) throw new ParleyError('file_too_large', `a file is at most ${this.#d.limits.maxFileBytes} bytes (${maxBlobBytes} encrypted)`);
    if (uploadsPerHour > 0) await this.#d.limiter.take(`uploads:${auth.deviceId}`, uploadsPerHour * 1000 / HOUR_MS, uploadsPerHour);
    const row: BlobRow = {
      blobId: this.#d.random.id(16),
      ownerUserId: auth.userId,
      ownerDeviceId: auth.deviceId,
      length,
      createdAt: this.#d.clock.now(),
      completedAt: null,
    };
    const limits = { quotaBytes, maxInFlight: maxUploadsInFlight };
    let refused = await this.#d.blobs.createBlob(row, limits);
    if (refused === 'too_many_uploads' && await this.#reclaimEmpty(auth.deviceId) > 0) refused = await this.#d.blobs.createBlob(row, limits);
    if (refused === 'quota_exceeded') throw new ParleyError('quota_exceeded', `this account stores at most ${quotaBytes} bytes of files`);
    if (refused === 'too_many_uploads') throw new ParleyError('too_many_uploads', `at most ${maxUploadsInFlight} unfinished uploads per device`);
    return row;
  }

  /** Deletes the device's uploads with no byte stored, created RECLAIM_EMPTY_UPLOAD_AFTER_MS ago or more; returns how many. */
  async #reclaimEmpty(deviceId: string): Promise<number> {
    let reclaimed = 0;
    for (const row of await this.#d.blobs.unfinishedBefore(deviceId, this.#d.clock.now() - RECLAIM_EMPTY_UPLOAD_AFTER_MS)) {
      if ((await this.#d.bytes.offset(row.blobId) ?? 0) > 0) continue;
      if (await this.#d.blobs.deleteBlob(row.blobId)) {
        await this.#removeBytes(row.blobId);
        reclaimed += 1;
      }
    }
    return reclaimed;
  }

  /** R53: the caller's own upload (HEAD, PATCH, DELETE); anyone else's, or an unknown id, is `blob_not_found`. */
  async ownUpload(auth: AuthContext, blobId: string): Promise<BlobRow> {
    const row = BlobId.safeParse(blobId).success ? await this.#d.blobs.getBlob(blobId) : undefined;
    if (!row || row.ownerUserId !== auth.userId) throw new ParleyError('blob_not_found', 'no such upload');
    return row;
  }

  /** The store holds every byte of the upload: it may be referenced from now on (R54). */
  async completed(blobId: string): Promise<void> {
    await this.#d.blobs.completeBlob(blobId, this.#d.clock.now());
  }

  /**
   * R53 termination: the caller's upload (finished or not) is deleted, unless a message references
   * it (`forbidden`: release it with the message's deletion instead, R56).
   */
  async cancel(auth: AuthContext, blobId: string): Promise<void> {
    await this.ownUpload(auth, blobId);
    if (!await this.#d.blobs.deleteBlob(blobId)) throw new ParleyError('forbidden', 'a message references this file: delete the message instead');
    await this.#removeBytes(blobId);
  }

  /** A lost race with a creation whose tus step failed: the row goes, with whatever bytes there are. */
  async discard(blobId: string): Promise<void> {
    if (await this.#d.blobs.deleteBlob(blobId)) await this.#removeBytes(blobId);
  }

  /** R55: a complete blob the caller may read; everything else is `blob_not_found`. */
  async readable(auth: AuthContext, blobId: string): Promise<BlobRow> {
    const row = BlobId.safeParse(blobId).success ? await this.#d.blobs.getBlob(blobId) : undefined;
    if (!row || row.completedAt === null || !await this.#d.blobs.mayRead(auth.userId, blobId)) {
      throw new ParleyError('blob_not_found', 'no such file');
    }
    return row;
  }

  /**
   * R54, before a `send` goes to the log: every blob it names is readable by the sender
   * (`blob_not_found`) and complete (`blob_incomplete`). The append checks both again in its
   * transaction, so a sweep cannot slip in between.
   */
  async checkReferences(auth: AuthContext, blobIds: readonly string[]): Promise<void> {
    for (const blobId of blobIds) {
      const row = await this.#d.blobs.getBlob(blobId);
      if (!row || !await this.#d.blobs.mayRead(auth.userId, blobId)) throw new ParleyError('blob_not_found', 'no such file');
      if (row.completedAt === null) throw new ParleyError('blob_incomplete', 'the upload is not finished');
    }
  }

  /** R56: what the caller's account stores (GET /me/storage). */
  async usage(auth: AuthContext): Promise<StorageUsage> {
    const { usedBytes, blobs } = await this.#d.blobs.usage(auth.userId);
    return { usedBytes, quotaBytes: this.#d.limits.quotaBytes, maxFileBytes: this.#d.limits.maxFileBytes, blobs };
  }

  /**
   * R56: deletes uploads left unfinished, and complete blobs nothing references, for longer than the
   * TTL: the row first (which frees the quota, and which a reference made meanwhile prevents), then
   * the bytes. Safe to run on every node at once.
   */
  async sweep(): Promise<SweepResult> {
    const before = this.#d.clock.now() - this.#d.limits.unreferencedTtlMs;
    const result: SweepResult = { deleted: 0, freedBytes: 0 };
    for (;;) {
      const ids = await this.#d.blobs.expiredBlobs(before, SWEEP_BATCH);
      const deletedBefore = result.deleted;
      for (const blobId of ids) {
        const row = await this.#d.blobs.getBlob(blobId);
        if (!row || !await this.#d.blobs.deleteBlob(blobId, before)) continue;
        await this.#removeBytes(blobId);
        result.deleted += 1;
        result.freedBytes += row.length;
      }
      if (ids.length < SWEEP_BATCH || result.deleted === deletedBefore) return result;
    }
  }

  async #removeBytes(blobId: string): Promise<void> {
    try {
      await this.#d.bytes.remove(blobId);
    } catch (err) {
      this.#d.onOrphan?.(blobId, err);
    }
  }
}
