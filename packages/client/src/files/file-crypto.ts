import { FILE_CHUNK_TAG_BYTES, ParleyError, chunkCount, cipherSize } from '@parley/protocol';
import { toHex } from './file-crypto-hex.ts';
import type { WorkerSha256 } from './hash-worker.ts';
import type { NodeGcm } from './node-gcm.ts';
import { newSha256, type Sha256 } from './sha256.ts';
import { isNode } from './sources.ts';

export { toHex };

/**
 * R52: a file's encryption. Chunk i (from 0) of `chunkBytes` plaintext bytes is sealed with
 * AES-256-GCM under the file's key, nonce `uint32be(0) || uint56be(i) || last`, no associated data;
 * the blob is the sealed chunks one after the other. Encryption is deterministic given the key, so
 * any byte range of the ciphertext can be made again (after a restart, for a tus resume) from the
 * plaintext alone.
 */

export const FILE_KEY_BYTES = 32;
const GCM = 'AES-GCM';

/** A fresh random file key (raw bytes). */
export function newFileKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(FILE_KEY_BYTES));
}

/** Imports a raw 32-byte file key for Web Crypto (not extractable). */
export async function importFileKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== FILE_KEY_BYTES) throw new ParleyError('file_damaged', 'a file key is 32 bytes');
  return crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, GCM, false, ['encrypt', 'decrypt']);
}

/** R52: the 12-byte nonce of chunk `index`; `last` marks the final chunk. */
export function chunkNonce(index: number, last: boolean): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`bad chunk index ${index}`);
  const nonce = new Uint8Array(12);
  let rest = index;
  for (let b = 10; b >= 4; b--) {
    nonce[b] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/**
 * Which AES-GCM seals and opens chunks: `auto` is Node's own (node-gcm.ts) where the SDK runs in
 * Node and Web Crypto elsewhere; `web` is Web Crypto everywhere (tests of the browsers' path).
 * Both make the same bytes.
 */
export type GcmEngine = 'auto' | 'web';

/** Node's cipher for this key, or undefined where Web Crypto does the work. */
export async function nodeGcm(key: CryptoKey, engine: GcmEngine = 'auto'): Promise<NodeGcm | undefined> {
  if (engine === 'web' || !isNode) return undefined;
  return (await import('./node-gcm.ts')).NodeGcm.of(key);
}

/** Seals plaintext chunk `index` (at most chunkBytes long; only the last chunk may be shorter). */
export async function encryptChunk(key: CryptoKey, index: number, last: boolean, plain: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.encrypt({ name: GCM, iv: chunkNonce(index, last) }, key, plain as Uint8Array<ArrayBuffer>));
}

/** Opens sealed chunk `index`; anything altered, moved, repeated or cut fails as `file_damaged`. */
export async function decryptChunk(key: CryptoKey, index: number, last: boolean, sealed: Uint8Array): Promise<Uint8Array> {
  if (sealed.length < FILE_CHUNK_TAG_BYTES) throw new ParleyError('file_damaged', `chunk ${index} is cut short`);
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: GCM, iv: chunkNonce(index, last) }, key, sealed as Uint8Array<ArrayBuffer>));
  } catch {
    throw new ParleyError('file_damaged', `chunk ${index} failed its check`);
  }
}

/** The shape of one file's ciphertext: where each chunk sits in the plaintext and in the blob. */
export class ChunkLayout {
  readonly size: number;
  readonly chunkBytes: number;
  readonly chunks: number;
  readonly cipherSize: number;

  constructor(size: number, chunkBytes: number) {
    this.size = size;
    this.chunkBytes = chunkBytes;
    this.chunks = chunkCount(size, chunkBytes);
    this.cipherSize = cipherSize(size, chunkBytes);
  }

  isLast(index: number): boolean {
    return index === this.chunks - 1;
  }

  /** Plaintext [start, end) of chunk `index`. */
  plainSpan(index: number): { start: number; end: number } {
    const start = index * this.chunkBytes;
    return { start, end: Math.min(start + this.chunkBytes, this.size) };
  }

  /** Ciphertext [start, end) of chunk `index`. */
  cipherSpan(index: number): { start: number; end: number } {
    const start = index * (this.chunkBytes + FILE_CHUNK_TAG_BYTES);
    const plain = this.plainSpan(index);
    return { start, end: start + (plain.end - plain.start) + FILE_CHUNK_TAG_BYTES };
  }

