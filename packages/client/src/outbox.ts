import { ParleyError, type Content, type Envelope, type Message, type ServerFrameOf } from '@parley/protocol';
import { CodecFailed, CodecHeld, CodecNotReady, CodecRefused, CodecWaiting, decodePlain, type ContentCodec, type EncodeOptions } from './codec.ts';
import { Disconnected } from './connection.ts';
import { randomId } from './encoding.ts';
import type { ClientStore, OutboxItem } from './store.ts';

export interface OutboxDeps {
  userId: string;
  deviceId: string;
  store: ClientStore;
  codec: ContentCodec;
  online(): boolean;
  /** The `send` frame; resolves with the server's ack. */
  send(item: OutboxItem, envelope: Envelope): Promise<ServerFrameOf<'ack'>>;
  /** The acked message joins the chat's log (which then calls `acked`). */
  receive(message: Message): Promise<void>;
  /** This device's previous message in the chat, for the receivers' chain check (R30). */
  prev(chatId: string): string | undefined;
  changed(chatId: string): void;
  /** The codec can't encode for this chat yet (not in its encryption group). */
  notReady(chatId: string): void;
  /** A message waits because the chat's group still holds a device that no longer belongs (R34). */
  held(chatId: string): void;
  /**
   * R69, R82: whether this device's automatic posts may go to the chat now (not while this user is
   * muted, nor in slow mode, where one would take the slot of what the person writes next).
   */
  mayAutoPost?(chatId: string): boolean;
  onError(error: unknown): void;
}

/**
 * R152/R159: a message held for its chat's log (CodecWaiting) is tried again when the chat changes;
 * by itself only at its deadline or after this long (a fallback, should a change go unnoticed).
 */
export const HELD_RECHECK_MS = 30_000;

/** A message the codec can't encode yet (CodecNotReady) is tried again after this long, or when its chat's group moves (`retry`). */
export const NOT_READY_RETRY_MS = 1000;
/** R152/R159: a held message whose chat changed during its try is tried again at once this many times in a row at most. */
export const QUICK_RETRIES = 3;
/** The not-ready tries that ask for a group check: the 1st, 2nd, 4th … 32nd, then every 32nd (at most one a ~32 s). */
export const NOT_READY_CHECK_EVERY = 32;

/** Whether the `tries`-th not-ready try in a row asks for a group check. */
export function asksForCheck(tries: number): boolean {
  return tries <= NOT_READY_CHECK_EVERY ? (tries & (tries - 1)) === 0 : tries % NOT_READY_CHECK_EVERY === 0;
}

export interface AddOptions {
  membersSince?: number;
  clientMsgId?: string;
  createdAt?: number;
  blobs?: readonly string[];
  release?: readonly string[];
  /** R83: the content's franking commitment. */
  frank?: string;
  /** R87: a vote (the `send` says so, for announcements chats). */
  vote?: true;
  /** R178: wakes no one (the `send` says `quiet`: no Web Push); every kind but those in WAKING_KINDS is always (R189). */
  quiet?: true;
  /** R69, R82: this device's automatic post: judged again by `mayAutoPost` when its turn comes. */
  auto?: true;
}

/**
 * R178, R189: only what a person reads as a new message wakes a phone (R12's push says "New message").
 * Every other kind (edits, deletions, reactions, votes, pins, call signalling, which R118 rings for on
 * its own, hidden content such as drafts, key-log heads, epoch keys, history and re-sends) asks for no push.
 */
const WAKING_KINDS: ReadonlySet<Content['kind']> = new Set(['text', 'poll']);

/**
 * What this device wrote and the server has not acknowledged yet (R6): kept in the store as written,
 * encoded (encrypted) only when it goes out, sent in order, one unacknowledged message per chat.
 */
