import type { UpdateQueue } from '../updates.ts';
import { WebhookSender, type WebhookOptions } from '../webhook.ts';

/**
 * R109: Max's webhook subscriptions (one at a time, as the gateway's Telegram webhook): each update
 * is POSTed as Max sends it, with `X-Max-Bot-Api-Secret` when a secret was given, in order, retried
 * with backoff, from the same bounded queue as GET /updates (R94b's rules).
 */
export class MaxSubscriptions {
  readonly #sender: WebhookSender;
  #hook: { url: string; time: number; types?: string[] } | undefined;

  constructor(queue: UpdateQueue, options: Omit<WebhookOptions, 'body' | 'secretHeader'>) {
    this.#sender = new WebhookSender(queue, {
      ...options, secretHeader: 'x-max-bot-api-secret',
      body: (u) => Object.entries(u).find(([k]) => k !== 'update_id')?.[1],
    });
  }

  get active(): boolean { return this.#hook !== undefined; }
  get url(): string | undefined { return this.#hook?.url; }

  list(): { url: string; time: number; update_types: string[] | null; version: string }[] {
    return this.#hook ? [{ url: this.#hook.url, time: this.#hook.time, update_types: this.#hook.types ?? null, version: '0.0.1' }] : [];
  }

  async set(url: string, opts: { secret?: string; allowed?: string[] }): Promise<void> {
    await this.#sender.set(url, opts);
    this.#hook = { url, time: Date.now(), ...(opts.allowed ? { types: opts.allowed } : {}) };
  }

  async delete(opts: { dropPending: boolean }): Promise<void> {
    this.#hook = undefined;
    await this.#sender.delete(opts);
  }
}
