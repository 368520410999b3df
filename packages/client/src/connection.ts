import {
  CLOSE_CODES, PROTOCOL_VERSION, ParleyError, WS_PATH, isErrorCode,
  type ClientFrame, type ServerFrame, type ServerFrameOf,
} from '@parley/protocol';
import { randomId } from './encoding.ts';

export type ConnectionState = 'connecting' | 'online' | 'offline' | 'revoked';
/**
 * R40: why the connection keeps failing when the network is fine, for the UI to say: the server
 * closed it as a slow consumer (4008) again and again right after sign-in, or could not send it a
 * frame at all (`frame_too_large`). Cleared once a connection has stayed up `stableMs`.
 */
export type ConnectionProblem = 'slow_consumer' | 'frame_too_large';

/** The subset of the WebSocket API the SDK uses: browsers' WebSocket and the `ws` package fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
export type WebSocketCtor = new (url: string) => WebSocketLike;

/**
 * What the device says of its network: in a browser, `navigator.onLine` and the window's
 * `online`/`offline` events. Node has neither (the SDK there learns of a lost link from the socket).
 */
export interface NetworkSignal {
  /** False when the device knows it has no network. */
  online(): boolean;
  /** Calls `listener` on each change; returns what stops it. */
  listen(listener: (online: boolean) => void): () => void;
}

/** The browser's network signal, or undefined where there is none (Node, workers without `onLine`). */
export function browserNetwork(): NetworkSignal | undefined {
  const g = globalThis as { addEventListener?: (type: string, fn: (ev: { type: string }) => void) => void; removeEventListener?: (type: string, fn: (ev: { type: string }) => void) => void; navigator?: { onLine?: unknown } };
  if (typeof g.addEventListener !== 'function' || typeof g.navigator?.onLine !== 'boolean') return undefined;
  const types = ['online', 'offline'];
  return {
    online: () => g.navigator?.onLine !== false,
    listen: (listener) => {
      const on = (ev: { type: string }) => listener(ev.type === 'online');
      for (const type of types) g.addEventListener?.(type, on);
      return () => { for (const type of types) g.removeEventListener?.(type, on); };
    },
  };
}

export interface ConnectionOptions {
  baseUrl: string;
  WebSocket: WebSocketCtor;
  /** Returns a session token; `fresh` asks for a new login (the old one was refused). */
  getToken(fresh: boolean): Promise<string>;
  onAuthenticated(frame: ServerFrameOf<'auth_ok'>): void;
  onEvent(frame: ServerFrame): void;
  onState(state: ConnectionState): void;
  /** The connection's problem changed (R40; undefined: none). */
  onProblem?(problem: ConnectionProblem | undefined): void;
  /** A connection that stays up this long ends a streak of 4008 closes (default 30 s). */
  stableMs?: number;
  requestTimeoutMs?: number;
  pingIntervalMs?: number;
  backoff?: { minMs: number; maxMs: number };
  /**
   * The device's network signal (default: the browser's, `browserNetwork()`; null: none). Offline,
   * the connection is closed and not retried; back online, it reconnects at once.
   */
  network?: NetworkSignal | null;
}

type Reply = ServerFrameOf<'ack'> | ServerFrameOf<'history'> | ServerFrameOf<'chats'> | ServerFrameOf<'pong'>;
interface Pending {
  resolve(frame: Reply): void;
  reject(err: unknown): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Thrown for requests that could not complete because the connection went away: retry later. */
export class Disconnected extends Error {
  override readonly name = 'Disconnected';
}

/**
 * One logical connection that survives flapping networks: it reconnects with jittered exponential
 * backoff, re-authenticates, pings to detect dead links, and matches replies to requests by rid.
 */
export class Connection {
  readonly #o: ConnectionOptions;
  #ws: WebSocketLike | undefined;
  #state: ConnectionState = 'offline';
  #stopped = true;
  #attempt = 0;
  #pending = new Map<string, Pending>();
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #authed = false;
  #freshToken = false;
  /** 4008 closes in a row, with no connection that stayed up `stableMs` between them (R40). */
  #slowCloses = 0;
  #stableTimer: ReturnType<typeof setTimeout> | undefined;
  #problem: ConnectionProblem | undefined;
  readonly #network: NetworkSignal | undefined;
  #unlisten: (() => void) | undefined;
  /** The device said it has no network: no socket, no retry, until it says it is back. */
  #networkDown = false;

