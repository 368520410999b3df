import { parseReceivedContent, PLAIN_CONTENT_TYPE, type Content, type Envelope, type Message } from '@parley/protocol';
import { base64ToBytes, bytesToBase64 } from './encoding.ts';
import type { DecodedEnvelope } from './store.ts';

/** What a batch of a chat's log decoded to, with the MLS group states it moved to. */
export interface DecodedBatch {
  /** One per message, in order; undefined for a message without envelope (a server system event). */
  decoded: (DecodedEnvelope | undefined)[];
  /** Group states to store in the same write as the messages (chatId → serialized state). */
  groups: ReadonlyMap<string, Uint8Array>;
}

/** This device's own message: its content from the outbox (it can't decrypt what it encrypted). */
export type OwnContent = (message: Message) => Content | undefined;

export interface EncodeOptions {
  /** The id of this device's previous message in the chat (R30). */
  prev?: string;
  /**
   * A message sent again (R32): encode only if every device of another user that would read it
   * was in the chat's encryption group at this epoch, when the original was sent; else CodecRefused.
   */
  membersSince?: number;
  /** When the message was written (the outbox item's `createdAt`): R159's wait counts from it. */
  createdAt?: number;
}

/**
 * Turns what a person wrote into the opaque envelope the server carries, and back. Two codecs: the
 * MLS codec (end-to-end encrypted, the default, e2ee/mls-codec.ts) and the plaintext one (tests,
 * bots on trusted servers).
 */
export interface ContentCodec {
  /**
   * Encodes for sending now, in the chat's current state. Throws CodecNotReady when it can't yet
   * (this device is still waiting to be added to the chat's encryption group): retry later.
   */
  encode(chatId: string, content: Content, options?: EncodeOptions): Promise<Envelope>;
  /**
   * Decodes a contiguous run of one chat's log, in order, each message once (MLS keys are gone after
   * use). `persist` runs before the codec takes the next batch of the chat, so what the batch
   * decoded and the group state it left are stored together and in order.
   */
  decodeBatch(chatId: string, messages: readonly Message[], own: OwnContent, persist: (batch: DecodedBatch) => Promise<void>): Promise<DecodedBatch>;
}

export class CodecNotReady extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecNotReady';
  }
}

/**
 * Not now: the chat's group still holds a device that no longer belongs (R34) and a commit removing
 * it has not been applied yet. Like CodecNotReady the message waits; it is released by that commit,
 * or after the hold's bound.
 */
export class CodecHeld extends CodecNotReady {
  constructor(message: string) {
    super(message);
    this.name = 'CodecHeld';
  }
}

/**
 * R152, R159: not now, and nothing about the chat's group to do: the message waits (shown as sending)
 * for something to arrive in the chat's log (an admission, the owner's signed statement of a right
 * this device acts on). The outbox tries it again when the chat changes (`Outbox.chatChanged`), and
 * by itself only after `deadlineMs` (when waiting longer fails it) or a slow fallback.
 */
export class CodecWaiting extends CodecNotReady {
  constructor(message: string, readonly deadlineMs?: number) {
    super(message);
    this.name = 'CodecWaiting';
  }
}

/** R159: this message will never be sent: the outbox keeps it as failed with `code`, which the app shows. */
export class CodecFailed extends Error {
  constructor(readonly code: 'rights_unconfirmed', message: string) {
    super(message);
    this.name = 'CodecFailed';
  }
}

/** The codec will never encode this message (a resend that would reach devices that joined since): drop it. */
export class CodecRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecRefused';
  }
}

/** Reads a plaintext envelope; undefined when it is not one or is damaged. */
export function decodePlain(envelope: Envelope): Content | undefined {
  if (envelope.contentType !== PLAIN_CONTENT_TYPE) return undefined;
  try {
    return parseReceivedContent(JSON.parse(new TextDecoder().decode(base64ToBytes(envelope.payload))));
  } catch {
    return undefined;
  }
}

/** A plaintext envelope as this device keeps it (also messages stored before decoded contents were kept). */
export function decodePlainEnvelope(envelope: Envelope): DecodedEnvelope {
  const content = decodePlain(envelope);
  return content ? { kind: 'content', content, unencrypted: true } : { kind: 'unreadable', reason: 'unknown_format' };
}

export function encodePlain(content: Content): Envelope {
  return { contentType: PLAIN_CONTENT_TYPE, payload: bytesToBase64(new TextEncoder().encode(JSON.stringify(content))) };
}

/** NOT encrypted: JSON in base64. The server stores it as bytes and never parses it. */
export class PlaintextCodec implements ContentCodec {
  async encode(_chatId: string, content: Content): Promise<Envelope> {
    return encodePlain(content);
  }

  async decodeBatch(_chatId: string, messages: readonly Message[], _own: OwnContent, persist: (batch: DecodedBatch) => Promise<void>): Promise<DecodedBatch> {
    const batch: DecodedBatch = {
      decoded: messages.map((m) => (m.envelope ? decodePlainEnvelope(m.envelope) : undefined)),
      groups: new Map(),
    };
    await persist(batch);
    return batch;
  }
}
