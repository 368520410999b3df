import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Server as TusServer } from '@tus/server';
import { API_PREFIX, BLOBS_PATH, ParleyError } from '@parley/protocol';
import { BlobMissing } from '../blob-store/blob-bytes.ts';
import type { Services } from '../services.ts';
import { parseRange } from './byte-range.ts';
import { requireAuth } from './edge.ts';
import { BodyTooLarge, CHECKSUM_ALGORITHMS, ChecksumMismatch, parseChecksum, spoolChecked, type Spooled } from './tus-checksum.ts';

const TUS_PATH = `${API_PREFIX}${BLOBS_PATH}`;
/** Request headers never passed on to tus: Upload-Metadata is dropped so no name or type is ever stored (R53). */
const DROPPED_HEADERS = new Set(['upload-metadata', 'connection', 'transfer-encoding', 'keep-alive']);
/** tus answers with these statuses in its own plain-text body (tus 1.0.0); every other error is Parley's `{error}`. */
const TUS_OWN_STATUSES = new Set([409, 410, 412, 415, 460]);

/**
 * R53-R55 over HTTP: tus 1.0.0 (creation, creation-with-upload, termination, expiration, checksum)
 * under /api/v1/blobs with @tus/server, behind Parley's session auth, ownership and limits; ranged
 * downloads; the caller's storage usage. Request bodies are never parsed nor buffered here: tus
 * streams them into the blob store.
 */
