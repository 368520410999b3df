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
}

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
      const error = await this.#post(url, update, signal);
      if (error === undefined) {
        failures = 0;
        this.#queue.confirm(update.update_id + 1);
        continue;
      }
      if (signal.aborted) return;
      this.#lastError = { date: Date.now(), message: error };
      const wait = Math.min(this.#o.maxRetryMs, this.#o.retryMinMs * 2 ** failures);
      failures += 1;
      this.#o.log(`webhook: update ${update.update_id} failed (${error}); retrying in ${wait} ms`);
      await sleep(wait, signal);
    }
  }

  /** Undefined when the bot took the update; else why not, in Telegram's words where it has them. */
  async #post(url: string, update: Update, stop: AbortSignal): Promise<string | undefined> {
    const headers = { 'content-type': 'application/json', ...(this.#secret ? { [this.#o.secretHeader ?? 'x-telegram-bot-api-secret-token']: this.#secret } : {}) };
    const body = JSON.stringify(this.#o.body ? this.#o.body(update) : update);
    const signal = AbortSignal.any([stop, AbortSignal.timeout(this.#o.timeoutMs)]);
    try {
      let res: { ok: boolean; status: number; statusText: string };
      if (this.#o.ca !== undefined && /^https:/i.test(url)) res = await postTrusting(url, headers, body, signal, [...rootCertificates, this.#o.ca]);
      else {
        const answer = await fetch(url, { method: 'POST', headers, body, signal });
        await answer.arrayBuffer().catch(() => undefined);
        res = answer;
      }
      return res.ok ? undefined : `Wrong response from the webhook: ${res.status} ${res.statusText}`;
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError') return 'Read timeout expired';
      // fetch says "fetch failed" and keeps why (refused, a certificate not trusted…) in its cause.
      const why = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
      return `Connection failed: ${why}`;
    }
  }
}

/** An https POST that trusts `ca` (fetch takes no certificates); fails as fetch would, a TimeoutError when `signal` times out. */
function postTrusting(url: string, headers: Record<string, string>, body: string, signal: AbortSignal, ca: string[]): Promise<{ ok: boolean; status: number; statusText: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, ca, signal }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300, status: res.statusCode ?? 0, statusText: res.statusMessage ?? '' }));
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
