import { Readable } from 'node:stream';
import { DeleteObjectsCommand, GetObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { S3Store, type MetadataValue } from '@tus/s3-store';
import { MemoryKvStore } from '@tus/utils';
import type { BlobStoreConfig } from '../config.ts';
import { BlobMissing, isTusNotFound, type BlobBytes } from './blob-bytes.ts';

type S3Config = Extract<BlobStoreConfig, { kind: 's3' }>;

/**
 * Blobs in an S3-compatible bucket, for clusters (every node reaches the same bytes). Uploads go
 * through @tus/s3-store as multipart uploads (`<id>` is the object, `<id>.info` the tus state, `<id>.part`
 * a part still being filled); downloads are ranged GetObjects streamed through.
 */
export class S3BlobBytes implements BlobBytes {
  readonly dataStore: S3Store;
  readonly #client: S3Client;
  readonly #bucket: string;
  /** The store's cache of tus state (per node: it never changes after creation), cleared on removal. */
  readonly #cache = new MemoryKvStore<MetadataValue>();

  constructor(config: S3Config) {
    const clientConfig: S3ClientConfig = {
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      // The SDK's default (since 2025) sends streamed bodies aws-chunked with a CRC trailer, which many
      // S3-compatible services do not decode (they store the chunk framing as data): checksums only
      // where S3 requires them. Each part still carries its Content-MD5/ETag check.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
      ...(config.credentials !== undefined ? { credentials: config.credentials } : {}),
    };
    this.#bucket = config.bucket;
    this.#client = new S3Client(clientConfig);
    // No object tags: expiry is Parley's sweep (R56), which needs no bucket lifecycle rule.
    this.dataStore = new S3Store({ partSize: config.partBytes, useTags: false, cache: this.#cache, s3ClientConfig: { bucket: config.bucket, ...clientConfig } });
  }

  async read(blobId: string, start: number, end: number): Promise<Readable> {
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: blobId, Range: `bytes=${start}-${end}` }));
      if (!(out.Body instanceof Readable)) throw new Error('S3 GetObject: the body is not a Node stream');
      return out.Body;
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound' || name === 'InvalidRange' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
        throw new BlobMissing(blobId);
      }
      throw err;
    }
  }

  async offset(blobId: string): Promise<number | undefined> {
    try {
      return (await this.dataStore.getUpload(blobId)).offset;
    } catch (err) {
      if (isTusNotFound(err) || (err as { name?: string }).name === 'NoSuchKey' || (err as { name?: string }).name === 'NotFound') return undefined;
      throw err;
    }
  }

  async remove(blobId: string): Promise<void> {
    try {
      await this.dataStore.remove(blobId);
      return;
    } catch (err) {
      // @tus/s3-store gives up when the multipart upload is gone, which it is once the blob is
      // complete: the objects are deleted here instead.
      if (!isTusNotFound(err)) throw err;
    }
    await this.#client.send(new DeleteObjectsCommand({
      Bucket: this.#bucket,
      Delete: { Objects: [{ Key: blobId }, { Key: `${blobId}.info` }, { Key: `${blobId}.part` }], Quiet: true },
    }));
    await this.#cache.delete(blobId);
  }

  close(): void {
    this.#client.destroy();
  }
}
