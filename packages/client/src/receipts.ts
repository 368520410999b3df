import type { ChatSummary, Message } from '@parley/protocol';
import type { StoredMessage } from './store.ts';

/** A receipt moves a member's delivered/read marks forward, never back. False if the member is unknown. */
export function applyReceipt(chat: ChatSummary, r: { userId: string; kind: 'delivered' | 'read'; upToSeq: number }): boolean {
  const member = chat.members.find((m) => m.userId === r.userId);
  if (!member) return false;
  if (r.kind === 'read') member.readSeq = Math.max(member.readSeq, r.upToSeq);
  member.deliveredSeq = Math.max(member.deliveredSeq, r.upToSeq);
  return true;
}

/** A summary read before a newer receipt must not move marks back: keeps the higher of each. */
export function keepNewerReceipts(incoming: ChatSummary, local: ChatSummary | undefined): void {
  // By id, not a search per member: O(members), which a 5,000-member chat needs (issue 12).
  const old = new Map((local?.members ?? []).map((m) => [m.userId, m]));
  for (const member of incoming.members) {
    const before = old.get(member.userId);
    if (!before) continue;
    member.readSeq = Math.max(member.readSeq, before.readSeq);
    member.deliveredSeq = Math.max(member.deliveredSeq, before.deliveredSeq, before.readSeq);
  }
}

/** Unread texts from others after my read mark; the server's count when the log doesn't reach back that far. */
export function unreadCount(chat: ChatSummary, log: readonly Message[], myUserId: string): number {
  const readSeq = chat.members.find((m) => m.userId === myUserId)?.readSeq ?? 0;
  if ((log[0]?.seq ?? 1) > readSeq + 1) return chat.unread;
  return log.filter((m) => {
    const d = (m as StoredMessage).decoded;
    return m.seq > readSeq && m.senderUserId !== myUserId && d?.kind === 'content' && (d.content.kind === 'text' || d.content.kind === 'poll');
  }).length;
}

export interface ReceiptSenderDeps {
  userId: string;
  chat(chatId: string): ChatSummary | undefined;
  logs(): Iterable<[string, readonly Message[]]>;
  notify(frame: { type: 'receipt'; chatId: string; kind: 'delivered' | 'read'; upToSeq: number }): void;
  putChat(chat: ChatSummary): Promise<void>;
  changed(chatId: string): void;
}

/** What the client sends of its own receipts: delivered marks (batched, 200 ms) and read marks. */
export class ReceiptSender {
  readonly #sent = new Map<string, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #d: ReceiptSenderDeps;

  constructor(deps: ReceiptSenderDeps) {
    this.#d = deps;
  }

  /** New messages arrived: a delivered receipt for each chat whose log grew goes out soon, once. */
  delivered(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      for (const [chatId, log] of this.#d.logs()) {
        const last = log.at(-1)?.seq ?? 0;
        if (last > (this.#sent.get(chatId) ?? 0)) {
          this.#sent.set(chatId, last);
          this.#d.notify({ type: 'receipt', chatId, kind: 'delivered', upToSeq: last });
        }
      }
    }, 200);
  }

  /** Marks everything this device holds of the chat as read (and tells the others); false if nothing was new. */
  read(chatId: string, lastSeq: number): boolean {
    const chat = this.#d.chat(chatId);
    const me = chat?.members.find((m) => m.userId === this.#d.userId);
    if (!chat || !me || me.readSeq >= lastSeq) return false;
    me.readSeq = lastSeq;
    me.deliveredSeq = Math.max(me.deliveredSeq, lastSeq);
    chat.unread = 0;
    void this.#d.putChat(chat);
    this.#d.notify({ type: 'receipt', chatId, kind: 'read', upToSeq: lastSeq });
    this.#d.changed(chatId);
    return true;
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}