export class Outbox {
  readonly #d: OutboxDeps;
  #items: OutboxItem[] = [];
  readonly #contents = new Map<string, Content>();
  readonly #sending = new Set<string>();
  /** Per chat, ends the wait of a message the codec could not encode yet. */
  readonly #wakers = new Map<string, () => void>();
  /** Chats whose waiting message waits for the chat to change (CodecWaiting), not for its group. */
  readonly #awaitingChange = new Set<string>();
  /**
   * Counts changes, per chat and of every chat at once (`chatChanged()`): one during a try of that
   * chat is not missed. Per chat, so a change of another chat neither wakes nor spends a chat's quick retries.
   */
  readonly #changes = new Map<string, number>();
  #changesOfAll = 0;
  /** Per chat: tries in a row that ended CodecWaiting while the chat changed (each retried at once, QUICK_RETRIES at most). */
  readonly #quickRetries = new Map<string, number>();
  /** Per chat: tries in a row that ended CodecNotReady, for the group check's backoff (`asksForCheck`). */
  readonly #notReadyTries = new Map<string, number>();

  constructor(deps: OutboxDeps) {
    this.#d = deps;
  }

  /** Takes in what the store kept (items from before content was kept hold a plaintext envelope). */
  async load(): Promise<void> {
    this.#items = await this.#d.store.listOutbox();
    for (const item of this.#items) {
      const content = item.content ?? (item.envelope && decodePlain(item.envelope));
      if (content) this.#contents.set(item.clientMsgId, content);
    }
  }

  items(): readonly OutboxItem[] {
    return this.#items;
  }

  /** What a waiting (or just acked) message of this device says. */
  content(clientMsgId: string): Content | undefined {
    return this.#contents.get(clientMsgId);
  }

  /** The contents waiting in one chat, oldest first. */
  contents(chatId: string): Content[] {
    return this.#items.filter((o) => o.chatId === chatId).flatMap((o) => this.#contents.get(o.clientMsgId) ?? []);
  }

