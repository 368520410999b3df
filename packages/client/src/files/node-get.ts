import { NetworkError } from '../errors.ts';
import { nodeModule } from './sources.ts';

// A lean HTTP/1.1 GET for Node, used for large downloads (R55) only: the response's bytes land in
// one buffer that every socket read reuses (net/tls `onread`) and are handed to the caller while
// they lie there, so a 1 GiB download makes no garbage per network piece. Through undici's fetch the
// same bytes cost a fresh buffer per 64 KiB piece, a Web stream read and a transfer each: ~1 CPU
// second per GiB here against ~0.2 (docs/BENCHMARKS.md). It speaks just what a blob GET needs: one
// request per connection (`Connection: close`), bodies by Content-Length, chunked or until close.
// Anything else (a redirect, a compressed body) is refused as `unsupported`, and the caller uses fetch.

/** Bytes per socket read: one buffer, reused for every read of a response. */
const READ_BYTES = 512 * 1024;
/** A response head longer than this is refused. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A connection that receives nothing this long is closed (undici's default body timeout). */
const IDLE_MS = 300_000;

/** A response whose head has come; its body comes piece by piece through `body`. */
export interface StreamResponse {
  readonly status: number;
  /** A header of the response (lower-case name), or undefined. */
  header(name: string): string | undefined;
  /**
   * Hands each piece of the body to `take`, a view of a buffer reused once `take` returns: use it
   * (hash it, decipher it, copy it) before returning. `take` returns false to stop reading after the
   * pieces of this socket read until `resume()`; whatever it throws ends the response with that
   * error. Resolves when the body is complete or the response was closed; rejects when the
   * connection broke off first (a NetworkError) or the signal aborted.
   */
  body(take: (piece: Uint8Array) => boolean): Promise<void>;
  resume(): void;
  /** The whole body as a Response (an error's JSON body; small). */
  toResponse(): Promise<Response>;
  /** Ends the response: the connection is closed and `body` resolves with what it had. */
  close(): void;
}

/** Why streamGet would not read a response itself: the caller uses fetch instead. */
export class Unsupported extends Error {
  override readonly name = 'Unsupported';
}

interface Head {
  status: number;
  headers: Map<string, string>;
}

type Socket = import('node:net').Socket;

/**
 * GETs `url` with `headers`; resolves once the response's head came (any status). `readBuffer`, if
 * given, lends the buffer of each socket read (called once before each read), else one is reused.
 */
export async function streamGet(url: URL, headers: Record<string, string>, signal?: AbortSignal, readBuffer?: () => Uint8Array): Promise<StreamResponse> {
  signal?.throwIfAborted();
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') throw new Unsupported(`${url.protocol} is not http`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (secure ? 443 : 80));
  const conn = new Connection();
  const onread = { buffer: readBuffer ?? new Uint8Array(READ_BYTES), callback: (n: number, buf: Uint8Array) => conn.received(buf.subarray(0, n)) };
  const socket: Socket = secure
    // tls.connect takes `onread` as net.connect does (Node's docs); @types/node leaves it out.
    ? (await nodeModule<typeof import('node:tls')>('node:tls')).connect({ host, port, ...(isIp(host) ? {} : { servername: host }), ALPNProtocols: ['http/1.1'], onread } as import('node:tls').ConnectionOptions)
    : (await nodeModule<typeof import('node:net')>('node:net')).connect({ host, port, onread });
  conn.attach(socket, signal);
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close', 'Accept-Encoding: identity'];
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name + value)) throw new TypeError('a header with a line break');
    lines.push(`${name}: ${value}`);
  }
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const head = await conn.head;
  const encoding = head.headers.get('content-encoding');
  if ((head.status >= 300 && head.status < 400) || (encoding !== undefined && encoding !== 'identity')) {
    conn.close();
    throw new Unsupported(`HTTP ${head.status}${encoding ? ` (${encoding})` : ''}`);
  }
  return {
    status: head.status,
    header: (name) => head.headers.get(name),
    body: (take) => conn.body(take),
    resume: () => conn.resume(),
    toResponse: async () => {
      const parts: Uint8Array<ArrayBuffer>[] = [];
      let size = 0;
      await conn.body((piece) => {
        if ((size += piece.length) > MAX_HEAD_BYTES) throw new NetworkError('an error body too long');
        parts.push(piece.slice());
        return true;
      });
      return new Response(new Blob(parts), { status: head.status });
    },
    close: () => conn.close(),
  };
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** One request's connection: parses the head, then frames the body and hands it over. */
class Connection {
  #socket: Socket | undefined;
  #headBytes: Uint8Array = new Uint8Array(0);
  #head: { resolve(h: Head): void; reject(e: unknown): void } | undefined;
  readonly head: Promise<Head>;
  #framing: Framing | undefined;
  /** Body pieces (copies) that came before anyone asked for the body: the socket stays paused. */
  #pending: Uint8Array[] = [];
  #take: ((piece: Uint8Array) => boolean) | undefined;
  #done: { resolve(): void; reject(e: unknown): void } | undefined;
  #failure: unknown;
  #finished = false;

