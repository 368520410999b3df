/** One Telegram update as the bot receives it: `update_id` and one of the update kinds. */
export type Update = { update_id: number } & Record<string, unknown>;

/** Update kinds this gateway produces (docs/BOTS.md). */
export const UPDATE_KINDS = ['message', 'edited_message', 'callback_query', 'my_chat_member', 'chat_member', 'message_reaction', 'poll', 'poll_answer'] as const;
/** What a bot gets when it names none, as Telegram: all but chat_member and message_reaction (asked for by name). */
export const DEFAULT_UPDATE_KINDS = ['message', 'edited_message', 'callback_query', 'my_chat_member', 'poll', 'poll_answer'] as const;

/**
 * R94: the updates waiting for getUpdates: at most `maxKept` (the oldest dropped first, counted in
 * `dropped`), confirmed by the next call's `offset`, long-polled up to `timeout` seconds.
 */
export class UpdateQueue {
  readonly #max: number;
  #items: Update[] = [];
  #waiters = new Set<() => void>();
  /** Kinds the bot asked for in its last getUpdates with allowed_updates (Telegram keeps that choice). */
  #allowed: ReadonlySet<string>;
  /** What a bot gets when it names no kinds (Telegram's default set; the Max facade's are all of its own, R109). */
  readonly #defaults: readonly string[];
  dropped = 0;

  /** `kinds`: every kind this queue's facade produces; by default Telegram's, of which a bot naming none gets DEFAULT_UPDATE_KINDS. */
  constructor(maxKept: number, kinds: readonly string[] = UPDATE_KINDS) {
    this.#max = maxKept;
    this.#defaults = kinds === UPDATE_KINDS ? DEFAULT_UPDATE_KINDS : kinds;
    this.#allowed = new Set(this.#defaults);
  }

  get size(): number { return this.#items.length; }

  push(update: Update): void {
    const kind = Object.keys(update).find((k) => k !== 'update_id');
    if (kind && !this.#allowed.has(kind)) return;
    this.#items.push(update);
    if (this.#items.length > this.#max) {
      this.dropped += this.#items.length - this.#max;
      this.#items = this.#items.slice(-this.#max);
    }
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** getUpdates: confirms those before `offset`, then answers at once or when one comes (or at the timeout). */
  async take(opts: { offset?: number; limit: number; timeoutSec: number; allowed?: readonly string[]; signal?: AbortSignal }): Promise<Update[]> {
    if (opts.allowed !== undefined) this.#allowed = new Set(opts.allowed.length > 0 ? opts.allowed : this.#defaults);
    if (opts.offset !== undefined) {
      const offset = opts.offset;
      // Telegram: a negative offset keeps that many from the end.
      this.#items = offset < 0 ? this.#items.slice(offset) : this.#items.filter((u) => u.update_id >= offset);
    }
    const ready = () => this.#items.filter((u) => this.#allowed.has(Object.keys(u).find((k) => k !== 'update_id') ?? '')).slice(0, opts.limit);
    const now = ready();
    if (now.length > 0 || opts.timeoutSec <= 0) return now;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        opts.signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, opts.timeoutSec * 1000);
      this.#waiters.add(done);
      opts.signal?.addEventListener('abort', done);
    });
    return ready();
  }

  /** Drops the updates before `offset` (they were delivered). */
  confirm(offset: number): void {
    this.#items = this.#items.filter((u) => u.update_id >= offset);
  }

  /** Drops every kept update (`drop_pending_updates`). */
  confirmAll(): void {
    this.#items = [];
  }

  /** Wakes every waiting getUpdates (on stop). */
  wakeAll(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }
}
