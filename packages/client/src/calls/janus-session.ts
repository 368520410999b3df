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
  /**
   * R119: how long Janus may stay unreachable (a dropped or changed network) before the session
   * ends; until then the long poll and keepalives are tried again every second.
   */
  unreachableMs?: number;
  fetch?: typeof fetch;
}

type Json = Record<string, any>;

/** How long a plugin request waits for its event. */
const ANSWER_MS = 15_000;
/** R119: default of `unreachableMs` (R102's CALL_RECONNECT_MS). */
const UNREACHABLE_MS = 30_000;
/** Wait before the long poll is tried again after a network error. */
const POLL_RETRY_MS = 1_000;
/**
 * R119: a long poll Janus has not answered in this long is on a dead connection (Janus answers
 * every poll within 30 s, with a keepalive when it has no event); a request, in this long.
 */
const POLL_DEAD_MS = 40_000;
const REQUEST_DEAD_MS = 10_000;
/** R119: a keepalive that finds out whether Janus is back. */
const PROBE_MS = 3_000;
const RENEW_SETTLE_MS = 250;

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
  #renewing = false;
  #pollStartedAt = 0;
  /** R119: since when requests to Janus fail on the network (undefined: they get through). */
  #unreachableSince: number | undefined;
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
    session.#keepalive = setInterval(() => void session.#post(session.#path(), { janus: 'keepalive' }).then(() => session.#reachable(), (err: Error) => {
      if (err instanceof ParleyError) session.#end(err.message); // Janus answered: the session or its token is gone
      else session.#unreachable(err);
    }), options.keepaliveMs ?? 25_000);
    void session.#longPoll();
    return session;
  }

  get id(): number {
    return this.#id;
  }

  get alive(): boolean {
    return this.#alive;
  }

  /**
   * R119: the network may have changed (an ICE restart is due): the long poll in flight may be on a
   * dead connection, where Janus's events would be lost; a fresh one takes its place.
   */
  /**
   * R119: waits until Janus answers again (a keepalive, tried every second with a short timeout),
   * then replaces the long poll if it was made before that answer: made while the network was away
   * or changing, it may sit on a dead connection, where Janus's events would be lost.
   */
  async reach(): Promise<void> {
    while (this.#alive) {
      const asked = Date.now();
      const ok = await this.#post(this.#path(), { janus: 'keepalive' }, PROBE_MS).then(() => true, (err: unknown) => {
        if (err instanceof ParleyError) throw err; // Janus answered: the session or its token is gone
        return false;
      });
      if (ok) {
        this.#reachable();
        if (this.#poll && this.#pollStartedAt < asked) {
          this.#renewing = true;
          this.#poll.abort(new Error('renewed'));
          // Let Janus see the old poll close and the new one come before anything that wants an answer.
          await new Promise((r) => setTimeout(r, RENEW_SETTLE_MS));
        }
        return;
      }
      await new Promise((r) => setTimeout(r, POLL_RETRY_MS));
    }
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
      const poll = new AbortController();
      this.#poll = poll;
      this.#pollStartedAt = Date.now();
      const dead = setTimeout(() => poll.abort(new Error('no answer to the long poll')), POLL_DEAD_MS);
      let events: Json[];
      try {
        const res = await this.#fetch(`${this.#path()}?maxev=10&token=${encodeURIComponent(this.#token)}&rid=${Date.now()}`, { signal: poll.signal });
        const body = (await res.json()) as Json | Json[];
        events = Array.isArray(body) ? body : [body];
      } catch (err) {
        if (!this.#alive) return;
        if (this.#renewing) { // renew(): straight to a fresh poll
          this.#renewing = false;
          continue;
        }
        if (this.#unreachable(err as Error)) return;
        await new Promise((r) => setTimeout(r, POLL_RETRY_MS));
        continue;
      } finally {
        clearTimeout(dead);
      }
      this.#reachable();
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

  /** R119: a network error; the session ends once Janus has been unreachable for `unreachableMs`. Says whether it ended. */
  #unreachable(err: Error): boolean {
    const now = Date.now();
    this.#unreachableSince ??= now;
    if (now - this.#unreachableSince < (this.#o.unreachableMs ?? UNREACHABLE_MS)) return false;
    this.#end(`unreachable: ${err.message}`);
    return true;
  }

  #reachable(): void {
    this.#unreachableSince = undefined;
  }

  async #post(url: string, body: Json, timeoutMs = REQUEST_DEAD_MS): Promise<Json> {
    const res = await this.#fetch(url, {
      method: 'POST',
      signal: AbortSignal.timeout(timeoutMs), // R119: not stuck on a connection a network change left dead
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
  async send(body: Json, jsep?: Jsep, answerMs = ANSWER_MS): Promise<JanusEvent> {
    const transaction = randomId(9);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let fail: (err: Error) => void = () => undefined;
    const answer = new Promise<JanusEvent>((resolve, reject) => {
      this.#waiting.set(transaction, resolve);
      fail = reject;
    });
    let settled = false;
    answer.catch(() => undefined).finally(() => { settled = true; clearTimeout(timer); });
    let reply: Json;
    try {
      reply = await this.session.request(this.id, { janus: 'message', body, ...(jsep ? { jsep } : {}), transaction });
    } catch (err) {
      this.#waiting.delete(transaction);
      throw err;
    }
    // Counted from when Janus took the request (R119: not from when a network that was away sent it).
    if (!settled) timer = setTimeout(() => {
      this.#waiting.delete(transaction);
      fail(new ParleyError('calls_unavailable', `the call server did not answer ${String(body['request'])}`));
    }, answerMs);
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
