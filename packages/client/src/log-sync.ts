import type { Message, ServerFrameOf } from '@parley/protocol';
import { Disconnected } from './connection.ts';
import { MLS_COMMIT_CONTENT_TYPE } from './e2ee/envelopes.ts';

export interface LogSyncDeps {
  pageSize: number;
  /** One page of a chat's log from the server. */
  history(chatId: string, q: { afterSeq?: number; beforeSeq?: number; limit: number }): Promise<ServerFrameOf<'history'>>;
  /** Whether the chat is (still) one of the user's: messages of others are dropped. */
  hasChat(chatId: string): boolean;
  /** Makes sure a chat seen first in a message is known (fetches it); false drops the message. */
  knowChat(chatId: string): Promise<boolean>;
  /**
   * Where an empty log should start (a seq) instead of the newest page, e.g. at the commit whose
   * Welcome let this device into the chat's encryption group: it must process the log from there.
   */
  findStart?(chatId: string, targetSeq: number): Promise<number | undefined>;
  /** Decodes and stores messages before they join the in-memory log. */
  keep(messages: readonly Message[]): Promise<void>;
  /** `fresh` continued the log at its end (live, ack or catch-up); `lastSeq` is the new end. */
  onAppended(chatId: string, fresh: readonly Message[], lastSeq: number): Promise<void>;
  /** Older messages were put in front of the log (scroll-back). */
  onPrepended(chatId: string): void;
  /** The client stopped: no more retries. */
  stopped?(): boolean;
  /** First wait before a failed catch-up is tried again (doubles to 30 s); default 1 s. */
  retryMs?: number;
}

const MAX_RETRY_MS = 30_000;

/**
 * Each chat's local log, kept contiguous and in server order (R4, R5): a message is appended only
 * if it is the next seq, a duplicate is ignored, one from ahead triggers a gap fill. Work on one
 * chat runs in order through a per-chat queue; chats sync independently. R145: the highest seq
 * heard of (a live message, an ack, a catch-up's target) is kept until the log holds it, so a gap
 * fill that failed is not forgotten: a dropped connection's is done by the next sign-in's catch-up
 * (whatever lastSeq that names), any other failure's (a key log or tree that could not be fetched)
 * is tried again after a growing wait, as nothing else may come to ask for it.
 */
export class LogSync {
  readonly #d: LogSyncDeps;
  readonly #logs = new Map<string, Message[]>();
  readonly #queues = new Map<string, Promise<void>>();
  /** R145: per chat, the highest seq known to exist. */
  readonly #heard = new Map<string, number>();
  /** R145: per chat, the pending retry of a failed catch-up and the wait before the next one. */
  readonly #retries = new Map<string, { timer: ReturnType<typeof setTimeout> | undefined; waitMs: number }>();

  constructor(deps: LogSyncDeps) {
    this.#d = deps;
  }

  /** The log this device holds for a chat (ascending, contiguous). */
  log(chatId: string): readonly Message[] {
    return this.#logs.get(chatId) ?? [];
  }

  entries(): IterableIterator<[string, readonly Message[]]> {
    return this.#logs.entries();
  }

  /** Takes in a stored log: its newest contiguous run (a crash can leave holes; older parts refetch). */
  restore(chatId: string, stored: Message[]): void {
    let start = stored.length - 1;
    while (start > 0 && (stored[start - 1]?.seq ?? 0) === (stored[start]?.seq ?? 0) - 1) start -= 1;
    this.#logs.set(chatId, start <= 0 ? stored : stored.slice(start));
  }

  forget(chatId: string): void {
    this.#logs.delete(chatId);
    this.#heard.delete(chatId);
    clearTimeout(this.#retries.get(chatId)?.timer);
    this.#retries.delete(chatId);
  }

  /** Ends pending retries (the client stops). */
  stop(): void {
    for (const r of this.#retries.values()) clearTimeout(r.timer);
    this.#retries.clear();
  }

  hasOlder(chatId: string): boolean {
    const first = this.#logs.get(chatId)?.[0];
    return first !== undefined && first.seq > 1;
  }

  loadOlder(chatId: string): Promise<void> {
    return this.#enqueue(chatId, async () => {
      const first = this.#logs.get(chatId)?.[0];
      if (!first || first.seq <= 1) return;
      const page = await this.#d.history(chatId, { beforeSeq: first.seq, limit: this.#d.pageSize });
      const older = page.messages.filter((m) => m.seq < first.seq);
      if (older.length === 0 || older.at(-1)?.seq !== first.seq - 1) return;
      await this.#d.keep(older);
      this.#logs.set(chatId, [...older, ...(this.#logs.get(chatId) ?? [])]);
      this.#d.onPrepended(chatId);
    });
  }