export function blobRoutes(app: FastifyInstance, services: Services, apiPerSec: number, logger: Logger): void {
  const { files, blobBytes } = services;
  const auth = (request: FastifyRequest) => requireAuth(services, request, apiPerSec);
  // Ids for the creations in flight, by the Request handed to tus (tus asks its namingFunction).
  const newIds = new WeakMap<Request, string>();
  const tus = new TusServer({
    path: TUS_PATH,
    datastore: blobBytes.dataStore,
    locker: services.uploadLocker,
    relativeLocation: true,
    maxSize: files.limits.maxBlobBytes,
    // Same origin only: no CORS header at all.
    allowedOrigins: () => false,
    namingFunction: (req) => {
      const id = newIds.get(req as unknown as Request);
      if (id === undefined) throw new Error('tus creation without a Parley blob id');
      return id;
    },
    onUploadFinish: async (_req, upload) => {
      await files.completed(upload.id);
      return {};
    },
    onResponseError: (_req, err) => {
      const status = (err as { status_code?: number }).status_code;
      if (status === undefined || status >= 500) logger.error({ err, part: 'tus' }, 'upload failed in the blob store');
      return undefined;
    },
  });

  /** Hands the request (body streamed, or `body` instead) to tus and relays its answer; maps tus errors outside its own codes to Parley's. */
  const relay = async (request: FastifyRequest, reply: FastifyReply, body?: { stream: Readable; size: number }, replace: Record<string, string> = {}): Promise<FastifyReply> => {
    const idle = guardIdle(request, files.limits.idleTimeoutMs);
    try {
      return await relayToTus(request, reply, body, replace);
    } finally {
      idle();
    }
  };

  const relayToTus = async (request: FastifyRequest, reply: FastifyReply, body: { stream: Readable; size: number } | undefined, replace: Record<string, string>): Promise<FastifyReply> => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || DROPPED_HEADERS.has(name)) continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const hasBody = request.method === 'PATCH' || request.method === 'POST';
    let stream: Readable | undefined;
    if (body) {
      headers.set('content-length', String(body.size));
      stream = body.stream;
    } else if (hasBody) {
      stream = request.raw;
    }
    const init: RequestInit & { duplex?: 'half' } = { method: request.method, headers };
    if (stream) {
      init.body = webBody(stream);
      init.duplex = 'half';
    }
    const webRequest = new Request(`http://parley.invalid${request.url}`, init);
    const id = (request as FastifyRequest & { blobId?: string }).blobId;
    if (id !== undefined) newIds.set(webRequest, id);
    const response = await tus.handleWeb(webRequest);
    const text = await response.text();
    if (response.status >= 400 && !TUS_OWN_STATUSES.has(response.status)) throw tusError(response.status, text);
    for (const [name, value] of response.headers) {
      if (!name.startsWith('access-control-') && name !== 'content-length') void reply.header(name, value);
    }
    void reply.headers(replace);
    return reply.status(response.status).send(text === '' ? undefined : text);
  };

  app.register(async (blobs) => {
    // tus bodies (application/offset+octet-stream, or anything on a bad request) stay unread for tus.
    blobs.removeAllContentTypeParsers();
    blobs.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

    // What this server does of tus: no deferred length (R53), checksums here (tus-checksum.ts).
    const extensions = ['creation', 'creation-with-upload', 'termination', 'checksum', ...(blobBytes.dataStore.getExpiration() > 0 ? ['expiration'] : [])];
    blobs.options(BLOBS_PATH, async (request, reply) => relay(request, reply, undefined, {
      'tus-extension': extensions.join(','), 'tus-checksum-algorithm': CHECKSUM_ALGORITHMS.join(','),
    }));

    // R53 creation: our limits first, then the row, then tus (which writes creation-with-upload bytes, if any).
    blobs.post(BLOBS_PATH, async (request, reply) => {
      const caller = await auth(request);
      if (!hasTusVersion(request)) return tusVersionRequired(reply);
      if (request.headers['upload-defer-length'] !== undefined) throw new ParleyError('bad_request', 'Upload-Defer-Length is not supported: send Upload-Length');
      if (request.headers['upload-concat'] !== undefined) throw new ParleyError('bad_request', 'Upload-Concat is not supported');
      const lengthHeader = request.headers['upload-length'];
      if (typeof lengthHeader !== 'string' || !/^\d{1,16}$/.test(lengthHeader)) throw new ParleyError('bad_request', 'Upload-Length: a number of bytes');
      const row = await files.create(caller, Number(lengthHeader));
      (request as FastifyRequest & { blobId?: string }).blobId = row.blobId;
      try {
        const sent = await relay(request, reply);
        if (reply.statusCode >= 400) await files.discard(row.blobId);
        return sent;
      } catch (err) {
        await files.discard(row.blobId);
        throw err;
      }
    });

    blobs.head(`${BLOBS_PATH}/:blobId`, async (request, reply) => {
      const caller = await auth(request);
      await files.ownUpload(caller, blobIdOf(request));
      return relay(request, reply);
    });

    blobs.patch(`${BLOBS_PATH}/:blobId`, async (request, reply) => {
      const caller = await auth(request);
      const row = await files.ownUpload(caller, blobIdOf(request));
      const checksumHeader = request.headers['upload-checksum'];
      if (checksumHeader === undefined) return relay(request, reply);
      if (!hasTusVersion(request)) return tusVersionRequired(reply);
      const checksum = parseChecksum(String(checksumHeader));
      if (!checksum) throw new ParleyError('bad_request', `Upload-Checksum: one of ${CHECKSUM_ALGORITHMS.join(', ')} and a base64 digest`);
      const offset = Number(request.headers['upload-offset']);
      const stored = await blobBytes.offset(row.blobId);
      // A wrong offset is tus's 409 before any byte is read (tus answers it: the body goes nowhere).
      if (stored === undefined || offset !== stored) return relay(request, reply, { stream: Readable.from([]), size: 0 });
      let spooled: Spooled;
      const idle = guardIdle(request, files.limits.idleTimeoutMs);
      try {
        spooled = await spoolChecked(request.raw, checksum, row.length - stored);
      } catch (err) {
        if (err instanceof ChecksumMismatch) return reply.status(460).header('tus-resumable', '1.0.0').send('Checksum Mismatch\n');
        if (err instanceof BodyTooLarge) throw new ParleyError('file_too_large', 'the body goes past the upload\'s declared length');
        throw err;
      } finally {
        idle();
      }
      try {
        return await relay(request, reply, { stream: createReadStream(spooled.path), size: spooled.size });
      } finally {
        await spooled.dispose();
      }
    });

    // R53 termination, by the uploader only; a blob a message references stays (R56: release it).
    blobs.delete(`${BLOBS_PATH}/:blobId`, async (request, reply) => {
      const caller = await auth(request);
      await files.cancel(caller, blobIdOf(request));
      return reply.status(204).header('tus-resumable', '1.0.0').send();
    });

    // R55 download, streamed, with one Range.
    blobs.get(`${BLOBS_PATH}/:blobId`, { exposeHeadRoute: false }, async (request, reply) => {
      const caller = await auth(request);
      const row = await files.readable(caller, blobIdOf(request));
      void reply.header('content-type', 'application/octet-stream').header('cache-control', 'private, no-store').header('accept-ranges', 'bytes');
      const range = parseRange(typeof request.headers.range === 'string' ? request.headers.range : undefined, row.length);
      if (range === 'unsatisfiable') {
        void reply.header('content-range', `bytes */${row.length}`);
        throw new ParleyError('range_not_satisfiable', `the file has ${row.length} bytes`);
      }
      if (row.length === 0) return reply.status(200).header('content-length', '0').send(Buffer.alloc(0));
      const { start, end } = range === 'whole' ? { start: 0, end: row.length - 1 } : range;
      let stream: Readable;
      try {
        stream = await blobBytes.read(row.blobId, start, end);
      } catch (err) {
        if (err instanceof BlobMissing) {
          logger.warn({ blobId: row.blobId }, 'a blob the database knows is missing from the blob store');
          throw new ParleyError('blob_not_found', 'no such file');
        }
        throw err;
      }
      void reply.header('content-length', String(end - start + 1));
      if (range !== 'whole') void reply.status(206).header('content-range', `bytes ${start}-${end}/${row.length}`);
      return reply.send(stream);
    });
  });

  // R56: what the caller stores, for Settings.
  app.get('/me/storage', async (request) => files.usage(await auth(request)));
}

