/** One uploaded blob (R53) as the database knows it; its bytes are in the blob store. */
export interface BlobRow {
  /** BlobId: 22 characters of base64url, 128 random bits from the server. */
  blobId: string;
  ownerUserId: string;
  /** The device that created the upload (R53: uploads in flight are counted per device). */
  ownerDeviceId: string;
  /** The declared length (tus Upload-Length): the ciphertext's size. */
  length: number;
  createdAt: number;
  /** When the last byte was stored; null while the upload is unfinished; RELEASED_AT once its wrapped post was deleted (R178). */
  completedAt: number | null;
}

/**
 * R178: the `completedAt` a deletion gives a wrapped post's files that nothing else references: long
 * past R56's window, so the next sweep removes them, and never named by a post again (`blob_not_found`):
 * a post sent again after its deletion (R162's kept upload) can't come back.
 */
export const RELEASED_AT = 0;

/** One chat message's reference to a blob (R54), recorded with the log entry. */
export interface BlobRefRow {
  chatId: string;
  blobId: string;
  senderUserId: string;
  seq: number;
}

/** What `createBlob` refuses, checked in the same transaction as the insert. */
export type BlobCreateRefusal = 'quota_exceeded' | 'too_many_uploads';

/** R56: what an account stores. */
export interface BlobUsage {
  /** Declared lengths of every blob it uploaded that is not deleted (unfinished ones too). */
  usedBytes: number;
  blobs: number;
}

/**
 * Where blob metadata lives (R53-R56): in the database beside the chats, because who may read a blob
 * is computed from current membership of the chats whose log references it. References are written
 * by the log append itself (`AppendRequest.blobs` in storage.ts), in the message's transaction.
 * SQLite and PostgreSQL implement it and pass one suite (`blob-storage.suite.ts`).
 */
export interface BlobStorage {
  /**
   * Stores a new, unfinished blob unless, in the same transaction (serialised per account), the
   * owner's stored bytes plus its length would pass `quotaBytes`, or the device already has
   * `maxInFlight` unfinished uploads. Returns what refused it, or undefined when stored.
   */
  createBlob(row: BlobRow, limits: { quotaBytes: number; maxInFlight: number }): Promise<BlobCreateRefusal | undefined>;
  getBlob(blobId: string): Promise<BlobRow | undefined>;
  /** Marks the blob complete at `at` (the first time only); false if there is no such blob. */
  completeBlob(blobId: string, at: number): Promise<boolean>;
  /** R55: the user uploaded the blob, or is a current member of a chat whose log references it (R162: or of the community whose announcements chat does). */
  mayRead(userId: string, blobId: string): Promise<boolean>;
  usage(userId: string): Promise<BlobUsage>;
  /** Unfinished uploads of the device. */
  inFlight(deviceId: string): Promise<number>;
  /** The device's unfinished uploads created before `before`, oldest first. */
  unfinishedBefore(deviceId: string, before: number): Promise<BlobRow[]>;
  /** The blob's references (tests, operators). */
  listRefs(blobId: string): Promise<BlobRefRow[]>;
  /**
   * R56: up to `limit` blobs to delete: unfinished ones created before `before`, and complete ones
   * with no reference completed before `before`. Oldest first.
   */
  expiredBlobs(before: number, limit: number): Promise<string[]>;
  /**
   * Deletes the blob's row if it has no reference (a reference made meanwhile keeps it); and with
   * `onlyIfExpiredBefore`, only if it still is a candidate of `expiredBlobs(before)`. Returns whether
   * it was deleted: only then may its bytes be removed.
   */
  deleteBlob(blobId: string, onlyIfExpiredBefore?: number): Promise<boolean>;
}
