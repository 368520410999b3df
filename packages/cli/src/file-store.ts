import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
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

/** One change, as a journal line (JSON; byte fields in base64). */
type Op =
  | ['chat', ChatSummary] | ['deleteChat', string]
  | ['messages', StoredMessage[], Record<string, string>]
  | ['outbox', OutboxItem] | ['deleteOutbox', string]
  | ['upload', PendingUpload] | ['deleteUpload', string]
  | ['meta', string, string]
  | ['identity', string] | ['keyPackages', KeyPackageJson[]] | ['deleteKeyPackages', string[]]
  | ['group', string, string] | ['deleteGroup', string];

/** The journal is folded into the snapshot once it is this long, or longer than the snapshot. */
const COMPACT_MIN_BYTES = 4 * 1024 * 1024;

/**
 * A ClientStore in one JSON file (for the CLI's profile dir and the bot gateway's data dir): every
 * change is written to a temp file and renamed over the old one, so a crash leaves the old or the
 * new state, never half.
 *
 * With `journal: true` (the bot gateway) a change is instead one JSON line appended to a journal
 * beside it (`store.json.log`) before the call resolves, folded into the snapshot when it outgrows
 * it, at start and on close. Rewriting the whole file for every change made each message cost as
 * much as the device's whole history (issue 14: most of a busy gateway's CPU). A crash leaves the
 * snapshot and the journal's whole lines (a torn last line is skipped). Not for the CLI: until a
 * fold, a value a later change replaced (a store being sealed, store-key.ts) stays in the snapshot.
 */
export class FileStore implements ClientStore {
  readonly #path: string;
  readonly #journal: string;
  #data: Snapshot;
  #fd: number | undefined;
  #journalBytes = 0;
  #snapshotBytes = 0;
  readonly #journaled: boolean;

