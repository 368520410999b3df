import type { Readable } from 'node:stream';
import type { DataStore } from '@tus/utils';

/**
 * Where blob bytes live (R53, R55): the tus DataStore that uploads are written through, ranged reads
 * for downloads, and removal for the sweep (R56). Ids reaching a store are BlobIds (22 characters of
 * base64url, checked at the edge). Two implementations, proven by one suite (`blob-bytes.suite.ts`):
 * `DiskBlobBytes` (@tus/file-store, one node) and `S3BlobBytes` (@tus/s3-store, a cluster).
 */
export interface BlobBytes {
  /** What the tus server writes uploads through (creation, PATCH, HEAD, termination). */
  readonly dataStore: DataStore;
  /**
   * Bytes `start`..`end` (inclusive) of a complete blob, streamed (never buffered whole). Rejects with
   * `BlobMissing` when the store does not have it.
   */
  read(blobId: string, start: number, end: number): Promise<Readable>;
  /** How many bytes of the upload are stored (tus offset); undefined when the store does not have it. */
  offset(blobId: string): Promise<number | undefined>;
  /** Deletes the blob's bytes and tus state; a blob the store does not have is no error. */
  remove(blobId: string): Promise<void>;
}

/** The store has no bytes for this blob (never uploaded, removed, or lost outside Parley). */
export class BlobMissing extends Error {
  constructor(readonly blobId: string) {
    super(`the blob store has no blob ${blobId}`);
    this.name = 'BlobMissing';
  }
}

/** tus errors are plain objects with a status code; "not found" ones mean the store lacks the upload. */
export function isTusNotFound(err: unknown): boolean {
  const status = (err as { status_code?: unknown } | null)?.status_code;
  return status === 404 || status === 410;
}
