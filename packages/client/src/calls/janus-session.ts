import { ParleyError } from '@parley/protocol';
import { randomId } from '../encoding.ts';

/** A JSEP description as Janus carries it. */
export interface Jsep {
  type: 'offer' | 'answer';
  sdp: string;
}

/** One event from a plugin handle: the plugin's data, and a JSEP description when it carries one. */
export interface JanusEvent {
  data: Record<string, unknown>;
  jsep?: Jsep;
}

export interface JanusSessionOptions {
  /** Janus's public HTTP API, e.g. https://sfu.example.org/janus (R62: from POST /calls/room). */
  url: string;
  /** The token the Parley server issued (R62); replace it with `setToken` before it expires. */
  token: string;
  /** Keepalive period; Janus ends a session silent for its session_timeout (60 s by default). */
  keepaliveMs?: number;
  fetch?: typeof fetch;
}

type Json = Record<string, any>;

/** How long a plugin request waits for its event. */
const ANSWER_MS = 15_000;

/**
 * A session on Janus's public API over HTTP (its long-poll transport, which works the same in a
 * browser and in Node): create with a token, attach to plugins, send messages (with a JSEP),
 * trickle candidates, keep alive, destroy. Every request carries the current token (Janus checks
 * it on each one). Events are routed to their handle; a request's answer to its transaction.
 */
export class JanusSession {
  readonly #o: JanusSessionOptions;
  readonly #fetch: typeof fetch;
  readonly #handles = new Map<number, JanusHandle>();
  #token: string;
  #id = 0;
  #alive = false;
  #keepalive: ReturnType<typeof setInterval> | undefined;
  #poll: AbortController | undefined;
  /** Called once when the session ends on its own (token refused, session gone, Janus unreachable). */
  onclose: ((reason: string) => void) | null = null;

  private constructor(options: JanusSessionOptions) {
    this.#o = options;
    this.#token = options.token;
    this.#fetch = options.fetch ?? ((...args) => fetch(...args));
  }

  static async create(options: JanusSessionOptions): Promise<JanusSession> {
    const session = new JanusSession(options);
    const reply = await session.#post(options.url, { janus: 'create' });
    session.#id = Number(reply.data?.id);
    session.#alive = true;
    session.#keepalive = setInterval(() => void session.#post(session.#path(), { janus: 'keepalive' }).catch((err: Error) => session.#end(err.message)), options.keepaliveMs ?? 25_000);
    void session.#longPoll();
    return session;
  }

  get id(): number {
    return this.#id;
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** A fresh token from the Parley server (R62) for every request from now on. */
  setToken(token: string): void {
    this.#token = token;
  }

  async attach(plugin: string): Promise<JanusHandle> {
    const reply = await this.#post(this.#path(), { janus: 'attach', plugin });
    const handle = new JanusHandle(this, Number(reply.data?.id));
    this.#handles.set(handle.id, handle);
    return handle;
  }

  async destroy(): Promise<void> {
    if (!this.#alive) return;
    const path = this.#path();
    this.#end('destroyed');
    await this.#post(path, { janus: 'destroy' }).catch(() => undefined);
  }

  /** @internal A request on a handle: its synchronous answer (`success` or `ack`). */
  async request(handleId: number, body: Json): Promise<Json> {
    return this.#post(`${this.#path()}/${handleId}`, body);
  }

  /** @internal */
  forget(handleId: number): void {
    this.#handles.delete(handleId);
  }

  #path(): string {
    return `${this.#o.url}/${this.#id}`;
  }

  #end(reason: string): void {
    if (!this.#alive) return;
    this.#alive = false;
    clearInterval(this.#keepalive);
    this.#poll?.abort();
    for (const handle of this.#handles.values()) handle.closed(reason);
    this.#handles.clear();
    this.onclose?.(reason);
  }

  async #longPoll(): Promise<void> {
    while (this.#alive) {
      this.#poll = new AbortController();
      let events: Json[];
      try {
        const res = await this.#fetch(`${this.#path()}?maxev=10&token=${encodeURIComponent(this.#token)}&rid=${Date.now()}`, { signal: this.#poll.signal });
        const body = (await res.json()) as Json | Json[];
        events = Array.isArray(body) ? body : [body];
      } catch (err) {
        if (this.#alive) this.#end(`unreachable: ${(err as Error).message}`);
        return;
      }
      for (const event of events) {
        if (event.janus === 'error') {
          this.#end(`refused: ${event.error?.code} ${event.error?.reason}`);
          return;
        }
        const handle = this.#handles.get(Number(event.sender));
        if (event.janus === 'event' && handle) handle.deliver(event);
        else if ((event.janus === 'hangup' || event.janus === 'detached') && handle) handle.closed(event.reason ?? event.janus);
      }
    }
  }

  async #post(url: string, body: Json): Promise<Json> {
    const res = await this.#fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ transaction: randomId(9), ...body, token: this.#token }),
    });
    const reply = (await res.json()) as Json;
    if (reply.janus === 'error') {
      const code = reply.error?.code;
      // 403: the token is not (or no longer) accepted: not a member, removed, revoked or expired.
      throw new ParleyError(code === 403 ? 'forbidden' : 'calls_unavailable', `the call server refused ${body.janus}: ${code} ${reply.error?.reason}`);
    }
    return reply;
  }
}