  /** The chunk holding ciphertext byte `offset`. */
  chunkAtCipher(offset: number): number {
    return Math.min(this.chunks - 1, Math.floor(offset / (this.chunkBytes + FILE_CHUNK_TAG_BYTES)));
  }

  /**
   * The chunks, and the ciphertext range they fill, that hold plaintext [start, end): what a Range
   * request asks for to read part of a file. An empty range still reads one chunk (its tag is the check).
   */
  cipherRangeFor(start: number, end: number): { first: number; last: number; start: number; end: number } {
    if (!(start >= 0 && end >= start && end <= this.size)) throw new RangeError(`range [${start}, ${end}) outside 0..${this.size}`);
    const first = Math.min(this.chunks - 1, Math.floor(start / this.chunkBytes));
    const last = end > start ? Math.floor((end - 1) / this.chunkBytes) : first;
    return { first, last, start: this.cipherSpan(first).start, end: this.cipherSpan(last).end };
  }
}

/** Where a file's plaintext comes from: a Blob in the browser, a file on disk in Node. */
export interface PlainSource {
  readonly size: number;
  /**
   * Plaintext [start, end). A source that can fills `into` (at least end - start long) and returns
   * it trimmed, so a reader can use one buffer over and over instead of a new one per range.
   */
  read(start: number, end: number, into?: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Buffers a CipherReader lends in turn (readPieces `lent`): the one on the wire, the next one, one spare. */
const LENT_BUFFERS = 3;

/**
 * Node seals and hashes on the thread that also feeds the PATCH's socket: it lets the socket have
 * its turn after every STEP_CHUNKS chunks and HASH_STEP_BYTES hashed, so the request keeps flowing
 * while the next PATCH is made (one 16 MiB range at once held the socket dry for tens of ms).
 */
const STEP_CHUNKS = 16;
const HASH_STEP_BYTES = 1024 * 1024;

/** One turn of Node's event loop (I/O callbacks run); nothing where there is no setImmediate. */
function breathe(): Promise<void> | undefined {
  return typeof setImmediate === 'function' ? new Promise((resolve) => setImmediate(resolve)) : undefined;
}

/** Node: from this ciphertext size on the hash runs on a worker thread (hash-worker.ts; starting one costs ~30 ms). */
const WORKER_HASH_MIN_BYTES = 32 * 1024 * 1024;

/** How many chunks are sealed at once (Web Crypto runs them in parallel where it can). */
const PARALLEL_CHUNKS = 8;

/**
 * Produces any byte range of a file's ciphertext from its plaintext, and hashes the ciphertext in
 * order as it goes (R52 `sha256`). Ranges may repeat or go back (a retried PATCH): each byte is
 * hashed once; a range that starts past what is hashed (a resume after a restart) first hashes the
 * gap, re-encrypting it locally without sending it.
 */
export class CipherReader {
  readonly layout: ChunkLayout;
  readonly #key: CryptoKey;
  readonly #source: PlainSource;
  #hash: Promise<Sha256> | undefined;
  #hashedTo = 0;
  /**
   * The plaintext of the range being sealed, one buffer for every range (ranges are produced one
   * at a time, and encrypt() copies its input when called): a new 16 MiB buffer per PATCH was most
   * of the garbage of an upload, and each batch of it cost the process a full garbage collection.
   */
  #scratch: Uint8Array | undefined;
  readonly #gcm: Promise<NodeGcm | undefined>;

  constructor(key: CryptoKey, source: PlainSource, chunkBytes: number, engine: GcmEngine = 'auto') {
    this.#key = key;
    this.#source = source;
    this.layout = new ChunkLayout(source.size, chunkBytes);
    this.#gcm = nodeGcm(key, engine);
    this.#gcm.catch(() => undefined); // its error, if any, comes with the first read
  }

  get hashedTo(): number {
    return this.#hashedTo;
  }

  /** Ciphertext bytes [start, end). Calls run one after the other (the hash sees each byte once, in order). */
  async read(start: number, end: number): Promise<Uint8Array> {
    return concat(await this.readPieces(start, end));
  }

  /**
   * The same bytes as `read`, as the sealed chunks (trimmed at the ends): no copy into one buffer.
   * `lent`: in Node the bytes may sit in one of LENT_BUFFERS buffers the reader keeps and fills
   * again LENT_BUFFERS lent reads later, for a caller done with them by then (tus: a PATCH is over
   * before the one after the next is read). A fresh 16 MiB buffer per PATCH was half of an upload's
   * garbage, and each ~32 MB of it cost the process a full collection.
   */
  readPieces(start: number, end: number, opts: { lent?: boolean } = {}): Promise<Uint8Array[]> {
    const run = this.#queue.then(() => this.#read(start, end, opts.lent ?? false));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #queue: Promise<unknown> = Promise.resolve();

  async #read(start: number, end: number, lent: boolean): Promise<Uint8Array[]> {
    end = Math.min(end, this.layout.cipherSize);
    if (start >= end) return [];
    if (start > this.#hashedTo) await this.#hashUpTo(start);
    const pieces = await this.#produce(start, end, lent);
    if (end > this.#hashedTo && start <= this.#hashedTo) {
      const worker = await this.#hashWorker();
      const hash = worker ? undefined : await this.#hasher();
      let at = start;
      for (const piece of pieces) {
        if (worker) {
          // Hashed beside the next PATCH's sealing; a lent buffer is lent again only once hashed.
          const from = Math.max(0, this.#hashedTo - at);
          if (from < piece.length) {
            const done = worker.update(piece.subarray(from)).catch(() => undefined); // a failure comes with digest()
            if (lent) this.#lentBusy[this.#lentAt] = done;
          }
          at += piece.length;
          continue;
        }
        for (let from = Math.max(0, this.#hashedTo - at); from < piece.length; from += HASH_STEP_BYTES) {
          hash!.update(piece.subarray(from, from + HASH_STEP_BYTES));
          if (from + HASH_STEP_BYTES < piece.length) await breathe();
        }
        at += piece.length;
      }
      this.#hashedTo = end;
    }
    return pieces;
  }

  /** SHA-256 (hex) of the whole ciphertext; hashes what is left first. */
  digest(): Promise<string> {
    const run = this.#queue.then(async () => {
      await this.#hashUpTo(this.layout.cipherSize);
      const worker = await this.#hashWorker();
      return worker ? worker.hex() : (await this.#hasher()).hex();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #hasher(): Promise<Sha256> {
    return (this.#hash ??= newSha256());
  }

  /** Node, a large file: the worker that hashes it (decided once, so every byte goes to one hash). */
  #hashWorker(): Promise<WorkerSha256 | undefined> {
    return (this.#worker ??= (async () => {
      if (!(await this.#gcm) || this.layout.cipherSize < WORKER_HASH_MIN_BYTES) return undefined;
      return (await import('./hash-worker.ts')).WorkerSha256.start();
    })());
  }

  #worker: Promise<WorkerSha256 | undefined> | undefined;

  close(): Promise<void> {
    void this.#worker?.then((w) => w?.close());
    return this.#source.close();
  }

  async #hashUpTo(target: number): Promise<void> {
    const step = 8 * 1024 * 1024;
    while (this.#hashedTo < target) {
      const end = Math.min(target, this.#hashedTo + step);
      const worker = await this.#hashWorker();
      for (const piece of await this.#produce(this.#hashedTo, end, false)) {
        if (worker) void worker.update(piece).catch(() => undefined); // copied at once; a failure comes with digest()
        else (await this.#hasher()).update(piece);
      }
      this.#hashedTo = end;
    }
  }

  readonly #lentBuffers: Uint8Array[] = [];
  #lentNext = 0;
  /** Which lent buffer the last lent read filled, and the hash of each still reading it (worker). */
  #lentAt = 0;
  readonly #lentBusy: (Promise<void> | undefined)[] = [];

  /** The next of the lent buffers, at least `length` long (shared memory where a worker hashes it). */
  async #lend(length: number): Promise<Uint8Array> {
    const at = this.#lentNext;
    this.#lentNext = (at + 1) % LENT_BUFFERS;
    this.#lentAt = at;
    await this.#lentBusy[at];
    const kept = this.#lentBuffers[at];
    if (kept && kept.length >= length) return kept.subarray(0, length);
    const fresh = (await this.#hashWorker()) ? new Uint8Array(new SharedArrayBuffer(length)) : new Uint8Array(length);
    this.#lentBuffers[at] = fresh;
    return fresh;
  }

  /** The sealed chunks holding ciphertext [start, end), the first and last trimmed to it. */
  async #produce(start: number, end: number, lent: boolean): Promise<Uint8Array[]> {
    const L = this.layout;
    const first = L.chunkAtCipher(start);
    const last = L.chunkAtCipher(end - 1);
    const base = L.plainSpan(first).start;
    const plainEnd = L.plainSpan(last).end;
    if (!this.#scratch || this.#scratch.length < plainEnd - base) this.#scratch = new Uint8Array(plainEnd - base);
    const plain = await this.#source.read(base, plainEnd, this.#scratch);
    const head = start - L.cipherSpan(first).start;
    const gcm = await this.#gcm;
    if (gcm) {
      // Node: sealed straight into one buffer of the range, no piece per chunk.
      const length = L.cipherSpan(last).end - L.cipherSpan(first).start;
      const out = lent ? await this.#lend(length) : new Uint8Array(length);
      const outBase = L.cipherSpan(first).start;
      for (let i = first; i <= last; i += STEP_CHUNKS) {
        const upTo = Math.min(last, i + STEP_CHUNKS - 1);
        gcm.sealInto(L, i, upTo, plain.subarray(L.plainSpan(i).start - base), out.subarray(L.cipherSpan(i).start - outBase));
        if (upTo < last) await breathe();
      }
      return [out.subarray(head, head + end - start)];
    }
    const pieces: Uint8Array[] = [];
    for (let i = first; i <= last; i += PARALLEL_CHUNKS) {
      const upTo = Math.min(last, i + PARALLEL_CHUNKS - 1);
      pieces.push(...await Promise.all(Array.from({ length: upTo - i + 1 }, (_, k) => {
        const span = L.plainSpan(i + k);
        return encryptChunk(this.#key, i + k, L.isLast(i + k), plain.subarray(span.start - base, span.end - base));
      })));
    }
    const tail = L.cipherSpan(last).end - end;
    if (tail > 0) pieces[pieces.length - 1] = pieces.at(-1)!.subarray(0, pieces.at(-1)!.length - tail);
    if (head > 0) pieces[0] = pieces[0]!.subarray(head);
    return pieces;
  }
}

/** One buffer of all the pieces. */
export function concat(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Opens a stream of ciphertext bytes starting at chunk `first`, chunk by chunk: feed it bytes as they
 * arrive, take the plaintext of every complete chunk. `end()` checks the last chunk is complete.
 */
export class ChunkOpener {
  readonly #key: CryptoKey;
  readonly #layout: ChunkLayout;
  #index: number;
  readonly #lastIndex: number;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;

  constructor(key: CryptoKey, layout: ChunkLayout, first: number, last: number) {
    this.#key = key;
    this.#layout = layout;
    this.#index = first;
    this.#lastIndex = last;
  }

  /** Plaintext of the chunks these bytes complete (in order). */
  async push(bytes: Uint8Array): Promise<Uint8Array[]> {
    if (bytes.length === 0) return [];
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    const sealedChunks: { index: number; bytes: Uint8Array }[] = [];
    for (;;) {
      if (this.#index > this.#lastIndex) {
        if (this.#pendingBytes > 0) throw new ParleyError('file_damaged', 'more bytes than the file has');
        break;
      }
      const span = this.#layout.cipherSpan(this.#index);
      const need = span.end - span.start;
      if (this.#pendingBytes < need) break;
      sealedChunks.push({ index: this.#index, bytes: this.#take(need) });
      this.#index += 1;
    }
    return Promise.all(sealedChunks.map((c) => decryptChunk(this.#key, c.index, this.#layout.isLast(c.index), c.bytes)));
  }

  /** The stream ended: every chunk asked for must have come. */
  end(): void {
    if (this.#index <= this.#lastIndex) throw new ParleyError('file_damaged', `the file ends before chunk ${this.#index}`);
  }

  #take(n: number): Uint8Array {
    this.#pendingBytes -= n;
    const first = this.#pending[0]!;
    // A chunk inside one network piece is opened where it lies (decrypt() copies what it reads).
    if (first.length >= n) {
      if (first.length === n) this.#pending.shift();
      else this.#pending[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.#pending[0]!;
      const take = Math.min(head.length, n - filled);
      out.set(head.subarray(0, take), filled);
      filled += take;
      if (take === head.length) this.#pending.shift();
      else this.#pending[0] = head.subarray(take);
    }
    return out;
  }
}

/** A PlainSource over bytes in memory (tests, small files). */
export function bytesSource(bytes: Uint8Array): PlainSource {
  return { size: bytes.length, read: async (s, e) => bytes.subarray(s, e), close: async () => {} };
}

/** A PlainSource over a Blob (or File): reads only the slices asked for. */
export function blobSource(blob: Blob): PlainSource {
  return { size: blob.size, read: async (s, e) => new Uint8Array(await blob.slice(s, e).arrayBuffer()), close: async () => {} };
}