  /**
   * `opts.membersSince`: a message sent again (R32), dropped unsent if the group gained devices since then.
   * `blobs`/`release`: named in every `send` of it (R54/R56). `clientMsgId`/`createdAt`: a message
   * that waited for its files keeps the id and time it was shown with.
   */
  async add(chatId: string, content: Content, opts: AddOptions = {}): Promise<string> {
    if (opts.clientMsgId !== undefined && this.#items.some((o) => o.clientMsgId === opts.clientMsgId)) return opts.clientMsgId;
    const item: OutboxItem = {
      chatId, clientMsgId: opts.clientMsgId ?? randomId(), content, createdAt: opts.createdAt ?? Date.now(), attempts: 0,
      ...(opts.membersSince !== undefined ? { membersSince: opts.membersSince } : {}),
      ...(opts.blobs?.length ? { blobs: [...opts.blobs] } : {}), ...(opts.release?.length ? { release: [...opts.release] } : {}),
      ...(opts.frank !== undefined ? { frank: opts.frank } : {}), ...(opts.vote ? { vote: true as const } : {}),
      ...(opts.quiet || !WAKING_KINDS.has(content.kind) ? { quiet: true as const } : {}), ...(opts.auto ? { auto: true as const } : {}),
    };
    this.#contents.set(item.clientMsgId, content);
    await this.#d.store.putOutbox(item);
    // R152: an admission is what ends a hold on the chat: it goes before the chat's held messages; R159: so does a rights statement.
    const front = content.kind === 'community_admit' || content.kind === 'community_rights' ? this.#items.findIndex((o) => o.chatId === chatId && !o.failedCode) : -1;
    if (front >= 0) this.#items.splice(front, 0, item);
    else this.#items.push(item);
    this.#d.changed(chatId);
    this.flush();
    return item.clientMsgId;
  }

  /** These messages of this device reached the chat's log: they leave the outbox. */
  async acked(chatId: string, clientMsgIds: ReadonlySet<string>): Promise<void> {
    if (clientMsgIds.size === 0) return;
    this.#items = this.#items.filter((o) => !(o.chatId === chatId && clientMsgIds.has(o.clientMsgId)));
    await Promise.all([...clientMsgIds].map((id) => this.#d.store.deleteOutbox(id)));
  }

  /** Sends each chat's outbox in order, one unacknowledged message per chat at a time (R6). */
  flush(): void {
    if (!this.#d.online()) return;
    for (const item of this.#items) {
      if (item.failedCode || this.#sending.has(item.chatId)) continue;
      this.#sending.add(item.chatId);
      void this.#sendOne(item).finally(() => {
        this.#sending.delete(item.chatId);
        this.flush();
      });
    }
  }

  /** The chat's group moved (a commit applied, a hold released): a message of it waiting for the codec tries again now. */
  retry(chatId: string): void {
    this.#wakers.get(chatId)?.();
    this.flush();
  }

  /** R176: a message that failed (`failedCode`) goes again in its turn; R159's wait starts again from now (`retriedAt`). */
  async retryFailed(chatId: string, clientMsgId: string): Promise<boolean> {
    const item = this.#items.find((o) => o.chatId === chatId && o.clientMsgId === clientMsgId && o.failedCode);
    if (!item) return false;
    delete item.failedCode;
    item.retriedAt = Date.now();
    await this.#d.store.putOutbox(item);
    this.#d.changed(chatId);
    this.flush();
    return true;
  }

  /** R176: a message that failed is dropped, never sent. */
  async discardFailed(chatId: string, clientMsgId: string): Promise<boolean> {
    const item = this.#items.find((o) => o.chatId === chatId && o.clientMsgId === clientMsgId && o.failedCode);
    if (item) await this.#drop(item);
    return item !== undefined;
  }

  /**
   * R152/R159: the chat changed as this device sees it (log entries applied, its summary, or, without
   * an id, any chat): a message of it held for its log (CodecWaiting) is judged again now.
   */
  chatChanged(chatId?: string): void {
    if (chatId === undefined) this.#changesOfAll += 1;
    else this.#changes.set(chatId, (this.#changes.get(chatId) ?? 0) + 1);
    for (const id of chatId === undefined ? [...this.#awaitingChange] : [chatId]) if (this.#awaitingChange.has(id)) this.#wakers.get(id)?.();
  }

  /** Waits `ms`, or until `retry(chatId)` (or, `forChange`, `chatChanged(chatId)`). */
  #pause(chatId: string, ms: number, forChange = false): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.#wakers.get(chatId) === done) {
          this.#wakers.delete(chatId);
          this.#awaitingChange.delete(chatId);
        }
        resolve();
      };
      if (forChange) this.#awaitingChange.add(chatId);
      else this.#awaitingChange.delete(chatId);
      const timer = setTimeout(done, ms);
      this.#wakers.set(chatId, done);
    });
  }

