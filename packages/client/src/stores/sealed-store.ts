import type { ChatSummary, Content, Envelope, SystemEvent } from '@parley/protocol';
import { base64ToBytes, bytesToBase64 } from '../encoding.ts';
import type { ClientStore, DecodedEnvelope, OutboxItem, PendingFile, PendingUpload, StoredKeyPackage, StoredMessage } from '../store.ts';
import { groupRecordKeys } from '../e2ee/group-records.ts';
import { StoreSealError, isSealed, open, openJson, seal, sealJson } from './seal.ts';

/** Meta key of the key check: a known value sealed under the store's key, written at the first unlock. */
export const KEY_CHECK_META = 'store-key-check';
/** Meta key set once every record found at the first unlock was rewritten sealed. */
export const MIGRATED_META = 'store-sealed';
const KEY_CHECK_VALUE = 'parley-store-key-check';

/** Meta values the first unlock rewrites sealed besides `mls-joined:<chatId>`; others are sealed when next written. */
export const DEFAULT_MIGRATE_META_KEYS: readonly string[] = ['session-token'];

/** A message as the inner store keeps it: the indexes and server-known fields clear, the rest in `sealed`. */
interface SealedMessageRecord extends StoredMessage {
  /** base64 of the sealed { envelope, system, decoded }. */
  sealed: string;
}
interface MessageSecrets { envelope: Envelope | null; system: SystemEvent | null; decoded?: DecodedEnvelope }

/** An outbox item as the inner store keeps it: what the person wrote is in `sealed`. */
interface SealedOutboxRecord extends OutboxItem {
  sealed: string;
}
interface OutboxSecrets { content?: Content; envelope?: Envelope }

/**
 * A pending upload as the inner store keeps it: ids, time and state clear; caption, keys and file
 * metadata (and paths) in `sealed`. A Blob source stays as it is in `blobs` (the file the person
 * picked, kept so the upload survives a restart; sealing gigabytes at rest is not worth it).
 */
interface SealedUploadRecord extends PendingUpload {
  sealed: string;
  blobs: (Blob | null)[];
}
type UploadSecrets = Pick<PendingUpload, 'text' | 'entities' | 'replyTo' | 'noForwardName' | 'forwarded' | 'imported' | 'replyMarkup' | 'replyKeyboard' | 'forceReply' | 'wrapped'> & { files: (Omit<PendingFile, 'source'> & { source: { path: string } | null })[] };
const isBlob = (v: unknown): v is Blob => typeof Blob !== 'undefined' && v instanceof Blob;

const sealedB64Prefix = bytesToBase64(new TextEncoder().encode('PRLYSEAL\u0001'));

/** The place a message's sealed record is bound to: its slot and every field kept in the clear. */
function messagePlace(m: StoredMessage): string {
  return `messages:${JSON.stringify([m.chatId, m.seq, m.clientMsgId, m.senderUserId, m.senderDeviceId, m.sentAt])}`;
}
const uploadPlace = (u: PendingUpload) => `upload:${JSON.stringify([u.chatId, u.clientMsgId])}`;
const outboxPlace = (item: OutboxItem) => `outbox:${JSON.stringify([item.chatId, item.clientMsgId])}`;
const groupPlace = (chatId: string) => `mlsGroup:${chatId}`;
const keyPackagePlace = (ref: string) => `mlsKeyPackage:${ref}`;
const metaPlace = (key: string) => `meta:${key}`;
const IDENTITY_PLACE = 'mlsIdentity';

function isSealedMessage(m: StoredMessage): m is SealedMessageRecord {
  return typeof (m as Partial<SealedMessageRecord>).sealed === 'string';
}
function isSealedOutbox(item: OutboxItem): item is SealedOutboxRecord {
  return typeof (item as Partial<SealedOutboxRecord>).sealed === 'string';
}
function isSealedString(value: string): boolean {
  return value.startsWith(sealedB64Prefix);
}

