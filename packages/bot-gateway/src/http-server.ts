import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import busboy from 'busboy';
import { BotApiError, NOT_FOUND, UNAUTHORIZED, badRequest } from './bot-api-error.ts';
import { Params } from './params.ts';

/** R94: the largest request body the gateway reads, but for multipart ones (files: `maxUploadBytes`). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** The largest file a bot uploads by default (Telegram's own limit for bots): `--max-upload-mb`. */
export const DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

export interface BotApiServerOptions {
  token: string;
  /** False once the bot's device was signed out (its token rotated or revoked): every call is 401. */
  authorized(): boolean;
  methods: ReadonlyMap<string, (p: Params, signal: AbortSignal) => Promise<unknown>>;
  onError(err: unknown, method: string): void;
  /** R109: other paths (the Max Bot API facade); false when it does not take the request: Telegram's 404. */
  other?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** A multipart body (files) may be this much larger than MAX_BODY_BYTES; past it, 413 before reading more. */
  maxUploadBytes: number;
  /** `GET /file/bot<token>/<path>`: the file's bytes, or undefined for 404. */
  download(path: string): Promise<{ bytes: Uint8Array; mime: string } | undefined>;
}

/**
 * R94: Telegram's Bot API over HTTP on loopback: `/bot<token>/<method>`, GET or POST, parameters
 * in the query, JSON, form-urlencoded or multipart; every answer the `ok/result` or
 * `ok/error_code/description` envelope with Telegram's status codes.
 */
export function botApiServer(opts: BotApiServerOptions): Server {
  const expected = Buffer.from(opts.token);
  return createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      opts.onError(err, 'request');
      send(res, new BotApiError(500, 'Internal Server Error'));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    const match = file ?? /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) {
      if (!(await opts.other?.(req, res, url))) send(res, NOT_FOUND());
      return;
    }
    const given = Buffer.from(decodeURIComponent(match[1]!));
    if (given.length !== expected.length || !timingSafeEqual(given, expected) || !opts.authorized()) return send(res, UNAUTHORIZED());
    if (file) return sendFile(res, await opts.download(decodeURIComponent(file[2]!)));
    const name = match[2]!.toLowerCase();
    const method = opts.methods.get(name);
    if (!method) return send(res, NOT_FOUND());
    const aborted = new AbortController();
    res.on('close', () => aborted.abort());
    try {
      const params = await readParams(req, url, opts.maxUploadBytes);
      const result = await method(params, aborted.signal);
      if (!res.headersSent && !res.destroyed) sendJson(res, 200, { ok: true, result });
    } catch (err) {
      if (err instanceof BotApiError) return send(res, err);
      opts.onError(err, name);
      send(res, new BotApiError(500, 'Internal Server Error'));
    }
  }
}

async function readParams(req: IncomingMessage, url: URL, maxUploadBytes: number): Promise<Params> {
  const fields: Record<string, unknown> = Object.fromEntries(url.searchParams);
  if (req.method === 'GET' || req.method === 'HEAD') return new Params(fields);
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  const body = await readBody(req, type.startsWith('multipart/form-data') ? MAX_BODY_BYTES + maxUploadBytes : MAX_BODY_BYTES);
  if (body.length === 0) return new Params(fields);
  if (type.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw badRequest('can\'t parse JSON body');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('the JSON body must be an object');
    return new Params({ ...fields, ...(parsed as Record<string, unknown>) });
  }
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return new Params({ ...fields, ...Object.fromEntries(new URLSearchParams(body.toString('utf8'))) });
  }
  if (type.startsWith('multipart/form-data')) return new Params({ ...fields, ...(await readMultipart(req, body, maxUploadBytes)) });
  throw badRequest(`unsupported content type ${type || '(none)'}`);
}

/**
 * A multipart body's fields and files (as File). busboy, since bot libraries write multipart more
 * loosely than the WHATWG parser takes (grammY: no spaces, unquoted file names). At most 10 files and
 * 100 fields; a file over `maxUploadBytes` is 413.
 */
export function readMultipart(req: IncomingMessage, body: Buffer, maxUploadBytes: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const out: Record<string, unknown> = {};
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: maxUploadBytes, fieldSize: MAX_BODY_BYTES, files: 10, fields: 100, parts: 110 } });
    } catch {
      return reject(badRequest('can\'t parse multipart body'));
    }
    let failed: BotApiError | undefined;
    const files: Promise<void>[] = [];
    parser.on('field', (name, value) => { out[name] = value; });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => { failed = new BotApiError(413, 'Request Entity Too Large'); });
      files.push(new Promise((done) => stream.on('close', () => {
        out[name] = new File([Buffer.concat(chunks) as Uint8Array<ArrayBuffer>], info.filename ?? 'file', { type: info.mimeType });
        done();
      })));
    });
    for (const limit of ['partsLimit', 'filesLimit', 'fieldsLimit'] as const) parser.on(limit, () => { failed ??= badRequest('too many parts in the multipart body'); });
    parser.on('error', () => reject(badRequest('can\'t parse multipart body')));
    parser.on('close', () => {
      void Promise.all(files).then(() => (failed ? reject(failed) : resolve(out)));
    });
    parser.end(body);
  });
}

/** The body, up to `max` bytes; past it (or a Content-Length past it) 413, the rest read and dropped. */
export async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const tooLarge = () => {
    req.resume();
    return new BotApiError(413, 'Request Entity Too Large');
  };
  if (Number(req.headers['content-length'] ?? 0) > max) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendFile(res: ServerResponse, file: { bytes: Uint8Array; mime: string } | undefined): void {
  if (!file) return send(res, NOT_FOUND());
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length });
  res.end(file.bytes);
}

function send(res: ServerResponse, err: BotApiError): void {
  sendJson(res, err.code, { ok: false, error_code: err.code, description: err.message, ...(err.parameters ? { parameters: err.parameters } : {}) });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length });
  res.end(bytes);
}
