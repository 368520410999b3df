// Sends fuzz frames (fuzz-frames.ts) over one WebSocket and checks every answer against the oracle:
// each request gets exactly one reply, each error is a stable code below 500, the connection stays
// up or closes with a documented code. Used by the fuzz test and bench/fuzz.ts alike.
import WebSocket from 'ws';
import { MLS_COMMIT_CONTENT_TYPE } from '@parley/mls-public';
import {
  CLOSE_CODES, ERROR_CODES, ServerFrame, WS_PATH, isErrorCode, type ClientFrame, type Envelope,
} from '@parley/protocol';
import { encodeFrame, expectReply, type FrameFuzzContext, type FuzzFrame } from './fuzz-frames.ts';

/** Close codes a fuzzed connection may end with: the server's (docs/PROTOCOL.md) and the WebSocket layer's for a text frame that is not UTF-8 (1007) and a frame over four times the limit (1009). */
export const FUZZ_CLOSE_CODES: ReadonlySet<number> = new Set([...Object.values(CLOSE_CODES), 1007, 1009]);

export interface FuzzStats {
  frames: number;
  /** Frames by what the oracle expected of them: `valid send`, `error invalid_frame`, `close 1009`… */
  expected: Record<string, number>;
  /** Error frames the server sent, by code. */
  errors: Record<string, number>;
  /** Other frames the server sent, by type. */
  replies: Record<string, number>;
  /** Connection closes, by code. */
  closes: Record<string, number>;
  reconnects: number;
  /** Answers that break the protocol's promises; the first few are kept in `firstViolations`. */
  violations: number;
  firstViolations: string[];
}

/** A schema-valid `send` or `commit` the fuzzer sent: what a new entry of the chat's log may be. */
export interface SentEntry {
  type: 'send' | 'commit';
  chatId: string;
  clientMsgId: string;
  envelope: Envelope;
  epoch?: number;
}

export interface AckEntry {
  type: 'send' | 'commit';
  chatId: string;
  clientMsgId: string;
  seq: number;
  duplicate: boolean;
}

/** `send-commit`: a `send` of the commit type (R15), which only an error may answer, never an ack. */
type RequestType = 'send' | 'send-commit' | 'commit' | 'history' | 'ping';
/** A request waiting for its reply. Rids may repeat (the fuzz repeats them), so replies are matched by what they carry too. */
interface Owed {
  type: RequestType;
  chatId?: string;
  clientMsgId?: string;
}

export interface FrameFuzzerOptions {
  url: string;
  /** Session token of the fuzzing device; `undefined` fuzzes a connection that never signs in. */
  token: string | undefined;
  ctx: FrameFuzzContext;
  /** Keep every schema-valid send/commit and every ack (for a log check afterwards). */
  record?: boolean;
  /** How long a request may wait for its reply. */
  replyTimeoutMs?: number;
}

export class FrameFuzzer {
  readonly stats: FuzzStats = { frames: 0, expected: {}, errors: {}, replies: {}, closes: {}, reconnects: 0, violations: 0, firstViolations: [] };
  readonly sent: SentEntry[] = [];
  readonly acks: AckEntry[] = [];
  #ws: WebSocket | undefined;
  #closed: Promise<number> | undefined;
  /** Connections this side closed (its 1005 or 1006 is no finding). */
  #closing = new WeakSet<WebSocket>();
  #syncs = 0;
  #syncDone = false;
  /**
   * Replies owed, per rid, and the errors received for each rid so far: an error can answer any of
   * a rid's requests, so which one it answered is settled once the rid's other replies are in.
   */
  #owed = new Map<string, { requests: Owed[]; errors: number }>();
  /** Errors the oracle named exactly (`rid\ncode`). */
  #exact = new Map<string, number>();
  #exactCount = 0;
  /** Rid-less errors valid frames may cause (a receipt to a chat one left, typing too fast, auth again). */
  #budget = 0;

  constructor(private readonly opts: FrameFuzzerOptions) {}

  violation(what: string): void {
    this.stats.violations += 1;
    if (this.stats.firstViolations.length < 20) this.stats.firstViolations.push(what.slice(0, 500));
  }

  /** Sends the frames in order (reconnecting after a close), then waits until everything owed was answered. */
  async send(frames: readonly FuzzFrame[]): Promise<void> {
    for (const frame of frames) {
      const ws = await this.#connection();
      const encoded = encodeFrame(frame);
      const exp = expectReply(encoded, this.opts.ctx.maxFrameBytes);
      const label = 'close' in exp ? `close ${exp.close}` : 'error' in exp ? `error ${exp.error}` : `valid ${exp.valid.type}`;
      this.stats.frames += 1;
      this.stats.expected[label] = (this.stats.expected[label] ?? 0) + 1;
      ws.send(encoded.data, { binary: encoded.binary });
      if ('close' in exp) {
        await this.#awaitClose([exp.close], `a frame expected to close with ${exp.close}`);
      } else if ('error' in exp) {
        this.#expectError(exp.rid, exp.error);
      } else if (this.opts.token === undefined) {
        await this.#anonymous(exp.valid);
      } else {
        this.#owe(exp.valid);
      }
    }
    await this.#settle();
  }

