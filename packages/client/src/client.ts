import {
  ParleyError,
  type Attachment, type ChatPrefsUpdate, type ChatSummary, type MessageEntity, type ClaimedKeyPackage, type ClaimKeyPackagesResponse, type Content, type KeyPackageCountResponse, type MeResponse, type Message, type ServerFrame, type ServerFrameOf, type UserProfile,
  type AddedDevice, type CreateInviteRequest, type FetchedLinkPreview, type Forwarded, type InviteInfo, type LinkPreview, type InviteListResponse, type InviteResponse, type StorageUsage, type PendingDeviceLink, type ChatRequest, type ChatRequestsResponse, type ReportRequest,
} from '@parley/protocol';
import { NetworkError } from './api.ts';
import { CodecNotReady, decodePlainEnvelope, PlaintextCodec, type ContentCodec } from './codec.ts';
import { MlsCodec } from './e2ee/mls-codec.ts';
import { ChatEncryption } from './e2ee/chat-encryption.ts';
import { KeyLogTrust } from './e2ee/member-trust.ts';
import { RemovalHold } from './e2ee/removal-hold.ts';
import { MLS_COMMIT_CONTENT_TYPE } from './e2ee/envelopes.ts';
import { Connection, Disconnected, type ConnectionState, type WebSocketCtor } from './connection.ts';
import { Emitter } from './emitter.ts';
import { KeyPackageKeeper } from './key-packages.ts';
import { DEFAULT_OWN_KEY_LOG_CHECK_MS, KeyDirectory, OwnKeyLogMonitor, type KeyLogAlert } from './key-log/index.ts';
import { approveDeviceLink, denyDeviceLink, pendingDeviceLinks } from './device-link.ts';
import { LogSync } from './log-sync.ts';
import { Outbox } from './outbox.ts';
import { isNoteToSelf } from './note-to-self.ts';
import { TypingState } from './typing.ts';
import { Drafts } from './drafts.ts';
import { ChatListReader, untilNotRateLimited } from './chat-list.ts';
import { checkedContent, withEntities } from './formatting/checked-content.ts';
import { applyReceipt, keepNewerReceipts, unreadCount } from './receipts.ts';
import type { OutboxItem, StoredMessage } from './store.ts';
import { foldTimeline, mayPin, pinnedItems, type TimelineItem } from './timeline.ts';
import {
  DEFAULT_HOLD_FOR_REMOVAL_MS, DEFAULT_RECONCILE_RANK_DELAY_MS, DEFAULT_RESEND_ASK_AFTER_MS, DEFAULT_RESTART_AFTER_WAITING_MS, DEFAULT_ROTATE_AFTER_MS,
  type BackgroundError, type ChatView, type ClientEvents, type ClientOptions,
} from './client-options.ts';
import { authedRest, SessionTokens, type RestFn } from './session.ts';
import { Files } from './files/files.ts';
import { Uploads } from './files/uploads.ts';
import type { FileToSend, MediaFilter, MediaItem, PendingUpload, UploadProgress } from './files/types.ts';
import type { AddOptions } from './outbox.ts';

export type { BackgroundError, ChatView, ClientEvents, ClientOptions } from './client-options.ts';

/**
 * The Parley client: keeps a local copy of the user's chats in a ClientStore, syncs it with the
 * server over one resilient connection, and sends through a persistent outbox. Guarantees (see
 * docs/PROTOCOL.md): each chat's local log is contiguous and in server order (no gaps, no
 * duplicates); a message leaves the outbox only when the server acknowledged its commit.
 */
/** R44: how long a direct chat's messages wait, after the other person accepted, for their devices to join its group. */
const ACCEPTED_WAIT_MS = 60_000;

