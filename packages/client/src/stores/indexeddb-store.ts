import type { ChatSummary, Message } from '@parley/protocol';
import type { ClientStore, OutboxItem, PendingUpload, StoredKeyPackage, StoredMessage } from '../store.ts';

/** 1: chats, messages, outbox, meta. 2: MLS key packages and group states (identity lives in meta). 3: pending uploads (with their Blobs). */
const VERSION = 3;
const MLS_IDENTITY_KEY = 'mls-identity';

function promisify<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** Opens (and creates or upgrades) a Parley database in the browser. */
export async function openParleyDb(name: string): Promise<IDBDatabase> {
  const request = indexedDB.open(name, VERSION);
  request.onupgradeneeded = (event) => {
    // Each step adds what its version brought and leaves older stores (and their data) as they are.
    const db = request.result;
    if (event.oldVersion < 1) {
      db.createObjectStore('chats', { keyPath: 'chatId' });
      db.createObjectStore('messages', { keyPath: ['chatId', 'seq'] });
      db.createObjectStore('outbox', { keyPath: 'clientMsgId' });
      db.createObjectStore('meta');
    }
    if (event.oldVersion < 2) {
      db.createObjectStore('mlsKeyPackages', { keyPath: 'ref' });
      db.createObjectStore('mlsGroups');
    }
    if (event.oldVersion < 3) db.createObjectStore('uploads', { keyPath: 'clientMsgId' });
  };
  const db = await promisify(request);
  // Another tab is deleting or upgrading the database (sign-out there): let it proceed.
  db.onversionchange = () => db.close();
  return db;
}

/** What a browser keeps to stay signed in: the session ids and the device's key pair. */
export interface SavedDevice {
  userId: string;
  deviceId: string;
  /** Non-extractable Ed25519 pair; IndexedDB stores CryptoKeys by structured clone. */
  keyPair: CryptoKeyPair;
}

const DEVICE_KEY = 'device';

/** Keeps the device key pair and session in the store's database (the private key never leaves it). */
export async function saveDeviceKey(store: IndexedDbStore, device: SavedDevice): Promise<void> {
  await store.putValue(DEVICE_KEY, { userId: device.userId, deviceId: device.deviceId, keyPair: device.keyPair });
}

/** The saved device, or undefined when this browser is signed out. */
export async function loadDeviceKey(store: IndexedDbStore): Promise<SavedDevice | undefined> {
  // 'session' is where the first web build kept it.
  const saved = (await store.getValue<Partial<SavedDevice>>(DEVICE_KEY)) ?? (await store.getValue<Partial<SavedDevice>>('session'));
  const pair = saved?.keyPair;
  if (!saved?.userId || !saved.deviceId || !(pair?.privateKey instanceof CryptoKey) || !(pair.publicKey instanceof CryptoKey)) return undefined;
  return { userId: saved.userId, deviceId: saved.deviceId, keyPair: pair };
}

/**
 * The browser's ClientStore: chats, the log, the outbox, metadata and MLS state in IndexedDB (R6).
 * It stores what it is given: the web app wraps it in SealedStore, which seals secrets and content first.
 */
export class IndexedDbStore implements ClientStore {
  constructor(private readonly db: IDBDatabase) {}

  static async open(name = 'parley'): Promise<IndexedDbStore> {
    return new IndexedDbStore(await openParleyDb(name));
  }

  async getChats(): Promise<ChatSummary[]> {
    return promisify(this.db.transaction('chats').objectStore('chats').getAll() as IDBRequest<ChatSummary[]>);
  }

  async putChat(chat: ChatSummary): Promise<void> {
    const tx = this.db.transaction('chats', 'readwrite');
    tx.objectStore('chats').put(chat);
    await done(tx);
  }

  async deleteChat(chatId: string): Promise<void> {
    const tx = this.db.transaction(['chats', 'messages'], 'readwrite');
    tx.objectStore('chats').delete(chatId);
    tx.objectStore('messages').delete(IDBKeyRange.bound([chatId, 0], [chatId, Number.MAX_SAFE_INTEGER]));
    await done(tx);
  }

  async putMessages(messages: readonly StoredMessage[], mlsGroups?: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const tx = this.db.transaction(['messages', 'mlsGroups'], 'readwrite');
    const store = tx.objectStore('messages');
    for (const m of messages) store.put(m);
    for (const [chatId, state] of mlsGroups ?? []) tx.objectStore('mlsGroups').put(state, chatId);
    await done(tx);
  }

  async getMessages(chatId: string): Promise<StoredMessage[]> {
    const range = IDBKeyRange.bound([chatId, 0], [chatId, Number.MAX_SAFE_INTEGER]);
    return promisify(this.db.transaction('messages').objectStore('messages').getAll(range) as IDBRequest<StoredMessage[]>);
  }

  async putOutbox(item: OutboxItem): Promise<void> {
    const tx = this.db.transaction('outbox', 'readwrite');
    tx.objectStore('outbox').put(item);
    await done(tx);
  }