  #owe(frame: ClientFrame): void {
    // R15: a commit goes only through the `commit` frame; a `send` of one is refused and stores nothing,
    // so it is not recorded as sent (an entry it made would be "a log entry nobody sent") and no ack answers it.
    const sendsCommit = frame.type === 'send' && frame.envelope.contentType === MLS_COMMIT_CONTENT_TYPE;
    if (this.opts.record && (frame.type === 'send' || frame.type === 'commit') && !sendsCommit) {
      this.sent.push({ type: frame.type, chatId: frame.chatId, clientMsgId: frame.clientMsgId, envelope: frame.envelope, ...(frame.type === 'commit' ? { epoch: frame.epoch } : {}) });
    }
    switch (frame.type) {
      case 'send':
      case 'commit':
      case 'history':
      case 'ping': {
        const entry = this.#owed.get(frame.rid) ?? { requests: [], errors: 0 };
        entry.requests.push(frame.type === 'ping' ? { type: 'ping' } : frame.type === 'history' ? { type: 'history', chatId: frame.chatId }
          : { type: sendsCommit ? 'send-commit' : frame.type, chatId: frame.chatId, clientMsgId: frame.clientMsgId });
        this.#owed.set(frame.rid, entry);
        return;
      }
      case 'auth':
      case 'receipt':
      case 'typing':
        this.#budget += 1;
        return;
    }
  }

  /** Before sign-in every frame but auth is `auth_required`; a failed auth closes with 4001. */
  async #anonymous(frame: ClientFrame): Promise<void> {
    if (frame.type !== 'auth') return this.#expectError('rid' in frame ? frame.rid : undefined, 'auth_required');
    this.#expectError(undefined, frame.v === 1 ? 'session_invalid' : 'unsupported_version');
    await this.#awaitClose([CLOSE_CODES.auth_failed], 'a failed auth');
  }

  #expectError(rid: string | undefined, code: string): void {
    const key = `${rid ?? ''}\n${code}`;
    this.#exact.set(key, (this.#exact.get(key) ?? 0) + 1);
    this.#exactCount += 1;
  }

  async #connection(): Promise<WebSocket> {
    if (this.#ws && this.#ws.readyState === WebSocket.OPEN) return this.#ws;
    if (this.#ws) {
      this.stats.reconnects += 1;
      this.#forget();
    }
    const ws = new WebSocket(this.opts.url.replace(/^http/, 'ws') + WS_PATH, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    this.#ws = ws;
    this.#closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => undefined); // a close follows; its code is what counts
    if (this.opts.token !== undefined) {
      ws.send(JSON.stringify({ type: 'auth', v: 1, token: this.opts.token }));
      const first = await new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
      if ((JSON.parse(first) as { type?: string }).type !== 'auth_ok') throw new Error(`fuzz connection: auth failed: ${first.slice(0, 300)}`);
    }
    ws.on('message', (data, isBinary) => this.#onFrame(String(data), isBinary));
    void this.#closed.then((code) => this.#onClose(ws, code));
    return ws;
  }

  #onFrame(data: string, isBinary: boolean): void {
    if (isBinary) return this.violation('a binary frame from the server');
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return this.violation(`a frame that is not JSON: ${data.slice(0, 200)}`);
    }
    const parsed = ServerFrame.safeParse(json);
    if (!parsed.success) return this.violation(`a frame outside the ServerFrame schema (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}): ${data.slice(0, 300)}`);
    const frame = parsed.data;
    if (frame.type !== 'error') this.stats.replies[frame.type] = (this.stats.replies[frame.type] ?? 0) + 1;
    switch (frame.type) {
      case 'error': {
        this.stats.errors[frame.code] = (this.stats.errors[frame.code] ?? 0) + 1;
        if (!isErrorCode(frame.code) || ERROR_CODES[frame.code] >= 500) this.violation(`error ${frame.code} for client bytes: ${data.slice(0, 300)}`);
        const key = `${frame.rid ?? ''}\n${frame.code}`;
        const exact = this.#exact.get(key);
        if (exact) {
          if (exact === 1) this.#exact.delete(key);
          else this.#exact.set(key, exact - 1);
          this.#exactCount -= 1;
        } else if (frame.rid !== undefined && this.#owedError(frame.rid)) {
          // the reply to a request
        } else if (frame.rid === undefined && this.#budget > 0) {
          this.#budget -= 1;
        } else {
          this.violation(`an error nobody asked for: ${data.slice(0, 300)}`);
        }
        return;
      }
      case 'ack': {
        const type = this.#take(frame.rid, (o) => (o.type === 'send' || o.type === 'commit') && o.chatId === frame.chatId && o.clientMsgId === frame.clientMsgId);
        if (type !== 'send' && type !== 'commit') return this.violation(`an ack nobody asked for: ${data.slice(0, 300)}`);
        if (this.opts.record) this.acks.push({ type, chatId: frame.chatId, clientMsgId: frame.clientMsgId, seq: frame.seq, duplicate: frame.duplicate });
        return;
      }
      case 'history':
        if (this.#take(frame.rid, (o) => o.type === 'history' && o.chatId === frame.chatId) === undefined) this.violation(`a history page nobody asked for (rid ${frame.rid})`);
        return;
      case 'pong':
        if (frame.rid === `sync:${this.#syncs}`) this.#syncDone = true;
        else if (!frame.rid.startsWith('sync:') && this.#take(frame.rid, (o) => o.type === 'ping') === undefined) this.violation(`a pong nobody asked for: ${data.slice(0, 300)}`);
        return;
      default:
        return; // events: messages (its own accepted sends too), receipts, typing, chat changes
    }
  }

  /** Settles the request under `rid` that this reply answers; returns its type, or undefined if none was owed. */
  #take(rid: string, answers: (o: Owed) => boolean): RequestType | undefined {
    const entry = this.#owed.get(rid);
    const i = entry?.requests.findIndex(answers) ?? -1;
    if (!entry || i < 0) return undefined;
    const [owed] = entry.requests.splice(i, 1);
    if (entry.requests.length === entry.errors) this.#owed.delete(rid);
    return owed?.type;
  }

  /** An error under `rid`: it answers one of the rid's requests still open, whichever that turns out to be. */
  #owedError(rid: string): boolean {
    const entry = this.#owed.get(rid);
    if (!entry || entry.errors >= entry.requests.length) return false;
    entry.errors += 1;
    if (entry.requests.length === entry.errors) this.#owed.delete(rid);
    return true;
  }

  /** Requests still without any reply. */
  get #waiting(): number {
    let n = 0;
    for (const { requests, errors } of this.#owed.values()) n += requests.length - errors;
    return n;
  }

  #onClose(ws: WebSocket, code: number): void {
    this.stats.closes[code] = (this.stats.closes[code] ?? 0) + 1;
    if (!FUZZ_CLOSE_CODES.has(code) && !this.#closing.has(ws)) this.violation(`the connection closed with ${code}, not a documented close code`);
    if (ws === this.#ws) this.#forget();
  }

  /** What was owed on a closed connection is gone with it (R9: a client resyncs); a send may still have been stored. */
  #forget(): void {
    this.#owed.clear();
    this.#exact.clear();
    this.#exactCount = 0;
  }

  async #awaitClose(codes: number[], why: string): Promise<void> {
    const closed = this.#closed;
    const code = await Promise.race([closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000).unref())]);
    if (code === undefined) {
      this.violation(`${why}: the connection stayed open`);
      if (this.#ws) this.#closing.add(this.#ws);
      this.#ws?.terminate();
      await closed;
    } else if (!codes.includes(code)) {
      this.violation(`${why}: closed with ${code}, expected ${codes.join(' or ')}`);
    }
  }

  /** Everything owed arrives (a ping's pong after it proves the frames before were read), or it is a violation. */
  async #settle(): Promise<void> {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    this.#syncs += 1;
    this.#syncDone = this.opts.token === undefined; // before sign-in a ping is auth_required
    if (!this.#syncDone) ws.send(JSON.stringify({ type: 'ping', rid: `sync:${this.#syncs}` }));
    const deadline = Date.now() + (this.opts.replyTimeoutMs ?? 15_000);
    while (!(this.#syncDone && this.#waiting === 0 && this.#exactCount === 0)) {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() > deadline) {
        this.violation(`no answer within ${this.opts.replyTimeoutMs ?? 15_000} ms: ${this.#syncDone ? '' : 'the sync ping, '}owed ${JSON.stringify([...this.#owed.entries()].slice(0, 5))}, errors ${JSON.stringify([...this.#exact.keys()].slice(0, 5))}`);
        this.#forget();
        return;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  close(): void {
    if (!this.#ws) return;
    this.#closing.add(this.#ws);
    this.#ws.close();
  }
}