  constructor() {
    this.head = new Promise((resolve, reject) => { this.#head = { resolve, reject }; });
    this.head.catch(() => undefined);
  }

  attach(socket: Socket, signal: AbortSignal | undefined): void {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_MS, () => this.#fail(new NetworkError('the download stalled')));
    socket.on('error', (err) => this.#fail(new NetworkError(`download broke off: ${err.message}`)));
    socket.on('end', () => this.#ended());
    socket.on('close', () => this.#ended());
    if (signal) {
      const abort = () => this.#fail(signal.reason ?? new Error('aborted'));
      signal.addEventListener('abort', abort, { once: true });
      socket.once('close', () => signal.removeEventListener('abort', abort));
    }
  }

  /** A socket read; false pauses the socket. */
  received(bytes: Uint8Array): boolean {
    try {
      return this.#framing ? this.#deliver(bytes) : this.#parseHead(bytes);
    } catch (err) {
      this.#fail(err);
      return false;
    }
  }

  body(take: (piece: Uint8Array) => boolean): Promise<void> {
    if (this.#done) throw new Error('the body is read once');
    const promise = new Promise<void>((resolve, reject) => { this.#done = { resolve, reject }; });
    if (this.#failure !== undefined) {
      this.#done!.reject(this.#failure);
      return promise;
    }
    let go = true;
    try {
      for (const piece of this.#pending) if (!take(piece)) go = false;
    } catch (err) {
      this.#failure = err;
      this.#socket?.destroy();
      this.#done!.reject(err);
      return promise;
    }
    this.#pending = [];
    this.#take = take;
    if (this.#finished) this.#done!.resolve();
    else if (go) this.#socket?.resume();
    return promise;
  }

  resume(): void {
    if (!this.#finished && this.#failure === undefined) this.#socket?.resume();
  }

  close(): void {
    if (this.#failure === undefined) this.#finished = true;
    this.#socket?.destroy();
    this.#done?.resolve();
  }

  #parseHead(bytes: Uint8Array): boolean {
    const all = concatTwo(this.#headBytes, bytes);
    const end = indexOfBlankLine(all);
    if (end < 0) {
      if (all.length > MAX_HEAD_BYTES) throw new NetworkError('a response head too long');
      this.#headBytes = all;
      return true;
    }
    const head = parseHead(new TextDecoder().decode(all.subarray(0, end)));
    const rest = all.subarray(end + 4);
    this.#headBytes = new Uint8Array(0);
    if (head.status >= 100 && head.status < 200) return rest.length > 0 ? this.#parseHead(rest) : true; // 100 Continue
    this.#framing = framingOf(head);
    this.#deliver(rest);
    this.#head?.resolve(head);
    return false; // until someone reads the body
  }

  #deliver(bytes: Uint8Array): boolean {
    const take = this.#take;
    let go = take !== undefined;
    if (bytes.length > 0) {
      this.#framing!.feed(bytes, (piece) => {
        if (!take) this.#pending.push(piece.slice());
        else if (!take(piece)) go = false;
      });
    }
    if (this.#framing!.complete) {
      this.#finished = true;
      this.#socket?.destroy();
      this.#done?.resolve();
      return false;
    }
    return go;
  }

  #ended(): void {
    if (this.#finished || this.#failure !== undefined) return;
    if (this.#framing?.untilClose) this.#framing.complete = true;
    if (this.#framing?.complete) {
      this.#finished = true;
      this.#done?.resolve();
      return;
    }
    this.#fail(new NetworkError(this.#framing ? 'the download broke off' : 'the server closed the connection'));
  }

  #fail(err: unknown): void {
    if (this.#failure !== undefined || this.#finished) return;
    this.#failure = err;
    this.#socket?.destroy();
    this.#head?.reject(err);
    this.#done?.reject(err);
  }
}

function concatTwo(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOfBlankLine(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

function parseHead(text: string): Head {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) throw new NetworkError(`not an HTTP/1.1 response: ${statusLine.slice(0, 40)}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  return { status: Number(m[1]), headers };
}

/** How a body's end is known (RFC 9112 §6.3, for a response to GET). */
interface Framing {
  complete: boolean;
  readonly untilClose: boolean;
  feed(bytes: Uint8Array, piece: (p: Uint8Array) => void): void;
}

function framingOf(head: Head): Framing {
  const te = head.headers.get('transfer-encoding')?.toLowerCase();
  if (head.status === 204 || head.status === 304) return lengthFraming(0);
  if (te !== undefined) {
    if (te !== 'chunked') throw new Unsupported(`transfer-encoding ${te}`);
    return new ChunkedFraming();
  }
  const length = head.headers.get('content-length');
  if (length !== undefined) {
    if (!/^\d+$/.test(length)) throw new NetworkError('a malformed content-length');
    return lengthFraming(Number(length));
  }
  return { complete: false, untilClose: true, feed: (bytes, piece) => piece(bytes) };
}

function lengthFraming(length: number): Framing {
  let left = length;
  const framing: Framing = {
    complete: left === 0,
    untilClose: false,
    feed(bytes, piece) {
      const take = Math.min(left, bytes.length);
      left -= take;
      if (take > 0) piece(take === bytes.length ? bytes : bytes.subarray(0, take));
      if (left === 0) framing.complete = true;
    },
  };
  return framing;
}

/** `Transfer-Encoding: chunked`: size lines, data, CRLF; trailers ignored. */
class ChunkedFraming implements Framing {
  complete = false;
  readonly untilClose = false;
  #line = '';
  /** Data bytes left of the current chunk; -1 while reading a size line, -2 in the trailers. */
  #left = -1;
  /** CRLF bytes to skip after a chunk's data. */
  #crlf = 0;

  feed(bytes: Uint8Array, piece: (p: Uint8Array) => void): void {
    let at = 0;
    while (at < bytes.length && !this.complete) {
      if (this.#left > 0) {
        const take = Math.min(this.#left, bytes.length - at);
        piece(bytes.subarray(at, at + take));
        this.#left -= take;
        at += take;
        if (this.#left === 0) {
          this.#crlf = 2;
          this.#left = -1;
        }
        continue;
      }
      if (this.#crlf > 0) {
        this.#crlf -= 1;
        at += 1;
        continue;
      }
      const byte = bytes[at++]!;
      if (byte !== 10) {
        if (this.#line.length > 1024) throw new NetworkError('a malformed chunked body');
        if (byte !== 13) this.#line += String.fromCharCode(byte);
        continue;
      }
      const line = this.#line;
      this.#line = '';
      if (this.#left === -2) {
        if (line === '') this.complete = true;
        continue;
      }
      const size = Number.parseInt(line.split(';')[0]!.trim(), 16);
      if (!Number.isSafeInteger(size) || size < 0) throw new NetworkError('a malformed chunked body');
      this.#left = size === 0 ? -2 : size;
    }
  }
}