export class ParleyClient extends Emitter<ClientEvents> {
  readonly userId: string;
  readonly deviceId: string;
  readonly #o: ClientOptions;
  readonly #codec: ContentCodec;
  /** REST as this device's session (signs in again when the server refuses the token). */
  readonly #rest: RestFn;
  readonly #conn: Connection;
  readonly #sync: LogSync;
  readonly #chats = new Map<string, ChatSummary>();
  readonly #outbox: Outbox;
  readonly #typing = new TypingState(() => this.#changed());
  readonly #drafts: Drafts;
  /** R44: open requests to this user. */
  #requests: ChatRequest[] = [];
  /** R44: direct chats whose other person just accepted this user's request (chatId → when). */
  readonly #acceptedAt = new Map<string, number>();
  readonly #deliveredSent = new Map<string, number>();
  readonly #timelineCache = new Map<string, TimelineItem[]>();
  readonly #mls: MlsCodec | undefined;
  readonly #enc: ChatEncryption | undefined;
  /** R34: a chat's messages wait while its group holds a device that no longer belongs. */
  readonly #hold: RemovalHold;
  readonly #ownLog: OwnKeyLogMonitor;
  /** Downloads, the media view, storage use (files/files.ts). */
  readonly #files: Files;
  /** Messages with files still uploading (files/uploads.ts). */
  readonly #uploads: Uploads;
  #stopped = false;
  /** The chat list reading of the current connection (R40). */
  readonly #chatList: ChatListReader = new ChatListReader({
    page: (after) => untilNotRateLimited(
      () => this.#conn.request<ServerFrameOf<'chats'>>({ type: 'chats', rid: this.#conn.newRid(), ...(after ? { after } : {}) }), () => this.#stopped),
    known: () => this.#chats.keys(),
    take: (chat, catchUp) => {
      this.#hold.mark(chat.chatId);
      void this.#adopt(chat, catchUp);
    },
    forget: (chatId) => void this.#forget(chatId),
    catchUp: (chatId) => void this.#catchUp(chatId),
    changed: () => this.#changed(),
    onError: (error) => { if (!this.#stopped && this.#conn.state === 'online') this.#backgroundError({ task: 'chat list', error }); },
  });
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
    const tokens = new SessionTokens(options.baseUrl, this.deviceId, options.deviceKey, {
      get: () => options.store.getMeta('session-token'), set: (t) => options.store.setMeta('session-token', t),
    });
    this.#rest = authedRest(options.baseUrl, tokens);
    this.#sync = new LogSync({
      pageSize: options.pageSize ?? 100,
      history: (chatId, q) => this.#history(chatId, q),
      hasChat: (chatId) => this.#chats.has(chatId),
      knowChat: (chatId) => this.#fetchChat(chatId),
      findStart: async (chatId, targetSeq) => this.#enc?.findStart(chatId, targetSeq),
      keep: (messages) => this.#keep(messages),
      onAppended: (chatId, fresh, lastSeq) => this.#onAppended(chatId, fresh, lastSeq),
      onPrepended: (chatId) => this.#changed(chatId),
    });
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!WebSocketImpl) throw new Error('no WebSocket implementation: pass options.WebSocket (e.g. from the "ws" package)');
    this.#conn = new Connection({
      baseUrl: options.baseUrl,
      WebSocket: WebSocketImpl,
      getToken: (fresh) => tokens.get(fresh),
      onAuthenticated: (frame) => this.#onAuthenticated(frame),
      onEvent: (frame) => this.#onEvent(frame),
      onState: (state) => {
        if (state !== 'online') {
          this.#ownLog.offline();
          this.#hold.offline();
        }
        this.emit('connection', state);
        if (state === 'revoked') this.emit('revoked');
        if (state === 'online') this.#uploads.online();
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
      onHead: (userId) => this.#enc?.heads.headMoved(userId),
    });
    this.#ownLog = new OwnKeyLogMonitor({
      userId: this.userId, deviceId: this.deviceId,
      store: { get: (k) => options.store.getMeta(k), set: (k, v) => options.store.setMeta(k, v) },
      log: () => this.keys.log(this.userId, 0),
      devices: async () => (await this.me()).devices,
      online: () => this.#conn.state === 'online',
      intervalMs: options.ownKeyLogCheckMs ?? DEFAULT_OWN_KEY_LOG_CHECK_MS,
      onAlert: (alert) => this.emit('keyLogAlert', alert),
      onChange: () => this.#changed(),
      onError: (error) => { if (!(error instanceof NetworkError) && !(error instanceof Disconnected)) this.#backgroundError({ task: 'key-log', error }); },
    });
    const e2ee = mls.enabled && !options.codec;
    this.#hold = new RemovalHold({ holdMs: e2ee ? (options.mls?.holdForRemovalMs ?? DEFAULT_HOLD_FOR_REMOVAL_MS) : 0 });
    const trust = new KeyLogTrust({ keys: this.keys, onError: (error) => this.#backgroundError({ task: 'key-log', error }), stopped: () => this.#stopped });
    this.#mls = !options.codec && this.keyPackages
      ? new MlsCodec({
        userId: this.userId, deviceId: this.deviceId, store: options.store, keys: this.keyPackages,
        // A leaf is genuine only if its user's key log binds that device to that signature key.
        session: { authenticate: (member, key) => trust.authenticate(member, key) },
        trust,
        hold: this.#hold,
      })
      : undefined;
    this.#codec = options.codec ?? this.#mls ?? new PlaintextCodec();
    this.#outbox = new Outbox({
      userId: this.userId, deviceId: this.deviceId, store: options.store, codec: this.#awaitingAcceptance(this.#codec),
      online: () => this.#conn.state === 'online',
      send: (item, envelope) => this.#conn.request<ServerFrameOf<'ack'>>({
        type: 'send', rid: this.#conn.newRid(), chatId: item.chatId, clientMsgId: item.clientMsgId, envelope,
        ...(item.blobs?.length ? { blobs: item.blobs } : {}), ...(item.release?.length ? { release: item.release } : {}),
      }),
      receive: (message) => this.#sync.receive(message),
      prev: (chatId) => this.#prevSent(chatId),
      changed: (chatId) => this.#changed(chatId),
      notReady: (chatId) => this.#enc?.schedule(chatId, 0),
      held: (chatId) => this.#enc?.held(chatId),
      onError: (error) => this.#backgroundError({ task: 'encryption-group', error }),
    });
    this.#enc = this.#mls && this.keyPackages
      ? new ChatEncryption({
        userId: this.userId, deviceId: this.deviceId, mls: this.#mls, keys: this.keys, keyPackages: this.keyPackages, store: options.store,
        rotateAfterMs: options.mls?.rotateAfterMs ?? DEFAULT_ROTATE_AFTER_MS,
        rankDelayMs: options.mls?.reconcileRankDelayMs ?? DEFAULT_RECONCILE_RANK_DELAY_MS,
        hold: this.#hold,
        sync: this.#sync,
        online: () => this.#conn.state === 'online',
        chat: (chatId) => this.#chats.get(chatId),
        chats: () => this.#chats.values(),
        rest: (method, path, body) => this.#rest(method, path, body),
        history: (chatId, q) => this.#history(chatId, q),
        commit: (f) => this.#conn.request<ServerFrameOf<'ack'>>({ type: 'commit', rid: this.#conn.newRid(), ...f }),
        claim: (chatId, userIds) => this.claimKeyPackages(chatId, userIds),
        openDirect: (userId) => this.openDirect(userId),
        post: (chatId, content, opts) => this.#post(chatId, content, opts),
        outboxContents: (chatId) => this.#outbox.contents(chatId),
        changed: (chatId) => this.#changed(chatId),
        flushOutbox: (chatId) => (chatId === undefined ? this.#outbox.flush() : this.#outbox.retry(chatId)),
        onError: (e) => this.#backgroundError(e),
        onDraft: (content) => this.#drafts.take(content),
        resendAskAfterMs: options.mls?.resendAskAfterMs === undefined ? DEFAULT_RESEND_ASK_AFTER_MS : options.mls.resendAskAfterMs,
        restartAfterWaitingMs: options.mls?.restartAfterWaitingMs ?? DEFAULT_RESTART_AFTER_WAITING_MS,
        onKeyLogSplit: (alert) => this.#ownLog.report(alert),
        keyLogHeads: options.mls?.keyLogHeads,
      })
      : undefined;
    this.#files = new Files({ baseUrl: options.baseUrl, token: (fresh) => tokens.get(fresh), rest: this.#rest, timeline: (chatId) => this.timeline(chatId) });
    this.#uploads = new Uploads({
      store: options.store, endpoint: this.#files.endpoint, token: (fresh) => tokens.get(fresh),
      ...(options.files?.chunkBytes !== undefined ? { chunkBytes: options.files.chunkBytes } : {}),
      ...(options.files?.tusRetryDelays !== undefined ? { retryDelays: options.files.tusRetryDelays } : {}),
      ...(options.files?.tusChunkBytes !== undefined ? { chunkSize: options.files.tusChunkBytes } : {}),
      complete: (upload, attachments) => this.#uploadComplete(upload, attachments),
      inOutbox: (clientMsgId) => this.#outbox.items().some((o) => o.clientMsgId === clientMsgId),
      changed: (chatId) => this.#changed(chatId),
      emit: (uploads) => this.emit('uploads', uploads),
    });
    const enc = this.#enc;
    this.#drafts = new Drafts({
      store: options.store,
      // Only end-to-end encrypted: a draft never reaches the server in the clear.
      ...(enc ? { share: (content: Extract<Content, { kind: 'draft' }>) => enc.shareDraft(content) } : {}),
      onChange: (chatId) => this.#changed(chatId),
    });
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
      for (const m of log) if (m.envelope && !m.decoded) m.decoded = decodePlainEnvelope(m.envelope);
      this.#sync.restore(chat.chatId, log);
      await this.#enc?.refresh(chat.chatId);
    }
    await this.#outbox.load();
    await this.#uploads.load();
    await this.#drafts.load();
    await this.#ownLog.load();
    this.#conn.start();
    this.#changed();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#uploads.stop();
    this.#drafts.stop();
    this.#enc?.stop();
    this.#ownLog.stop();
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
      .filter((chat) => !this.#enc?.isSelfChat(chat) || this.timeline(chat.chatId).length > 0)
      .map((chat) => {
        const items = this.timeline(chat.chatId);
        return { ...chat, title: this.#title(chat), lastItem: items.at(-1), typing: this.#typing.who(chat.chatId, now), noteToSelf: isNoteToSelf(chat, this.userId), unread: unreadCount(chat, this.#sync.log(chat.chatId), this.userId), encryption: this.#enc?.encryption(chat.chatId) ?? 'off' };
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
      outbox: this.#outbox.items(),
      decodedOutbox: (o) => this.#outbox.content(o.clientMsgId),
      ...(this.#enc ? { resendRequested: this.#enc.resends.requested(chatId) } : {}),
      uploads: this.#uploads.pending(chatId),
    });
    this.#timelineCache.set(chatId, items);
    return items;
  }

  /** R50: the chat's pinned messages this device holds, the latest pinned first. */
  pinned(chatId: string): TimelineItem[] {
    return pinnedItems(this.timeline(chatId));
  }

  /** R50: whether this user may pin in the chat (direct: both; group: admins and the owner). */
  mayPin(chatId: string): boolean {
    const chat = this.#chats.get(chatId);
    return chat !== undefined && mayPin(chat, this.userId);
  }

  /** The raw log this device holds for a chat (ascending, contiguous). */
  log(chatId: string): readonly Message[] {
    return this.#sync.log(chatId);
  }

  outbox(): readonly OutboxItem[] {
    return this.#outbox.items();
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

  /**
   * R51: the person's unsent text for a chat: kept on this device across restarts and, with
   * end-to-end encryption, shared with their other devices once typing pauses (through the
   * note-to-self chat). Sending a message to the chat clears it everywhere.
   */
  draft(chatId: string): string {
    return this.#drafts.get(chatId);
  }

  setDraft(chatId: string, text: string): void {
    this.#drafts.set(chatId, text);
  }

  /**
   * Puts a text message in the outbox and returns its client id; it goes out when online.
   * `entities`: its formatting (R47; `parseMarkdown` makes them from Markdown-like text). A text or
   * entities the schema refuses throw `bad_request` here: nothing malformed is ever sent.
   * `preview`: a link's preview this device made (R45), sent inside the encrypted message.
   * `noForwardName`: asks the devices of whoever forwards it to leave this person's name out (R49).
   */
  sendText(chatId: string, text: string, opts: { replyTo?: string; entities?: readonly MessageEntity[]; preview?: LinkPreview; noForwardName?: boolean } = {}): Promise<string> {
    const content = checkedContent({
      kind: 'text', text, ...withEntities(opts.entities), ...(opts.replyTo ? { replyTo: opts.replyTo } : {}), ...(opts.preview ? { preview: opts.preview } : {}),
      ...(opts.noForwardName ? { noForwardName: true as const } : {}),
    });
    this.#typing.sent(chatId);
    this.#drafts.clear(chatId);
    return this.#post(chatId, content);
  }

  /**
   * R45: asks this server's link preview fetcher for a page's title, description and image (the
   * server sees the URL, not the chat; `link_previews_off` where the operator turned it off). The
   * image is as the page has it, up to 1 MiB: shrink it to a thumbnail (`MAX_PREVIEW_IMAGE_CHARS`)
   * or drop it before sending.
   */
  fetchLinkPreview(url: string): Promise<FetchedLinkPreview> {
    return this.#rest<{ preview: FetchedLinkPreview }>('POST', '/link-preview', { url }).then((r) => r.preview);
  }

  /** Replaces a message's text and its formatting (none when `entities` is not given). */
  async edit(chatId: string, targetId: string, text: string, opts: { entities?: readonly MessageEntity[] } = {}): Promise<void> {
    const content = checkedContent({ kind: 'edit', target: targetId, text, ...withEntities(opts.entities) });
    this.#typing.sent(chatId);
    await this.#post(chatId, content);
  }

  /** R56: deleting one's own message with files also releases its blobs; one still uploading is cancelled. */
  async deleteMessage(chatId: string, targetId: string): Promise<void> {
    const target = this.timeline(chatId).find((i) => i.id === targetId);
    if (target?.upload) return this.cancelUpload(targetId);
    const release = target?.mine ? (target.attachments ?? []).map((a) => a.blobId).filter((id) => id !== '') : [];
    await this.#post(chatId, { kind: 'delete', target: targetId }, { release });
  }

  async react(chatId: string, targetId: string, emoji: string, on: boolean): Promise<void> {
    await this.#post(chatId, { kind: 'reaction', target: targetId, emoji, on });
  }

  /**
   * R49: forwards a message into other chats: this device encrypts its text (with formatting and
   * link preview, as it is now after edits) anew for each target, with `forwarded` naming the
   * original sender (kept from the first forward when it was already one; left out when its sender
   * asked). The server sees ordinary new messages. Returns the new client ids, one per target.
   */
  async forward(targetChatIds: readonly string[], sourceChatId: string, itemId: string): Promise<string[]> {
    const source = this.#chats.get(sourceChatId);
    const item = this.timeline(sourceChatId).find((i) => i.id === itemId);
    if (!source || !item || item.deleted || item.unreadable || item.system || item.notice || item.upload || (!item.text && !item.attachments?.length)) {
      throw new ParleyError('bad_request', 'not a message that can be forwarded');
    }
    const unknown = targetChatIds.find((id) => !this.#chats.has(id));
    if (unknown !== undefined) throw new ParleyError('not_member', 'unknown chat');
    const name = source.members.find((m) => m.userId === item.senderUserId)?.displayName;
    const forwarded: Forwarded = item.forwarded ?? {
      ...(item.noForwardName || !name ? {} : { from: { userId: item.senderUserId, displayName: name } }),
      sentAt: item.sentAt,
    };
    const content = checkedContent({
      kind: 'text', text: item.text, ...withEntities(item.entities), ...(item.preview ? { preview: item.preview } : {}), forwarded,
      ...(item.attachments?.length ? { attachments: item.attachments } : {}),
    });
    // R54: files are forwarded by re-sharing their keys: the same blobs, named in `blobs`, never uploaded again.
    const blobs = (item.attachments ?? []).map((a) => a.blobId);
    const ids: string[] = [];
    for (const chatId of new Set(targetChatIds)) ids.push(await this.#post(chatId, content, { blobs }));
    return ids;
  }

  // --- files (R52-R56; the work is in files/) ----------------------------------------------------

  /**
   * Encrypts, uploads (tus, resumable) and then sends one message with these files and an optional
   * caption. Resolves with its client id once it is queued (kept in the store: an upload resumes
   * after a restart from the server's offset). The message shows in this device's timeline at once
   * (`item.upload`); the others get it only when every file is complete.
   */
  sendFiles(chatId: string, files: FileToSend[], opts: { text?: string; entities?: MessageEntity[]; replyTo?: string; noForwardName?: boolean } = {}): Promise<string> {
    if (!this.#chats.has(chatId)) return Promise.reject(new ParleyError('not_member', 'unknown chat'));
    this.#typing.sent(chatId);
    this.#drafts.clear(chatId);
    return this.#uploads.add(chatId, files, opts);
  }
  /** This device's uploads in progress; the 'uploads' event tells each change. */
  uploads(): UploadProgress[] { return this.#uploads.list(); }
  pauseUpload(clientMsgId: string): void { this.#uploads.pause(clientMsgId); }
  resumeUpload(clientMsgId: string): void { this.#uploads.resume(clientMsgId); }
  /** Stops the upload, deletes it on the server and drops the message. */
  cancelUpload(clientMsgId: string): Promise<void> { return this.#uploads.cancel(clientMsgId); }
  /** The whole file, decrypted and checked (`file_damaged` when a chunk or the hash fails), as a Blob of its mime. */
  downloadAttachment(att: Attachment, opts: { onProgress?: (received: number, total: number) => void; signal?: AbortSignal } = {}): Promise<Blob> { return this.#files.download(att, opts); }
  /** Plaintext bytes [start, end) through HTTP Range, only the chunks needed, each checked (media seeking). */
  readAttachmentRange(att: Attachment, start: number, end: number, opts: { signal?: AbortSignal } = {}): Promise<Uint8Array> { return this.#files.readRange(att, start, end, opts); }
  /** Node: streams the file to `path` (memory flat), renamed into place only once checked; never overwrites unless `overwrite`. */
  downloadAttachmentTo(att: Attachment, path: string, opts: { onProgress?: (received: number, total: number) => void; signal?: AbortSignal; overwrite?: boolean } = {}): Promise<void> { return this.#files.downloadTo(att, path, opts); }
  /** The chat's attachments this device holds, newest first, paged (`next` → `before`). */
  async media(chatId: string, opts: { filter: MediaFilter; before?: string; limit?: number }): Promise<{ items: MediaItem[]; next?: string }> { return this.#files.media(chatId, opts); }
  /** R56: GET /me/storage. */
  storageUsage(): Promise<StorageUsage> { return this.#files.storageUsage(); }

  async #uploadComplete(upload: PendingUpload, attachments: Attachment[]): Promise<void> {
    if (!this.#chats.has(upload.chatId)) throw new ParleyError('not_member', 'unknown chat');
    const content = checkedContent({
      kind: 'text', text: upload.text, ...withEntities(upload.entities), ...(upload.replyTo ? { replyTo: upload.replyTo } : {}),
      ...(upload.noForwardName ? { noForwardName: true as const } : {}), attachments,
    });
    await this.#outbox.add(upload.chatId, content, { clientMsgId: upload.clientMsgId, createdAt: upload.createdAt, blobs: attachments.map((a) => a.blobId) });
  }

  /** R50: pins (`on`) or unpins a message; refused here (`forbidden`) where this user may not pin. */
  async pin(chatId: string, itemId: string, on: boolean): Promise<void> {
    if (!this.mayPin(chatId)) throw new ParleyError('forbidden', 'only admins and the owner pin in a group');
    await this.#post(chatId, { kind: 'pin', target: itemId, on });
  }

  /**
   * R48: this person's own settings for a chat, the same on all their devices: archive, mute until a
   * time (0 unmutes, MUTED_FOREVER until unmuted; a muted chat sends no push), mark unread. Shown at
   * once here; the server's answer (and the other devices' `chat` event) confirms it.
   */
  async setChatPrefs(chatId: string, update: ChatPrefsUpdate): Promise<void> {
    const chat = this.#chats.get(chatId);
    if (!chat) throw new ParleyError('not_member', 'unknown chat');
    const prefs = { ...chat.prefs };
    if (update.archived !== undefined) { if (update.archived) prefs.archived = true; else delete prefs.archived; }
    if (update.mutedUntil !== undefined) { if (update.mutedUntil > 0) prefs.mutedUntil = update.mutedUntil; else delete prefs.mutedUntil; }
    if (update.markedUnread !== undefined) { if (update.markedUnread) prefs.markedUnread = true; else delete prefs.markedUnread; }
    const { prefs: _old, ...rest } = chat;
    this.#chats.set(chatId, Object.keys(prefs).length > 0 ? { ...rest, prefs } : rest);
    this.#changed(chatId);
    const { chat: fresh } = await this.#rest<{ chat: ChatSummary }>('PUT', `/chats/${encodeURIComponent(chatId)}/prefs`, update);
    await this.#adopt(fresh, false);
  }

  /** Marks everything this device holds of the chat as read (and tells the others). */
  markRead(chatId: string): void {
    const chat = this.#chats.get(chatId);
    const last = this.#sync.log(chatId).at(-1)?.seq ?? 0;
    const me = chat?.members.find((m) => m.userId === this.userId);
    // R48: reading a chat someone marked unread takes the mark off (on all their devices).
    if (chat?.prefs?.markedUnread) void this.setChatPrefs(chatId, { markedUnread: false }).catch(() => undefined);
    if (!chat || !me || me.readSeq >= last) return;
    me.readSeq = last;
    me.deliveredSeq = Math.max(me.deliveredSeq, last);
    chat.unread = 0;
    void this.#o.store.putChat(chat);
    this.#conn.notify({ type: 'receipt', chatId, kind: 'read', upToSeq: last });
    this.#changed(chatId);
  }

  typing(chatId: string): void {
    if (this.#typing.shouldSend(chatId)) this.#conn.notify({ type: 'typing', chatId });
  }

  // --- REST ----------------------------------------------------------------------------------

  me(): Promise<MeResponse> { return this.#rest('GET', '/me'); }
  async revokeDevice(deviceId: string): Promise<void> {
    await this.#rest('DELETE', `/devices/${encodeURIComponent(deviceId)}`);
    this.#ownLog.schedule(0); // its revoke entry settles a new_device_key alert for it (R31)
  }
  findUser(handle: string): Promise<UserProfile> {
    return this.#rest('GET', `/users/by-handle/${encodeURIComponent(handle.trim().replace(/^@/, '').toLowerCase())}`);
  }
  pendingDeviceLinks(): Promise<PendingDeviceLink[]> { return pendingDeviceLinks((m, p, b) => this.#rest(m, p, b)); }
  /** Approves a new device of this account with the code the new device shows (R25). */
  approveDeviceLink(linkId: string, code: string): Promise<AddedDevice> { return approveDeviceLink((m, p, b) => this.#rest(m, p, b), linkId, code); }
  denyDeviceLink(linkId: string): Promise<void> { return denyDeviceLink((m, p, b) => this.#rest(m, p, b), linkId); }

  /** What this device found in its own user's key log (R31) or in comparing chats' key-log heads (R33), not dismissed yet, oldest first. */
  keyLogAlerts(): readonly KeyLogAlert[] { return this.#ownLog.alerts(); }
  /** The person saw the alert: it is not listed or raised again. */
  dismissKeyLogAlert(id: string): Promise<void> { return this.#ownLog.dismiss(id); }
  /** Reviews this user's key log now (R31) instead of at the next trigger; resolves with the alerts it raised. */
  checkOwnKeyLog(): Promise<KeyLogAlert[]> { return this.#ownLog.check(); }

  /** Asks the chat's members to add this device to its encryption group again (R29): the way out of "waiting". */
  async requestRejoin(chatId: string): Promise<void> {
    await this.#enc?.requestRejoin(chatId);
  }

  /**
   * Asks the senders' devices to send these messages again (R32), for those this device shows
   * unreadable where that can help (`TimelineItem.resendable`: failed their check, keys gone, or
   * arrived while this device was out of the group; never "sent before this device joined") and
   * has not asked for yet. Resolves with the ids it asked for; an answer fills the message in place
   * (`TimelineItem.resent`). Without end-to-end encryption there is nothing to ask for.
   */
  async requestResend(chatId: string, clientMsgIds: readonly string[]): Promise<string[]> {
    return (await this.#enc?.resends.request(chatId, clientMsgIds)) ?? [];
  }

  /** Re-checks the chat's encryption group now (members' devices, key age) instead of at the next change. */
  checkEncryption(chatId: string): void {
    this.#enc?.schedule(chatId, 0);
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
  /** R42: an invite link to the group (admins and the owner); by default it lasts the server's invite lifetime with no use limit. */
  createInvite(chatId: string, opts: CreateInviteRequest = {}): Promise<InviteResponse> {
    return this.#rest('POST', `/chats/${chatId}/invites`, opts.expiresInMs === undefined && opts.maxUses === undefined ? undefined : opts);
  }
  /** R42: the group's live invites, newest first (admins and the owner). */
  async listInvites(chatId: string): Promise<InviteInfo[]> {
    return (await this.#rest<InviteListResponse>('GET', `/chats/${chatId}/invites`)).invites;
  }
  /** R42: ends an invite of the group at once (admins and the owner, whoever made it). */
  async revokeInvite(chatId: string, token: string): Promise<void> {
    await this.#rest('DELETE', `/chats/${chatId}/invites/${encodeURIComponent(token)}`);
  }
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
  /** R41: key packages of the chat's members' devices, to add them to its encryption group. */
  async claimKeyPackages(chatId: string, userIds: string[]): Promise<ClaimedKeyPackage[]> {
    return (await this.#rest<ClaimKeyPackagesResponse>('POST', '/keypackages/claim', { chatId, userIds })).keyPackages;
  }

  // --- internals -----------------------------------------------------------------------------

  async #post(chatId: string, content: Content, opts: AddOptions = {}): Promise<string> {
    if (!this.#chats.has(chatId)) throw new ParleyError('not_member', 'unknown chat');
    return this.#outbox.add(chatId, content, opts);
  }

  /**
   * One page of a chat's log. The server limits history reads per device (PARLEY_RATE_HISTORY_*): a
   * page refused as `rate_limited` is asked again after the wait it names (until it is answered, the
   * connection drops or the client stops), so a device catching up many chats at once gets there a
   * little later instead of leaving gaps until the next message.
   */
  async #history(chatId: string, q: { afterSeq?: number; beforeSeq?: number; limit: number }): Promise<ServerFrameOf<'history'>> {
    return untilNotRateLimited(() => this.#conn.request<ServerFrameOf<'history'>>({ type: 'history', rid: this.#conn.newRid(), chatId, ...q }), () => this.#stopped);
  }

  /** This device's previous message in the chat (not a commit): receivers check the chain (R30). */
  #prevSent(chatId: string): string | undefined {
    const log = this.#sync.log(chatId);
    for (let i = log.length - 1; i >= 0; i--) {
      const m = log[i];
      if (m && m.senderDeviceId === this.deviceId && m.senderUserId === this.userId && m.envelope && m.envelope.contentType !== MLS_COMMIT_CONTENT_TYPE) return m.clientMsgId;
    }
    return undefined;
  }

  #onAuthenticated(frame: ServerFrameOf<'auth_ok'>): void {
    // Devices may have been revoked or members removed meanwhile: each chat's messages wait for its device list (R34).
    this.#hold.online();
    for (const chatId of this.#chats.keys()) this.#hold.mark(chatId);
    void this.#chatList.read(frame.chats, frame.chatsNext);
    this.#outbox.flush();
    if (this.#enc) void this.#enc.publishKey();
    else this.keyPackages?.replenish();
    void this.#enc?.resumeHistoryShares();
    this.#ownLog.online();
    this.#enc?.heads.online();
    void this.refreshRequests().catch(() => undefined); // requests that came while offline (R44)
  }

  /** Whether this connection has read the whole chat list from the server (R40: it comes in pages after sign-in). */
  get chatListComplete(): boolean {
    return this.#chatList.complete;
  }

  #backgroundError(error: BackgroundError): void {
    console.warn(`parley: ${error.task} failed (retried later):`, error.error);
    this.emit('error', error);
  }

  #onEvent(frame: ServerFrame): void {
    switch (frame.type) {
      case 'message':
        this.#typing.messageFrom(frame.message.chatId, frame.message.senderUserId);
        void this.#sync.receive(frame.message);
        return;
      case 'chat':
        this.#hold.mark(frame.chat.chatId); // its messages wait until its device list answers (R34)
        void this.#adopt(frame.chat);
        // Sent to every chat of a user whose devices changed (R18): ours may be the one.
        this.#ownLog.schedule();
        return;
      case 'chat_removed':
        void this.#forget(frame.chatId);
        return;
      case 'resync':
        void this.#chatList.read();
        return;
      case 'receipt': {
        const chat = this.#chats.get(frame.chatId);
        if (!chat || !applyReceipt(chat, frame)) return;
        void this.#o.store.putChat(chat);
        this.#changed(frame.chatId);
        return;
      }
      case 'typing':
        this.#typing.heard(frame.chatId, frame.userId);
        return;
      case 'device_link_request':
        this.emit('deviceLinkRequest', frame.link);
        return;
      case 'device_link_closed':
        this.emit('deviceLinkClosed', { linkId: frame.linkId, status: frame.status });
        return;
      case 'device_added':
        this.emit('deviceAdded', frame.device);
        this.#ownLog.deviceAdded(frame.device.deviceId);
        return;
      case 'rejoin_requested':
        this.#enc?.onRejoinRequested(frame);
        return;
      case 'chat_request':
        this.#requests = [...this.#requests.filter((r) => r.requestId !== frame.request.requestId), frame.request];
        this.#changed();
        return;
      case 'chat_request_closed':
        this.#requests = this.#requests.filter((r) => r.requestId !== frame.requestId);
        this.#changed();
        return;
      default:
        return;
    }
  }

  /** Takes in a chat summary from the server and catches its log up to the summary's lastSeq. */
  async #adopt(chat: ChatSummary, catchUp = true): Promise<ChatSummary> {
    const before = this.#chats.get(chat.chatId);
    // R44: the person this user asked into a direct chat accepted: what waited for them goes once their devices are in.
    if (chat.kind === 'direct' && before?.requested?.some((r) => chat.members.some((m) => m.userId === r.userId))) this.#acceptedAt.set(chat.chatId, Date.now());
    keepNewerReceipts(chat, before);
    this.#chats.set(chat.chatId, chat);
    await this.#o.store.putChat(chat);
    this.#changed(chat.chatId);
    if (catchUp) await this.#catchUp(chat.chatId);
    return chat;
  }

  /** Fills the chat's log up to the lastSeq last heard of, then lets its encryption group catch up. */
  async #catchUp(chatId: string): Promise<void> {
    const chat = this.#chats.get(chatId);
    if (!chat) return;
    await this.#sync.catchUp(chatId, chat.lastSeq);
    this.#enc?.schedule(chatId, 0);
  }

  async #forget(chatId: string): Promise<void> {
    this.#chats.delete(chatId);
    this.#sync.forget(chatId);
    await this.#o.store.deleteChat(chatId);
    await this.#mls?.forget(chatId);
    this.#hold.forget(chatId);
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
    await this.#outbox.acked(chatId, acked);
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
    await this.#codec.decodeBatch(chatId, messages, (m) => this.#outbox.content(m.clientMsgId), async (batch) => {
      messages.forEach((m, i) => {
        const d = batch.decoded[i];
        if (d) m.decoded = d;
      });
      await this.#enc?.fillFromHistory(chatId, messages);
      await this.#o.store.putMessages(messages, batch.groups);
    });
    if (await this.#enc?.afterDecode(chatId, messages)) this.#outbox.retry(chatId);
  }

  #title(chat: ChatSummary): string {
    if (chat.kind === 'group') return this.#enc?.groupName(chat.chatId) ?? (chat.name || chat.members.filter((m) => m.userId !== this.userId).map((m) => m.displayName).join(', '));
    return (chat.members.find((m) => m.userId !== this.userId) ?? chat.requested?.find((r) => r.userId !== this.userId) ?? chat.members[0])?.displayName ?? chat.name;
  }

  /**
   * R44: in a direct chat whose other person has not accepted yet, what is written waits (shown as
   * sending): encrypted now, it would be for this user's devices only, and the other person could
   * never read it.
   */
  #awaitingAcceptance(codec: ContentCodec): ContentCodec {
    return {
      encode: async (chatId, content, options) => {
        const chat = this.#chats.get(chatId);
        if (chat?.kind === 'direct' && chat.members.length === 1 && (chat.requested ?? []).some((r) => r.userId !== this.userId)) {
          throw new CodecNotReady('waiting for the other person to accept the chat');
        }
        // Accepted a moment ago: wait until their devices are in the chat's group (at most a minute), or they could not read it.
        const accepted = this.#acceptedAt.get(chatId);
        if (accepted !== undefined && Date.now() - accepted < ACCEPTED_WAIT_MS && this.#mls) {
          const other = chat?.members.find((m) => m.userId !== this.userId)?.userId;
          if (other && !(await this.#mls.members(chatId)).some((m) => m.userId === other)) throw new CodecNotReady('waiting for the other person\'s devices to join');
          this.#acceptedAt.delete(chatId);
        }
        return codec.encode(chatId, content, options);
      },
      decodeBatch: (chatId, messages, own, persist) => codec.decodeBatch(chatId, messages, own, persist),
    };
  }

  /** R44: requests to join chats from people this user shares none with, oldest first. */
  requests(): readonly ChatRequest[] {
    return this.#requests;
  }

  async refreshRequests(): Promise<readonly ChatRequest[]> {
    this.#requests = (await this.#rest<ChatRequestsResponse>('GET', '/requests')).requests;
    this.#changed();
    return this.#requests;
  }

  /** Joins the chat the request is for; its summary comes back and the chat is shown. */
  async acceptRequest(requestId: string): Promise<ChatSummary> {
    const { chat } = await this.#rest<{ chat: ChatSummary }>('POST', `/requests/${encodeURIComponent(requestId)}/accept`);
    this.#requests = this.#requests.filter((r) => r.requestId !== requestId);
    return this.#adopt(chat);
  }

  async declineRequest(requestId: string): Promise<void> {
    await this.#rest('POST', `/requests/${encodeURIComponent(requestId)}/decline`);
    this.#dropRequests((r) => r.requestId === requestId);
  }

  /** Declines, and nothing from the sender reaches this user again as a request. */
  async blockRequest(requestId: string): Promise<void> {
    const from = this.#requests.find((r) => r.requestId === requestId)?.from.userId;
    await this.#rest('POST', `/requests/${encodeURIComponent(requestId)}/block`);
    this.#dropRequests((r) => r.requestId === requestId || r.from.userId === from);
  }

  /** Declines and reports the sender to the server's operator (and blocks them with `block`). */
  async reportRequest(requestId: string, report: ReportRequest): Promise<void> {
    const from = this.#requests.find((r) => r.requestId === requestId)?.from.userId;
    await this.#rest('POST', `/requests/${encodeURIComponent(requestId)}/report`, report);
    this.#dropRequests((r) => r.requestId === requestId || (report.block === true && r.from.userId === from));
  }

  #dropRequests(match: (r: ChatRequest) => boolean): void {
    this.#requests = this.#requests.filter((r) => !match(r));
    this.#changed();
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
