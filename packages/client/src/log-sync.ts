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
}

/**
 * Each chat's local log, kept contiguous and in server order (R4, R5): a message is appended only
 * if it is the next seq, a duplicate is ignored, one from ahead triggers a gap fill. Work on one
 * chat runs in order through a per-chat queue; chats sync independently.
 */
export class LogSync {
  readonly #d: LogSyncDeps;
  readonly #logs = new Map<string, Message[]>();
  readonly #queues = new Map<string, Promise<void>>();

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
      const last = this.#logs.get(message.chatId)?.at(-1)?.seq ?? 0;
      if (message.seq <= last) return;
      if (message.seq === last + 1) await this.#append(message.chatId, [message]);
      else await this.#fetchUpTo(message.chatId, message.seq);
    });
  }

  catchUp(chatId: string, targetSeq: number): Promise<void> {
    return this.#enqueue(chatId, () => this.#fetchUpTo(chatId, targetSeq));
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
    const run = (this.#queues.get(chatId) ?? Promise.resolve()).then(task).catch((err: unknown) => {
      if (!(err instanceof Disconnected)) console.warn('parley: sync of', chatId, 'failed:', err);
    });
    this.#queues.set(chatId, run);
    void run.then(() => {
      if (this.#queues.get(chatId) === run) this.#queues.delete(chatId);
    });
    return run;
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
