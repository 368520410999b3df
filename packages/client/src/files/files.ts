import { API_PREFIX, BLOBS_PATH, StorageUsage, type Attachment } from '@parley/protocol';
import { NetworkError } from '../errors.ts';
import type { RestFn } from '../session.ts';
import type { TimelineItem } from '../timeline.ts';
import { collect, readAttachment, type BlobGet, type BlobStream, type ReadOptions } from './download.ts';
import { isNode, nodeModule } from './sources.ts';
import type { MediaFilter, MediaItem } from './types.ts';

export interface FilesDeps {
  baseUrl: string;
  token(fresh: boolean): Promise<string>;
  rest: RestFn;
  /** A chat's timeline as this device holds it (the media view reads from it: nothing is fetched). */
  timeline(chatId: string): readonly TimelineItem[];
}

const WRITE_BATCH_BYTES = 4 * 1024 * 1024;

/** Which attachment kinds each tab of the media view lists. */
const FILTERS: Record<MediaFilter, ReadonlySet<string>> = {
  media: new Set(['image', 'video']),
  files: new Set(['file', 'audio']),
  voice: new Set(['voice']),
};

/** Downloads (R55), the media view and storage use: the reading side of files. */
export class Files {
  readonly #d: FilesDeps;
  readonly endpoint: string;

  constructor(deps: FilesDeps) {
    this.#d = deps;
    this.endpoint = `${deps.baseUrl.replace(/\/+$/, '')}${API_PREFIX}${BLOBS_PATH}`;
  }

  /** GET of a blob as this device; a refused session signs in again once. */
  readonly get: BlobGet = async (blobId, range, signal) => {
    const attempt = async (fresh: boolean) => {
      const headers: Record<string, string> = { authorization: `Bearer ${await this.#d.token(fresh)}` };
      if (range) headers['range'] = `bytes=${range.start}-${range.end}`;
      try {
        return await fetch(`${this.endpoint}/${encodeURIComponent(blobId)}`, { headers, ...(signal ? { signal } : {}) });
      } catch (err) {
        if (signal?.aborted) throw err;
        throw new NetworkError(`cannot reach ${this.#d.baseUrl}: ${(err as Error).message}`);
      }
    };
    const first = await attempt(false);
    if (first.status !== 401) return first;
    await first.body?.cancel().catch(() => undefined);
    return attempt(true);
  };

  /** Node: the same GET through the lean reader (node-get.ts) for large reads; undefined elsewhere. */
  readonly stream: BlobStream | undefined = isNode ? async (blobId, range, signal, readBuffer) => {
    const { streamGet } = await import('./node-get.ts');
    const attempt = async (fresh: boolean) => {
      const headers: Record<string, string> = { authorization: `Bearer ${await this.#d.token(fresh)}` };
      if (range) headers['range'] = `bytes=${range.start}-${range.end}`;
      return streamGet(new URL(`${this.endpoint}/${encodeURIComponent(blobId)}`), headers, signal, readBuffer);
    };
    const first = await attempt(false);
    if (first.status !== 401) return first;
    first.close();
    return attempt(true);
  } : undefined;