  async deleteOutbox(clientMsgId: string): Promise<void> {
    const tx = this.db.transaction('outbox', 'readwrite');
    tx.objectStore('outbox').delete(clientMsgId);
    await done(tx);
  }

  async listOutbox(): Promise<OutboxItem[]> {
    const items = await promisify(this.db.transaction('outbox').objectStore('outbox').getAll() as IDBRequest<OutboxItem[]>);
    return items.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** The file sources are Blobs, stored by structured clone: the browser keeps their bytes with the record. */
  async putPendingUpload(upload: PendingUpload): Promise<void> {
    const tx = this.db.transaction('uploads', 'readwrite');
    tx.objectStore('uploads').put(upload);
    await done(tx);
  }

  async deletePendingUpload(clientMsgId: string): Promise<void> {
    const tx = this.db.transaction('uploads', 'readwrite');
    tx.objectStore('uploads').delete(clientMsgId);
    await done(tx);
  }

  async listPendingUploads(): Promise<PendingUpload[]> {
    const items = await promisify(this.db.transaction('uploads').objectStore('uploads').getAll() as IDBRequest<PendingUpload[]>);
    return items.sort((a, b) => a.createdAt - b.createdAt);
  }

  async getMeta(key: string): Promise<string | undefined> {
    return promisify(this.db.transaction('meta').objectStore('meta').get(key) as IDBRequest<string | undefined>);
  }

  async setMeta(key: string, value: string): Promise<void> {
    const tx = this.db.transaction('meta', 'readwrite');
    tx.objectStore('meta').put(value, key);
    await done(tx);
  }

  async getMlsIdentity(): Promise<Uint8Array | undefined> {
    return this.getValue<Uint8Array>(MLS_IDENTITY_KEY);
  }

  async putMlsIdentity(identity: Uint8Array): Promise<void> {
    await this.putValue(MLS_IDENTITY_KEY, identity);
  }

  async putKeyPackages(packages: readonly StoredKeyPackage[]): Promise<void> {
    const tx = this.db.transaction('mlsKeyPackages', 'readwrite');
    const store = tx.objectStore('mlsKeyPackages');
    for (const p of packages) store.put(p);
    await done(tx);
  }

  async listKeyPackages(): Promise<StoredKeyPackage[]> {
    const all = await promisify(this.db.transaction('mlsKeyPackages').objectStore('mlsKeyPackages').getAll() as IDBRequest<StoredKeyPackage[]>);
    return all.sort((a, b) => a.createdAt - b.createdAt);
  }

  async deleteKeyPackages(refs: readonly string[]): Promise<void> {
    const tx = this.db.transaction('mlsKeyPackages', 'readwrite');
    const store = tx.objectStore('mlsKeyPackages');
    for (const ref of refs) store.delete(ref);
    await done(tx);
  }

  async getMlsGroup(chatId: string): Promise<Uint8Array | undefined> {
    return promisify(this.db.transaction('mlsGroups').objectStore('mlsGroups').get(chatId) as IDBRequest<Uint8Array | undefined>);
  }

  async putMlsGroup(chatId: string, state: Uint8Array): Promise<void> {
    const tx = this.db.transaction('mlsGroups', 'readwrite');
    tx.objectStore('mlsGroups').put(state, chatId);
    await done(tx);
  }

  async deleteMlsGroup(chatId: string): Promise<void> {
    const tx = this.db.transaction('mlsGroups', 'readwrite');
    tx.objectStore('mlsGroups').delete(chatId);
    await done(tx);
  }

  /** Keeps a structured-cloneable value (e.g. a non-extractable CryptoKeyPair) under `key`. */
  async putValue(key: string, value: unknown): Promise<void> {
    const tx = this.db.transaction('meta', 'readwrite');
    tx.objectStore('meta').put(value, key);
    await done(tx);
  }

  /** Keeps `value` under `key` unless one is there already (one transaction: tabs racing agree); returns the kept one. */
  async putValueIfAbsent<T>(key: string, value: T): Promise<T> {
    const tx = this.db.transaction('meta', 'readwrite');
    const store = tx.objectStore('meta');
    const kept = await promisify(store.get(key) as IDBRequest<T | undefined>);
    if (kept === undefined) store.put(value, key);
    await done(tx);
    return kept ?? value;
  }

  async getValue<T>(key: string): Promise<T | undefined> {
    return promisify(this.db.transaction('meta').objectStore('meta').get(key) as IDBRequest<T | undefined>);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  /** Deletes everything of this device (sign out). */
  static async destroy(name = 'parley'): Promise<void> {
    const request = indexedDB.deleteDatabase(name);
    await new Promise<void>((resolve, reject) => {
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
      // Open connections elsewhere get `versionchange` and close (see openParleyDb); if one
      // does not, the deletion completes once it goes away, so we do not wait for it.
      request.onblocked = () => resolve();
    });
  }
}
