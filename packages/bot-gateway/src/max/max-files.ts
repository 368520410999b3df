import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Attachment, AttachmentKind } from '@parley/protocol';
import { BotApiError } from '../bot-api-error.ts';
import type { BotFiles, FileUpload } from '../files/bot-files.ts';
import { imageInfo } from '../files/image-info.ts';
import { URL_FETCH_ERRORS, UrlFetchError } from '../files/url-fetch.ts';
import { readBody, readMultipart } from '../http-server.ts';
import { EXT_MIME } from '../telegram-files.ts';
import { MaxError } from './max-error.ts';

type Obj = Record<string, unknown>;

/** Max's upload types (`POST /uploads?type=`), each a Parley attachment kind. */
const TYPES = { image: 'image', video: 'video', audio: 'audio', file: 'file' } as const satisfies Record<string, AttachmentKind>;
export type MaxUploadType = keyof typeof TYPES;
/** A media attachment of an outgoing message: by upload token, or (R163) by URL. */
export interface MaxMedia { type: MaxUploadType; token?: string; url?: string }

/** Uploads the bot made and has not sent yet, at most (the oldest is dropped, its bytes removed). */
export const MAX_PENDING_UPLOADS = 50;
/** Upload tokens already sent, remembered so the bot can send the same file again by its token. */
const SENT_TOKENS_KEPT = 1000;

interface Pending {
  type: MaxUploadType;
  path: string;
  name?: string;
  mime?: string;
  size: number;
  /** A chunked upload's announced size (Content-Range); undefined for a multipart one. */
  total?: number;
  done: boolean;
}

/**
 * R127: files in the Max facade. `POST /uploads?type=` hands out an upload URL on the gateway (a
 * capability: an unguessable id, since the library posts to it without the token) and the token that
 * names the upload; the bot posts the bytes there (multipart `data`, or chunks with Content-Range as
 * the library streams a file) into the data dir's `uploads/`. A message's `image`/`video`/`audio`/`file`
 * attachment with that token is encrypted and sent by the SDK (BotFiles); afterwards the token, like the
 * file id of a received or sent file (its blob id), sends it again without upload. A file people send
 * reaches the bot as an attachment with `token` and a `url` on the gateway, signed with the bot's token,
 * that serves the decrypted bytes.
 */
export class MaxFiles {
  readonly #files: BotFiles;
  readonly #dir: string;
  readonly #key: string;
  readonly #maxUploadBytes: number;
  readonly #pending = new Map<string, Pending>();
  readonly #sent = new Map<string, string>();
  /** The gateway's own URL (set once it listens): upload and download URLs point at it. */
  baseUrl = 'http://127.0.0.1';

  constructor(files: BotFiles, dataDir: string, botToken: string, maxUploadBytes: number) {
    this.#files = files;
    this.#dir = join(dataDir, 'uploads');
    this.#key = botToken;
    this.#maxUploadBytes = maxUploadBytes;
  }

