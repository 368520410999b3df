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
 * One of this device's own MLS key packages, kept from upload until a Welcome uses it: the public
 * package as uploaded and its private keys (see mls/key-packages.ts). A last-resort one is kept even
 * after use, until a newer last-resort one replaces it on the server.
 */
export interface StoredKeyPackage {
  /** KeyPackageRef (RFC 9420 §5.2), base64: how a Welcome names it. */
  ref: string;
  /** The TLS-encoded MLSMessage that was uploaded. */
  keyPackage: Uint8Array;
  /** The init and leaf HPKE private keys, opaque. */
  privateKeys: Uint8Array;
  lastResort: boolean;
  createdAt: number;
}

/**
 * The device's MLS state. Everything here is secret (signature key, HPKE private keys, group
 * secrets); it is stored as plain bytes for now: encryption at rest is still to come.
 */
export interface MlsStateStore {
  /** The device's MlsIdentity (MlsIdentity.toBytes()). */
  getMlsIdentity(): Promise<Uint8Array | undefined>;
  putMlsIdentity(identity: Uint8Array): Promise<void>;

  /** Upserts by ref. */
  putKeyPackages(packages: readonly StoredKeyPackage[]): Promise<void>;
  /** Ascending by createdAt. */
  listKeyPackages(): Promise<StoredKeyPackage[]>;
  deleteKeyPackages(refs: readonly string[]): Promise<void>;

  /** A chat's MLS group state (MlsGroupSession.serialize()); deleteChat leaves it alone. */
  getMlsGroup(chatId: string): Promise<Uint8Array | undefined>;
  putMlsGroup(chatId: string, state: Uint8Array): Promise<void>;
  deleteMlsGroup(chatId: string): Promise<void>;
}

/**
 * Where the SDK keeps what it knows between runs: chats, each chat's contiguous slice of the log
 * [loSeq..hiSeq], the outbox, small metadata and the device's MLS state. Implementations: MemoryStore (Node default,
 * tests), IndexedDbStore (browser), FileStore (CLI). All methods may be called concurrently; each
 * call is atomic on its own.
 */
export interface ClientStore extends MlsStateStore {
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