/**
 * A Node stream as a Web stream for tus, with a 1 MiB queue: `Readable.toWeb` keeps the source's
 * 16 KiB high-water mark, pausing and resuming the socket every few chunks. Backpressure holds:
 * the socket is paused whenever the queue is full, so memory stays bounded per upload.
 */
const WEB_BODY_QUEUE_BYTES = 1024 * 1024;
function webBody(source: Readable): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      source.on('data', (chunk: Buffer) => {
        try {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        } catch {
          source.destroy(); // tus stopped reading (an error, a refused body)
          return;
        }
        if ((controller.desiredSize ?? 0) <= 0) source.pause();
      });
      // A cut request ends the body where it was cut: tus stores everything that arrived (what is
      // still queued here included) and the client resumes from there. Erroring the stream would
      // drop the queue (up to WEB_BODY_QUEUE_BYTES), which the client would then send again.
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        try {
          controller.close();
        } catch {
          // tus cancelled the body already
        }
      };
      source.once('end', end);
      source.once('error', end);
      source.once('close', end);
    },
    pull() {
      source.resume();
    },
    cancel() {
      source.destroy();
    },
  }, { highWaterMark: WEB_BODY_QUEUE_BYTES, size: (chunk) => chunk.byteLength });
}

/**
 * R53: an upload whose client stopped sending (a dead link the socket has not noticed, a closed lid)
 * is closed after `ms` without a byte, so it holds no lock, file or part buffer for longer; what
 * arrived is stored and the client resumes from it. Returns the undo (the socket may serve more
 * requests: keep-alive).
 */
function guardIdle(request: FastifyRequest, ms: number): () => void {
  const socket = request.raw.socket;
  if (ms <= 0 || (request.method !== 'PATCH' && request.method !== 'POST')) return () => undefined;
  const onTimeout = () => socket.destroy();
  socket.setTimeout(ms, onTimeout);
  return () => {
    socket.setTimeout(0);
    socket.off('timeout', onTimeout);
  };
}

function blobIdOf(request: FastifyRequest): string {
  return (request.params as { blobId?: string }).blobId ?? '';
}

/** tus 1.0.0: every request but OPTIONS names the version. */
function hasTusVersion(request: FastifyRequest): boolean {
  return request.headers['tus-resumable'] === '1.0.0';
}

/** tus's own answer to a request without `Tus-Resumable: 1.0.0`, before Parley stores anything. */
function tusVersionRequired(reply: FastifyReply): FastifyReply {
  return reply.status(412).header('tus-resumable', '1.0.0').header('tus-version', '1.0.0').send('Tus-Resumable Required\n');
}

/** A tus error whose status Parley has a code for. */
function tusError(status: number, text: string): ParleyError {
  const message = text.trim().slice(0, 200) || 'upload refused';
  switch (status) {
    case 400:
    case 501: return new ParleyError('bad_request', message); // 501: a tus extension this server does not offer (concatenation)
    case 403: return new ParleyError('forbidden', message);
    case 404: return new ParleyError('blob_not_found', 'no such upload');
    case 413: return new ParleyError('file_too_large', message);
    default: return new ParleyError('internal', 'upload failed');
  }
}