  #read(att: Attachment, opts: ReadOptions) {
    return readAttachment(att, this.get, this.stream ? { ...opts, stream: this.stream } : opts);
  }

  /** The whole file, decrypted and checked; a Blob typed with the attachment's mime. */
  async download(att: Attachment, opts: { onProgress?: (received: number, total: number) => void; signal?: AbortSignal } = {}): Promise<Blob> {
    const parts: BlobPart[] = [];
    for await (const piece of this.#read(att, opts)) parts.push(piece as Uint8Array<ArrayBuffer>);
    return new Blob(parts, { type: att.mime });
  }

  /** Plaintext [start, end) through a Range request of only the chunks needed, each checked. */
  readRange(att: Attachment, start: number, end: number, opts: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    return collect(this.#read(att, { start, end, ...opts }), end - start);
  }

  /**
   * Node: streams the file to `path`, memory flat. It is written as `path.part` and renamed only
   * after every chunk and the hash checked, so a damaged file never appears under its name.
   */
  async downloadTo(att: Attachment, path: string, opts: { onProgress?: (received: number, total: number) => void; signal?: AbortSignal; overwrite?: boolean } = {}): Promise<void> {
    const fs = await nodeModule<typeof import('node:fs/promises')>('node:fs/promises');
    const part = `${path}.part`;
    const handle = await fs.open(part, 'w', 0o600);
    try {
      const writer = new BatchWriter(handle, att.size);
      try {
        for await (const piece of this.#read(att, opts)) await writer.push(piece);
        await writer.end();
      } finally {
        await writer.settled(); // no write left running on a handle about to close
      }
      await handle.close();
      if (!opts.overwrite) {
        // link() fails if `path` exists: never replaces a file that appeared meanwhile.
        await fs.link(part, path);
        await fs.unlink(part);
      } else await fs.rename(part, path);
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.unlink(part).catch(() => undefined);
      throw err;
    }
  }

  /**
   * A chat's attachments from this device's own copy, newest first, `limit` (default 50) at a time;
   * `before` is the `next` of the previous page. Files of deleted and still-uploading messages are not listed.
   */
  media(chatId: string, opts: { filter: MediaFilter; before?: string; limit?: number }): { items: MediaItem[]; next?: string } {
    const kinds = FILTERS[opts.filter];
    const all: MediaItem[] = [];
    const items = this.#d.timeline(chatId);
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i]!;
      if (item.deleted || item.seq === null || !item.attachments) continue;
      for (let k = item.attachments.length - 1; k >= 0; k--) {
        const attachment = item.attachments[k]!;
        if (kinds.has(attachment.kind)) all.push({ messageId: item.id, chatId, senderUserId: item.senderUserId, sentAt: item.sentAt, index: k, attachment });
      }
    }
    const from = opts.before === undefined ? 0 : all.findIndex((m) => cursor(m) === opts.before) + 1;
    const limit = Math.max(1, Math.min(opts.limit ?? 50, 500));
    const page = all.slice(from, from + limit);
    const last = page.at(-1);
    return { items: page, ...(last && from + limit < all.length ? { next: cursor(last) } : {}) };
  }

  /** R56: this user's stored bytes, quota and the server's file size limit. */
  async storageUsage(): Promise<StorageUsage> {
    return StorageUsage.parse(await this.#d.rest('GET', '/me/storage'));
  }
}

const cursor = (m: MediaItem) => `${m.messageId}:${m.index}`;

type FileHandle = import('node:fs/promises').FileHandle;

/**
 * Writes a download to a file in batches of WRITE_BATCH_BYTES (one system call each, not one per
 * network piece) through two buffers kept for the whole file: one is filled while the other is
 * written. Copying the pieces lets them die young: held in a batch they outlived the young
 * generation, and each ~32 MB of them then cost the process a full garbage collection.
 */
class BatchWriter {
  readonly #handle: FileHandle;
  readonly #buffers: Uint8Array[];
  #current = 0;
  #filled = 0;
  #writing: Promise<void> = Promise.resolve();

  constructor(handle: FileHandle, size: number) {
    this.#handle = handle;
    const batch = Math.max(1, Math.min(size, WRITE_BATCH_BYTES));
    this.#buffers = [new Uint8Array(batch), new Uint8Array(batch)];
  }

  async push(piece: Uint8Array): Promise<void> {
    let at = 0;
    while (at < piece.length) {
      const buffer = this.#buffers[this.#current]!;
      const take = Math.min(piece.length - at, buffer.length - this.#filled);
      buffer.set(take === piece.length ? piece : piece.subarray(at, at + take), this.#filled);
      this.#filled += take;
      at += take;
      if (this.#filled === buffer.length) await this.#flush();
    }
  }

  /** Writes what is left; resolves once everything is written. */
  async end(): Promise<void> {
    if (this.#filled > 0) await this.#flush();
    await this.#writing;
  }

  /** Resolves when no write is running, whether it failed or not. */
  settled(): Promise<void> {
    return this.#writing.catch(() => undefined);
  }

  async #flush(): Promise<void> {
    await this.#writing; // the other buffer is free again (or its write failed: that error is thrown here)
    const bytes = this.#buffers[this.#current]!.subarray(0, this.#filled);
    this.#writing = this.#writeAll(bytes);
    this.#writing.catch(() => undefined); // its error comes at the next await of it
    this.#current = 1 - this.#current;
    this.#filled = 0;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) at += (await this.#handle.write(bytes, at, bytes.length - at)).bytesWritten;
  }
}
