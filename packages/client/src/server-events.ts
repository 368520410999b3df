import type { Message, ServerFrame, ServerFrameOf } from '@parley/protocol';
import type { Calls } from './calls/calls.ts';
import { ChatListReader, untilNotRateLimited, withMemberDelta } from './chat-list.ts';
import type { ChatRequests } from './chat-requests.ts';
import type { ClientCore } from './client-core.ts';
import type { Communities } from './communities.ts';
import type { ConnectionState } from './connection.ts';
import type { ChatEncryption } from './e2ee/chat-encryption.ts';
import type { Uploads } from './files/uploads.ts';
import type { Outbox } from './outbox.ts';
import { applyReceipt, type ReceiptSender } from './receipts.ts';
import type { StoredMessage } from './store.ts';
import type { TypingState } from './typing.ts';

/** Receipts' changes to a chat's summary are written to the store at most this often (issue 12). */
export const RECEIPT_WRITE_MS = 1000;

/** What ServerEvents needs besides the client's core: the parts that act on what arrives. */
export interface ServerEventsParts {
  enc: ChatEncryption | undefined;
  outbox: Outbox;
  uploads: Uploads;
  typing: TypingState;
  requests: ChatRequests;
  receipts: ReceiptSender;
  communities: Communities;
  calls: Calls;
  /** R148-R149 (the client's wrappedChannels): false for any other frame. */
  wrappedNotice(frame: ServerFrame): boolean;
  forget(chatId: string): Promise<void>;
  /** Fills the chat's log up to the lastSeq last heard of. */
  catchUp(chatId: string): Promise<void>;
}

/**
 * What the client does with what its connection brings: a new session, a change of its state, the
 * server's events, and new entries at the end of a chat's log.
 */
export class ServerEvents {
  readonly #c: ClientCore;
  readonly #d: ServerEventsParts;
  #callQueue: Promise<void> = Promise.resolve();
  readonly #unwritten = new Set<string>();
  #writeTimer: ReturnType<typeof setTimeout> | undefined;
  /** The chat list reading of the current connection (R40). */
  readonly chatList: ChatListReader;

  constructor(core: ClientCore, parts: ServerEventsParts) {
    this.#c = core;
    this.#d = parts;
    const { conn, stopped } = core;
    this.chatList = new ChatListReader({
      page: (after) => untilNotRateLimited(
        () => conn.request<ServerFrameOf<'chats'>>({ type: 'chats', rid: conn.newRid(), ...(after ? { after } : {}) }), stopped),
      known: () => core.chats.keys(),
      take: (chat, catchUp) => {
        core.keys.hold.mark(chat.chatId);
        void core.adopt(chat, catchUp);
      },
      forget: (chatId) => void parts.forget(chatId),
      catchUp: (chatId) => void parts.catchUp(chatId),
      changed: () => core.changed(),
      onError: (error) => { if (!stopped() && conn.state === 'online') core.backgroundError({ task: 'chat list', error }); },
    });
  }