  constructor(path: string, opts: { journal?: boolean } = {}) {
    this.#path = path;
    this.#journaled = opts.journal === true;
    this.#journal = `${path}.log`;
    this.#data = existsSync(path)
      ? (JSON.parse(readFileSync(path, 'utf8')) as Snapshot)
      : { chats: {}, messages: {}, outbox: [], meta: {} };
    if (existsSync(this.#journal)) {
      for (const line of readFileSync(this.#journal, 'utf8').split('\n')) {
        let op: Op;
        try {
          op = JSON.parse(line) as Op;
        } catch {
          continue; // empty, or torn by a crash
        }
        this.#apply(op);
      }
      this.#compact();
    }
  }

  #compact(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    const tmp = `${this.#path}.tmp`;
    const json = JSON.stringify(this.#data);
    writeFileSync(tmp, json, { mode: 0o600 });
    renameSync(tmp, this.#path);
    rmSync(this.#journal, { force: true });
    this.#snapshotBytes = Buffer.byteLength(json);
    this.#journalBytes = 0;
  }

  #save(op: Op): void {
    this.#apply(op);
    if (!this.#journaled) {
      const tmp = `${this.#path}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.#data), { mode: 0o600 });
      renameSync(tmp, this.#path);
      return;
    }
    const line = `${JSON.stringify(op)}\n`;
    this.#fd ??= openSync(this.#journal, 'a', 0o600);
    writeSync(this.#fd, line);
    this.#journalBytes += Buffer.byteLength(line);
    if (this.#journalBytes > Math.max(COMPACT_MIN_BYTES, this.#snapshotBytes)) this.#compact();
  }

  #apply(op: Op): void {
    const d = this.#data;
    switch (op[0]) {
      case 'chat': d.chats[op[1].chatId] = op[1]; return;
      case 'deleteChat': delete d.chats[op[1]]; delete d.messages[op[1]]; return;
      case 'messages': {
        for (const [chatId, state] of Object.entries(op[2])) (d.mlsGroups ??= {})[chatId] = state;
        for (const m of op[1]) {
          const list = (d.messages[m.chatId] ??= []);
          // The log arrives in order: appending is the common case (no sort per message).
          if (list.length === 0 || list[list.length - 1]!.seq < m.seq) { list.push(m); continue; }
          const i = list.findIndex((x) => x.seq >= m.seq);
          if (list[i]?.seq === m.seq) list[i] = m;
          else list.splice(i, 0, m);
        }
        return;
      }
      case 'outbox': d.outbox = [...d.outbox.filter((o) => o.clientMsgId !== op[1].clientMsgId), op[1]].sort((a, b) => a.createdAt - b.createdAt); return;
      case 'deleteOutbox': d.outbox = d.outbox.filter((o) => o.clientMsgId !== op[1]); return;
      case 'upload': d.uploads = [...(d.uploads ?? []).filter((u) => u.clientMsgId !== op[1].clientMsgId), op[1]].sort((a, b) => a.createdAt - b.createdAt); return;
      case 'deleteUpload': d.uploads = (d.uploads ?? []).filter((u) => u.clientMsgId !== op[1]); return;
      case 'meta': d.meta[op[1]] = op[2]; return;
      case 'identity': d.mlsIdentity = op[1]; return;
      case 'keyPackages': {
        const byRef = new Map((d.mlsKeyPackages ?? []).map((k) => [k.ref, k]));
        for (const k of op[1]) byRef.set(k.ref, k);
        d.mlsKeyPackages = [...byRef.values()].sort((a, b) => a.createdAt - b.createdAt);
        return;
      }
      case 'deleteKeyPackages': {
        const gone = new Set(op[1]);
        d.mlsKeyPackages = (d.mlsKeyPackages ?? []).filter((k) => !gone.has(k.ref));
        return;
      }
      case 'group': (d.mlsGroups ??= {})[op[1]] = op[2]; return;
      case 'deleteGroup': delete d.mlsGroups?.[op[1]]; return;
    }
  }

  async getChats() { return Object.values(this.#data.chats); }
  async putChat(chat: ChatSummary) { this.#save(['chat', chat]); }
  async deleteChat(chatId: string) { this.#save(['deleteChat', chatId]); }
  async putMessages(messages: readonly StoredMessage[], mlsGroups?: ReadonlyMap<string, Uint8Array>) {
    this.#save(['messages', [...messages], Object.fromEntries([...(mlsGroups ?? [])].map(([chatId, state]) => [chatId, bytesToBase64(state)]))]);
  }
  async getMessages(chatId: string) { return [...(this.#data.messages[chatId] ?? [])]; }
  async putOutbox(item: OutboxItem) { this.#save(['outbox', item]); }
  async deleteOutbox(clientMsgId: string) { this.#save(['deleteOutbox', clientMsgId]); }
  async listOutbox() { return [...this.#data.outbox]; }
  /** Sources are paths here (a Blob can't be kept in JSON). */
  async putPendingUpload(upload: PendingUpload) {
    const blobs = [...upload.files.map((f) => f.source), ...((upload as { blobs?: unknown[] }).blobs ?? [])];
    if (blobs.some((b) => typeof Blob !== 'undefined' && b instanceof Blob)) throw new Error('FileStore keeps file paths, not Blobs');
    this.#save(['upload', upload]);
  }
  async deletePendingUpload(clientMsgId: string) { this.#save(['deleteUpload', clientMsgId]); }
  async listPendingUploads() { return structuredClone(this.#data.uploads ?? []); }
  async getMeta(key: string) { return this.#data.meta[key]; }
  async setMeta(key: string, value: string) { this.#save(['meta', key, value]); }
  // MLS state: the CLI wraps this store in SealedStore, so what arrives here is already sealed.
  async getMlsIdentity() { return this.#data.mlsIdentity === undefined ? undefined : base64ToBytes(this.#data.mlsIdentity); }
  async putMlsIdentity(identity: Uint8Array) { this.#save(['identity', bytesToBase64(identity)]); }
  async putKeyPackages(packages: readonly StoredKeyPackage[]) {
    this.#save(['keyPackages', packages.map((k) => ({ ref: k.ref, keyPackage: bytesToBase64(k.keyPackage), privateKeys: bytesToBase64(k.privateKeys), lastResort: k.lastResort, createdAt: k.createdAt }))]);
  }
  async listKeyPackages(): Promise<StoredKeyPackage[]> {
    return (this.#data.mlsKeyPackages ?? []).map((k) => ({ ...k, keyPackage: base64ToBytes(k.keyPackage), privateKeys: base64ToBytes(k.privateKeys) }));
  }
  async deleteKeyPackages(refs: readonly string[]) { this.#save(['deleteKeyPackages', [...refs]]); }
  async getMlsGroup(chatId: string) {
    const state = this.#data.mlsGroups?.[chatId];
    return state === undefined ? undefined : base64ToBytes(state);
  }
  async putMlsGroup(chatId: string, state: Uint8Array) { this.#save(['group', chatId, bytesToBase64(state)]); }
  async deleteMlsGroup(chatId: string) { this.#save(['deleteGroup', chatId]); }
  /** Folds the journal into the snapshot. */
  async close() {
    if (this.#fd !== undefined || this.#journalBytes > 0) this.#compact();
  }
}
