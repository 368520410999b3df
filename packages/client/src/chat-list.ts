import { ParleyError, type ChatSummary } from '@parley/protocol';

/** R117: the list's summaries are patched by large groups' `members` frames (member-delta.ts). */
export { withMemberDelta } from './member-delta.ts';

export interface ChatListDeps {
  /** One page of the list after `after` (the first without it). */
  page(after: string | undefined): Promise<{ chats: ChatSummary[]; next?: string | undefined }>;
  /** The chats this device holds now. */
  known(): Iterable<string>;
  /** A chat of the list: shown at once; its log caught up now or (`catchUp` false) after the list is read. */
  take(chat: ChatSummary, catchUp: boolean): void;
  forget(chatId: string): void;
  catchUp(chatId: string): void;
  changed(): void;
  /** A reading that is still the current one failed (not one a newer reading replaced). */
  onError(err: unknown): void;
}

/**
 * R40: takes in the chat list page by page (the first came with `auth_ok`, or is read here), each
 * chat as it comes, then forgets the chats the server no longer lists. A newer reading (a
 * reconnect, a `resync`) replaces a running one; a dropped connection ends it (the next sign-in
 * starts over).
 */
export class ChatListReader {
  readonly #d: ChatListDeps;
  #current = { complete: false };

  constructor(deps: ChatListDeps) {
    this.#d = deps;
  }

  /** Whether the current connection has read the whole list. */
  get complete(): boolean {
    return this.#current.complete;
  }

  async read(first?: ChatSummary[], next?: string): Promise<void> {
    const reading = { complete: false };
    this.#current = reading;
    const seen = new Set<string>();
    // A list in one page (most people) is caught up chat by chat as it comes. A longer one shows each
    // chat as it comes and catches the logs up once it is read: its pages are not queued behind
    // thousands of history reads (a connection has 4 reads in flight, R40).
    const onePage = first !== undefined && next === undefined;
    try {
      let page = first ?? [];
      let cursor = next;
      if (!first) ({ chats: page, next: cursor } = await this.#d.page(undefined));
      for (;;) {
        for (const chat of page) {
          seen.add(chat.chatId);
          this.#d.take(chat, onePage);
        }
        if (cursor === undefined) break;
        if (this.#current !== reading) return;
        ({ chats: page, next: cursor } = await this.#d.page(cursor));
      }
    } catch (err) {
      if (this.#current === reading) this.#d.onError(err);
      return;
    }
    if (this.#current !== reading) return;
    for (const chatId of [...this.#d.known()]) if (!seen.has(chatId)) this.#d.forget(chatId);
    reading.complete = true;
    this.#d.changed();
    if (!onePage) for (const chatId of seen) this.#d.catchUp(chatId);
  }
}

/**
 * Asks again after the wait a `rate_limited` answer names (spread out: many requests may be waiting
 * for the same bucket), until it is answered, fails otherwise, or `stopped`.
 */
export async function untilNotRateLimited<T>(request: () => Promise<T>, stopped: () => boolean): Promise<T> {
  for (;;) {
    try {
      return await request();
    } catch (err) {
      if (!(err instanceof ParleyError && err.code === 'rate_limited') || stopped()) throw err;
      await new Promise((r) => setTimeout(r, Math.min(30, err.retryAfter ?? 1) * (1000 + Math.random() * 1000)));
    }
  }
}
