import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { BotApiError, NOT_FOUND, UNAUTHORIZED, badRequest } from './bot-api-error.ts';
import { Params } from './params.ts';

/** R94: the largest request body the gateway reads (no files in this slice: text methods only). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface BotApiServerOptions {
  token: string;
  /** False once the bot's device was signed out (its token rotated or revoked): every call is 401. */
  authorized(): boolean;
  methods: ReadonlyMap<string, (p: Params, signal: AbortSignal) => Promise<unknown>>;
  onError(err: unknown, method: string): void;
  /** R109: other paths (the Max Bot API facade); false when it does not take the request: Telegram's 404. */
  other?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
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
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) {
      if (!(await opts.other?.(req, res, url))) send(res, NOT_FOUND());
      return;
    }
    const given = Buffer.from(decodeURIComponent(match[1]!));
    if (given.length !== expected.length || !timingSafeEqual(given, expected) || !opts.authorized()) return send(res, UNAUTHORIZED());
    const name = match[2]!.toLowerCase();
    const method = opts.methods.get(name);
    if (!method) return send(res, NOT_FOUND());
    const aborted = new AbortController();
    res.on('close', () => aborted.abort());
    try {
      const params = await readParams(req, url);
      const result = await method(params, aborted.signal);
      if (!res.headersSent && !res.destroyed) sendJson(res, 200, { ok: true, result });
    } catch (err) {
      if (err instanceof BotApiError) return send(res, err);
      opts.onError(err, name);
      send(res, new BotApiError(500, 'Internal Server Error'));
    }
  }
}

async function readParams(req: IncomingMessage, url: URL): Promise<Params> {
  const fields: Record<string, unknown> = Object.fromEntries(url.searchParams);
  if (req.method === 'GET' || req.method === 'HEAD') return new Params(fields);
  const body = await readBody(req);
  const type = (req.headers['content-type'] ?? '').toLowerCase();
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
  if (type.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await new Request('http://gateway/', { method: 'POST', headers: { 'content-type': req.headers['content-type']! }, body: new Uint8Array(body) }).formData();
    } catch {
      throw badRequest('can\'t parse multipart body');
    }
    for (const [key, value] of form) {
      if (typeof value !== 'string') throw badRequest('files are not supported by the Parley gateway yet (docs/BOTS.md)');
      fields[key] = value;
    }
    return new Params(fields);
  }
  throw badRequest(`unsupported content type ${type || '(none)'}`);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BotApiError(413, 'Request Entity Too Large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
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
