import type { ChatSummary, Envelope, Message } from '@parley/protocol';

/** A message waiting in the outbox until the server acknowledges it (R6). */
export interface OutboxItem {
  chatId: string;
  clientMsgId: string;
  envelope: Envelope;
  createdAt: number;
  attempts: number;
  /** Set when the server refused it for good (not retried; shown as failed). */
  failedCode?: string;
}

/**
 * Where the SDK keeps what it knows between runs: chats, each chat's contiguous slice of the log
 * [loSeq..hiSeq], the outbox, and small metadata. Implementations: MemoryStore (Node default,
 * tests), IndexedDbStore (browser), FileStore (CLI). All methods may be called concurrently; each
 * call is atomic on its own.
 */
export interface ClientStore {
  getChats(): Promise<ChatSummary[]>;
  putChat(chat: ChatSummary): Promise<void>;
  /** Deletes the chat and its messages. */
  deleteChat(chatId: string): Promise<void>;

  /** Upserts by (chatId, seq). */
  putMessages(messages: readonly Message[]): Promise<void>;
  /** All stored messages of the chat, ascending by seq. */
  getMessages(chatId: string): Promise<Message[]>;

  putOutbox(item: OutboxItem): Promise<void>;
  deleteOutbox(clientMsgId: string): Promise<void>;
  /** Ascending by createdAt. */
  listOutbox(): Promise<OutboxItem[]>;

  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;

  close(): Promise<void>;
}
