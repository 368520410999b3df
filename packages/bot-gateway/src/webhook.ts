import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Update, UpdateQueue } from './updates.ts';

export interface WebhookOptions {
  /** A POST that has not answered in this long failed (a hanging endpoint holds nothing up for longer). */
  timeoutMs: number;
  /** The first retry's wait; each next one doubles, up to `maxRetryMs`. */
  retryMinMs: number;
  maxRetryMs: number;
  log(line: string): void;
  /** What is POSTed for an update (default: the update as it is) and the header carrying the secret (R109: Max's differ). */
  body?: (update: Update) => unknown;
  secretHeader?: string;
  /**
   * Certificates (PEM) trusted for https webhook URLs besides the system's: the bot's endpoint
   * behind a TLS proxy with a self-signed or private CA's certificate (`--webhook-ca`). Bot
   * libraries (telegraf, @maxhub/max-bot-api) always register an https URL.
   */
  ca?: string;
  /**
   * Telegram's "request in the webhook's answer": a 2xx answer with a JSON body naming a `method`
   * is that call, made by the gateway (its result goes nowhere, as Telegram's). Max has none.
   */
  onReply?: (method: string, params: Record<string, unknown>) => Promise<void>;
}

/** A webhook answer's body is read up to this for a call in it (as the Bot API's own request bodies, 1 MiB); past it, ignored. */
export const MAX_WEBHOOK_REPLY_BYTES = 1024 * 1024;

/** What getWebhookInfo tells, as Telegram's WebhookInfo. */
export interface WebhookInfo {
  url: string;
  has_custom_certificate: false;
  pending_update_count: number;
  last_error_date?: number;
  last_error_message?: string;
  max_connections?: number;
  allowed_updates?: string[];
}

/**
 * R94b: webhooks. While one is set the gateway POSTs each update (JSON, one at a time, in order) to
 * the bot's URL with `X-Telegram-Bot-Api-Secret-Token`; a 2xx confirms it, anything else (or no
 * answer within `timeoutMs`) is retried with exponential backoff. Updates wait in the same bounded
 * queue as getUpdates' (the oldest dropped past its limit): nothing grows without bound.
 */
export class WebhookSender {
  readonly #queue: UpdateQueue;
  readonly #o: WebhookOptions;
  #url = '';
  #secret: string | undefined;
  #allowed: string[] | undefined;
  #lastError: { date: number; message: string } | undefined;
  #stop: AbortController | undefined;
  #running: Promise<void> | undefined;
  #replies: Promise<void> = Promise.resolve();

  constructor(queue: UpdateQueue, options: WebhookOptions) {
    this.#queue = queue;
    this.#o = options;
  }

