import type { ChatSummary, Message } from '@parley/protocol';
import type { ClientStore, OutboxItem } from '../store.ts';

/** Keeps everything in memory: the default in Node and in tests. */
export class MemoryStore implements ClientStore {
  readonly #chats = new Map<string, ChatSummary>();
  readonly #messages = new Map<string, Map<number, Message>>();
  readonly #outbox = new Map<string, OutboxItem>();
  readonly #meta = new Map<string, string>();

  async getChats() { return [...this.#chats.values()]; }
  async putChat(chat: ChatSummary) { this.#chats.set(chat.chatId, structuredClone(chat)); }
  async deleteChat(chatId: string) {
    this.#chats.delete(chatId);
    this.#messages.delete(chatId);
  }
  async putMessages(messages: readonly Message[]) {
    for (const m of messages) {
      let chat = this.#messages.get(m.chatId);
      if (!chat) this.#messages.set(m.chatId, (chat = new Map()));
      chat.set(m.seq, m);
    }
  }
  async getMessages(chatId: string) {
    return [...(this.#messages.get(chatId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }
  async putOutbox(item: OutboxItem) { this.#outbox.set(item.clientMsgId, { ...item }); }
  async deleteOutbox(clientMsgId: string) { this.#outbox.delete(clientMsgId); }
  async listOutbox() { return [...this.#outbox.values()].sort((a, b) => a.createdAt - b.createdAt); }
  async getMeta(key: string) { return this.#meta.get(key); }
  async setMeta(key: string, value: string) { this.#meta.set(key, value); }
  async close() {}
}
