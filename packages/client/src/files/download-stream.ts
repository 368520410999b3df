import { ParleyError, type Attachment } from '@parley/protocol';
import { errorOf, type BlobStream, type ReadOptions } from './download.ts';
import type { ChunkLayout } from './file-crypto.ts';
import type { HashRing } from './hash-worker.ts';
import type { NodeGcm } from './node-gcm.ts';
import type { StreamResponse } from './node-get.ts';
import { CipherTrim, PlainWindow } from './read-window.ts';
import { newSha256 } from './sha256.ts';

// readAttachment's Node path for large reads (download.ts loads it when it has a `stream`): the GET
// through node-get.ts, each network piece hashed and opened in the buffer it landed in.

/** Node: a whole read of this much ciphertext or more hashes on a worker thread (hash-worker.ts). */
const WORKER_HASH_MIN_BYTES = 32 * 1024 * 1024;
/** Opened plaintext a streamed read holds for its consumer before it stops reading the socket. */
const QUEUE_HIGH_BYTES = 8 * 1024 * 1024;
const QUEUE_LOW_BYTES = 2 * 1024 * 1024;

/** What readAttachment worked out: the layout, the chunks and the plaintext range wanted. */
interface Read {
  layout: ChunkLayout;
  span: { first: number; last: number; start: number; end: number };
  whole: boolean;
  start: number;
  end: number;
}

/**
 * Yields the read's plaintext through `stream`; returns false, having yielded nothing, when the
 * lean reader does not read this response (a redirect, an encoded body: the caller uses fetch).
 */
export async function* readStreamed(att: Attachment, stream: BlobStream, gcm: NodeGcm, r: Read, opts: ReadOptions): AsyncGenerator<Uint8Array, boolean> {
  const hashing = r.whole && r.layout.cipherSize >= WORKER_HASH_MIN_BYTES ? await import('./hash-worker.ts') : undefined;
  const worker = await hashing?.WorkerSha256.start();
  const ring = worker ? new hashing!.HashRing(worker) : undefined;
  try {
    const response = await stream(att.blobId, r.whole ? undefined : { start: r.span.start, end: r.span.end - 1 }, opts.signal, ring?.buffer).catch((err: unknown) => {
      if ((err as Error).name === 'Unsupported') return undefined;
      throw err;
    });
    if (!response) return false;
    yield* readFrom(att, response, gcm, ring, r, opts);
    return true;
  } finally {
    worker?.close();
  }
}

/**
 * readAttachment through a StreamResponse: each network piece is hashed and opened while it lies in
 * the reader's buffer (Node's cipher copies what it reads), in the socket's callback; the opened
 * plaintext waits in a queue for the consumer, and the socket pauses while the queue is full.
 */
async function* readFrom(
  att: Attachment, response: StreamResponse, gcm: NodeGcm, ring: HashRing | undefined, r: Read, opts: ReadOptions,
): AsyncGenerator<Uint8Array> {
  try {
    if (response.status !== 200 && response.status !== 206) throw await errorOf(await response.toResponse());
    const trim = new CipherTrim(response.status, r.span, r.whole);
    // The hash on the ring's worker (each read hashed in the slot it landed in), else here.
    const hash = r.whole && !ring ? await newSha256() : undefined;
    const opener = gcm.opener(r.layout, r.span.first, r.span.last);
    const wanted = new PlainWindow(r.layout.plainSpan(r.span.first).start, r.start, r.end);
    const queue: Uint8Array[] = [];
    let queued = 0;
    let paused = false;
    let wake: (() => void) | undefined;
    let ended = false;
    let failure: { err: unknown } | undefined;
    const body = response.body((piece) => {
      piece = trim.take(piece);
      hash?.update(piece);
      if (r.whole) ring?.update(piece);
      for (const plain of opener.push(piece)) {
        const part = wanted.cut(plain);
        if (!part) continue;
        queue.push(part);
        queued += part.length;
      }
      wake?.();
      if (trim.done) response.close(); // a server that ignored Range: the rest is not wanted
      if (canRead()) return true;
      paused = true;
      return false;
    });
    function canRead(): boolean {
      return queued < QUEUE_HIGH_BYTES && (ring?.roomy() ?? true);
    }
    if (ring) {
      ring.onFree = () => {
        if (paused && queued <= QUEUE_LOW_BYTES && ring.roomy()) {
          paused = false;
          response.resume();
        }
      };
    }
    body.then(() => { ended = true; wake?.(); }, (err: unknown) => { failure = { err }; wake?.(); });
    let received = 0;
    const total = r.end - r.start;
    for (;;) {
      const piece = queue.shift();
      if (piece) {
        queued -= piece.length;
        if (paused && queued <= QUEUE_LOW_BYTES && (ring?.roomy() ?? true)) {
          paused = false;
          response.resume();
        }
        received += piece.length;
        opts.onProgress?.(received, total);
        yield piece;
        continue;
      }
      if (failure) throw failure.err;
      if (ended) break;
      await new Promise<void>((resolve) => { wake = resolve; });
      wake = undefined;
    }
    opener.end();
    const hex = hash ? hash.hex() : r.whole ? await ring?.hash.hex() : undefined;
    if (hex !== undefined && hex !== att.sha256.toLowerCase()) throw new ParleyError('file_damaged', 'the file does not match its hash');
  } finally {
    response.close(); // stopped early (a failure, the caller broke off): the rest is not wanted
  }
}

