import type { ChatSummary, Message } from '@parley/protocol';
import type { ClientStore, OutboxItem } from '../store.ts';

const VERSION = 1;

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
  request.onupgradeneeded = () => {
    const db = request.result;
    db.createObjectStore('chats', { keyPath: 'chatId' });
    db.createObjectStore('messages', { keyPath: ['chatId', 'seq'] });
    db.createObjectStore('outbox', { keyPath: 'clientMsgId' });
    db.createObjectStore('meta');
  };
  return promisify(request);
}

/** The browser's ClientStore: chats, the log, the outbox and metadata in IndexedDB (R6). */
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

  async putMessages(messages: readonly Message[]): Promise<void> {
    const tx = this.db.transaction('messages', 'readwrite');
    const store = tx.objectStore('messages');
    for (const m of messages) store.put(m);
    await done(tx);
  }

  async getMessages(chatId: string): Promise<Message[]> {
    const range = IDBKeyRange.bound([chatId, 0], [chatId, Number.MAX_SAFE_INTEGER]);
    return promisify(this.db.transaction('messages').objectStore('messages').getAll(range) as IDBRequest<Message[]>);
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

  async getMeta(key: string): Promise<string | undefined> {
    return promisify(this.db.transaction('meta').objectStore('meta').get(key) as IDBRequest<string | undefined>);
  }

  async setMeta(key: string, value: string): Promise<void> {
    const tx = this.db.transaction('meta', 'readwrite');
    tx.objectStore('meta').put(value, key);
    await done(tx);
  }

  /** Keeps a structured-cloneable value (e.g. a non-extractable CryptoKeyPair) under `key`. */
  async putValue(key: string, value: unknown): Promise<void> {
    const tx = this.db.transaction('meta', 'readwrite');
    tx.objectStore('meta').put(value, key);
    await done(tx);
  }

  async getValue<T>(key: string): Promise<T | undefined> {
    return promisify(this.db.transaction('meta').objectStore('meta').get(key) as IDBRequest<T | undefined>);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  /** Deletes everything of this device (sign out). */
  static async destroy(name = 'parley'): Promise<void> {
    await promisify(indexedDB.deleteDatabase(name) as unknown as IDBRequest<unknown>);
  }
}
