import {
  ParleyError,
  type ChatSummary, type ClaimedKeyPackage, type ClaimKeyPackagesResponse, type Content, type KeyPackageCountResponse, type MeResponse, type Message, type ServerFrame, type ServerFrameOf, type UserProfile,
  type ChatDevicesResponse, type Envelope, type HistoryEntry, type AddedDevice, type PendingDeviceLink,
} from '@parley/protocol';
import { accounts } from './accounts.ts';
import { NetworkError, RestApi } from './api.ts';
import { CodecNotReady, decodePlain, PlaintextCodec, type ContentCodec } from './codec.ts';
import { MlsCodec, type GroupStatus } from './e2ee/mls-codec.ts';
import { MLS_COMMIT_CONTENT_TYPE } from './e2ee/envelopes.ts';
import { applyHistory, historyChunks, historyEntries } from './e2ee/history-share.ts';
import { Connection, Disconnected, type ConnectionState, type WebSocketCtor } from './connection.ts';
import type { DeviceKey } from './device-key.ts';
import { Emitter } from './emitter.ts';
import { randomId } from './encoding.ts';
import { KeyPackageKeeper } from './key-packages.ts';
import { KeyDirectory } from './key-log/index.ts';
import { approveDeviceLink, denyDeviceLink, pendingDeviceLinks } from './device-link.ts';
import { LogSync } from './log-sync.ts';
import type { ClientStore, OutboxItem, StoredMessage } from './store.ts';
import { foldTimeline, type TimelineItem } from './timeline.ts';

export interface ClientOptions {
  baseUrl: string;
  session: { userId: string; deviceId: string };
  deviceKey: DeviceKey;
  store: ClientStore;
  /** Default: the MLS codec (end-to-end encrypted) when `mls.enabled`, else plaintext. */
  codec?: ContentCodec;
  /** Defaults to globalThis.WebSocket; in Node 20 pass `ws`'s WebSocket. */
  WebSocket?: WebSocketCtor;
  /** History page size for catch-up and scroll-back. */
  pageSize?: number;
  backoff?: { minMs: number; maxMs: number };
  /**
   * End-to-end encryption (MLS). When enabled (the default), every chat is an MLS group and the
   * client keeps `target` of this device's key packages (default 20, refilled below 5) and a
   * last-resort one on the server (R14).
   */
  mls?: {
    enabled: boolean; target?: number; refillBelow?: number;
    /** This device rotates its leaf key in a chat (an update commit) when it is older than this. Default 7 days. */
    rotateAfterMs?: number;
  };
}

/** A background task failed; it is retried later and does not hold up anything else. */
export interface BackgroundError {
  task: 'key-packages' | 'encryption-group' | 'key-log';
  error: unknown;
}

export interface ChatView extends ChatSummary {
  /** Group name, or the other person's name in a direct chat. */
  title: string;
  lastItem: TimelineItem | undefined;
  /** User ids typing now. */
  typing: string[];
  /**
   * End-to-end encryption on this device: 'on'; 'waiting' for a member's device to add this one to
   * the chat's group; 'removed' from it; 'off' with the plaintext codec.
   */
  encryption: 'on' | 'waiting' | 'removed' | 'off';
}

type ClientEvents = {
  change: [];
  connection: [ConnectionState];
  revoked: [];
  message: [Message];
  error: [BackgroundError];
  /** A new device asks to join this account (R23-R28): show it, with the code field. */
  deviceLinkRequest: [PendingDeviceLink];
  /** A link request was approved, denied or expired (on any device). */
  deviceLinkClosed: [{ linkId: string; status: string }];
  /** A device was added to this account (login alert). */
  deviceAdded: [AddedDevice];
};

const TYPING_SHOWN_MS = 5000;
const DEFAULT_ROTATE_AFTER_MS = 7 * 24 * 3600 * 1000;
const TYPING_SEND_EVERY_MS = 3000;

/**
 * The Parley client: keeps a local copy of the user's chats in a ClientStore, syncs it with the
 * server over one resilient connection, and sends through a persistent outbox. Guarantees (see
 * docs/PROTOCOL.md): each chat's local log is contiguous and in server order (no gaps, no
 * duplicates); a message leaves the outbox only when the server acknowledged its commit.
 */
export class ParleyClient extends Emitter<ClientEvents> {
  readonly userId: string;
  readonly deviceId: string;
  readonly #o: ClientOptions;
  readonly #codec: ContentCodec;
  readonly #api: RestApi;
  readonly #conn: Connection;
  readonly #sync: LogSync;
  readonly #chats = new Map<string, ChatSummary>();
  #outbox: OutboxItem[] = [];
  readonly #decodedOutbox = new Map<string, Content>();
  readonly #sendingChats = new Set<string>();
  readonly #typing = new Map<string, Map<string, number>>();
  readonly #typingSentAt = new Map<string, number>();
  readonly #deliveredSent = new Map<string, number>();
  readonly #timelineCache = new Map<string, TimelineItem[]>();
  readonly #mls: MlsCodec | undefined;
  readonly #groupStatus = new Map<string, GroupStatus>();
  readonly #reconcileTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #reconcileTries = new Map<string, number>();
  #stopped = false;
  /** History other devices of this user shared, per chat and seq (kept in meta `history:<chatId>`). */
  readonly #history = new Map<string, Map<number, HistoryEntry>>();
  readonly #historyShared = new Set<string>();
  /** R29: devices that asked to be added again, per chat (memberKey → when asked). */
  readonly #rejoins = new Map<string, Map<string, number>>();
  readonly #readdDone = new Map<string, number>();
  readonly #waitingSince = new Map<string, number>();
  readonly #rejoinAskedAt = new Map<string, number>();
  #receiptTimer: ReturnType<typeof setTimeout> | undefined;
  #changeScheduled = false;
  /** This device's MLS identity and key packages; undefined when `mls.enabled` is false. */
  readonly keyPackages: KeyPackageKeeper | undefined;
  /** The per-user device-key logs (R19-R22): safety numbers, and the check of every MLS member's key. */
  readonly keys: KeyDirectory;

