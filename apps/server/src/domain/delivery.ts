import { MLS_SCHEDULED_CONTENT_TYPE, ParleyError, type Envelope, type Message } from '@parley/protocol';
import { MLS_COMMIT_CONTENT_TYPE } from '@parley/mls-public';
import { chatTopic, type Bus } from '../bus/bus.ts';
import type { Limits, RateLimits } from '../config.ts';
import type { AppendRequest, AppendResult, Storage } from '../storage/storage.ts';
import type { AuthContext } from './accounts.ts';
import type { Chats } from './chats.ts';
import { GroupCommit } from './group-commit.ts';
import type { Files } from './files/files.ts';
import type { Clock } from './ports.ts';
import type { RateLimiter } from './rate-limiter.ts';

export interface DeliveryDeps {
  storage: Storage;
  bus: Bus;
  chats: Chats;
  clock: Clock;
  limiter: RateLimiter;
  limits: Pick<Limits, 'maxEnvelopeBytes' | 'maxCommitBytes' | 'historyPageMax' | 'wsBufferBytes'>;
  rates: Pick<RateLimits, 'sendPerSec' | 'sendBurst' | 'historyPerSec' | 'historyBurst' | 'receiptPerSec' | 'receiptBurst' | 'typingPerSec'>;
  /** Told about every newly committed message (push notifications; R178 `quiet`: the sender asked for none); must not throw. */
  onCommitted?: (message: Message, opts: { quiet?: true }) => void;
  /** R54: checks the blobs a `send` names (readable by the sender, complete). */
  files?: Pick<Files, 'checkReferences'>;
  /** R69: throws when the sender may not post application messages to the chat (a community's announcements). */
  checkPost?: (userId: string, chatId: string) => Promise<void>;
  /** R82: throws when the sender is muted or in slow mode there; last of a `send`'s checks (it takes the slow-mode slot). */
  checkSend?: (userId: string, chatId: string, clientMsgId: string) => Promise<void>;
  /** R83: whether the chat keeps franking commitments (a community's chat); elsewhere a `frank` is dropped. */
  frankable?: (chatId: string) => Promise<boolean>;
}

/** What a device sends to a chat's log: its envelope and, R54/R56, the blobs it references or releases. */
export interface SendInput {
  chatId: string;
  clientMsgId: string;
  envelope: Envelope;
  blobs?: readonly string[] | undefined;
  release?: readonly string[] | undefined;
  /** R83: the franking commitment the sender's device made for the content. */
  frank?: string | undefined;
  /** R87: the sender says it is a vote: let through where only some post (R69), as R87 says. */
  vote?: true | undefined;
  /** R178: the sender asks that it wake no one (no Web Push). */
  quiet?: true | undefined;
}

export interface HistoryInput {
  chatId: string;
  afterSeq?: number | undefined;
  beforeSeq?: number | undefined;
  limit?: number | undefined;
}

/** A history frame costs one token per this many messages it asks for… */
export const HISTORY_MESSAGES_PER_TOKEN = 100;
/**
 * …and at least this much (R40): a device catching up thousands of chats a few messages each (a new
 * device, after a long time away) asks for small pages and is not held to one chat per token; the
 * connection's frame budget (PARLEY_WS_FRAMES_PER_SEC) still bounds how fast it asks.
 */
export const HISTORY_MIN_COST = 0.05;

/** A generous bound on a message's bytes in a frame besides its envelope and system event: ids, seq, time, JSON keys. */
const MESSAGE_OVERHEAD_BYTES = 400;

function messageBytes(m: Message): number {
  return MESSAGE_OVERHEAD_BYTES + (m.envelope ? m.envelope.contentType.length + m.envelope.payload.length : 0)
    + (m.system ? JSON.stringify(m.system).length : 0);
}

/** The message path: accept, order, commit, acknowledge, fan out; history; receipts; typing. */
export class Delivery {
  readonly #d: DeliveryDeps;
  readonly #commits: GroupCommit;

  constructor(deps: DeliveryDeps) {
    this.#d = deps;
    this.#commits = new GroupCommit(deps.storage);
  }

  get commitQueue(): number {
    return this.#commits.queued;
  }

  /** Resolves when every accepted send has been committed (or failed): the drain step of a shutdown. */
  drain(): Promise<void> {
    return this.#commits.idle();
  }