export interface SealedStoreOptions {
  /** Meta keys whose clear values the first unlock rewrites sealed (default: DEFAULT_MIGRATE_META_KEYS). */
  migrateMetaKeys?: readonly string[];
}

/**
 * A ClientStore that seals every secret or content-bearing field with AES-256-GCM under `key`
 * before it reaches the inner store (IndexedDbStore, FileStore, MemoryStore), and opens them on the
 * way out. What stays clear: chats (server-known metadata), a message's chatId/seq/clientMsgId/
 * sender/sentAt, an outbox item's ids, times and failure code, a key package's ref, public package,
 * flags and time, and meta keys. Sealed: message envelopes, system events and decoded content, outbox
 * content and envelopes, the MLS identity, key packages' private keys, group states and every meta value.
 *
 * Records written before sealing (by an older version) are still read as they are; `open` rewrites
 * them all sealed at the first unlock (see migrate()). Integrity against someone who can write to
 * the device's storage is not a goal: confidentiality at rest is.
 */
export class SealedStore implements ClientStore {
  #key: CryptoKey | undefined;

  private constructor(readonly inner: ClientStore, key: CryptoKey) {
    this.#key = key;
  }

  /**
   * Unlocks `inner` with `key`. The first unlock binds the key to the store (a key check in meta)
   * and rewrites existing clear records sealed; later unlocks with another key throw
   * `store_key_mismatch` before anything is read or written.
   */
  static async open(inner: ClientStore, key: CryptoKey, options: SealedStoreOptions = {}): Promise<SealedStore> {
    const check = await inner.getMeta(KEY_CHECK_META);
    if (check === undefined) {
      await inner.setMeta(KEY_CHECK_META, bytesToBase64(await seal(key, 'key-check', new TextEncoder().encode(KEY_CHECK_VALUE))));
    } else {
      try {
        await open(key, 'key-check', base64ToBytes(check));
      } catch {
        throw new StoreSealError('store_key_mismatch');
      }
    }
    const store = new SealedStore(inner, key);
    if ((await inner.getMeta(MIGRATED_META)) === undefined) {
      await store.#migrate(options.migrateMetaKeys ?? DEFAULT_MIGRATE_META_KEYS);
      await inner.setMeta(MIGRATED_META, '1');
    }
    return store;
  }

  /** Forgets the key: every later call throws `store_locked` until a new SealedStore is opened. */
  lock(): void {
    this.#key = undefined;
  }

  get locked(): boolean {
    return this.#key === undefined;
  }

  #k(): CryptoKey {
    if (!this.#key) throw new StoreSealError('store_locked');
    return this.#key;
  }