  /** A message from the server (live or ack): appended if next, ignored if known, gap-filled if ahead. */
  receive(message: Message): Promise<void> {
    return this.#enqueue(message.chatId, async () => {
      if (!this.#d.hasChat(message.chatId) && !(await this.#d.knowChat(message.chatId))) return;
      this.#hear(message.chatId, message.seq);
      const last = this.#logs.get(message.chatId)?.at(-1)?.seq ?? 0;
      if (message.seq <= last) return;
      if (message.seq === last + 1) await this.#append(message.chatId, [message]);
      else await this.#fetchUpTo(message.chatId, message.seq);
    });
  }

  /**
   * Fills the log up to targetSeq, or further: to the highest seq heard of (R145). A sign-in's list
   * may name a lastSeq older than a message event that reached the connection before its `auth_ok`.
   */
  catchUp(chatId: string, targetSeq: number): Promise<void> {
    return this.#enqueue(chatId, () => this.#fetchUpTo(chatId, this.#hear(chatId, targetSeq)));
  }

  /** Notes that `seq` exists in the chat; returns the highest seq heard of. */
  #hear(chatId: string, seq: number): number {
    const heard = Math.max(seq, this.#heard.get(chatId) ?? 0);
    this.#heard.set(chatId, heard);
    return heard;
  }

  /** Whether the log holds everything heard of (a retry is then not needed). */
  #caughtUp(chatId: string): boolean {
    const last = this.#logs.get(chatId)?.at(-1)?.seq;
    return last !== undefined ? last >= (this.#heard.get(chatId) ?? 0) : (this.#heard.get(chatId) ?? 0) === 0;
  }

  /** Resolves when every running sync settled (a stop waits for this, bounded by the caller). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()]);
  }

  /** Fills the log up to targetSeq: the newest page for an empty log, else forward from the last. */
  async #fetchUpTo(chatId: string, targetSeq: number): Promise<void> {
    for (;;) {
      const last = this.#logs.get(chatId)?.at(-1)?.seq;
      if (last !== undefined && last >= targetSeq) return;
      if (last === undefined && targetSeq === 0) return;
      const start = last === undefined ? await this.#d.findStart?.(chatId, targetSeq) : undefined;
      // Pages no bigger than the gap: the server charges a read by what it asks for (R40).
      const upTo = (from: number) => Math.max(1, Math.min(this.#d.pageSize, targetSeq - from));
      const page = last !== undefined
        ? await this.#d.history(chatId, { afterSeq: last, limit: upTo(last) })
        : start !== undefined
          ? await this.#d.history(chatId, { afterSeq: start - 1, limit: upTo(start - 1) })
          : await this.#d.history(chatId, { beforeSeq: targetSeq + 1, limit: upTo(0) });
      await this.#append(chatId, page.messages);
      const after = this.#logs.get(chatId)?.at(-1)?.seq;
      if (!page.hasMore || after === last) return;
    }
  }

  /** Appends messages that continue the log exactly; anything else is left for a gap fill. */
  async #append(chatId: string, messages: readonly Message[]): Promise<void> {
    const log = this.#logs.get(chatId) ?? [];
    let next = (log.at(-1)?.seq ?? (messages[0]?.seq ?? 1) - 1) + 1;
    const fresh: Message[] = [];
    for (const m of [...messages].sort((a, b) => a.seq - b.seq)) {
      if (m.chatId !== chatId || m.seq < next) continue;
      if (m.seq > next) break;
      fresh.push(m);
      next += 1;
    }
    if (fresh.length === 0 || !this.#d.hasChat(chatId)) return;
    await this.#d.keep(fresh);
    this.#logs.set(chatId, [...(this.#logs.get(chatId) ?? []), ...fresh]);
    await this.#d.onAppended(chatId, fresh, next - 1);
  }

  #enqueue(chatId: string, task: () => Promise<void>): Promise<void> {
    const run = (this.#queues.get(chatId) ?? Promise.resolve()).then(task).then(() => {
      const retry = this.#retries.get(chatId);
      if (retry && retry.timer === undefined && this.#caughtUp(chatId)) this.#retries.delete(chatId);
    }, (err: unknown) => {
      // A dropped connection's catch-up is the next sign-in's (R4); any other failure is retried here (R145).
      if (err instanceof Disconnected) return;
      console.warn('parley: sync of', chatId, 'failed (retried later):', err);
      this.#scheduleRetry(chatId);
    });
    this.#queues.set(chatId, run);
    void run.then(() => {
      if (this.#queues.get(chatId) === run) this.#queues.delete(chatId);
    });
    return run;
  }

  /** R145: a failed catch-up is tried again after a wait that doubles up to 30 s while it keeps failing. */
  #scheduleRetry(chatId: string): void {
    if (this.#d.stopped?.() || !this.#d.hasChat(chatId)) return;
    const retry = this.#retries.get(chatId) ?? { timer: undefined, waitMs: this.#d.retryMs ?? 1000 };
    if (retry.timer !== undefined) return;
    const waitMs = retry.waitMs;
    retry.waitMs = Math.min(MAX_RETRY_MS, waitMs * 2);
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      if (this.#d.stopped?.() || this.#caughtUp(chatId)) return;
      void this.catchUp(chatId, 0);
    }, waitMs * (0.5 + Math.random() / 2));
    (retry.timer as { unref?: () => void }).unref?.();
    this.#retries.set(chatId, retry);
  }
}

/** A device's last message in a chat's log that is not a commit (receivers check the chain of them, R30). */
export function lastSentBy(log: readonly Message[], userId: string, deviceId: string): string | undefined {
  for (let i = log.length - 1; i >= 0; i--) {
    const m = log[i];
    if (m && m.senderDeviceId === deviceId && m.senderUserId === userId && m.envelope && m.envelope.contentType !== MLS_COMMIT_CONTENT_TYPE) return m.clientMsgId;
  }
  return undefined;
}
