import { ParleyError, isErrorCode, type Attachment } from '@parley/protocol';
import { NetworkError } from '../errors.ts';
import { base64ToBytes } from '../encoding.ts';
import { ChunkLayout, ChunkOpener, importFileKey, nodeGcm, type GcmEngine } from './file-crypto.ts';
import type { StreamResponse } from './node-get.ts';
import { CipherTrim, PlainWindow } from './read-window.ts';
import { newSha256 } from './sha256.ts';

/** How many network pieces may be opening at once. */
const OPEN_AHEAD = 8;
/** Ciphertext from which a read goes through `stream` where there is one (a seek's few chunks keep fetch's pooled connections). */
const STREAM_MIN_BYTES = 4 * 1024 * 1024;

/**
 * GETs a blob (R55) as this device: `range` is an inclusive byte range of the ciphertext, or the
 * whole blob without one. Resolves with the response whatever its status.
 */
export type BlobGet = (blobId: string, range: { start: number; end: number } | undefined, signal?: AbortSignal) => Promise<Response>;

/**
 * Node: the same GET through a lean reader (node-get.ts) that hands the body over piece by piece in
 * one reused buffer; rejects with `Unsupported` for a response it does not read (then fetch is used).
 */
export type BlobStream = (blobId: string, range: { start: number; end: number } | undefined, signal?: AbortSignal, readBuffer?: () => Uint8Array) => Promise<StreamResponse>;

export interface ReadOptions {
  /** Plaintext [start, end); default the whole file, which is then checked against its sha256 too. */
  start?: number;
  end?: number;
  signal?: AbortSignal;
  /** Plaintext bytes yielded so far, and how many will come. */
  onProgress?: (received: number, total: number) => void;
  /** Which AES-GCM opens the chunks (default `auto`: Node's own in Node, Web Crypto in browsers). */
  engine?: GcmEngine;
  /** Node: a lean GET for reads of STREAM_MIN_BYTES or more (the SDK's own client passes one). */
  stream?: BlobStream;
}

/**
 * Reads an attachment's plaintext (R52/R55): fetches only the chunks that hold the range asked for,
 * opens each as it completes (its tag is its check) and yields the plaintext in order. A whole-file
 * read also hashes the ciphertext and fails as `file_damaged` at the end when it does not match
 * `sha256`; whoever writes what this yields must drop it then (downloadAttachmentTo writes to a
 * temporary name and renames only after the check).
 */
export async function* readAttachment(att: Attachment, get: BlobGet, opts: ReadOptions = {}): AsyncGenerator<Uint8Array> {
  const layout = new ChunkLayout(att.size, att.chunkBytes);
  const whole = opts.start === undefined && opts.end === undefined;
  const start = opts.start ?? 0;
  const end = opts.end ?? att.size;
  const span = layout.cipherRangeFor(start, end);
  const total = end - start;
  const key = await importFileKey(base64ToBytes(att.key));
  const gcm = await nodeGcm(key, opts.engine);
  if (gcm && opts.stream && span.end - span.start >= STREAM_MIN_BYTES) {
    // Node only: its own module, so the web client's chat screen does not carry it.
    const { readStreamed } = await import('./download-stream.ts');
    if (yield* readStreamed(att, opts.stream, gcm, { layout, span, whole, start, end }, opts)) return;
  }
  const response = await get(att.blobId, whole ? undefined : { start: span.start, end: span.end - 1 }, opts.signal);
  if (response.status !== 200 && response.status !== 206) throw await errorOf(response);
  const body = response.body;
  if (!body) throw new ParleyError('file_damaged', 'the server sent no body');
  // A server that ignored the Range header sent everything: skip to the chunks asked for.
  const trim = new CipherTrim(response.status, span, whole);
  const hash = whole ? await newSha256() : undefined;
  // Node: pieces are opened where they lie, at once (no thread pool to keep busy).
  const native = gcm?.opener(layout, span.first, span.last);
  const opener = native ? undefined : new ChunkOpener(key, layout, span.first, span.last);
  const wanted = new PlainWindow(layout.plainSpan(span.first).start, start, end);
  let received = 0;
  const opening: Promise<Uint8Array[]>[] = [];
  function* emit(plains: Uint8Array[]): Generator<Uint8Array> {
    for (const plain of plains) {
      const piece = wanted.cut(plain);
      if (!piece) continue;
      received += piece.length;
      opts.onProgress?.(received, total);
      yield piece;
    }
  }
  const reader = body.getReader();
  let drained = false;
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        throw new NetworkError(`download of ${att.blobId} broke off: ${(err as Error).message}`);
      }
      if (next.done) {
        drained = true;
        break;
      }
      const bytes = trim.take(next.value);
      hash?.update(bytes);
      if (native) {
        yield* emit(native.push(bytes));
        if (trim.done) break;
        continue;
      }
      // Chunks are opened several at once (Web Crypto works in parallel) and yielded in order.
      const opened = opener!.push(bytes);
      opened.catch(() => undefined); // surfaces when its turn comes, not as an unhandled rejection before
      opening.push(opened);
      if (opening.length >= OPEN_AHEAD) yield* emit(await opening.shift()!);
      if (trim.done) break;
    }
    while (opening.length > 0) yield* emit(await opening.shift()!);
    (native ?? opener!).end();
    if (hash && hash.hex() !== att.sha256.toLowerCase()) throw new ParleyError('file_damaged', 'the file does not match its hash');
  } finally {
    // Stopped early (a failure, enough bytes, the caller broke off): the rest is not wanted.
    if (!drained) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** All of an iterator's bytes in one array. */
export async function collect(chunks: AsyncIterable<Uint8Array>, size?: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of chunks) {
    parts.push(c);
    n += c.length;
  }
  const out = new Uint8Array(size ?? n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A non-2xx response as the ParleyError its body names (R55: `blob_not_found`, `auth_required`…). */
export async function errorOf(response: Response): Promise<ParleyError> {
  let code: unknown;
  let message: unknown;
  try {
    const json = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    code = json.error?.code;
    message = json.error?.message;
  } catch {
    // not JSON: the status alone says it
  }
  if (isErrorCode(code)) return new ParleyError(code, typeof message === 'string' ? message : `HTTP ${response.status}`);
  if (response.status === 404) return new ParleyError('blob_not_found', 'no such file');
  if (response.status === 401) return new ParleyError('auth_required', 'not signed in');
  if (response.status === 416) return new ParleyError('file_damaged', 'the file is shorter than it should be');
  return new ParleyError('internal', `HTTP ${response.status}`);
}
