import type { ChatSummary } from '@parley/protocol';
import type { ClientStore, OutboxItem, PendingUpload, StoredKeyPackage, StoredMessage } from '../store.ts';

/** Keeps everything in memory: the default in Node and in tests. */
export class MemoryStore implements ClientStore {
  readonly #chats = new Map<string, ChatSummary>();
  readonly #messages = new Map<string, Map<number, StoredMessage>>();
  readonly #outbox = new Map<string, OutboxItem>();
  readonly #meta = new Map<string, string>();
  readonly #uploads = new Map<string, PendingUpload>();
  #mlsIdentity: Uint8Array | undefined;
  readonly #keyPackages = new Map<string, StoredKeyPackage>();
  readonly #mlsGroups = new Map<string, Uint8Array>();

  async getChats() { return [...this.#chats.values()]; }
  // Copied (the client changes its summaries in place), by hand: structuredClone of a 5,000-member summary took ~8-23 ms, this ~1-3.
  async putChat(chat: ChatSummary) { this.#chats.set(chat.chatId, copyPlain(chat)); }
  async deleteChat(chatId: string) {
    this.#chats.delete(chatId);
    this.#messages.delete(chatId);
  }
  async putMessages(messages: readonly StoredMessage[], mlsGroups?: ReadonlyMap<string, Uint8Array>) {
    for (const [chatId, state] of mlsGroups ?? []) this.#mlsGroups.set(chatId, state.slice());
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
  // A Blob source is kept by reference (it is immutable); the rest is copied.
  async putPendingUpload(upload: PendingUpload) { this.#uploads.set(upload.clientMsgId, copyUpload(upload)); }
  async deletePendingUpload(clientMsgId: string) { this.#uploads.delete(clientMsgId); }
  async listPendingUploads() { return [...this.#uploads.values()].map(copyUpload).sort((a, b) => a.createdAt - b.createdAt); }
  async getMeta(key: string) { return this.#meta.get(key); }
  async setMeta(key: string, value: string) { this.#meta.set(key, value); }
  // Bytes are copied in and out: MLS code zeroes key material it has used, which must not reach the store.
  async getMlsIdentity() { return this.#mlsIdentity?.slice(); }
  async putMlsIdentity(identity: Uint8Array) { this.#mlsIdentity = identity.slice(); }
  async putKeyPackages(packages: readonly StoredKeyPackage[]) {
    for (const p of packages) this.#keyPackages.set(p.ref, copyKeyPackage(p));
  }
  async listKeyPackages() { return [...this.#keyPackages.values()].map(copyKeyPackage).sort((a, b) => a.createdAt - b.createdAt); }
  async deleteKeyPackages(refs: readonly string[]) { for (const ref of refs) this.#keyPackages.delete(ref); }
  async getMlsGroup(chatId: string) { return this.#mlsGroups.get(chatId)?.slice(); }
  async putMlsGroup(chatId: string, state: Uint8Array) { this.#mlsGroups.set(chatId, state.slice()); }
  async deleteMlsGroup(chatId: string) { this.#mlsGroups.delete(chatId); }
  async close() {}
}

/** A deep copy of plain data (objects, arrays, primitives), as a summary from JSON is. */
function copyPlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyPlain) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copyPlain((value as Record<string, unknown>)[key]);
  return out as T;
}

function copyKeyPackage(p: StoredKeyPackage): StoredKeyPackage {
  return { ...p, keyPackage: p.keyPackage.slice(), privateKeys: p.privateKeys.slice() };
}

function copyUpload(u: PendingUpload): PendingUpload {
  return { ...u, files: u.files.map((f) => ({ ...f, attachment: { ...f.attachment } })) };
}