  constructor(options: ConnectionOptions) {
    this.#o = options;
    this.#network = options.network === undefined ? browserNetwork() : options.network ?? undefined;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get problem(): ConnectionProblem | undefined {
    return this.#problem;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#unlisten = this.#network?.listen((online) => this.#networkChanged(online));
    this.#networkDown = this.#network?.online() === false;
    if (this.#networkDown) this.#setState('offline');
    else void this.#open();
  }

  stop(): void {
    this.#stopped = true;
    this.#unlisten?.();
    this.#unlisten = undefined;
    clearTimeout(this.#retryTimer);
    this.#teardown(1000, 'client stopped');
    if (this.#state !== 'revoked') this.#setState('offline');
  }

  /** Reconnect now, without waiting for the back-off (e.g. the app knows the network is back). */
  kick(): void {
    if (this.#stopped || this.#state === 'online' || this.#ws) return;
    clearTimeout(this.#retryTimer);
    this.#attempt = 0;
    void this.#open();
  }

  /**
   * The device's network went away or came back. Gone: say offline at once (a socket would take up
   * to a ping interval to notice) and close it, no reconnect attempts meanwhile. Back: connect now.
   */
  #networkChanged(online: boolean): void {
    if (this.#stopped) return;
    if (online) {
      if (!this.#networkDown) return;
      this.#networkDown = false;
      this.kick();
      return;
    }
    this.#networkDown = true;
    clearTimeout(this.#retryTimer);
    this.#teardown(1000);
    if (this.#state !== 'revoked') this.#setState('offline');
  }

  /** Sends a request frame and resolves with its reply; rejects with ParleyError or Disconnected. */
  request<T extends Reply>(frame: ClientFrame & { rid: string }): Promise<T> {
    return new Promise((resolve, reject) => {
      if (!this.#authed || !this.#ws) return reject(new Disconnected('not connected'));
      const timer = setTimeout(() => {
        this.#pending.delete(frame.rid);
        reject(new Disconnected('request timed out'));
        // A request that gets no answer means a dead link: start over.
        this.#teardown(4000, 'request timeout');
        this.#scheduleReconnect();
      }, this.#o.requestTimeoutMs ?? 20_000);
      this.#pending.set(frame.rid, { resolve: resolve as (f: Reply) => void, reject, timer });
      this.#ws.send(JSON.stringify(frame));
    });
  }

  /** Fire-and-forget frames (receipts, typing): dropped while offline. */
  notify(frame: ClientFrame): void {
    if (this.#authed && this.#ws) this.#ws.send(JSON.stringify(frame));
  }

  newRid(): string {
    return randomId(9);
  }

  async #open(): Promise<void> {
    if (this.#stopped || this.#networkDown) return;
    this.#setState('connecting');
    let token: string;
    try {
      token = await this.#o.getToken(this.#freshToken);
      this.#freshToken = false;
    } catch (err) {
      if (err instanceof ParleyError && err.code === 'device_revoked') return this.#revoked();
      return this.#scheduleReconnect();
    }
    if (this.#stopped || this.#networkDown) return;
    const url = this.#o.baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '') + WS_PATH;
    let ws: WebSocketLike;
    try {
      ws = new this.#o.WebSocket(url);
    } catch {
      return this.#scheduleReconnect();
    }
    this.#ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', v: PROTOCOL_VERSION, token } satisfies ClientFrame));
    ws.onmessage = (ev) => {
      if (this.#ws !== ws) return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(ev.data)) as ServerFrame;
      } catch {
        return;
      }
      this.#onFrame(frame);
    };
    ws.onerror = () => {};
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return;
      this.#teardown();
      if (ev.code === CLOSE_CODES.revoked) return this.#revoked();
      if (ev.code === CLOSE_CODES.auth_failed) this.#freshToken = true;
      if (ev.code === CLOSE_CODES.slow_consumer) {
        // R40: closed as slow; if it happens again and again, the same frame may not fit: back off
        // as after failed attempts (auth_ok no longer resets the delay) and say so.
        this.#slowCloses += 1;
        if (this.#slowCloses >= 2) this.#setProblem('slow_consumer');
      }
      this.#scheduleReconnect();
    };
  }

  #onFrame(frame: ServerFrame): void {
    if (frame.type === 'auth_ok') {
      this.#authed = true;
      // After a 4008 the delay keeps growing until a connection has stayed up (R40): a client
      // closed for the same oversized frame each time must not reconnect in a tight loop.
      if (this.#slowCloses === 0) this.#attempt = 0;
      clearTimeout(this.#stableTimer);
      this.#stableTimer = setTimeout(() => {
        this.#slowCloses = 0;
        this.#attempt = 0;
        this.#setProblem(undefined);
      }, this.#o.stableMs ?? 30_000);
      this.#startPing();
      this.#setState('online');
      this.#o.onAuthenticated(frame);
      return;
    }
    if (frame.type === 'ack' || frame.type === 'history' || frame.type === 'chats' || frame.type === 'pong' || (frame.type === 'error' && frame.rid)) {
      const pending = this.#pending.get(frame.rid ?? '');
      if (!pending) return;
      this.#pending.delete(frame.rid ?? '');
      clearTimeout(pending.timer);
      if (frame.type === 'error') {
        pending.reject(new ParleyError(isErrorCode(frame.code) ? frame.code : 'internal', frame.message, frame.retryAfter));
      } else pending.resolve(frame);
      return;
    }
    if (frame.type === 'error' && !frame.rid && frame.code === 'frame_too_large') {
      // R40: an event (or, before auth_ok, the sign-in itself) was too large to send. Said once;
      // without auth_ok this connection is of no use: try again later, with a growing delay.
      this.#setProblem('frame_too_large');
      if (!this.#authed) {
        this.#teardown(4000, 'sign-in too large');
        this.#scheduleReconnect();
      }
      return;
    }
    if (frame.type === 'error' && !this.#authed && (frame.code === 'session_invalid' || frame.code === 'device_revoked')) {
      this.#freshToken = true;
      return;
    }
    this.#o.onEvent(frame);
  }

  #startPing(): void {
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => {
      this.request({ type: 'ping', rid: this.newRid() }).catch(() => {});
    }, this.#o.pingIntervalMs ?? 25_000);
  }

  #teardown(code?: number, reason?: string): void {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#stableTimer);
    const ws = this.#ws;
    this.#ws = undefined;
    this.#authed = false;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onopen = null;
      try {
        ws.close(code, reason);
      } catch {
        // already closed
      }
    }
    for (const [rid, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new Disconnected('connection lost'));
      this.#pending.delete(rid);
    }
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#state === 'revoked') return;
    this.#setState('offline');
    clearTimeout(this.#retryTimer);
    if (this.#networkDown) return; // #networkChanged(true) connects
    const { minMs, maxMs } = this.#o.backoff ?? { minMs: 300, maxMs: 15_000 };
    const base = Math.min(maxMs, minMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 20);
    this.#retryTimer = setTimeout(() => void this.#open(), base / 2 + Math.random() * (base / 2));
  }

  #revoked(): void {
    this.#stopped = true;
    this.#unlisten?.();
    this.#unlisten = undefined;
    this.#teardown();
    this.#setState('revoked');
  }

  #setProblem(problem: ConnectionProblem | undefined): void {
    if (this.#problem === problem) return;
    this.#problem = problem;
    this.#o.onProblem?.(problem);
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#o.onState(state);
  }
}