  authenticated(frame: ServerFrameOf<'auth_ok'>): void {
    const { hold, keyPackages, ownLog } = this.#c.keys;
    const { enc, outbox, requests } = this.#d;
    // Devices may have been revoked or members removed meanwhile: each chat's messages wait for its device list (R34).
    hold.online();
    for (const chatId of this.#c.chats.keys()) hold.mark(chatId);
    void this.chatList.read(frame.chats, frame.chatsNext);
    outbox.flush();
    if (enc) void enc.publishKey();
    else keyPackages?.replenish();
    void enc?.resumeHistoryShares();
    ownLog.online();
    enc?.heads.online();
    void requests.refresh().catch(() => undefined); // requests that came while offline (R44)
  }

  state(state: ConnectionState): void {
    const { keys, emit } = this.#c;
    if (state !== 'online') {
      keys.ownLog.offline();
      keys.hold.offline();
    }
    emit('connection', state);
    if (state === 'revoked') emit('revoked');
    if (state === 'online') { this.#d.uploads.online(); this.#d.calls.online(); } // R102: a call's network may have changed
    this.#c.changed();
  }

  /** A server event; R117: a large group's joins patch its summary; R131: a missed one reads it again. */
  frame(frame: ServerFrame): void {
    const c = this.#c;
    this.#onEvent(withMemberDelta(frame, c.chats, (chatId) => void c.api.getChat(chatId).then((chat) => this.#onEvent({ type: 'chat', chat }), (error: unknown) => c.backgroundError({ task: 'chat list', error }))));
  }

  #onEvent(frame: ServerFrame): void {
    const c = this.#c;
    const d = this.#d;
    switch (frame.type) {
      case 'message':
        d.typing.messageFrom(frame.message.chatId, frame.message.senderUserId);
        void c.sync.receive(frame.message);
        return;
      case 'chat':
        c.keys.hold.mark(frame.chat.chatId); // its messages wait until its device list answers (R34)
        void c.adopt(frame.chat);
        // Sent to every chat of a user whose devices changed (R18): ours may be the one.
        c.keys.ownLog.schedule();
        return;
      case 'chat_removed':
        void d.forget(frame.chatId);
        return;
      case 'resync':
        void this.chatList.read();
        return;
      case 'receipt': {
        const chat = c.chats.get(frame.chatId);
        if (!chat || !applyReceipt(chat, frame)) return;
        this.#writeLater(frame.chatId);
        c.changed(frame.chatId);
        return;
      }
      case 'typing':
        d.typing.heard(frame.chatId, frame.userId);
        return;
      case 'device_link_request':
        c.emit('deviceLinkRequest', frame.link);
        return;
      case 'device_link_closed':
        c.emit('deviceLinkClosed', { linkId: frame.linkId, status: frame.status });
        return;
      case 'device_added':
        c.emit('deviceAdded', frame.device);
        c.keys.ownLog.deviceAdded(frame.device.deviceId);
        return;
      case 'rejoin_requested':
        d.enc?.onRejoinRequested(frame);
        return;
      default:
        if (frame.type === 'channel_post') c.emit('channelPost', { channelId: frame.channelId, seq: frame.seq }); // R97: a notice
        else if (frame.type === 'channel_admin') c.emit('channelAdmin', { channelId: frame.channelId }); // R201
        else if (!d.communities.onEvent(frame) && !d.wrappedNotice(frame)) d.requests.onEvent(frame);
        return;
    }
  }

  /**
   * Receipts change one member's marks of a summary that is written whole (a 5,000-member list):
   * each chat's is written once per RECEIPT_WRITE_MS, not per receipt (after a message every member's
   * devices send two). One lost at a crash is harmless: the server's summary at sign-in has the marks.
   */
  #writeLater(chatId: string): void {
    this.#unwritten.add(chatId);
    if (this.#writeTimer) return;
    this.#writeTimer = setTimeout(() => void this.flushWrites(), RECEIPT_WRITE_MS);
    (this.#writeTimer as { unref?: () => void }).unref?.();
  }

  /** Writes the summaries receipts changed since the last write. */
  async flushWrites(): Promise<void> {
    clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    const chatIds = [...this.#unwritten];
    this.#unwritten.clear();
    if (this.#c.stopped()) return; // the store may be closed
    for (const chatId of chatIds) {
      const chat = this.#c.chats.get(chatId);
      if (chat) await this.#c.options.store.putChat(chat).catch((error: unknown) => this.#c.backgroundError({ task: 'chat list', error }));
    }
  }

  /** New messages at the end of a chat's log: acks clear the outbox, then everyone hears of them. */
  async appended(chatId: string, fresh: readonly Message[], lastSeq: number): Promise<void> {
    const c = this.#c;
    const d = this.#d;
    const acked = new Set(fresh.filter((m) => m.senderUserId === c.api.userId).map((m) => m.clientMsgId));
    await d.outbox.acked(chatId, acked);
    const chat = c.chats.get(chatId);
    if (chat) chat.lastSeq = Math.max(chat.lastSeq, lastSeq);
    for (const m of fresh) c.emit('message', m);
    for (const m of fresh) {
      const got = (m as StoredMessage).decoded;
      if (got?.kind === 'content' && got.content.kind === 'call') { const call = got.content; this.#callQueue = this.#callQueue.then(() => d.calls.received(chatId, m, call)).catch(() => undefined); }
      // R178: an epoch key reached this (admin's) device through the admins' group (R170): open views of the channel read again, as on new wraps.
      if (got?.kind === 'content' && got.content.kind === 'channel_epoch_key') c.emit('wrappedPost', { communityId: got.content.communityId });
    }
    d.calls.chatMoved(chatId); // R64: a commit moves a call's frame key to the new epoch
    d.receipts.delivered();
    c.changed(chatId);
  }
}
