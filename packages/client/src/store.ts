import type { ChatSummary, Content, Envelope, Message } from '@parley/protocol';
import type { PendingUpload } from './files/types.ts';

export type { PendingUpload, PendingFile } from './files/types.ts';

/** A message waiting in the outbox until the server acknowledges it (R6). */
export interface OutboxItem {
  chatId: string;
  clientMsgId: string;
  /** What the person wrote; encoded (encrypted) only when it is sent, in the chat's epoch of that moment. */
  content?: Content;
  /** Items written before content was kept: an already encoded (plaintext codec) envelope. */
  envelope?: Envelope;
  createdAt: number;
  attempts: number;
  /** Set when the server refused it for good (not retried; shown as failed). */
  failedCode?: string;
  /** A message sent again (R32): see EncodeOptions.membersSince. */
  membersSince?: number;
  /** R54: the blobs its attachments reference, named in every `send` of it (server-known ids). */
  blobs?: string[];
  /** R56: with a `delete` of one's own message, the deleted message's blobs this sender drops. */
  release?: string[];
  /** R83: the franking commitment named in every `send` of it. */
  frank?: string;
  /** R87: a vote, said in every `send` of it. */
  vote?: true;
  /** R178: wakes no one, said in every `send` of it. */
  quiet?: true;
  /** R69, R82: this device's automatic post (resend asks and answers, key-log heads): dropped unsent where it may not go when its turn comes. */
  auto?: true;
  /** R176: when the person last chose "Try again" on it: R159's wait counts from then, as for an action written then. */
  retriedAt?: number;
}

/** Why this device can't show a message's content (the timeline explains each in plain words). */
export type UnreadableReason =
  /** Sent before this device joined the chat's encryption group, and no history was shared with it. */
  | 'before_join'
  /** This device is not (yet) in the chat's encryption group: waiting for a member to add it. */
  | 'not_in_group'
  /** It failed to decrypt or authenticate: damaged, replayed or altered on the way. */
  | 'tampered'
  /** An older message whose keys this device no longer holds (forward secrecy). */
  | 'keys_gone'
  /** A format this version does not know. */
  | 'unknown_format'
  /**
   * An MLS commit this device could not apply (R36): the chat's group went on without it, until its
   * encryption is set up again (this device or another starts the group anew).
   */
  | 'commit_failed'
  /** Sent while this device could not follow the chat's group (after a commit it could not apply), or in the group the chat had before it was set up again (R36). */
  | 'group_broken';

/**
 * What this device made of a message's envelope. Kept with the message because MLS decrypts each
 * message exactly once: the keys are gone afterwards (forward secrecy).
 */
/** R191: a scheduled post's signed date, and whether it was served more than R115's tolerance before it. */
export interface ScheduledMark {
  date: number;
  early?: true;
}

export type DecodedEnvelope =
  /**
   * `missingBefore`: the sender's device says its previous message in this chat was another one than
   * the log shows before it: the server dropped or reordered something.
   */
  /** `shared`: filled from history another device of this user shared (e2ee/history-share.ts). */
  /** `resent`: unreadable at first, filled from what its sender's device sent again (R32, e2ee/resend.ts). */
  /** `unencrypted`: it came as plaintext (a chat from before end-to-end encryption, or a plaintext-codec client). */
  /** `admitted`: R152, a `community_admit` whose proof the codec found signed for its sender. */
  /** `scheduled`: R191, a scheduled channel post: its signed date; `early` when served well before it (R115's check). */
  | { kind: 'content'; content: Content; unencrypted?: boolean; shared?: boolean; resent?: boolean; missingBefore?: boolean; admitted?: true; scheduled?: ScheduledMark }
  /**
   * An MLS commit (members' devices added/removed, keys rotated): not a message of its own.
   * `restarted`: the chat's group was started again (R36), with or (removed) without this device.
   * `joined`: users with no device in the group before it (R152 judges them).
   */
  | { kind: 'handshake'; epoch: number; added: string[]; removed: string[]; restarted?: boolean; joined?: string[] }
  | { kind: 'unreadable'; reason: UnreadableReason; detail?: string };

/** A log entry as this device keeps it: the server's message plus what it decoded to. */
export interface StoredMessage extends Message {
  decoded?: DecodedEnvelope;
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

  /**
   * A chat's MLS group state, by key: the chat's id, and `chatId` + `\0mls-trees-0|1` for its ratchet
   * trees, written once an epoch (e2ee/group-records.ts reads and writes both; opaque bytes here).
   * deleteChat leaves them alone.
   */
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

  /**
   * Upserts by (chatId, seq) and, in the same atomic write, the MLS group states the messages
   * moved to: a crash never leaves a group advanced past plaintexts that were not kept.
   */
  putMessages(messages: readonly StoredMessage[], mlsGroups?: ReadonlyMap<string, Uint8Array>): Promise<void>;
  /** All stored messages of the chat, ascending by seq. */
  getMessages(chatId: string): Promise<StoredMessage[]>;

  putOutbox(item: OutboxItem): Promise<void>;
  deleteOutbox(clientMsgId: string): Promise<void>;
  /** Ascending by createdAt. */
  listOutbox(): Promise<OutboxItem[]>;

  /** Messages with files still uploading (files/uploads.ts); upserts by clientMsgId. */
  putPendingUpload(upload: PendingUpload): Promise<void>;
  deletePendingUpload(clientMsgId: string): Promise<void>;
  /** Ascending by createdAt. */
  listPendingUploads(): Promise<PendingUpload[]>;

  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;

  close(): Promise<void>;
}