/** A plugin handle: messages to the plugin and the events it sends back. */
export class JanusHandle {
  #listeners = new Set<(event: JanusEvent) => void>();
  #waiting = new Map<string, (event: JanusEvent) => void>();
  #closed = false;
  /** Called when Janus hangs up the handle's PeerConnection or detaches it. */
  onclose: ((reason: string) => void) | null = null;

  constructor(private readonly session: JanusSession, readonly id: number) {}

  /** Every event the plugin sends on this handle (joined, attached, updated, publishers…). */
  on(listener: (event: JanusEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Sends `body` (and `jsep`) to the plugin and resolves with its answer: at once for a
   * synchronous request, else with the event that carries this transaction. A plugin error
   * (`error_code`) rejects.
   */
  async send(body: Json, jsep?: Jsep): Promise<JanusEvent> {
    const transaction = randomId(9);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answer = new Promise<JanusEvent>((resolve, reject) => {
      this.#waiting.set(transaction, resolve);
      timer = setTimeout(() => {
        this.#waiting.delete(transaction);
        reject(new ParleyError('calls_unavailable', `the call server did not answer ${String(body['request'])}`));
      }, ANSWER_MS);
    });
    answer.catch(() => undefined).finally(() => clearTimeout(timer));
    const reply = await this.session.request(this.id, { janus: 'message', body, ...(jsep ? { jsep } : {}), transaction });
    let event: JanusEvent;
    if (reply.janus === 'success') {
      this.#waiting.delete(transaction);
      clearTimeout(timer);
      event = { data: (reply.plugindata?.data ?? {}) as Json };
    } else {
      event = await answer;
    }
    const code = event.data['error_code'];
    if (typeof code === 'number') throw new ParleyError(code === 433 ? 'forbidden' : 'bad_request', `the call server refused ${String(body['request'])}: ${code} ${String(event.data['error'])}`);
    return event;
  }

  /** Trickles local candidates; `null` says gathering is complete. */
  async trickle(candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null } | null): Promise<void> {
    await this.session.request(this.id, { janus: 'trickle', candidate: candidate ?? { completed: true } });
  }

  async detach(): Promise<void> {
    this.session.forget(this.id);
    if (this.session.alive) await this.session.request(this.id, { janus: 'detach' }).catch(() => undefined);
  }

  /** @internal */
  deliver(raw: Json): void {
    const event: JanusEvent = { data: (raw.plugindata?.data ?? {}) as Json, ...(raw.jsep ? { jsep: raw.jsep as Jsep } : {}) };
    const waiting = typeof raw.transaction === 'string' ? this.#waiting.get(raw.transaction) : undefined;
    if (waiting) {
      this.#waiting.delete(raw.transaction);
      waiting(event);
      return;
    }
    for (const listener of this.#listeners) listener(event);
  }

  /** @internal */
  closed(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.(reason);
  }
}