  /** Never to be sent: it leaves the outbox. */
  async #drop(item: OutboxItem): Promise<void> {
    this.#items = this.#items.filter((o) => o !== item);
    this.#contents.delete(item.clientMsgId);
    await this.#d.store.deleteOutbox(item.clientMsgId);
    this.#d.changed(item.chatId);
  }

  async #fail(item: OutboxItem, code: string): Promise<void> {
    item.failedCode = code;
    await this.#d.store.putOutbox(item);
    this.#d.changed(item.chatId);
  }

  /** Moves on every change that concerns the chat (its own, or every chat's). */
  #changeMark(chatId: string): number {
    return this.#changesOfAll + (this.#changes.get(chatId) ?? 0);
  }

  async #sendOne(item: OutboxItem): Promise<void> {
    let envelope: Envelope;
    const chatId = item.chatId;
    const mark = this.#changeMark(chatId);
    // An automatic post queued before the chat went into slow mode (or this user was muted) would take the
    // slot of the person's next message there (or be refused): it is dropped, as it would not have been queued now.
    if (item.auto && this.#d.mayAutoPost?.(chatId) === false) {
      await this.#drop(item);
      return;
    }
    try {
      if (item.envelope) envelope = item.envelope;
      else if (item.content) {
        const prev = this.#d.prev(item.chatId);
        const options: EncodeOptions = { ...(prev ? { prev } : {}), ...(item.membersSince !== undefined ? { membersSince: item.membersSince } : {}), createdAt: item.retriedAt ?? item.createdAt };
        envelope = await this.#d.codec.encode(item.chatId, item.content, options);
      } else {
        await this.#fail(item, 'bad_request');
        return;
      }
    } catch (err) {
      if (err instanceof CodecRefused) {
        await this.#drop(item);
        return;
      }
      if (err instanceof CodecFailed) { // R159: kept, shown as failed with its code
        await this.#fail(item, err.code);
        return;
      }
      // Not in the chat's encryption group yet, or its group holds a device that no longer belongs:
      // the message waits (shown as sending) until the group moves.
      if (!(err instanceof CodecWaiting)) this.#quickRetries.delete(chatId);
      if (!(err instanceof CodecNotReady) || err instanceof CodecHeld || err instanceof CodecWaiting) this.#notReadyTries.delete(chatId);
      if (err instanceof CodecHeld) this.#d.held(chatId);
      else if (err instanceof CodecWaiting) { /* R159: its log, not its group, has to move */ }
      else if (err instanceof CodecNotReady) {
        // Tried each second, but the group is checked only on the 1st, 2nd, 4th, … try (then every 32nd):
        // a commit or welcome wakes the message at once (`retry`), so the checks need not chase it.
        const tries = (this.#notReadyTries.get(chatId) ?? 0) + 1;
        this.#notReadyTries.set(chatId, tries);
        if (asksForCheck(tries)) this.#d.notReady(chatId);
      } else this.#d.onError(err);
      if (err instanceof CodecWaiting) {
        // R152/R159: judged again when the chat changes (at once if it did during this try), else at the deadline.
        // (QUICK_RETRIES times in a row at most, counted per chat: a try that itself changes its chat must not
        // spin, and one chat that does must not make another's change wait for the deadline.)
        const quick = this.#quickRetries.get(chatId) ?? 0;
        if (this.#changeMark(chatId) !== mark && quick < QUICK_RETRIES) {
          this.#quickRetries.set(chatId, quick + 1);
          return;
        }
        this.#quickRetries.delete(chatId);
        await this.#pause(chatId, Math.min(err.deadlineMs ?? HELD_RECHECK_MS, HELD_RECHECK_MS), true);
      } else if (err instanceof CodecNotReady) await this.#pause(chatId, NOT_READY_RETRY_MS);
      else await new Promise((r) => setTimeout(r, 2000));
      return;
    }
    this.#quickRetries.delete(chatId);
    this.#notReadyTries.delete(chatId);
    item.attempts += 1;
    try {
      const ack = await this.#d.send(item, envelope);
      await this.#d.receive({
        chatId: item.chatId, seq: ack.seq, clientMsgId: item.clientMsgId, senderUserId: this.#d.userId,
        senderDeviceId: this.#d.deviceId, sentAt: ack.sentAt, envelope, system: null, ...(item.frank !== undefined ? { frank: item.frank } : {}), // R83b
      });
    } catch (err) {
      if (err instanceof Disconnected) return; // retried after reconnect
      if (err instanceof ParleyError && err.code === 'rate_limited') {
        await new Promise((r) => setTimeout(r, (err.retryAfter ?? 1) * 1000));
        return;
      }
      if (err instanceof ParleyError && (err.code === 'internal' || err.code === 'slow_consumer')) {
        await new Promise((r) => setTimeout(r, 1000));
        return;
      }
      await this.#fail(item, err instanceof ParleyError ? err.code : 'internal');
    }
  }
}