  /** R1-R3: resolves after the durable commit with the message's seq; a resend gets the original. */
  async send(auth: AuthContext, input: SendInput): Promise<AppendResult> {
    // R15/R35: a commit reaches the log only through the `commit` frame, checked and counted as an
    // epoch; clients apply nothing else as one, but an older client would, so it is refused here.
    if (input.envelope.contentType === MLS_COMMIT_CONTENT_TYPE) {
      throw new ParleyError('mls_commit_not_sendable', `${MLS_COMMIT_CONTENT_TYPE} goes only in a commit frame`);
    }
    // R191: a scheduled post reaches the log only through the sweep, which checks its epoch.
    if (input.envelope.contentType === MLS_SCHEDULED_CONTENT_TYPE) throw new ParleyError('bad_request', `${MLS_SCHEDULED_CONTENT_TYPE} goes only through …/channel-scheduled`);
    await this.admit(auth, input.chatId, input.envelope, input.vote ? 'vote' : 'message');
    await this.#d.checkSend?.(auth.userId, input.chatId, input.clientMsgId);
    const entry = this.entry(auth, input);
    // R83: the commitment goes on the entry, in the append's own transaction, and travels with it (R83b).
    if (input.frank !== undefined && (await this.#d.frankable?.(input.chatId))) entry.frank = input.frank;
    if (input.blobs !== undefined || input.release !== undefined) {
      // R54: each blob readable by the sender and complete; checked again in the append's transaction.
      if (input.blobs?.length) {
        if (!this.#d.files) throw new ParleyError('bad_request', 'this server takes no files');
        await this.#d.files.checkReferences(auth, input.blobs);
      }
      entry.blobs = { add: [...new Set(input.blobs ?? [])], release: [...new Set(input.release ?? [])] };
    }
    const result = await this.#commits.append(entry);
    if (!result.duplicate) await this.announce(result.message, input.quiet ? { quiet: true } : {});
    return result;
  }

  /**
   * The checks every entry a device writes to a chat's log passes first: envelope size (R7),
   * membership (R10), the per-device send rate (R11). Shared by `send` and MLS commits, whose
   * envelopes may be larger (`PARLEY_MAX_COMMIT_BYTES`: a group's start carries a key package per device).
   */
  async admit(auth: AuthContext, chatId: string, envelope: Envelope, kind: 'message' | 'vote' | 'commit' = 'message'): Promise<void> {
    const size = envelope.contentType.length + envelope.payload.length;
    const max = kind === 'commit' ? this.#d.limits.maxCommitBytes : this.#d.limits.maxEnvelopeBytes;
    if (size > max) {
      throw new ParleyError('payload_too_large', `a ${kind} is at most ${max} bytes`);
    }
    await this.#d.chats.requireMember(chatId, auth.userId);
    // R69: commits are not posts: any member's device adds and removes devices in any chat (R18);
    // R87: nor are votes (members' devices show a non-poster's entry there only if it is a vote).
    if (kind === 'message') await this.#d.checkPost?.(auth.userId, chatId);
    await this.#d.limiter.take(`send:${auth.deviceId}`, this.#d.rates.sendPerSec, this.#d.rates.sendBurst);
  }

  /** The log entry a device's message becomes, stamped with the server's time. */
  entry(auth: AuthContext, input: { chatId: string; clientMsgId: string; envelope: Envelope }): AppendRequest {
    return {
      chatId: input.chatId,
      clientMsgId: input.clientMsgId,
      senderUserId: auth.userId,
      senderDeviceId: auth.deviceId,
      sentAt: this.#d.clock.now(),
      envelope: input.envelope,
      system: null,
    };
  }

  /** Fans a newly committed entry out to every member's devices (R3) and tells the push notifier. */
  async announce(message: Message, opts: { quiet?: true } = {}): Promise<void> {
    await this.#d.bus.publish(chatTopic(message.chatId), { type: 'message', message });
    this.#d.onCommitted?.(message, opts);
  }

  async history(auth: AuthContext, input: HistoryInput): Promise<{ messages: Message[]; hasMore: boolean }> {
    await this.admitHistory(auth, input);
    return this.readHistory(input);
  }

  /**
   * The checks before a history read: the query, the device's history bucket, membership. Apart from
   * the read, so a connection's requests over its rate are refused at once, without waiting for a
   * place among the reads being answered (R40): a device reading pages in a loop spends its own
   * bucket, not the database's time nor other connections' turns.
   */
  async admitHistory(auth: AuthContext, input: HistoryInput): Promise<void> {
    if (input.afterSeq !== undefined && input.beforeSeq !== undefined) {
      throw new ParleyError('bad_request', 'give afterSeq or beforeSeq, not both');
    }
    const { historyPerSec, historyBurst } = this.#d.rates;
    await this.#d.limiter.take(`history:${auth.deviceId}`, historyPerSec, historyBurst, Math.max(HISTORY_MIN_COST, this.#pageLimit(input) / HISTORY_MESSAGES_PER_TOKEN));
    await this.#d.chats.requireMember(input.chatId, auth.userId);
  }

  #pageLimit(input: HistoryInput): number {
    return Math.min(input.limit ?? 50, this.#d.limits.historyPageMax);
  }

  /** A page of a chat's log, for a request `admitHistory` let through. */
  async readHistory(input: HistoryInput): Promise<{ messages: Message[]; hasMore: boolean }> {
    const limit = this.#pageLimit(input);
    // R9/R40: the page's frame must fit the connection's send buffer with room to spare, else the client
    // is cut off (4008) and asks for the same page again, forever; and the node must not read 500
    // maximum-size rows (32 MB) to send ten of them. So rows are read from the anchor outwards in
    // chunks that grow (16, 32, 64…) only while they are small, up to the byte budget (at least one).
    // A chunk is also no more rows than the rest of the budget holds at the largest size seen so far
    // (before the first row: the largest a message may be), and one to tell a full page: a chat of
    // maximum-size messages reads 8 rows for a page of 7, not 16 (each row is copied and base64-encoded).
    const budget = this.#d.limits.wsBufferBytes / 2;
    const backwards = input.beforeSeq !== undefined;
    const fromAnchor: Message[] = [];
    let bytes = 0;
    let largest = MESSAGE_OVERHEAD_BYTES + this.#d.limits.maxEnvelopeBytes;
    let seen = false;
    let hasMore = false;
    let cursor = backwards ? input.beforeSeq! : input.afterSeq ?? 0;
    for (let chunk = 16; ; chunk *= 2) {
      const fits = Math.floor(Math.max(0, budget - bytes) / largest) + 1;
      const want = Math.min(chunk, fits, limit + 1 - fromAnchor.length);
      const rows = await this.#d.storage.getMessages(input.chatId, backwards ? { beforeSeq: cursor, limit: want } : { afterSeq: cursor, limit: want });
      const ordered = backwards ? rows.reverse() : rows;
      for (const m of ordered) {
        largest = seen ? Math.max(largest, messageBytes(m)) : messageBytes(m);
        seen = true;
      }
      let full = false;
      for (const m of ordered) {
        if (fromAnchor.length === limit || (fromAnchor.length > 0 && bytes + messageBytes(m) > budget)) {
          full = true;
          break;
        }
        bytes += messageBytes(m);
        fromAnchor.push(m);
      }
      if (full) {
        hasMore = true;
        break;
      }
      if (rows.length < want) break;
      cursor = fromAnchor.at(-1)!.seq;
    }
    const messages = backwards ? fromAnchor.reverse() : fromAnchor;
    return { messages, hasMore };
  }

  /** R8: receipts only move forward and never past the chat's last seq. */
  async receipt(auth: AuthContext, input: { chatId: string; kind: 'delivered' | 'read'; upToSeq: number }): Promise<void> {
    await this.#d.limiter.take(`receipt:${auth.deviceId}`, this.#d.rates.receiptPerSec, this.#d.rates.receiptBurst);
    await this.#d.chats.requireMember(input.chatId, auth.userId);
    const chat = await this.#d.storage.getChat(input.chatId);
    const upToSeq = Math.min(input.upToSeq, chat?.lastSeq ?? 0);
    const changed = await this.#d.storage.updateReceipt(input.chatId, auth.userId, input.kind, upToSeq);
    if (input.kind === 'read') await this.#d.storage.updateReceipt(input.chatId, auth.userId, 'delivered', upToSeq);
    if (changed) {
      await this.#d.bus.publish(chatTopic(input.chatId), { type: 'receipt', chatId: input.chatId, userId: auth.userId, kind: input.kind, upToSeq });
    }
  }

  async typing(auth: AuthContext, chatId: string): Promise<void> {
    await this.#d.limiter.take(`typing:${auth.deviceId}`, this.#d.rates.typingPerSec, this.#d.rates.typingPerSec * 2);
    await this.#d.chats.requireMember(chatId, auth.userId);
    await this.#d.bus.publish(chatTopic(chatId), { type: 'typing', chatId, userId: auth.userId });
  }
}