  get active(): boolean { return this.#url !== ''; }

  async set(url: string, opts: { secret?: string; allowed?: string[]; dropPending?: boolean }): Promise<void> {
    await this.delete({ dropPending: opts.dropPending ?? false });
    this.#url = url;
    this.#secret = opts.secret;
    this.#allowed = opts.allowed;
    this.#lastError = undefined;
    const stop = new AbortController();
    this.#stop = stop;
    this.#running = this.#run(url, stop.signal);
  }

  async delete(opts: { dropPending: boolean }): Promise<void> {
    this.#url = '';
    this.#stop?.abort();
    this.#queue.wakeAll();
    await this.#running;
    this.#running = undefined;
    if (opts.dropPending) this.#queue.confirmAll();
  }

  info(): WebhookInfo {
    return {
      url: this.#url, has_custom_certificate: false, pending_update_count: this.#queue.size,
      ...(this.#lastError ? { last_error_date: Math.floor(this.#lastError.date / 1000), last_error_message: this.#lastError.message } : {}),
      ...(this.#url ? { max_connections: 1 } : {}),
      ...(this.#allowed ? { allowed_updates: this.#allowed } : {}),
    };
  }

  async #run(url: string, signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const [update] = await this.#queue.take({ limit: 1, timeoutSec: 50, signal, ...(this.#allowed ? { allowed: this.#allowed } : {}) });
      if (!update || signal.aborted) continue;
      const answer = await this.#post(url, update, signal);
      if (typeof answer !== 'string') {
        failures = 0;
        this.#queue.confirm(update.update_id + 1);
        // Made in order but not awaited here: the call may be deleteWebhook, which waits for this loop.
        const reply = answer.reply;
        if (reply && this.#o.onReply) this.#replies = this.#replies.then(() => this.#o.onReply!(reply.method, reply.params)).catch(() => undefined);
        continue;
      }
      const error = answer;
      if (signal.aborted) return;
      this.#lastError = { date: Date.now(), message: error };
      const wait = Math.min(this.#o.maxRetryMs, this.#o.retryMinMs * 2 ** failures);
      failures += 1;
      this.#o.log(`webhook: update ${update.update_id} failed (${error}); retrying in ${wait} ms`);
      await sleep(wait, signal);
    }
  }

  /** What the bot answered when it took the update (a call in its answer, R94b); else why not, in Telegram's words where it has them. */
  async #post(url: string, update: Update, stop: AbortSignal): Promise<{ reply?: { method: string; params: Record<string, unknown> } } | string> {
    const headers = { 'content-type': 'application/json', ...(this.#secret ? { [this.#o.secretHeader ?? 'x-telegram-bot-api-secret-token']: this.#secret } : {}) };
    const body = JSON.stringify(this.#o.body ? this.#o.body(update) : update);
    const signal = AbortSignal.any([stop, AbortSignal.timeout(this.#o.timeoutMs)]);
    try {
      let res: Answer;
      if (this.#o.ca !== undefined && /^https:/i.test(url)) res = await postTrusting(url, headers, body, signal, [...rootCertificates, this.#o.ca]);
      else {
        const answer = await fetch(url, { method: 'POST', headers, body, signal });
        const text = await readUpTo(answer, MAX_WEBHOOK_REPLY_BYTES).catch(() => undefined);
        res = { ok: answer.ok, status: answer.status, statusText: answer.statusText, type: answer.headers.get('content-type') ?? '', ...(text !== undefined ? { text } : {}) };
      }
      if (!res.ok) return `Wrong response from the webhook: ${res.status} ${res.statusText}`;
      const reply = this.#o.onReply ? callIn(res) : undefined;
      return reply ? { reply } : {};
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError') return 'Read timeout expired';
      // fetch says "fetch failed" and keeps why (refused, a certificate not trusted…) in its cause.
      const why = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
      return `Connection failed: ${why}`;
    }
  }
}

interface Answer { ok: boolean; status: number; statusText: string; type?: string; text?: string }

/** The call a webhook's answer makes (a JSON object with a string `method`), if any; other bodies (grammY's "", Max's "OK") are none. */
function callIn(res: Answer): { method: string; params: Record<string, unknown> } | undefined {
  if (!res.text || !/^application\/json/i.test(res.type ?? '')) return undefined;
  try {
    const parsed: unknown = JSON.parse(res.text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const { method, ...params } = parsed as Record<string, unknown>;
    return typeof method === 'string' && /^[A-Za-z]{1,64}$/.test(method) ? { method, params } : undefined;
  } catch {
    return undefined;
  }
}

/** A response's body as text, or undefined when it is longer than `max` bytes (not read further). */
async function readUpTo(res: Response, max: number): Promise<string | undefined> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** An https POST that trusts `ca` (fetch takes no certificates); fails as fetch would, a TimeoutError when `signal` times out. */
function postTrusting(url: string, headers: Record<string, string>, body: string, signal: AbortSignal, ca: string[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, ca, signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_WEBHOOK_REPLY_BYTES) chunks.push(c);
      });
      res.on('end', () => resolve({
        ok: (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300, status: res.statusCode ?? 0, statusText: res.statusMessage ?? '',
        type: res.headers['content-type'] ?? '', ...(size <= MAX_WEBHOOK_REPLY_BYTES ? { text: Buffer.concat(chunks).toString('utf8') } : {}),
      }));
      res.on('error', reject);
    });
    req.on('error', (err) => reject(signal.aborted && signal.reason instanceof Error ? signal.reason : err));
    req.end(body);
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      resolve();
    }
  });
}