  /** Rewrites sealed every clear record it can find. Idempotent: a crash halfway is finished next time. */
  async #migrate(metaKeys: readonly string[]): Promise<void> {
    const inner = this.inner;
    const chats = await inner.getChats();
    for (const chat of chats) {
      const clear = (await inner.getMessages(chat.chatId)).filter((m) => !isSealedMessage(m));
      const groups = new Map<string, Uint8Array>();
      for (const key of groupRecordKeys(chat.chatId)) { // a chat's state and its trees (issue 12)
        const group = await inner.getMlsGroup(key);
        if (group && !isSealed(group)) groups.set(key, group);
      }
      if (clear.length > 0 || groups.size > 0) await this.putMessages(clear, groups.size > 0 ? groups : undefined);
    }
    for (const item of await inner.listOutbox()) if (!isSealedOutbox(item)) await this.putOutbox(item);
    const identity = await inner.getMlsIdentity();
    if (identity && !isSealed(identity)) await this.putMlsIdentity(identity);
    const packages = (await inner.listKeyPackages()).filter((p) => !isSealed(p.privateKeys));
    if (packages.length > 0) await this.putKeyPackages(packages);
    for (const key of [...metaKeys, ...chats.map((c) => `mls-joined:${c.chatId}`)]) {
      const value = await inner.getMeta(key);
      if (value !== undefined && !isSealedString(value)) await this.setMeta(key, value);
    }
  }

  async getChats(): Promise<ChatSummary[]> {
    this.#k();
    return this.inner.getChats();
  }

  async putChat(chat: ChatSummary): Promise<void> {
    this.#k();
    return this.inner.putChat(chat);
  }

  async deleteChat(chatId: string): Promise<void> {
    this.#k();
    return this.inner.deleteChat(chatId);
  }

  async putMessages(messages: readonly StoredMessage[], mlsGroups?: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const key = this.#k();
    const records = await Promise.all(messages.map((m) => this.#sealMessage(key, m)));
    // Sealed before the one inner call, so messages and group states still land in one atomic write.
    const groups = mlsGroups && new Map(await Promise.all(
      [...mlsGroups].map(async ([chatId, state]) => [chatId, await seal(key, groupPlace(chatId), state)] as const),
    ));
    await (groups ? this.inner.putMessages(records, groups) : this.inner.putMessages(records));
  }

  async #sealMessage(key: CryptoKey, m: StoredMessage): Promise<SealedMessageRecord> {
    const { envelope, system, decoded, ...clear } = m;
    const secrets: MessageSecrets = { envelope, system, ...(decoded ? { decoded } : {}) };
    const record = { ...clear, envelope: null, system: null };
    return { ...record, sealed: bytesToBase64(await sealJson(key, messagePlace(record), secrets)) };
  }

  async getMessages(chatId: string): Promise<StoredMessage[]> {
    const key = this.#k();
    const records = await this.inner.getMessages(chatId);
    return Promise.all(records.map(async (record) => {
      if (!isSealedMessage(record)) return record;
      const { sealed, ...clear } = record;
      const secrets = await openJson<MessageSecrets>(key, messagePlace(clear), base64ToBytes(sealed));
      return { ...clear, envelope: secrets.envelope, system: secrets.system, ...(secrets.decoded ? { decoded: secrets.decoded } : {}) };
    }));
  }

  async putOutbox(item: OutboxItem): Promise<void> {
    const key = this.#k();
    const { content, envelope, ...clear } = item;
    const secrets: OutboxSecrets = { ...(content ? { content } : {}), ...(envelope ? { envelope } : {}) };
    const record: SealedOutboxRecord = { ...clear, sealed: bytesToBase64(await sealJson(key, outboxPlace(item), secrets)) };
    await this.inner.putOutbox(record);
  }

  async deleteOutbox(clientMsgId: string): Promise<void> {
    this.#k();
    return this.inner.deleteOutbox(clientMsgId);
  }

  async listOutbox(): Promise<OutboxItem[]> {
    const key = this.#k();
    const records = await this.inner.listOutbox();
    return Promise.all(records.map(async (record) => {
      if (!isSealedOutbox(record)) return record;
      const { sealed, ...clear } = record;
      const secrets = await openJson<OutboxSecrets>(key, outboxPlace(clear), base64ToBytes(sealed));
      return { ...clear, ...secrets };
    }));
  }

  async putPendingUpload(upload: PendingUpload): Promise<void> {
    const key = this.#k();
    // What the message will say is sealed (a bot's keyboards and force_reply too, R150; a wrapped post's channel and kept files' keys, R162); ids and state stay clear.
    const { text, entities, replyTo, noForwardName, forwarded, imported, replyMarkup, replyKeyboard, forceReply, wrapped, files, ...clear } = upload;
    const secrets: UploadSecrets = {
      text, ...(entities ? { entities } : {}), ...(replyTo ? { replyTo } : {}), ...(noForwardName ? { noForwardName } : {}), ...(forwarded ? { forwarded } : {}),
      ...(imported ? { imported } : {}), ...(replyMarkup ? { replyMarkup } : {}), ...(replyKeyboard ? { replyKeyboard } : {}), ...(forceReply ? { forceReply } : {}),
      ...(wrapped ? { wrapped } : {}),
      files: files.map((f) => ({ ...f, source: isBlob(f.source) ? null : f.source })),
    };
    const record: SealedUploadRecord = {
      ...clear, text: '', files: [], blobs: files.map((f) => (isBlob(f.source) ? f.source : null)),
      sealed: bytesToBase64(await sealJson(key, uploadPlace(upload), secrets)),
    };
    await this.inner.putPendingUpload(record);
  }

  async deletePendingUpload(clientMsgId: string): Promise<void> {
    this.#k();
    return this.inner.deletePendingUpload(clientMsgId);
  }

  async listPendingUploads(): Promise<PendingUpload[]> {
    const key = this.#k();
    const records = await this.inner.listPendingUploads() as SealedUploadRecord[];
    return Promise.all(records.map(async (record) => {
      const { sealed, blobs, text: _t, files: _f, ...clear } = record;
      const secrets = await openJson<UploadSecrets>(key, uploadPlace(record), base64ToBytes(sealed));
      return { ...clear, ...secrets, files: secrets.files.map((f, i) => ({ ...f, source: f.source ?? blobs[i]! })) };
    }));
  }

  async getMeta(metaKey: string): Promise<string | undefined> {
    const key = this.#k();
    const value = await this.inner.getMeta(metaKey);
    if (value === undefined || !isSealedString(value)) return value;
    return new TextDecoder().decode(await open(key, metaPlace(metaKey), base64ToBytes(value)));
  }

  async setMeta(metaKey: string, value: string): Promise<void> {
    const key = this.#k();
    await this.inner.setMeta(metaKey, bytesToBase64(await seal(key, metaPlace(metaKey), new TextEncoder().encode(value))));
  }

  async getMlsIdentity(): Promise<Uint8Array | undefined> {
    const key = this.#k();
    const sealed = await this.inner.getMlsIdentity();
    return sealed && isSealed(sealed) ? open(key, IDENTITY_PLACE, sealed) : sealed;
  }

  async putMlsIdentity(identity: Uint8Array): Promise<void> {
    await this.inner.putMlsIdentity(await seal(this.#k(), IDENTITY_PLACE, identity));
  }

  async putKeyPackages(packages: readonly StoredKeyPackage[]): Promise<void> {
    const key = this.#k();
    await this.inner.putKeyPackages(await Promise.all(packages.map(async (p) => ({
      ...p, privateKeys: await seal(key, keyPackagePlace(p.ref), p.privateKeys),
    }))));
  }

  async listKeyPackages(): Promise<StoredKeyPackage[]> {
    const key = this.#k();
    return Promise.all((await this.inner.listKeyPackages()).map(async (p) => (
      isSealed(p.privateKeys) ? { ...p, privateKeys: await open(key, keyPackagePlace(p.ref), p.privateKeys) } : p
    )));
  }

  async deleteKeyPackages(refs: readonly string[]): Promise<void> {
    this.#k();
    return this.inner.deleteKeyPackages(refs);
  }

  async getMlsGroup(chatId: string): Promise<Uint8Array | undefined> {
    const key = this.#k();
    const sealed = await this.inner.getMlsGroup(chatId);
    return sealed && isSealed(sealed) ? open(key, groupPlace(chatId), sealed) : sealed;
  }

  async putMlsGroup(chatId: string, state: Uint8Array): Promise<void> {
    await this.inner.putMlsGroup(chatId, await seal(this.#k(), groupPlace(chatId), state));
  }

  async deleteMlsGroup(chatId: string): Promise<void> {
    this.#k();
    return this.inner.deleteMlsGroup(chatId);
  }

  async close(): Promise<void> {
    this.lock();
    await this.inner.close();
  }
}
