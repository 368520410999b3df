/** R89: what a message's thread looks like from the chat's flow. */
export interface ThreadSummary {
  /** Replies in the thread that are not deleted. */
  replies: number;
  /** The latest one's time. */
  lastReplyAt: number;
  /** Who replied, the latest first (at most three). */
  repliers: string[];
  /**
   * Replies by others this person has not seen, in a thread they are in (they wrote the message or
   * replied): those after their own latest reply there and after this device last showed the thread
   * (`ThreadMarks`). 0 in threads they are not in.
   */
  unread: number;
}

interface ThreadRow { id: string; seq: number | null; mine: boolean; senderUserId: string; sentAt: number; deleted: boolean; inThread?: string; thread?: ThreadSummary }

/**
 * R89: a reply in a thread names its root (`thread`); a reply naming a message that is itself in a
 * thread goes to that thread's root (threads don't nest). A reply whose root this device does not
 * hold (older than what it loaded, sent before it joined) stays in the flow, where it can be read.
 * Sets each root's summary from its replies (deleted ones don't count); `inThread` stays on every
 * other reply so the flow can leave them out.
 */
export function foldThreads(items: ThreadRow[], byId: ReadonlyMap<string, ThreadRow>, seen: (rootId: string) => number = () => 0): void {
  for (const item of items) {
    if (item.inThread === undefined) continue;
    const named = byId.get(item.inThread);
    if (!named) delete item.inThread;
    else if (named.inThread !== undefined) item.inThread = named.inThread;
  }
  const replies = new Map<ThreadRow, ThreadRow[]>();
  for (const item of items) {
    if (item.inThread === undefined || item.deleted) continue;
    const root = byId.get(item.inThread);
    if (!root || root.inThread !== undefined) continue;
    const t = (root.thread ??= { replies: 0, lastReplyAt: 0, repliers: [], unread: 0 });
    t.replies += 1;
    t.lastReplyAt = Math.max(t.lastReplyAt, item.sentAt);
    t.repliers = [item.senderUserId, ...t.repliers.filter((u) => u !== item.senderUserId)].slice(0, 3);
    replies.set(root, [...(replies.get(root) ?? []), item]);
  }
  for (const [root, list] of replies) {
    const mine = list.filter((r) => r.mine);
    if (!root.mine && mine.length === 0) continue; // not their thread: nothing counts as new
    // What they wrote there themselves they have seen, and everything before it. A reply still being sent is newest.
    const ownLast = mine.some((r) => r.seq === null) ? Infinity : Math.max(root.mine ? (root.seq ?? Infinity) : 0, ...mine.map((r) => r.seq ?? 0));
    const mark = Math.max(ownLast, seen(root.id));
    if (root.thread) root.thread.unread = list.filter((r) => !r.mine && r.seq !== null && r.seq > mark).length;
  }
}

/**
 * R89: how far this device has seen each thread (the log position of the latest reply it showed),
 * kept in the store per chat. Device-local: opening a thread on one device leaves it new on another.
 */
export interface ThreadMarksDeps {
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  changed(chatId: string): void;
}

export class ThreadMarks {
  readonly #marks = new Map<string, Map<string, number>>();
  readonly #loading = new Map<string, Promise<void>>();
  readonly #d: ThreadMarksDeps;

  constructor(deps: ThreadMarksDeps) {
    this.#d = deps;
  }

  /** The log position up to which this device has shown the thread of `rootId` (0: never). */
  seen(chatId: string, rootId: string): number {
    const marks = this.#marks.get(chatId);
    if (!marks) this.load(chatId).catch(() => undefined); // first asked: read from the store; the chat is folded again once there
    return marks?.get(rootId) ?? 0;
  }

  /** Loads a chat's marks (once per chat per run). */
  async load(chatId: string): Promise<void> {
    if (this.#marks.has(chatId)) return;
    const pending = this.#loading.get(chatId);
    if (pending) return pending;
    const loading = this.#read(chatId).finally(() => this.#loading.delete(chatId));
    this.#loading.set(chatId, loading);
    return loading;
  }

  async #read(chatId: string): Promise<void> {
    const raw = await this.#d.getMeta(`thread-seen:${chatId}`);
    const marks = new Map<string, number>();
    try {
      for (const [k, v] of Object.entries(raw ? (JSON.parse(raw) as Record<string, unknown>) : {})) if (typeof v === 'number') marks.set(k, v);
    } catch { /* a damaged record: every thread counts from the person's own replies */ }
    if (!this.#marks.has(chatId)) this.#marks.set(chatId, marks);
    if (marks.size > 0) this.#d.changed(chatId);
  }

  /** The thread was shown up to `seq`: its replies up to there are no longer new. */
  async see(chatId: string, rootId: string, seq: number): Promise<void> {
    await this.load(chatId);
    const marks = this.#marks.get(chatId) ?? new Map<string, number>();
    if ((marks.get(rootId) ?? 0) >= seq) return;
    marks.set(rootId, seq);
    this.#marks.set(chatId, marks);
    this.#d.changed(chatId);
    await this.#d.setMeta(`thread-seen:${chatId}`, JSON.stringify(Object.fromEntries(marks)));
  }
}

/** R89: the chat's flow without the replies that live in threads. */
export function mainFlow<T extends { inThread?: string }>(items: readonly T[]): T[] {
  return items.filter((i) => i.inThread === undefined);
}

/** R89: a thread: its root, then its replies in log order. */
export function threadItems<T extends { id: string; inThread?: string }>(items: readonly T[], rootId: string): T[] {
  return items.filter((i) => i.id === rootId || i.inThread === rootId);
}
