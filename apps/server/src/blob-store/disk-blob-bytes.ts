import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FileStore } from '@tus/file-store';
import { BlobMissing, isTusNotFound, type BlobBytes } from './blob-bytes.ts';

/**
 * @tus/file-store makes its folder from its constructor with an unawaited mkdir that throws from its
 * callback when it fails (e.g. the folder's parent was removed meanwhile): an uncaught exception.
 * That step is skipped: its `create` makes the folder before each upload anyway, so a node that
 * never stores a blob (a cluster node on S3, a test) writes nothing.
 */
class PreparedFileStore extends FileStore {}
Object.defineProperty(PreparedFileStore.prototype, 'checkOrCreateDirectory', { value: () => undefined });

/**
 * Blobs as files in one folder (`PARLEY_BLOB_DIR`): `<id>` holds the bytes, `<id>.json` the tus
 * state @tus/file-store keeps (length, offset, creation time; Upload-Metadata never reaches it).
 * For a single node, or nodes that share the folder.
 */
export class DiskBlobBytes implements BlobBytes {
  readonly dataStore: FileStore;
  readonly #dir: string;

  private constructor(dir: string, expirationMs: number) {
    this.#dir = dir;
    this.dataStore = new PreparedFileStore({ directory: dir, expirationPeriodInMilliseconds: expirationMs });
  }

  /** `expirationMs`: tus expiration (Upload-Expires; a PATCH after it is 410). */
  static async open(dir: string, expirationMs = 0): Promise<DiskBlobBytes> {
    return new DiskBlobBytes(dir, expirationMs);
  }

  async read(blobId: string, start: number, end: number): Promise<Readable> {
    const path = join(this.#dir, blobId);
    try {
      const s = await stat(path);
      if (!s.isFile() || end >= s.size) throw new BlobMissing(blobId);
    } catch (err) {
      if (err instanceof BlobMissing || (err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobMissing(blobId);
      throw err;
    }
    return createReadStream(path, { start, end, highWaterMark: 256 * 1024 });
  }

  async offset(blobId: string): Promise<number | undefined> {
    try {
      return (await this.dataStore.getUpload(blobId)).offset;
    } catch (err) {
      if (isTusNotFound(err)) return undefined;
      throw err;
    }
  }

  async remove(blobId: string): Promise<void> {
    try {
      await this.dataStore.remove(blobId);
    } catch (err) {
      if (!isTusNotFound(err)) throw err;
      // The bytes were gone; drop a leftover tus state file too.
      await this.dataStore.configstore.delete(blobId).catch(() => undefined);
    }
  }
}
