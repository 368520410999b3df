import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ChatSummary } from '@parley/protocol';
import { base64ToBytes, bytesToBase64, type ClientStore, type OutboxItem, type PendingUpload, type StoredKeyPackage, type StoredMessage } from '@parley/client';

/** A key package as JSON: its byte fields in base64. */
interface KeyPackageJson {
  ref: string;
  keyPackage: string;
  privateKeys: string;
  lastResort: boolean;
  createdAt: number;
}

interface Snapshot {
  chats: Record<string, ChatSummary>;
  messages: Record<string, StoredMessage[]>;
  outbox: OutboxItem[];
  meta: Record<string, string>;
  /** Messages with files still uploading; absent in profiles written before files. */
  uploads?: PendingUpload[];
  /** MLS state (base64). Absent in profiles written before it existed. */
  mlsIdentity?: string;
  mlsKeyPackages?: KeyPackageJson[];
  mlsGroups?: Record<string, string>;
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
  async putMessages(messages: readonly StoredMessage[], mlsGroups?: ReadonlyMap<string, Uint8Array>) {
    for (const [chatId, state] of mlsGroups ?? []) (this.#data.mlsGroups ??= {})[chatId] = bytesToBase64(state);
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
  /** Sources are paths here (a Blob can't be kept in JSON). */
  async putPendingUpload(upload: PendingUpload) {
    const blobs = [...upload.files.map((f) => f.source), ...((upload as { blobs?: unknown[] }).blobs ?? [])];
    if (blobs.some((b) => typeof Blob !== 'undefined' && b instanceof Blob)) throw new Error('FileStore keeps file paths, not Blobs');
    this.#data.uploads = [...(this.#data.uploads ?? []).filter((u) => u.clientMsgId !== upload.clientMsgId), upload].sort((a, b) => a.createdAt - b.createdAt);
    this.#save();
  }
  async deletePendingUpload(clientMsgId: string) { this.#data.uploads = (this.#data.uploads ?? []).filter((u) => u.clientMsgId !== clientMsgId); this.#save(); }
  async listPendingUploads() { return structuredClone(this.#data.uploads ?? []); }
  async getMeta(key: string) { return this.#data.meta[key]; }
  async setMeta(key: string, value: string) { this.#data.meta[key] = value; this.#save(); }
  // MLS state: the CLI wraps this store in SealedStore, so what arrives here is already sealed.
  async getMlsIdentity() { return this.#data.mlsIdentity === undefined ? undefined : base64ToBytes(this.#data.mlsIdentity); }
  async putMlsIdentity(identity: Uint8Array) { this.#data.mlsIdentity = bytesToBase64(identity); this.#save(); }
  async putKeyPackages(packages: readonly StoredKeyPackage[]) {
    const byRef = new Map((this.#data.mlsKeyPackages ?? []).map((k) => [k.ref, k]));
    for (const k of packages) {
      byRef.set(k.ref, { ref: k.ref, keyPackage: bytesToBase64(k.keyPackage), privateKeys: bytesToBase64(k.privateKeys), lastResort: k.lastResort, createdAt: k.createdAt });
    }
    this.#data.mlsKeyPackages = [...byRef.values()].sort((a, b) => a.createdAt - b.createdAt);
    this.#save();
  }
  async listKeyPackages(): Promise<StoredKeyPackage[]> {
    return (this.#data.mlsKeyPackages ?? []).map((k) => ({ ...k, keyPackage: base64ToBytes(k.keyPackage), privateKeys: base64ToBytes(k.privateKeys) }));
  }
  async deleteKeyPackages(refs: readonly string[]) {
    const gone = new Set(refs);
    this.#data.mlsKeyPackages = (this.#data.mlsKeyPackages ?? []).filter((k) => !gone.has(k.ref));
    this.#save();
  }
  async getMlsGroup(chatId: string) {
    const state = this.#data.mlsGroups?.[chatId];
    return state === undefined ? undefined : base64ToBytes(state);
  }
  async putMlsGroup(chatId: string, state: Uint8Array) { (this.#data.mlsGroups ??= {})[chatId] = bytesToBase64(state); this.#save(); }
  async deleteMlsGroup(chatId: string) { delete this.#data.mlsGroups?.[chatId]; this.#save(); }
  async close() {}
}
