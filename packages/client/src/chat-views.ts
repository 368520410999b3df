import type { ChatSummary, Message } from '@parley/protocol';
import type { ChatView } from './client-options.ts';
import type { ChatEncryption } from './e2ee/chat-encryption.ts';
import type { Uploads } from './files/uploads.ts';
import type { LogSync } from './log-sync.ts';
import { isNoteToSelf } from './note-to-self.ts';
import type { Outbox } from './outbox.ts';
import { unreadCount } from './receipts.ts';
import { unreadMentions } from './mentions.ts';
import type { StoredMessage } from './store.ts';
import { foldTimeline, type TimelineItem } from './timeline.ts';
import type { TypingState } from './typing.ts';

export interface ChatViewsDeps {
  userId: string;
  chats: ReadonlyMap<string, ChatSummary>;
  sync: LogSync;
  outbox: Outbox;
  typing: TypingState;
  enc(): ChatEncryption | undefined;
  uploads(): Uploads;
  threadSeen(chatId: string, rootId: string): number;
}

/**
 * What the client shows of its local copy: each chat's timeline (folded from its log, the outbox
 * and uploads; cached until the chat changes), the chat list and search.
 */
export class ChatViews {
  readonly #d: ChatViewsDeps;
  readonly #cache = new Map<string, TimelineItem[]>();

  constructor(deps: ChatViewsDeps) {
    this.#d = deps;
  }

  /** The chat changed (or every chat, without an id): its timeline is folded again when next asked for. */
  invalidate(chatId?: string): void {
    if (chatId) this.#cache.delete(chatId);
    else this.#cache.clear();
  }

  chats(): ChatView[] {
    const { userId, typing, sync } = this.#d;
    const enc = this.#d.enc();
    const now = Date.now();
    return [...this.#d.chats.values()]
      .filter((chat) => !enc?.isSelfChat(chat) || this.timeline(chat.chatId).length > 0)
      .map((chat) => {
        const items = this.timeline(chat.chatId);
        return { ...chat, title: this.#title(chat), lastItem: items.at(-1), typing: typing.who(chat.chatId, now), noteToSelf: isNoteToSelf(chat, userId), unread: unreadCount(chat, sync.log(chat.chatId), userId), mentions: unreadMentions(chat, items, userId), encryption: enc?.encryption(chat.chatId) ?? 'off' };
      })
      .sort((a, b) => (b.lastItem?.sentAt ?? b.createdAt) - (a.lastItem?.sentAt ?? a.createdAt));
  }

  timeline(chatId: string): TimelineItem[] {
    const cached = this.#cache.get(chatId);
    if (cached) return cached;
    const chat = this.#d.chats.get(chatId);
    if (!chat) return [];
    const enc = this.#d.enc();
    const items = foldTimeline({
      chat,
      myUserId: this.#d.userId,
      messages: this.#d.sync.log(chatId) as readonly Message[],
      decoded: (m) => (m as StoredMessage).decoded,
      outbox: this.#d.outbox.items(),
      decodedOutbox: (o) => this.#d.outbox.content(o.clientMsgId),
      ...(enc ? { resendRequested: enc.resends.requested(chatId) } : {}),
      uploads: this.#d.uploads().pending(chatId),
      threadSeen: (rootId) => this.#d.threadSeen(chatId, rootId),
    });
    this.#cache.set(chatId, items);
    return items;
  }

  /** Case-insensitive search through the text of every message this device holds. */
  search(query: string): { chatId: string; item: TimelineItem }[] {
    const q = query.trim().toLocaleLowerCase();
    if (!q) return [];
    const hits: { chatId: string; item: TimelineItem }[] = [];
    for (const chatId of this.#d.chats.keys()) {
      for (const item of this.timeline(chatId)) {
        if (!item.deleted && item.text.toLocaleLowerCase().includes(q)) hits.push({ chatId, item });
      }
    }
    return hits.sort((a, b) => b.item.sentAt - a.item.sentAt);
  }

  #title(chat: ChatSummary): string {
    const me = this.#d.userId;
    // An unnamed group is called by its first members (at most five: a 5,000-member one too, issue 12).
    if (chat.kind === 'group') return this.#d.enc()?.groupName(chat.chatId) ?? (chat.name || chat.members.filter((m) => m.userId !== me).slice(0, 5).map((m) => m.displayName).join(', '));
    return (chat.members.find((m) => m.userId !== me) ?? chat.requested?.find((r) => r.userId !== me) ?? chat.members[0])?.displayName ?? chat.name;
  }
}