  constructor(options: ClientOptions) {
    super();
    this.#o = options;
    this.userId = options.session.userId;
    this.deviceId = options.session.deviceId;
    this.#api = new RestApi(options.baseUrl);
    this.#sync = new LogSync({
      pageSize: options.pageSize ?? 100,
      history: (chatId, q) => this.#conn.request<ServerFrameOf<'history'>>({ type: 'history', rid: this.#conn.newRid(), chatId, ...q }),
      hasChat: (chatId) => this.#chats.has(chatId),
      knowChat: (chatId) => this.#fetchChat(chatId),
      findStart: (chatId, targetSeq) => this.#findStart(chatId, targetSeq),
      keep: (messages) => this.#keep(messages),
      onAppended: (chatId, fresh, lastSeq) => this.#onAppended(chatId, fresh, lastSeq),
      onPrepended: (chatId) => this.#changed(chatId),
    });
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!WebSocketImpl) throw new Error('no WebSocket implementation: pass options.WebSocket (e.g. from the "ws" package)');
    this.#conn = new Connection({
      baseUrl: options.baseUrl,
      WebSocket: WebSocketImpl,
      getToken: (fresh) => this.#token(fresh),
      onAuthenticated: (frame) => this.#onAuthenticated(frame),
      onEvent: (frame) => this.#onEvent(frame),
      onState: (state) => {
        this.emit('connection', state);
        if (state === 'revoked') this.emit('revoked');
        this.#changed();
      },
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
    const mls = options.mls ?? { enabled: true };
    this.keyPackages = mls.enabled
      ? new KeyPackageKeeper({
        userId: this.userId,
        deviceId: this.deviceId,
        store: options.store,
        directory: {
          count: () => this.keyPackageCount(),
          upload: (request) => this.#rest('POST', '/keypackages', request),
        },
        ...(mls.target !== undefined ? { target: mls.target } : {}),
        ...(mls.refillBelow !== undefined ? { refillBelow: mls.refillBelow } : {}),
        ...(options.backoff ? { retry: options.backoff } : {}),
        onError: (error) => this.#backgroundError({ task: 'key-packages', error }),
      })
      : undefined;
    this.keys = new KeyDirectory({
      rest: (method, path, body) => this.#rest(method, path, body),
      store: { get: (k) => options.store.getMeta(k), set: (k, v) => options.store.setMeta(k, v) },
    });
    this.#mls = !options.codec && this.keyPackages
      ? new MlsCodec({
        userId: this.userId, deviceId: this.deviceId, store: options.store, keys: this.keyPackages,
        // A leaf is genuine only if its user's key log binds that device to that signature key.
        session: { authenticate: (member, key) => this.#authenticate(member.userId, member.deviceId, key) },
      })
      : undefined;
    this.#codec = options.codec ?? this.#mls ?? new PlaintextCodec();
  }

  get connectionState(): ConnectionState {
    return this.#conn.state;
  }

  /** Loads the local copy (works offline) and starts connecting in the background. */
  async start(): Promise<void> {
    const store = this.#o.store;
    for (const chat of await store.getChats()) {
      this.#chats.set(chat.chatId, chat);
      const log = await store.getMessages(chat.chatId);
      for (const m of log) {
        // Stored before decoded contents were kept: those were plaintext envelopes.
        if (m.envelope && !m.decoded) {
          const content = decodePlain(m.envelope);
          m.decoded = content ? { kind: 'content', content, unencrypted: true } : { kind: 'unreadable', reason: 'unknown_format' };
        }
      }
      this.#sync.restore(chat.chatId, log);
      if (this.#mls) this.#groupStatus.set(chat.chatId, await this.#mls.status(chat.chatId));
    }
    this.#outbox = await store.listOutbox();
    for (const item of this.#outbox) {
      const content = item.content ?? (item.envelope && decodePlain(item.envelope));
      if (content) this.#decodedOutbox.set(item.clientMsgId, content);
    }
    this.#conn.start();
    this.#changed();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#reconcileTimers.values()) clearTimeout(t);
    this.#conn.stop();
    this.keyPackages?.stop();
    clearTimeout(this.#receiptTimer);
    // Let running syncs settle, but never hang a shutdown on one.
    const running = [this.#sync.idle(), ...(this.keyPackages ? [this.keyPackages.idle()] : [])];
    await Promise.race([Promise.allSettled(running), new Promise((r) => setTimeout(r, 2000))]);
  }

  /** Try to reconnect now (e.g. on the browser's `online` event). */
  reconnect(): void {
    this.#conn.kick();
  }

  // --- reading -------------------------------------------------------------------------------

  chats(): ChatView[] {
    const now = Date.now();
    return [...this.#chats.values()]
      .filter((chat) => !this.#isSelfChat(chat) || this.timeline(chat.chatId).length > 0)
      .map((chat) => {
        const items = this.timeline(chat.chatId);
        const typing = [...(this.#typing.get(chat.chatId) ?? [])].filter(([, until]) => until > now).map(([id]) => id);
        return { ...chat, title: this.#title(chat), lastItem: items.at(-1), typing, unread: this.#unread(chat), encryption: this.#encryption(chat.chatId) };
      })
      .sort((a, b) => (b.lastItem?.sentAt ?? b.createdAt) - (a.lastItem?.sentAt ?? a.createdAt));
  }

  chat(chatId: string): ChatView | undefined {
    return this.chats().find((c) => c.chatId === chatId);
  }

  timeline(chatId: string): TimelineItem[] {
    const cached = this.#timelineCache.get(chatId);
    if (cached) return cached;
    const chat = this.#chats.get(chatId);
    if (!chat) return [];
    const items = foldTimeline({
      chat,
      myUserId: this.userId,
      messages: this.#sync.log(chatId),
      decoded: (m) => (m as StoredMessage).decoded,
      outbox: this.#outbox,
      decodedOutbox: (o) => this.#decodedOutbox.get(o.clientMsgId),
    });
    this.#timelineCache.set(chatId, items);
    return items;
  }

  /** The raw log this device holds for a chat (ascending, contiguous). */
  log(chatId: string): readonly Message[] {
    return this.#sync.log(chatId);
  }

  outbox(): readonly OutboxItem[] {
    return this.#outbox;
  }

  hasOlder(chatId: string): boolean {
    return this.#sync.hasOlder(chatId);
  }

  loadOlder(chatId: string): Promise<void> {
    return this.#sync.loadOlder(chatId);
  }

  /** Case-insensitive search through the text of every message this device holds. */
  search(query: string): { chatId: string; item: TimelineItem }[] {
    const q = query.trim().toLocaleLowerCase();
    if (!q) return [];
    const hits: { chatId: string; item: TimelineItem }[] = [];
    for (const chatId of this.#chats.keys()) {
      for (const item of this.timeline(chatId)) {
        if (!item.deleted && item.text.toLocaleLowerCase().includes(q)) hits.push({ chatId, item });
      }
    }
    return hits.sort((a, b) => b.item.sentAt - a.item.sentAt);
  }

  /** The devices in this device's view of the chat's encryption group (empty without MLS). */
  async encryptionMembers(chatId: string): Promise<{ userId: string; deviceId: string }[]> {
    return this.#mls ? this.#mls.members(chatId) : [];
  }

  // --- writing -------------------------------------------------------------------------------

  /** Puts a text message in the outbox and returns its client id; it goes out when online. */
  sendText(chatId: string, text: string, opts: { replyTo?: string } = {}): Promise<string> {
    return this.#post(chatId, opts.replyTo ? { kind: 'text', text, replyTo: opts.replyTo } : { kind: 'text', text });
  }

  async edit(chatId: string, targetId: string, text: string): Promise<void> {
    await this.#post(chatId, { kind: 'edit', target: targetId, text });
  }

  async deleteMessage(chatId: string, targetId: string): Promise<void> {
    await this.#post(chatId, { kind: 'delete', target: targetId });
  }

  async react(chatId: string, targetId: string, emoji: string, on: boolean): Promise<void> {
    await this.#post(chatId, { kind: 'reaction', target: targetId, emoji, on });
  }

  /** Marks everything this device holds of the chat as read (and tells the others). */
  markRead(chatId: string): void {
    const chat = this.#chats.get(chatId);
    const last = this.#sync.log(chatId).at(-1)?.seq ?? 0;
    const me = chat?.members.find((m) => m.userId === this.userId);
    if (!chat || !me || me.readSeq >= last) return;
    me.readSeq = last;
    me.deliveredSeq = Math.max(me.deliveredSeq, last);
    chat.unread = 0;
    void this.#o.store.putChat(chat);
    this.#conn.notify({ type: 'receipt', chatId, kind: 'read', upToSeq: last });
    this.#changed(chatId);
  }

  typing(chatId: string): void {
    const now = Date.now();
    if (now - (this.#typingSentAt.get(chatId) ?? 0) < TYPING_SEND_EVERY_MS) return;
    this.#typingSentAt.set(chatId, now);
    this.#conn.notify({ type: 'typing', chatId });
  }

  // --- REST ----------------------------------------------------------------------------------

  me(): Promise<MeResponse> { return this.#rest('GET', '/me'); }
  revokeDevice(deviceId: string): Promise<void> { return this.#rest('DELETE', `/devices/${encodeURIComponent(deviceId)}`); }
  findUser(handle: string): Promise<UserProfile> {
    return this.#rest('GET', `/users/by-handle/${encodeURIComponent(handle.trim().replace(/^@/, '').toLowerCase())}`);
  }
  pendingDeviceLinks(): Promise<PendingDeviceLink[]> { return pendingDeviceLinks((m, p, b) => this.#rest(m, p, b)); }
  /** Approves a new device of this account with the code the new device shows (R25). */
  approveDeviceLink(linkId: string, code: string): Promise<AddedDevice> { return approveDeviceLink((m, p, b) => this.#rest(m, p, b), linkId, code); }
  denyDeviceLink(linkId: string): Promise<void> { return denyDeviceLink((m, p, b) => this.#rest(m, p, b), linkId); }

  /** Asks the chat's members to add this device to its encryption group again (R29): the way out of "waiting". */
  async requestRejoin(chatId: string): Promise<void> {
    this.#rejoinAskedAt.set(chatId, Date.now());
    await this.#rest('POST', `/chats/${encodeURIComponent(chatId)}/rejoin`);
  }

  /** Re-checks the chat's encryption group now (members' devices, key age) instead of at the next change. */
  checkEncryption(chatId: string): void {
    this.#scheduleReconcile(chatId, 0);
  }

  /** The chat's summary as the server has it now. */
  async getChat(chatId: string): Promise<ChatSummary> { return (await this.#rest<{ chat: ChatSummary }>('GET', `/chats/${chatId}`)).chat; }
  getUser(userId: string): Promise<UserProfile> { return this.#rest('GET', `/users/${encodeURIComponent(userId)}`); }
  async openDirect(userId: string): Promise<ChatSummary> {
    return this.#adopt((await this.#rest<{ chat: ChatSummary }>('POST', '/chats/direct', { userId })).chat);
  }
  /** With end-to-end encryption the server gets no name: it goes into the chat as encrypted content. */
  async createGroup(input: { name: string; color?: string; memberIds: string[] }): Promise<ChatSummary> {
    if (!this.#mls) return this.#adopt((await this.#rest<{ chat: ChatSummary }>('POST', '/chats', input)).chat);
    const chat = await this.#adopt((await this.#rest<{ chat: ChatSummary }>('POST', '/chats', { ...input, name: '' })).chat);
    await this.#post(chat.chatId, { kind: 'chat_info', name: input.name.trim(), announce: true });
    return chat;
  }
  async renameChat(chatId: string, name: string): Promise<void> {
    if (this.#mls) await this.#post(chatId, { kind: 'chat_info', name: name.trim() });
    else await this.#rest('PATCH', `/chats/${chatId}`, { name });
  }
  async setChatColor(chatId: string, color: string): Promise<void> { await this.#rest('PATCH', `/chats/${chatId}`, { color }); }
  async addMember(chatId: string, userId: string): Promise<void> { await this.#rest('POST', `/chats/${chatId}/members`, { userId }); }
  async removeMember(chatId: string, userId: string): Promise<void> { await this.#rest('DELETE', `/chats/${chatId}/members/${userId}`); }
  async leaveChat(chatId: string): Promise<void> {
    await this.removeMember(chatId, this.userId);
    await this.#forget(chatId);
  }
  async setRole(chatId: string, userId: string, role: 'admin' | 'member'): Promise<void> {
    await this.#rest('PUT', `/chats/${chatId}/members/${userId}/role`, { role });
  }
  createInvite(chatId: string): Promise<{ token: string; chatId: string }> { return this.#rest('POST', `/chats/${chatId}/invites`); }
  previewInvite(token: string): Promise<{ chatId: string; name: string; color: string; memberCount: number }> {
    return this.#rest('GET', `/invites/${encodeURIComponent(token)}`);
  }
  async joinInvite(token: string): Promise<ChatSummary> {
    return this.#adopt((await this.#rest<{ chat: ChatSummary }>('POST', `/invites/${encodeURIComponent(token)}/join`)).chat);
  }
  async pushVapidKey(): Promise<string> { return (await this.#rest<{ publicKey: string }>('GET', '/push/vapid-public-key')).publicKey; }
  async subscribePush(sub: { endpoint?: string; keys?: Record<string, string> }): Promise<void> {
    await this.#rest('POST', '/push/subscriptions', sub);
  }
  /** How many of this device's key packages the server has left (R14). */
  keyPackageCount(): Promise<KeyPackageCountResponse> { return this.#rest('GET', '/keypackages/count'); }
  /** One key package per device of each user, never this device's (R14): to add them to an MLS group. */
  async claimKeyPackages(userIds: string[]): Promise<ClaimedKeyPackage[]> {
    return (await this.#rest<ClaimKeyPackagesResponse>('POST', '/keypackages/claim', { userIds })).keyPackages;
  }

  // --- internals -----------------------------------------------------------------------------

  async #token(fresh: boolean): Promise<string> {
    const stored = fresh ? undefined : await this.#o.store.getMeta('session-token');
    if (stored) return stored;
    const session = await accounts.login(this.#o.baseUrl, this.deviceId, this.#o.deviceKey);
    await this.#o.store.setMeta('session-token', session.token);
    return session.token;
  }

  async #rest<T>(method: string, path: string, body?: unknown): Promise<T> {
    this.#api.token = await this.#token(false);
    try {
      return await this.#api.call<T>(method, path, body);
    } catch (err) {
      if (!(err instanceof ParleyError) || err.code !== 'session_invalid') throw err;
      this.#api.token = await this.#token(true);
      return this.#api.call<T>(method, path, body);
    }
  }

  async #post(chatId: string, content: Content): Promise<string> {
    if (!this.#chats.has(chatId)) throw new ParleyError('not_member', 'unknown chat');
    // Kept as written and encrypted only when it goes out, in the group's epoch of that moment.
    const item: OutboxItem = { chatId, clientMsgId: randomId(), content, createdAt: Date.now(), attempts: 0 };
    this.#decodedOutbox.set(item.clientMsgId, content);
    await this.#o.store.putOutbox(item);
    this.#outbox.push(item);
    this.#changed(chatId);
    this.#flushOutbox();
    return item.clientMsgId;
  }

  /** Sends each chat's outbox in order, one unacknowledged message per chat at a time (R6). */
  #flushOutbox(): void {
    if (this.#conn.state !== 'online') return;
    for (const item of this.#outbox) {
      if (item.failedCode || this.#sendingChats.has(item.chatId)) continue;
      this.#sendingChats.add(item.chatId);
      void this.#sendOne(item).finally(() => {
        this.#sendingChats.delete(item.chatId);
        this.#flushOutbox();
      });
    }
  }

  async #sendOne(item: OutboxItem): Promise<void> {
    let envelope: Envelope;
    try {
      if (item.envelope) envelope = item.envelope;
      else if (item.content) {
        // The previous message this device sent in the chat: receivers check the chain (R30).
        const prev = [...this.#sync.log(item.chatId)].reverse()
          .find((m) => m.senderDeviceId === this.deviceId && m.senderUserId === this.userId && m.envelope && m.envelope.contentType !== MLS_COMMIT_CONTENT_TYPE)?.clientMsgId;
        envelope = await this.#codec.encode(item.chatId, item.content, prev ? { prev } : {});
      } else {
        item.failedCode = 'bad_request';
        await this.#o.store.putOutbox(item);
        this.#changed(item.chatId);
        return;
      }
    } catch (err) {
      // Not in the chat's encryption group yet: the message waits (shown as sending) until it is.
      if (err instanceof CodecNotReady) this.#scheduleReconcile(item.chatId, 0);
      else this.#backgroundError({ task: 'encryption-group', error: err });
      await new Promise((r) => setTimeout(r, err instanceof CodecNotReady ? 1000 : 2000));
      return;
    }
    item.attempts += 1;
    try {
      const ack = await this.#conn.request<ServerFrameOf<'ack'>>({
        type: 'send', rid: this.#conn.newRid(), chatId: item.chatId, clientMsgId: item.clientMsgId, envelope,
      });
      const message: Message = {
        chatId: item.chatId, seq: ack.seq, clientMsgId: item.clientMsgId, senderUserId: this.userId,
        senderDeviceId: this.deviceId, sentAt: ack.sentAt, envelope, system: null,
      };
      await this.#sync.receive(message);
    } catch (err) {
      if (err instanceof Disconnected) return; // retried after reconnect
      if (err instanceof ParleyError && err.code === 'rate_limited') {
        await new Promise((r) => setTimeout(r, (err.retryAfter ?? 1) * 1000));
        return;
      }
      if (err instanceof ParleyError && (err.code === 'internal' || err.code === 'slow_consumer')) {
        await new Promise((r) => setTimeout(r, 1000));
        return;
      }
      item.failedCode = err instanceof ParleyError ? err.code : 'internal';
      await this.#o.store.putOutbox(item);
      this.#changed(item.chatId);
    }
  }

  #onAuthenticated(frame: ServerFrameOf<'auth_ok'>): void {
    const known = new Set(frame.chats.map((c) => c.chatId));
    for (const chatId of [...this.#chats.keys()]) if (!known.has(chatId)) void this.#forget(chatId);
    for (const chat of frame.chats) void this.#adopt(chat);
    this.#flushOutbox();
    void this.#publishKey();
  }

  /**
   * The MLS authenticate hook: the member's key must be the one its user's key log binds to that
   * device. Never rejects (ts-mls may run several checks at once and stop at the first failure, which
   * would leave the others' rejections unhandled): a network failure is retried, then counts as "no".
   */
  async #authenticate(userId: string, deviceId: string, key: Uint8Array): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.keys.verifyMember(userId, deviceId, key);
      } catch (err) {
        if (err instanceof NetworkError && attempt < 3 && !this.#stopped) {
          await new Promise((r) => setTimeout(r, 300 * 2 ** attempt));
          continue;
        }
        if (!this.#stopped) this.#backgroundError({ task: 'key-log', error: err });
        return false;
      }
    }
  }

  /** Publishes this device's MLS key in the key log (R20) before its key packages: others check leaves against it. */
  async #publishKey(): Promise<void> {
    const keeper = this.keyPackages;
    if (!keeper) return;
    try {
      await this.keys.publish(await keeper.identity());
    } catch (err) {
      if (!(err instanceof Disconnected) && !this.#stopped) this.#backgroundError({ task: 'key-log', error: err });
    }
    keeper.replenish();
  }

  #backgroundError(error: BackgroundError): void {
    console.warn(`parley: ${error.task} failed (retried later):`, error.error);
    this.emit('error', error);
  }

  #onEvent(frame: ServerFrame): void {
    switch (frame.type) {
      case 'message':
        void this.#sync.receive(frame.message);
        return;
      case 'chat':
        void this.#adopt(frame.chat);
        return;
      case 'chat_removed':
        void this.#forget(frame.chatId);
        return;
      case 'receipt': {
        const chat = this.#chats.get(frame.chatId);
        const member = chat?.members.find((m) => m.userId === frame.userId);
        if (!chat || !member) return;
        if (frame.kind === 'read') member.readSeq = Math.max(member.readSeq, frame.upToSeq);
        member.deliveredSeq = Math.max(member.deliveredSeq, frame.upToSeq);
        void this.#o.store.putChat(chat);
        this.#changed(frame.chatId);
        return;
      }
      case 'typing': {
        let users = this.#typing.get(frame.chatId);
        if (!users) this.#typing.set(frame.chatId, (users = new Map()));
        users.set(frame.userId, Date.now() + TYPING_SHOWN_MS);
        this.#changed();
        setTimeout(() => this.#changed(), TYPING_SHOWN_MS + 50);
        return;
      }
      case 'device_link_request':
        this.emit('deviceLinkRequest', frame.link);
        return;
      case 'device_link_closed':
        this.emit('deviceLinkClosed', { linkId: frame.linkId, status: frame.status });
        return;
      case 'device_added':
        this.emit('deviceAdded', frame.device);
        return;
      case 'rejoin_requested': {
        // At most once a minute per device: a server can't make members churn a group by replaying it.
        const key = `${frame.chatId}:${frame.userId}:${frame.deviceId}`;
        if (Date.now() - (this.#readdDone.get(key) ?? 0) < 60_000) return;
        let asks = this.#rejoins.get(frame.chatId);
        if (!asks) this.#rejoins.set(frame.chatId, (asks = new Map()));
        asks.set(`${frame.userId}:${frame.deviceId}`, Date.now());
        this.#scheduleReconcile(frame.chatId, 0);
        return;
      }
      default:
        return;
    }
  }

  /** Takes in a chat summary from the server and catches its log up to the summary's lastSeq. */
  async #adopt(chat: ChatSummary): Promise<ChatSummary> {
    const local = this.#chats.get(chat.chatId);
    if (local) {
      // Receipts only move forward, even if this summary was read before a newer receipt.
      for (const m of chat.members) {
        const old = local.members.find((x) => x.userId === m.userId);
        if (old) {
          m.readSeq = Math.max(m.readSeq, old.readSeq);
          m.deliveredSeq = Math.max(m.deliveredSeq, old.deliveredSeq);
        }
      }
    }
    this.#chats.set(chat.chatId, chat);
    await this.#o.store.putChat(chat);
    this.#changed(chat.chatId);
    await this.#sync.catchUp(chat.chatId, chat.lastSeq);
    this.#scheduleReconcile(chat.chatId, 0);
    return chat;
  }

  async #forget(chatId: string): Promise<void> {
    this.#chats.delete(chatId);
    this.#sync.forget(chatId);
    await this.#o.store.deleteChat(chatId);
    await this.#mls?.forget(chatId);
    this.#changed(chatId);
  }

  /** A chat first seen in a message (e.g. just added): fetched and kept; false if it can't be. */
  async #fetchChat(chatId: string): Promise<boolean> {
    try {
      const { chat } = await this.#rest<{ chat: ChatSummary }>('GET', `/chats/${chatId}`);
      this.#chats.set(chat.chatId, chat);
      await this.#o.store.putChat(chat);
      return true;
    } catch {
      return false;
    }
  }

  /** New messages at the end of a chat's log: acks clear the outbox, then everyone hears of them. */
  async #onAppended(chatId: string, fresh: readonly Message[], lastSeq: number): Promise<void> {
    const acked = new Set(fresh.filter((m) => m.senderUserId === this.userId).map((m) => m.clientMsgId));
    if (acked.size > 0) {
      this.#outbox = this.#outbox.filter((o) => !(o.chatId === chatId && acked.has(o.clientMsgId)));
      await Promise.all([...acked].map((id) => this.#o.store.deleteOutbox(id)));
    }
    const chat = this.#chats.get(chatId);
    if (chat) chat.lastSeq = Math.max(chat.lastSeq, lastSeq);
    for (const m of fresh) this.emit('message', m);
    this.#scheduleDelivered();
    this.#changed(chatId);
  }

  #scheduleDelivered(): void {
    if (this.#receiptTimer) return;
    this.#receiptTimer = setTimeout(() => {
      this.#receiptTimer = undefined;
      for (const [chatId, log] of this.#sync.entries()) {
        const last = log.at(-1)?.seq ?? 0;
        if (last > (this.#deliveredSent.get(chatId) ?? 0)) {
          this.#deliveredSent.set(chatId, last);
          this.#conn.notify({ type: 'receipt', chatId, kind: 'delivered', upToSeq: last });
        }
      }
    }, 200);
  }

  /** Decodes a contiguous run of one chat's log (in order, once) and stores it with the group state. */
  async #keep(messages: readonly StoredMessage[]): Promise<void> {
    const chatId = messages[0]?.chatId;
    if (chatId === undefined) return;
    let handshake = false;
    const newDevicesOfMine: string[] = [];
    const sharedWithMe: Extract<Content, { kind: 'history' }>[] = [];
    const shared = await this.#historyFor(chatId);
    await this.#codec.decodeBatch(chatId, messages, (m) => this.#decodedOutbox.get(m.clientMsgId), async (batch) => {
      messages.forEach((m, i) => {
        const d = batch.decoded[i];
        if (d) m.decoded = d;
        if (d?.kind === 'handshake') {
          handshake = true;
          for (const key of d.added) if (key.startsWith(`${this.userId}:`) && key !== `${this.userId}:${this.deviceId}`) newDevicesOfMine.push(key.slice(this.userId.length + 1));
        }
        // Only this user's own devices may share history with it (the MLS sender was checked in the codec).
        if (d?.kind === 'content' && d.content.kind === 'history' && d.content.forDevice === this.deviceId && m.senderUserId === this.userId) sharedWithMe.push(d.content);
      });
      if (shared.size > 0) applyHistory(messages, shared);
      await this.#o.store.putMessages(messages, batch.groups);
    });
    for (const deviceId of newDevicesOfMine) void this.#shareHistory(chatId, deviceId);
    for (const h of sharedWithMe) void this.#takeHistory(h).catch((error: unknown) => this.#backgroundError({ task: 'encryption-group', error }));
    if (this.#mls && (handshake || !this.#groupStatus.has(chatId))) {
      this.#groupStatus.set(chatId, await this.#mls.status(chatId));
      this.#flushOutbox();
    }
  }

  /** With MLS, a device that has no group for a chat starts its log at the commit that welcomed it. */
  async #findStart(chatId: string, targetSeq: number): Promise<number | undefined> {
    const mls = this.#mls;
    if (!mls || (await mls.status(chatId)) !== 'waiting') return undefined;
    let before = targetSeq + 1;
    for (let pages = 0; pages < 20 && before > 1; pages++) {
      const page = await this.#conn.request<ServerFrameOf<'history'>>({ type: 'history', rid: this.#conn.newRid(), chatId, beforeSeq: before, limit: 100 });
      for (const m of [...page.messages].reverse()) if (m.envelope && (await mls.welcomesMe(m.envelope))) return m.seq;
      const first = page.messages[0]?.seq;
      if (first === undefined || first >= before) return undefined;
      before = first;
    }
    return undefined;
  }

  /** The newest end-to-end encrypted group name this device can read (outbox first: what it just set). */
  #groupName(chatId: string): string | undefined {
    for (let i = this.#outbox.length - 1; i >= 0; i--) {
      const o = this.#outbox[i];
      const c = o && o.chatId === chatId ? this.#decodedOutbox.get(o.clientMsgId) : undefined;
      if (c?.kind === 'chat_info') return c.name;
    }
    const log = this.#sync.log(chatId) as readonly StoredMessage[];
    for (let i = log.length - 1; i >= 0; i--) {
      const d = log[i]?.decoded;
      if (d?.kind === 'content' && d.content.kind === 'chat_info') return d.content.name;
    }
    return undefined;
  }

  #isSelfChat(chat: ChatSummary): boolean {
    return chat.kind === 'direct' && chat.members.length === 1 && chat.members[0]?.userId === this.userId;
  }

  /** The user's note-to-self chat (created on first use): where its devices share history. */
  async #selfChat(): Promise<string | undefined> {
    for (const chat of this.#chats.values()) if (this.#isSelfChat(chat)) return chat.chatId;
    try {
      return (await this.openDirect(this.userId)).chatId;
    } catch {
      return undefined;
    }
  }

  async #historyFor(chatId: string): Promise<Map<number, HistoryEntry>> {
    let map = this.#history.get(chatId);
    if (!map) {
      const stored = await this.#o.store.getMeta(`history:${chatId}`);
      map = new Map((stored ? (JSON.parse(stored) as HistoryEntry[]) : []).map((e) => [e.seq, e]));
      this.#history.set(chatId, map);
    }
    return map;
  }

  /**
   * Another device of this user was added to a chat's group: the first of this user's devices in
   * that group sends it the chat's earlier messages it holds, through the note-to-self chat, once
   * the new device is in that chat's group too (else it could not decrypt them).
   */
  async #shareHistory(chatId: string, deviceId: string, attempt = 0): Promise<void> {
    const mls = this.#mls;
    const key = `${chatId}:${deviceId}`;
    if (!mls || this.#stopped || this.#historyShared.has(key)) return;
    try {
      const self = await this.#selfChat();
      if (!self || self === chatId) return;
      const mine = (await mls.members(chatId)).filter((m) => m.userId === this.userId && m.deviceId !== deviceId);
      if (mine[0]?.deviceId !== this.deviceId) return;
      const entries = historyEntries(this.#sync.log(chatId));
      if (entries.length === 0) return;
      if (!(await mls.members(self)).some((m) => m.userId === this.userId && m.deviceId === deviceId)) {
        this.#scheduleReconcile(self, 0);
        if (attempt < 40) setTimeout(() => void this.#shareHistory(chatId, deviceId, attempt + 1), 1500);
        return;
      }
      this.#historyShared.add(key);
      for (const chunk of historyChunks(entries)) await this.#post(self, { kind: 'history', chatId, forDevice: deviceId, entries: chunk });
    } catch (err) {
      this.#backgroundError({ task: 'encryption-group', error: err });
    }
  }

  /** History shared with this device: kept, applied to what is loaded, and older pages loaded to show it. */
  async #takeHistory(h: Extract<Content, { kind: 'history' }>): Promise<void> {
    const map = await this.#historyFor(h.chatId);
    for (const e of h.entries) map.set(e.seq, e);
    await this.#o.store.setMeta(`history:${h.chatId}`, JSON.stringify([...map.values()]));
    const changed = applyHistory(this.#sync.log(h.chatId), map);
    if (changed.length > 0) {
      await this.#o.store.putMessages(changed);
      this.#changed(h.chatId);
    }
    const oldest = Math.min(...h.entries.map((e) => e.seq));
    while (this.#sync.hasOlder(h.chatId) && (this.#sync.log(h.chatId)[0]?.seq ?? 0) > oldest) {
      const before = this.#sync.log(h.chatId)[0]?.seq;
      await this.#sync.loadOlder(h.chatId);
      if (this.#sync.log(h.chatId)[0]?.seq === before) break;
    }
  }

  #encryption(chatId: string): ChatView['encryption'] {
    if (!this.#mls) return 'off';
    const status = this.#groupStatus.get(chatId) ?? 'waiting';
    return status === 'ready' ? 'on' : status;
  }

  /**
   * Soon, re-checks that the chat's MLS group holds exactly its members' devices (R18) and commits
   * the difference. Devices later in the group's leaf order wait a little longer, so usually one
   * device does it and the others find nothing left to do.
   */
  #scheduleReconcile(chatId: string, delayMs: number): void {
    if (!this.#mls || this.#stopped || this.#reconcileTimers.has(chatId)) return;
    this.#reconcileTimers.set(chatId, setTimeout(() => {
      void this.#reconcile(chatId).finally(() => this.#reconcileTimers.delete(chatId));
    }, delayMs));
  }

  async #reconcile(chatId: string): Promise<void> {
    const mls = this.#mls;
    if (!mls || this.#stopped || this.#conn.state !== 'online' || !this.#chats.has(chatId)) return;
    let retryMs: number | undefined;
    try {
      const members = await mls.members(chatId);
      const rank = Math.max(0, members.findIndex((m) => m.userId === this.userId && m.deviceId === this.deviceId));
      if (rank > 0) await new Promise((r) => setTimeout(r, Math.min(rank, 8) * 1500));
      const { chat } = await this.#rest<{ chat: ChatSummary }>('GET', `/chats/${chatId}`);
      await this.#sync.catchUp(chatId, chat.lastSeq);
      const { devices } = await this.#rest<ChatDevicesResponse>('GET', `/chats/${chatId}/devices`);
      let acked: Message | undefined;
      const asks = [...(this.#rejoins.get(chatId)?.keys() ?? [])];
      const result = await mls.reconcile(chatId, {
        readd: asks.map((k) => ({ userId: k.slice(0, k.indexOf(':')), deviceId: k.slice(k.indexOf(':') + 1) })),
        serverEpoch: chat.mlsEpoch,
        devices,
        rotateAfterMs: this.#o.mls?.rotateAfterMs ?? DEFAULT_ROTATE_AFTER_MS,
        claim: (userIds) => this.claimKeyPackages(userIds),
        send: async ({ epoch, envelope, clientMsgId }) => {
          try {
            const ack = await this.#conn.request<ServerFrameOf<'ack'>>({ type: 'commit', rid: this.#conn.newRid(), chatId, clientMsgId, epoch, envelope });
            acked = { chatId, seq: ack.seq, clientMsgId, senderUserId: this.userId, senderDeviceId: this.deviceId, sentAt: ack.sentAt, envelope, system: null };
            return 'accepted';
          } catch (err) {
            if (err instanceof ParleyError && err.code === 'epoch_conflict') return 'conflict';
            throw err;
          }
        },
      });
      if (acked) await this.#sync.receive(acked);
      if (result.kind === 'committed' || result.kind === 'in_sync') {
        for (const k of asks) this.#readdDone.set(`${chatId}:${k}`, Date.now());
        this.#rejoins.delete(chatId);
      }
      if (result.kind === 'committed' || result.kind === 'committed_partly') {
        for (const key of result.added) if (key.startsWith(`${this.userId}:`)) void this.#shareHistory(chatId, key.slice(this.userId.length + 1));
        // Devices just added can't read the older message that named the group: name it again for them.
        const name = chat.kind === 'group' && result.added.length > 0 ? this.#groupName(chatId) : undefined;
        if (name) await this.#post(chatId, { kind: 'chat_info', name, announce: true });
      }
      if (result.kind === 'waiting' && chat.mlsEpoch > 0) {
        // Still outside a group that exists: after 10 s, ask the members to add this device again (R29).
        const since = this.#waitingSince.get(chatId) ?? Date.now();
        this.#waitingSince.set(chatId, since);
        if (Date.now() - since >= 10_000 && Date.now() - (this.#rejoinAskedAt.get(chatId) ?? 0) >= 30_000) await this.requestRejoin(chatId);
        retryMs = 10_000;
      } else {
        this.#waitingSince.delete(chatId);
      }
      this.#groupStatus.set(chatId, await mls.status(chatId));
      this.#changed(chatId);
      this.#flushOutbox();
      if (result.kind === 'conflict') retryMs = 200;
      else if (result.kind === 'committed_partly') retryMs = 5000;
      else if (retryMs === undefined) this.#reconcileTries.delete(chatId);
    } catch (err) {
      if (this.#stopped || (err instanceof ParleyError && err.code === 'device_revoked')) return;
      if (!(err instanceof Disconnected)) this.#backgroundError({ task: 'encryption-group', error: err });
      retryMs = 2000;
    }
    if (retryMs !== undefined && !this.#stopped) {
      const tries = (this.#reconcileTries.get(chatId) ?? 0) + 1;
      this.#reconcileTries.set(chatId, tries);
      const delay = Math.min(30_000, retryMs * 2 ** Math.min(tries - 1, 6)) * (0.5 + Math.random() / 2);
      this.#reconcileTimers.delete(chatId);
      this.#scheduleReconcile(chatId, delay);
    }
  }

  #title(chat: ChatSummary): string {
    if (chat.kind === 'group') return this.#groupName(chat.chatId) ?? (chat.name || chat.members.filter((m) => m.userId !== this.userId).map((m) => m.displayName).join(', '));
    return (chat.members.find((m) => m.userId !== this.userId) ?? chat.members[0])?.displayName ?? chat.name;
  }

  #unread(chat: ChatSummary): number {
    const me = chat.members.find((m) => m.userId === this.userId);
    const log = this.#sync.log(chat.chatId);
    const readSeq = me?.readSeq ?? 0;
    if ((log[0]?.seq ?? 1) > readSeq + 1) return chat.unread;
    return log.filter((m) => {
      const d = (m as StoredMessage).decoded;
      return m.seq > readSeq && m.senderUserId !== this.userId && d?.kind === 'content' && d.content.kind === 'text';
    }).length;
  }

  #changed(chatId?: string): void {
    if (chatId) this.#timelineCache.delete(chatId);
    else this.#timelineCache.clear();
    if (this.#changeScheduled) return;
    this.#changeScheduled = true;
    queueMicrotask(() => {
      this.#changeScheduled = false;
      this.emit('change');
    });
  }
}