  /** `POST /uploads?type=…`: where to post the bytes, and the token to attach. */
  create(type: string | null): { url: string; token: string } {
    if (!type || !(type in TYPES)) throw new MaxError(400, 'proto.payload', 'type: image, video, audio or file');
    const token = randomBytes(18).toString('base64url');
    const path = join(this.#dir, `max-${token}`);
    writeFileSync(path, new Uint8Array(), { mode: 0o600 });
    this.#pending.set(token, { type: type as MaxUploadType, path, size: 0, done: false });
    while (this.#pending.size > MAX_PENDING_UPLOADS) this.#drop(this.#pending.keys().next().value!);
    return { url: `${this.baseUrl}/max/upload/${token}`, token };
  }

  /** Takes the requests that carry no token: the upload URL and signed file URLs. False: not one of them. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const upload = /^\/upload\/([A-Za-z0-9_-]{24})$/.exec(path);
    const download = /^\/files\/([A-Za-z0-9_-]{22})\/([A-Za-z0-9_-]{22})(?:\/[^/]*)?$/.exec(path);
    if (upload && req.method === 'POST') {
      await this.#receive(req, res, upload[1]!);
      return true;
    }
    if (download && req.method === 'GET') {
      const [, blobId, sig] = download as unknown as [string, string, string];
      const expected = Buffer.from(this.#sign(blobId));
      if (!timingSafeEqual(Buffer.from(sig), expected) || !this.#files.ids.get(blobId)) throw new MaxError(404, 'not.found', 'no such file');
      const { attachment, bytes } = await this.#files.read(blobId);
      res.writeHead(200, { 'content-type': attachment.mime, 'content-length': bytes.length, 'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(attachment.name)}` });
      res.end(bytes);
      return true;
    }
    return false;
  }

  async #receive(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    const p = this.#pending.get(token);
    if (!p) throw new MaxError(404, 'not.found', 'the upload URL is unknown or was used up');
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    try {
      if (type.startsWith('multipart/form-data')) {
        const body = await readBody(req, this.#maxUploadBytes + 64 * 1024);
        const file = Object.values(await readMultipart(req, body, this.#maxUploadBytes)).find((v): v is File => v instanceof File);
        if (!file || file.size === 0) throw new MaxError(400, 'proto.payload', 'the multipart body holds no file (field `data`)');
        writeFileSync(p.path, new Uint8Array(await file.arrayBuffer()), { mode: 0o600 });
        Object.assign(p, { size: file.size, done: true, ...(file.name && file.name !== 'file' ? { name: file.name } : {}), ...(file.type && file.type !== 'application/octet-stream' ? { mime: file.type } : {}) });
      } else {
        // One chunk of a streamed file: `Content-Range: bytes start-end/total`, in order.
        const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(req.headers['content-range'] ?? ''));
        if (!range) throw new MaxError(400, 'proto.payload', 'a chunk needs Content-Range: bytes start-end/total (or post multipart/form-data)');
        const [start, end, total] = [Number(range[1]), Number(range[2]), Number(range[3])];
        if (total > this.#maxUploadBytes) { req.resume(); throw new MaxError(413, 'too.large', 'Request Entity Too Large'); }
        if (start !== p.size || end < start || end >= total || (p.total !== undefined && p.total !== total)) throw new MaxError(400, 'proto.payload', `expected the chunk at byte ${p.size}`);
        const chunk = await readBody(req, end - start + 1);
        if (chunk.length !== end - start + 1) throw new MaxError(400, 'proto.payload', 'the chunk is not as long as its Content-Range says');
        appendFileSync(p.path, chunk);
        const name = req.headers['x-file-name'];
        Object.assign(p, { size: p.size + chunk.length, total, done: p.size + chunk.length === total, ...(typeof name === 'string' && name ? { name: decodeURIComponent(name) } : {}) });
      }
    } catch (err) {
      if (err instanceof BotApiError) throw new MaxError(err.code, err.code === 413 ? 'too.large' : 'proto.payload', err.message);
      throw err;
    }
    const bytes = Buffer.from(JSON.stringify({ token }));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
    res.end(bytes);
  }

  /**
   * A message's media attachments: by token, new uploads to send (read from the data dir) or files
   * the bot's device holds already (sent again by blob id); by `url` (R163: `uploadImage({ url })`),
   * fetched by the gateway and uploaded. When new uploads and files held already are in one message,
   * the held ones are read back and uploaded anew with the others (one message of files).
   */
  async resolve(media: readonly MaxMedia[]): Promise<{ uploads: (FileUpload & { token?: string })[] } | { fileIds: string[] }> {
    const out: ({ fileId: string } | (FileUpload & { token?: string }))[] = [];
    for (const m of media) {
      if (m.url !== undefined) {
        let file: File;
        try {
          file = await this.#files.fromUrl(m.url);
        } catch (err) {
          if (err instanceof UrlFetchError) throw new MaxError(400, URL_FETCH_ERRORS[err.code].max, `${m.type} from ${m.url.slice(0, 100)}: ${err.message}`);
          throw err;
        }
        const bytes = new Uint8Array(await file.arrayBuffer());
        out.push(describe(m.type, { type: m.type, path: '', size: bytes.length, done: true, name: file.name, ...(file.type !== 'application/octet-stream' ? { mime: file.type } : {}) }, bytes));
        continue;
      }
      const token = m.token ?? '';
      const known = this.#sent.get(token) ?? (this.#files.ids.get(token) ? token : undefined);
      if (known) { out.push({ fileId: known }); continue; }
      const p = this.#pending.get(token);
      if (!p) throw new MaxError(400, 'proto.payload', `attachment token ${token.slice(0, 8)}… is unknown: upload the file first (POST /uploads)`);
      if (!p.done || p.size === 0) throw new MaxError(400, 'attachment.not.ready', 'the file is not uploaded yet');
      out.push({ token, ...describe(m.type === p.type ? p.type : m.type, p, readFileSync(p.path)) });
    }
    if (out.every((x) => 'fileId' in x)) return { fileIds: out.map((x) => (x as { fileId: string }).fileId) };
    const uploads: (FileUpload & { token?: string })[] = [];
    for (const x of out) {
      if (!('fileId' in x)) { uploads.push(x); continue; }
      const { attachment: a, bytes } = await this.#files.read(x.fileId);
      uploads.push({ bytes, name: a.name, mime: a.mime, kind: a.kind, ...(a.width !== undefined && a.height !== undefined ? { width: a.width, height: a.height } : {}), ...(a.durationMs !== undefined ? { durationMs: a.durationMs } : {}) });
    }
    return { uploads };
  }

  /** The uploads were sent as these attachments (in order): their tokens (where they had one) now name the files. */
  sent(tokens: readonly (string | undefined)[], attachments: readonly Attachment[]): void {
    tokens.forEach((token, i) => {
      const a = attachments[i];
      if (token === undefined) return;
      this.#drop(token);
      if (!a) return;
      this.#sent.set(token, a.blobId);
      if (this.#sent.size > SENT_TOKENS_KEPT) this.#sent.delete(this.#sent.keys().next().value!);
    });
  }

  /** A Parley attachment as Max's (`image`, `video`, `audio`, `file`), with a token and a download URL. */
  toMax(a: Attachment): Obj {
    const payload = { token: a.blobId, url: `${this.baseUrl}/max/files/${a.blobId}/${this.#sign(a.blobId)}/${encodeURIComponent(a.name)}` };
    const duration = a.durationMs !== undefined ? Math.round(a.durationMs / 1000) : undefined;
    switch (a.kind) {
      // R158: a sticker is Max's `sticker` (its `code` the file's token: no Max sticker set holds it).
      case 'image': if (a.sticker) return { type: 'sticker', payload: { url: payload.url, code: a.blobId }, ...(a.width ? { width: a.width, height: a.height } : {}) };
        return { type: 'image', payload: { ...payload, photo_id: parseInt(a.sha256.slice(0, 12), 16) }, ...(a.width ? { width: a.width, height: a.height } : {}) };
      case 'video': return { type: 'video', payload, ...(a.width ? { width: a.width, height: a.height } : {}), ...(duration !== undefined ? { duration } : {}) };
      case 'audio':
      case 'voice': return { type: 'audio', payload, ...(duration !== undefined ? { duration } : {}) };
      case 'file': return { type: 'file', payload, filename: a.name, size: a.size };
    }
  }

  /** Removes what waits (on close). */
  clear(): void {
    for (const token of [...this.#pending.keys()]) this.#drop(token);
  }

  #drop(token: string): void {
    const p = this.#pending.get(token);
    if (!p) return;
    this.#pending.delete(token);
    rmSync(p.path, { force: true });
  }

  #sign(blobId: string): string {
    return createHmac('sha256', this.#key).update(`max-file:${blobId}`).digest('base64url').slice(0, 22);
  }
}

const DEFAULT_NAME: Record<MaxUploadType, string> = { image: 'image', video: 'video.mp4', audio: 'audio.mp3', file: 'file' };

function describe(type: MaxUploadType, p: Pending, bytes: Uint8Array): FileUpload {
  const name = p.name ?? DEFAULT_NAME[type];
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  const picture = imageInfo(bytes.subarray(0, 64 * 1024));
  if (type === 'image') {
    if (!picture) throw new MaxError(400, 'proto.payload', 'an image must be a PNG, JPEG, GIF or WebP');
    return { bytes, name: ext ? name : `${name}.${picture.mime.slice(6).replace('jpeg', 'jpg')}`, mime: picture.mime, kind: 'image', ...(picture.width ? { width: picture.width, height: picture.height! } : {}) };
  }
  const mime = (ext ? EXT_MIME[ext] : undefined) ?? p.mime ?? picture?.mime ?? (type === 'video' ? 'video/mp4' : type === 'audio' ? 'audio/mpeg' : 'application/octet-stream');
  return { bytes, name, mime, kind: TYPES[type] };
}
