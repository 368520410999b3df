import { ParleyError, isErrorCode } from '@parley/protocol';
import { Upload, type DetailedError, type HttpRequest } from 'tus-js-client';
import type { CipherReader } from './file-crypto.ts';
import { isNode, nodeModule } from './sources.ts';
import { TUS_CHUNK_BYTES, TUS_RETRY_DELAYS, UploadFailed, type TusEndpoint, type TusRun } from './tus-run.ts';

// Loaded by uploads.ts when a file is first uploaded (import()), so tus-js-client stays out of the
// web client's chat screen until someone sends a file.

/**
 * Uploads one file's ciphertext with tus (R53), creating the upload or resuming `uploadUrl` from the
 * offset its HEAD answers (an upload the server no longer has is created anew). The bytes come from
 * `reader`, which encrypts any range on demand, so nothing is kept but the plaintext source.
 */
export function runTus(reader: CipherReader, ep: TusEndpoint, opts: {
  uploadUrl?: string;
  onUrl(url: string): void;
  onProgress(sent: number, total: number): void;
}): TusRun {
  const size = reader.layout.cipherSize;
  let freshToken = false;
  let upload!: Upload;
  let prefetched: { start: number; end: number; bytes: Promise<Uint8Array[]> } | undefined;
  let toReadable: ((pieces: Uint8Array[]) => object) | undefined;
  const done = new Promise<string>((resolve, reject) => {
    upload = new Upload({ opaque: true } as unknown as Blob, {
      endpoint: ep.endpoint,
      ...(opts.uploadUrl ? { uploadUrl: opts.uploadUrl } : {}),
      uploadSize: size,
      chunkSize: ep.chunkSize ?? TUS_CHUNK_BYTES,
      retryDelays: ep.retryDelays ?? TUS_RETRY_DELAYS,
      // The server learns nothing but the length (R53): no metadata, no fingerprint kept in the browser.
      metadata: {},
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: false,
      fingerprint: async () => 'parley',
      fileReader: {
        openFile: async () => ({
          size,
          slice: async (start: number, end: number) => {
            end = Math.min(end, size);
            // The next PATCH's bytes are encrypted while this one is on the wire.
            // Lent buffers (see readPieces): tus asks for the next slice only once the PATCH before is over.
            const ready = prefetched?.start === start && prefetched.end === end ? prefetched.bytes : reader.readPieces(start, end, { lent: true });
            prefetched = end < size ? { start: end, end: Math.min(size, 2 * end - start), bytes: reader.readPieces(end, Math.min(size, 2 * end - start), { lent: true }) } : undefined;
            prefetched?.bytes.catch(() => undefined); // its error, if any, comes when it is asked for
            const pieces = await ready;
            const length = pieces.reduce((n, p) => n + p.length, 0);
            // The sealed chunks as they are, never copied into one buffer: Node, a stream tus pipes into
            // the request (a Uint8Array it would write in 16 KiB pieces); browsers, a Blob XHR sends.
            const value = toReadable ? toReadable(pieces) : new Blob(pieces as Uint8Array<ArrayBuffer>[]);
            // tus's Node stack sets Content-Length from `size`.
            if (toReadable) Object.defineProperty(value, 'size', { value: length });
            return { value, done: end >= size };
          },
          close: () => undefined,
        }),
      },
      onBeforeRequest: async (req: HttpRequest) => {
        const token = await ep.token(freshToken);
        freshToken = false;
        req.setHeader('Authorization', `Bearer ${token}`);
      },
      onShouldRetry: (err: DetailedError) => {
        const status = err.originalResponse?.getStatus() ?? 0;
        if (status === 401) {
          freshToken = true; // the session ended: sign in again and go on
          return true;
        }
        // tus's own default does not retry while the browser says it is offline; this override keeps that:
        // the upload counts as waiting at once (and resumes when the device is online) instead of after every retry delay.
        if (status === 0 && isOffline()) return false;
        return status === 0 || status >= 500 || status === 409 || status === 423;
      },
      onUploadUrlAvailable: () => {
        if (upload.url) opts.onUrl(upload.url);
      },
      onProgress: (sent: number, total: number) => opts.onProgress(sent, total),
      onSuccess: () => resolve(upload.url ?? ''),
      onError: (err: Error | DetailedError) => reject(failure(err)),
    });
    void (async () => {
      if (isNode) {
        const { Readable } = await nodeModule<typeof import('node:stream')>('node:stream');
        // In views of at most STREAM_PIECE_BYTES (no copy): tus counts progress as pieces pass into
        // the request, so one 16 MiB piece would show the whole PATCH sent before a byte left.
        toReadable = (pieces) => Readable.from(views(pieces), { objectMode: false });
      }
      upload.start();
    })();
  });
  return {
    done,
    abort: (terminate) => upload.abort(terminate),
  };
}

/** The browser knows it has no network (`navigator.onLine`); Node has no such signal and is never "offline" here. */
const isOffline = (): boolean => (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false;

/** Bytes per piece of a PATCH's stream in Node (the request's own pieces are 16-64 KiB). */
const STREAM_PIECE_BYTES = 64 * 1024;

function* views(pieces: Uint8Array[]): Generator<Uint8Array> {
  for (const piece of pieces) {
    for (let at = 0; at < piece.length; at += STREAM_PIECE_BYTES) yield piece.subarray(at, at + STREAM_PIECE_BYTES);
  }
}

/** A tus error as an UploadFailed: the server's code when it said one; retry when it was the network or the server. */
function failure(err: Error | DetailedError): UploadFailed {
  if (err instanceof ParleyError) return new UploadFailed(err.code, false, err.message);
  // Not from a request: the source could not be read (the file was moved or deleted).
  if (!(err as Partial<DetailedError>).originalRequest) return new UploadFailed('file_unreadable', false, err.message);
  const response = (err as DetailedError).originalResponse ?? null;
  const status = response?.getStatus() ?? 0;
  if (!response || status === 0 || status >= 500 || status === 423 || status === 409) {
    return new UploadFailed('network', true, err.message);
  }
  let code: unknown;
  try {
    code = (JSON.parse(response.getBody()) as { error?: { code?: unknown } }).error?.code;
  } catch {
    // not JSON
  }
  // Too many unfinished uploads (another device's, or this one's from before) or too fast: wait, then go on.
  if (isErrorCode(code)) return new UploadFailed(code, code === 'rate_limited' || code === 'too_many_uploads', err.message);
  if (status === 413) return new UploadFailed('file_too_large', false, err.message);
  if (status === 429) return new UploadFailed('rate_limited', true, err.message);
  if (status === 401) return new UploadFailed('auth_required', true, err.message);
  return new UploadFailed('internal', false, err.message);
}

