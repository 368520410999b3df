import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ChatSummary, Message } from '@parley/protocol';
import type { ClientStore, OutboxItem } from '@parley/client';

interface Snapshot {
  chats: Record<string, ChatSummary>;
  messages: Record<string, Message[]>;
  outbox: OutboxItem[];
  meta: Record<string, string>;
}

/**
 * A ClientStore in one JSON file (for the CLI's profile dir): every change is written to a temp
 * file and renamed over the old one, so a crash leaves the old or the new state, never half.
 */
export class FileStore implements ClientStore {
  readonly #path: string;
  #data: Snapshot;

  constructor(path: string) {
    this.#path = path;
    this.#data = existsSync(path)
      ? (JSON.parse(readFileSync(path, 'utf8')) as Snapshot)
      : { chats: {}, messages: {}, outbox: [], meta: {} };
  }

  #save(): void {
    const tmp = `${this.#path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.#data), { mode: 0o600 });
    renameSync(tmp, this.#path);
  }

  async getChats() { return Object.values(this.#data.chats); }
  async putChat(chat: ChatSummary) { this.#data.chats[chat.chatId] = chat; this.#save(); }
  async deleteChat(chatId: string) {
    delete this.#data.chats[chatId];
    delete this.#data.messages[chatId];
    this.#save();
  }
  async putMessages(messages: readonly Message[]) {
    for (const m of messages) {
      const list = (this.#data.messages[m.chatId] ??= []);
      const i = list.findIndex((x) => x.seq === m.seq);
      if (i >= 0) list[i] = m;
      else list.push(m);
      list.sort((a, b) => a.seq - b.seq);
    }
    this.#save();
  }
  async getMessages(chatId: string) { return [...(this.#data.messages[chatId] ?? [])]; }
  async putOutbox(item: OutboxItem) {
    this.#data.outbox = [...this.#data.outbox.filter((o) => o.clientMsgId !== item.clientMsgId), item].sort((a, b) => a.createdAt - b.createdAt);
    this.#save();
  }
  async deleteOutbox(clientMsgId: string) { this.#data.outbox = this.#data.outbox.filter((o) => o.clientMsgId !== clientMsgId); this.#save(); }
  async listOutbox() { return [...this.#data.outbox]; }
  async getMeta(key: string) { return this.#data.meta[key]; }
  async setMeta(key: string, value: string) { this.#data.meta[key] = value; this.#save(); }
  async close() {}
}
