/** R89: what a message's thread looks like from the chat's flow. */
export interface ThreadSummary {
  /** Replies in the thread that are not deleted. */
  replies: number;
  /** The latest one's time. */
  lastReplyAt: number;
  /** Who replied, the latest first (at most three). */
  repliers: string[];
}

interface ThreadRow { id: string; senderUserId: string; sentAt: number; deleted: boolean; inThread?: string; thread?: ThreadSummary }

/**
 * R89: a reply in a thread names its root (`thread`); a reply naming a message that is itself in a
 * thread goes to that thread's root (threads don't nest). A reply whose root this device does not
 * hold (older than what it loaded, sent before it joined) stays in the flow, where it can be read.
 * Sets each root's summary from its replies (deleted ones don't count); `inThread` stays on every
 * other reply so the flow can leave them out.
 */
export function foldThreads(items: ThreadRow[], byId: ReadonlyMap<string, ThreadRow>): void {
  for (const item of items) {
    if (item.inThread === undefined) continue;
    const named = byId.get(item.inThread);
    if (!named) delete item.inThread;
    else if (named.inThread !== undefined) item.inThread = named.inThread;
  }
  for (const item of items) {
    if (item.inThread === undefined || item.deleted) continue;
    const root = byId.get(item.inThread);
    if (!root || root.inThread !== undefined) continue;
    const t = (root.thread ??= { replies: 0, lastReplyAt: 0, repliers: [] });
    t.replies += 1;
    t.lastReplyAt = Math.max(t.lastReplyAt, item.sentAt);
    t.repliers = [item.senderUserId, ...t.repliers.filter((u) => u !== item.senderUserId)].slice(0, 3);
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
