import type { ChatView, ParleyClient } from '@parley/client';

/**
 * The Max facade's index of the bot's chats: each chat's integer id, and the direct chat with each
 * person (POST /messages?user_id=). Rebuilt from the client's unsorted chat list on each change
 * (it folds no timeline, so it is cheap); a chat that was in it and is gone is reported once
 * (`bot_removed`). Not debounced: a chat added and removed within one settle window would never be
 * reported (a 1-in-4 flake of the R109 groups test when it was). A miss rebuilds at once.
 */
export class MaxChatIndex {
  readonly #client: ParleyClient;
  readonly #chatInt: (view: ChatView) => number;
  readonly #botUserId: string;
  readonly #onRemoved: (chatId: string, chatInt: number) => void;
  #chats = new Map<string, number>();
  #dialogs = new Map<string, string>();
  /** How many times the list was read. */
  rebuilds = 0;

  constructor(client: ParleyClient, botUserId: string, chatInt: (view: ChatView) => number, onRemoved: (chatId: string, chatInt: number) => void) {
    this.#client = client;
    this.#botUserId = botUserId;
    this.#chatInt = chatInt;
    this.#onRemoved = onRemoved;
  }

  /** The client changed. */
  changed(): void {
    this.rebuild();
  }

  rebuild(): void {
    this.rebuilds++;
    const chats = new Map<string, number>();
    const dialogs = new Map<string, string>();
    for (const view of this.#client.chats({ sorted: false })) { // no timeline folded: it runs after every burst of changes
      chats.set(view.chatId, this.#chats.get(view.chatId) ?? this.#chatInt(view));
      if (view.kind === 'direct') {
        const other = view.members.find((m) => m.userId !== this.#botUserId)?.userId;
        if (other) dialogs.set(other, view.chatId);
      }
    }
    const before = this.#chats;
    this.#chats = chats;
    this.#dialogs = dialogs;
    for (const [chatId, n] of before) if (!chats.has(chatId)) this.#onRemoved(chatId, n);
  }

  /** The direct chat with a person, if they opened one. */
  dialogWith(userId: string): string | undefined {
    const known = this.#dialogs.get(userId);
    if (known !== undefined && this.#chats.has(known)) return known;
    this.rebuild();
    return this.#dialogs.get(userId);
  }

  stop(): void {}
}
