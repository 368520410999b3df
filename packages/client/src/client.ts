import {
  type Attachment, type ChatPrefsUpdate, type ChatSummary, type MessageEntity, type Content, type Message, type ServerFrame, type ServerFrameOf,
  type LinkPreview, type StorageUsage, type ChatRequest, type ReportRequest, type ReplyMarkup, type ReplyKeyboard, type ForceReply,
} from '@parley/protocol';
import { decodePlainEnvelope, PlaintextCodec, type ContentCodec } from './codec.ts';
import type { MlsCodec } from './e2ee/mls-codec.ts';
import { ChatEncryption } from './e2ee/chat-encryption.ts';
import { keyParts } from './e2ee/key-parts.ts';
import type { RemovalHold } from './e2ee/removal-hold.ts';
import { Connection, type ConnectionProblem, type ConnectionState, type WebSocketCtor } from './connection.ts';
import type { KeyPackageKeeper } from './key-packages.ts';
import type { KeyDirectory, KeyLogAlert, OwnKeyLogMonitor } from './key-log/index.ts';
import { lastSentBy, LogSync } from './log-sync.ts';
import { Outbox, type AddOptions } from './outbox.ts';
import { TypingState } from './typing.ts';
import { Drafts } from './drafts.ts';
import { ChatListReader, untilNotRateLimited, withMemberDelta } from './chat-list.ts';
import { AcceptanceWait, ChatRequests } from './chat-requests.ts';
import { ChatViews } from './chat-views.ts';
import { ThreadMarks } from './threads.ts';
import { Calls, mlsCallKeys } from './calls/calls.ts';
import { Communities } from './communities.ts';
import { communityHolds } from './moderation/rights-hold.ts';
import { importHistoryLater, lazyBots, lazyChannels, lazyWrappedChannels } from './lazy.ts';
import type { ImportHistoryOptions, ImportSource } from './import/import-history.ts';
import { Polls } from './polls/polls.ts';
import { ChatLifecycle } from './chat-lifecycle.ts';
import { ChatWriter } from './chat-writer.ts';
import { ClientRest } from './client-rest.ts';
import { applyReceipt, keepNewerReceipts, ReceiptSender } from './receipts.ts';
import type { OutboxItem, StoredMessage } from './store.ts';
import { mayPin, pinnedItems, type TimelineItem } from './timeline.ts';
import {
  DEFAULT_RECONCILE_RANK_DELAY_MS, DEFAULT_RESEND_ASK_AFTER_MS, DEFAULT_RESTART_AFTER_WAITING_MS, DEFAULT_ROTATE_AFTER_MS,
  type BackgroundError, type ChatView, type ClientOptions,
} from './client-options.ts';
import { Files } from './files/files.ts';
import { Uploads } from './files/uploads.ts';
import type { FileToSend, MediaFilter, MediaItem, UploadProgress } from './files/types.ts';

export type { BackgroundError, ChatView, ClientEvents, ClientOptions } from './client-options.ts';

/**
 * The Parley client: keeps a local copy of the user's chats in a ClientStore, syncs it with the
 * server over one resilient connection, and sends through a persistent outbox. Guarantees (see
 * docs/PROTOCOL.md): each chat's local log is contiguous and in server order (no gaps, no
 * duplicates); a message leaves the outbox only when the server acknowledged its commit.
 */
export class ParleyClient extends ClientRest {
  readonly #o: ClientOptions;
  readonly #codec: ContentCodec;
  readonly #conn: Connection;
  readonly #sync: LogSync;
  readonly #chats = new Map<string, ChatSummary>();
  readonly #outbox: Outbox;
  readonly #typing = new TypingState(() => this.#changed());
  readonly #drafts: Drafts;
  readonly #requests = new ChatRequests({ rest: this.rest, changed: () => this.#changed() }); // R44: open requests to this user
  readonly #acceptance: AcceptanceWait; // R44: what is written in a direct chat waits until the other person can read it
  readonly #write: ChatWriter;
  readonly calls: Calls; // R61: this device's calls (1:1, signalled through the chat's encrypted log)
  readonly communities: Communities; // R66-R75 (communities.ts); the `community` event tells each change
  readonly channels: ReturnType<typeof lazyChannels>; // R95-R99 (channels/, loaded on first use); the `channelPost` event is a notice
  readonly wrappedChannels = lazyWrappedChannels({ rest: this.rest, keys: () => this.keys, identity: () => this.keyPackages?.identity(), now: () => Date.now(), emit: (e) => this.emit('wrappedPost', e), channelInfo: (id) => this.communities.wrappedInfo(id), tus: () => ({ endpoint: this.#files.endpoint, token: (fresh) => this.tokens.get(fresh) }), adminGroup: { log: (id) => this.#sync.log(id) as readonly StoredMessage[], chat: (id) => this.#chats.get(id), post: (id, c) => this.#post(id, c) } }); // R141-R142, R147-R149, R161-R162, R170 (channels/wrapped.ts)
  readonly #life: ChatLifecycle;
  readonly polls: Polls; // R87 (polls/polls.ts); each poll's tally is its TimelineItem.poll
  readonly threads: ThreadMarks; // R89: how far this device has shown each thread (`thread.unread`)
  readonly bots: ReturnType<typeof lazyBots>; // R90-R93 (bots/bots.ts, loaded on first use): owning bots, inline buttons
  readonly #receipts: ReceiptSender;
  readonly #views: ChatViews;
  readonly #mls: MlsCodec | undefined;
  readonly #enc: ChatEncryption | undefined;
  readonly #hold: RemovalHold; // R34: a chat's messages wait while its group holds a device that no longer belongs
  readonly #ownLog: OwnKeyLogMonitor;
  readonly #files: Files; // downloads, the media view, storage use (files/files.ts)
  readonly #uploads: Uploads; // messages with files still uploading (files/uploads.ts)
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
  #changeScheduled = false;
  #callQueue: Promise<void> = Promise.resolve();
  /** This device's MLS identity and key packages; undefined when `mls.enabled` is false. */
  readonly keyPackages: KeyPackageKeeper | undefined;
  /** The per-user device-key logs (R19-R22): safety numbers, and the check of every MLS member's key. */
  readonly keys: KeyDirectory;

  constructor(options: ClientOptions) {
    super(options);
    this.#o = options;
    const tokens = this.tokens;
    this.#sync = new LogSync({
      pageSize: options.pageSize ?? 100,
      history: (chatId, q) => this.#history(chatId, q),
      hasChat: (chatId) => this.#chats.has(chatId), stopped: () => this.#stopped,
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
      onEvent: (frame) => this.#onEvent(withMemberDelta(frame, this.#chats, (chatId) => void this.getChat(chatId).then((chat) => this.#onEvent({ type: 'chat', chat }), (error: unknown) => this.#backgroundError({ task: 'chat list', error })))), // R117: a large group's joins patch its summary; R131: a missed one reads it again
      onState: (state) => {
        if (state !== 'online') {
          this.#ownLog.offline();
          this.#hold.offline();
        }
        this.emit('connection', state);
        if (state === 'revoked') this.emit('revoked');
        if (state === 'online') { this.#uploads.online(); this.calls.online(); } // R102: a call's network may have changed
        this.#changed();
      },
      onProblem: () => this.#changed(),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
    const parts = keyParts(options, {
      userId: this.userId, deviceId: this.deviceId, rest: this.rest,
      keyPackageCount: () => this.keyPackageCount(), me: () => this.me(),
      online: () => this.#conn.state === 'online', stopped: () => this.#stopped,
      headMoved: (userId) => this.#enc?.heads.headMoved(userId),
      onAlert: (alert) => this.emit('keyLogAlert', alert),
      changed: () => this.#changed(),
      backgroundError: (error) => this.#backgroundError(error),
    });
    this.keyPackages = parts.keyPackages;
    this.keys = parts.keys;
    this.#ownLog = parts.ownLog;
    this.#hold = parts.hold;
    this.#mls = parts.mls;
    this.#codec = options.codec ?? this.#mls ?? new PlaintextCodec();
    const mlsMembers = this.#mls;
    this.#acceptance = new AcceptanceWait({
      userId: this.userId, chat: (chatId) => this.#chats.get(chatId),
      ...(mlsMembers ? { groupMembers: (chatId: string) => mlsMembers.members(chatId) } : {}),
    });
    this.#outbox = new Outbox({
      userId: this.userId, deviceId: this.deviceId, store: options.store, codec: communityHolds(this.#acceptance.wrap(this.#codec), { userId: this.userId, e2ee: this.#mls !== undefined, waitMs: options.communities?.rightsConfirmWaitMs, chat: (id) => this.#chats.get(id), views: () => this.#views }), // R152, R159
      online: () => this.#conn.state === 'online',
      send: (item, envelope) => this.#conn.request<ServerFrameOf<'ack'>>({
        type: 'send', rid: this.#conn.newRid(), chatId: item.chatId, clientMsgId: item.clientMsgId, envelope,
        ...(item.blobs?.length ? { blobs: item.blobs } : {}), ...(item.release?.length ? { release: item.release } : {}), ...(item.frank ? { frank: item.frank } : {}), ...(item.vote ? { vote: true } : {}),
      }),
      receive: (message) => this.#sync.receive(message),
      prev: (chatId) => lastSentBy(this.#sync.log(chatId), this.userId, this.deviceId),
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
        rest: this.rest,
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
        ...(options.mls?.maxAddsPerCommit !== undefined ? { maxAddsPerCommit: options.mls.maxAddsPerCommit } : {}),
        onKeyLogSplit: (alert) => this.#ownLog.report(alert),
        keyLogHeads: options.mls?.keyLogHeads,
      })
      : undefined;
    this.communities = new Communities({ rest: this.rest, e2ee: this.#mls !== undefined, adopt: (c) => this.#adopt(c), post: (id, content, o) => this.#post(id, content, o),
      chatName: (id) => this.#enc?.groupName(id) ?? (this.#chats.get(id)?.name || undefined), emit: (e) => this.emit('community', e), myUserId: () => this.userId,
      chatInfo: (id, field) => this.#enc?.groupInfo(id, field), item: (chatId, itemId) => this.timeline(chatId).find((i) => i.id === itemId), rightsDisputes: (id) => this.#views.rightsDisputes(id), notAdmitted: (id) => this.#views.notAdmitted(id), awaitingAdmission: (id) => this.#views.awaitingAdmission(id), rightsAwaited: (id) => this.#views.rightsAwaited(id), seqOf: (id, msg) => this.#sync.log(id).find((m) => m.clientMsgId === msg)?.seq, unsent: (id) => this.outbox().some((o) => o.clientMsgId === id), publishWrappedInfo: (id, info) => this.wrappedChannels.publishInfo(id, info) });
    this.channels = lazyChannels({ rest: this.rest, userId: this.userId, now: () => Date.now(), emit: (e) => this.emit('channelPost', e),
      meta: { get: (k) => options.store.getMeta(k), set: (k, v) => options.store.setMeta(k, v) }, adoptCommunity: (id, openSeq) => this.communities.adoptJoined(id, openSeq), openCommunity: (id) => this.communities.open(id),
      baseUrl: options.baseUrl, token: (fresh) => tokens.get(fresh) });
    this.#files = new Files({ baseUrl: options.baseUrl, token: (fresh) => tokens.get(fresh), rest: this.rest, timeline: (chatId) => this.timeline(chatId) });
    this.#uploads = new Uploads({
      store: options.store, endpoint: this.#files.endpoint, token: (fresh) => tokens.get(fresh),
      ...(options.files?.chunkBytes !== undefined ? { chunkBytes: options.files.chunkBytes } : {}),
      ...(options.files?.tusRetryDelays !== undefined ? { retryDelays: options.files.tusRetryDelays } : {}),
      ...(options.files?.tusChunkBytes !== undefined ? { chunkSize: options.files.tusChunkBytes } : {}),
      complete: (upload, attachments) => this.#write.uploadComplete(upload, attachments), inOutbox: (clientMsgId) => this.#outbox.items().some((o) => o.clientMsgId === clientMsgId),
      changed: (chatId) => this.#changed(chatId), emit: (uploads) => this.emit('uploads', uploads),
    });
    const enc = this.#enc;
    this.#drafts = new Drafts({
      store: options.store,
      // Only end-to-end encrypted: a draft never reaches the server in the clear.
      ...(enc ? { share: (content: Extract<Content, { kind: 'draft' }>) => enc.shareDraft(content) } : {}),
      onChange: (chatId) => this.#changed(chatId),
    });
    this.#receipts = new ReceiptSender({
      userId: this.userId, chat: (chatId) => this.#chats.get(chatId), logs: () => this.#sync.entries(),
      notify: (frame) => this.#conn.notify(frame), putChat: (chat) => this.#o.store.putChat(chat), changed: (chatId) => this.#changed(chatId),
    });
    this.threads = new ThreadMarks({ getMeta: (k) => this.#o.store.getMeta(k), setMeta: (k, v) => this.#o.store.setMeta(k, v), changed: (chatId) => this.#changed(chatId) });
    this.#views = new ChatViews({
      userId: this.userId, chats: this.#chats, sync: this.#sync, outbox: this.#outbox, typing: this.#typing, enc: () => this.#enc, uploads: () => this.#uploads,
      threadSeen: (chatId, rootId) => this.threads.seen(chatId, rootId), rightsWaitMs: options.communities?.rightsConfirmWaitMs,
    });
    this.calls = new Calls({
      userId: this.userId, deviceId: this.deviceId, chat: (chatId) => this.#chats.get(chatId), post: (chatId, content) => this.#post(chatId, content),
      turn: (chatId) => this.turnCredentials(chatId), groupRoom: (chatId) => this.groupCallRoom(chatId), ring: (chatId) => this.ringCall(chatId), ringMaxMembers: async () => (await this.serverInfo()).calls?.ringMaxMembers, ...options.calls, emit: (calls) => this.emit('calls', calls),
      onError: (error) => this.#backgroundError({ task: 'call-keys', error }), ...(this.#mls ? { frameKeys: mlsCallKeys(this.#mls) } : {}), // R64
    });
    this.#write = new ChatWriter({
      userId: this.userId, chat: (chatId) => this.#chats.get(chatId), timeline: (chatId) => this.timeline(chatId), mayPin: (chatId) => this.mayPin(chatId),
      typing: this.#typing, drafts: this.#drafts, outbox: this.#outbox, uploads: () => this.#uploads,
    });
    this.#life = new ChatLifecycle({
      rest: this.rest, e2ee: this.#mls !== undefined, chat: (id) => this.#chats.get(id), show: (c) => { this.#chats.set(c.chatId, c); this.#changed(c.chatId); },
      adopt: (c, catchUp) => this.#adopt(c, catchUp), post: (id, content) => this.#post(id, content), forget: (id) => this.#forget(id), leave: (id) => this.removeMember(id, this.userId),
    });
    this.polls = new Polls({ userId: this.userId, post: (chatId, content, opts) => this.#post(chatId, content, opts), timeline: (chatId) => this.timeline(chatId) });
    this.bots = lazyBots({ rest: this.rest, userId: this.userId, baseUrl: options.baseUrl, token: (fresh) => tokens.get(fresh), post: (chatId, content, opts) => this.#post(chatId, content, opts), upload: (chatId, files, o) => this.#uploads.add(chatId, files, o), timeline: (chatId) => this.timeline(chatId), log: (chatId) => this.#sync.log(chatId) as readonly StoredMessage[] });
  }

  get connectionState(): ConnectionState { return this.#conn.state; }
  get connectionProblem(): ConnectionProblem | undefined { return this.#conn.problem; } // R40; see ConnectionProblem

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
    this.#receipts.stop();
    this.calls.stop();
    // Let running syncs settle, but never hang a shutdown on one.
    const running = [this.#sync.idle(), ...(this.keyPackages ? [this.keyPackages.idle()] : [])];
    await Promise.race([Promise.allSettled(running), new Promise((r) => setTimeout(r, 2000))]);
  }

  /** Try to reconnect now (e.g. on the browser's `online` event). */
  reconnect(): void { this.#conn.kick(); }

  // --- reading -------------------------------------------------------------------------------

  chats(opts?: { sorted?: boolean }): ChatView[] { return this.#views.chats(opts); }
  chat(chatId: string): ChatView | undefined { return this.#views.chat(chatId); }
  timeline(chatId: string): TimelineItem[] { return this.#views.timeline(chatId); }
  /** Case-insensitive search through the text of every message this device holds. */
  search(query: string): { chatId: string; item: TimelineItem }[] { return this.#views.search(query); }

  /** R50: the chat's pinned messages this device holds, the latest pinned first. */
  pinned(chatId: string): TimelineItem[] { return pinnedItems(this.timeline(chatId)); }

  /** R50: whether this user may pin in the chat (direct: both; group: admins and the owner). */
  mayPin(chatId: string): boolean { const chat = this.#chats.get(chatId); return chat !== undefined && mayPin(chat, this.userId); }

  /** The raw log this device holds for a chat (ascending, contiguous). */
  log(chatId: string): readonly Message[] { return this.#sync.log(chatId); }

  outbox(): readonly OutboxItem[] { return this.#outbox.items(); }
  hasOlder(chatId: string): boolean { return this.#sync.hasOlder(chatId); }
  loadOlder(chatId: string): Promise<void> { return this.#sync.loadOlder(chatId); }

  /** The devices in this device's view of the chat's encryption group (empty without MLS). */
  async encryptionMembers(chatId: string): Promise<{ userId: string; deviceId: string }[]> { return this.#mls ? this.#mls.members(chatId) : []; }

  // --- writing -------------------------------------------------------------------------------

  /**
   * R51: the person's unsent text for a chat: kept on this device across restarts and, with
   * end-to-end encryption, shared with their other devices once typing pauses (through the
   * note-to-self chat). Sending a message to the chat clears it everywhere.
   */
  draft(chatId: string): string { return this.#drafts.get(chatId); }
  setDraft(chatId: string, text: string): void { this.#drafts.set(chatId, text); }

  /**
   * Puts a text message in the outbox and returns its client id; it goes out when online.
   * `entities`: its formatting (R47; `parseMarkdown` makes them from Markdown-like text). A text or
   * entities the schema refuses throw `bad_request` here: nothing malformed is ever sent.
   * `preview`: a link's preview this device made (R45), sent inside the encrypted message.
   * `noForwardName`: asks the devices of whoever forwards it to leave this person's name out (R49).
   * `thread`: a reply in that message's thread (R89; `threadItems` lists a thread).
   */
  sendText(chatId: string, text: string, opts: { replyTo?: string; entities?: readonly MessageEntity[]; preview?: LinkPreview; noForwardName?: boolean; thread?: string; threadQuote?: string } = {}): Promise<string> {
    return this.#write.sendText(chatId, text, opts);
  }
  /** Replaces a message's text and its formatting (none when `entities` is not given). */
  edit(chatId: string, targetId: string, text: string, opts: { entities?: readonly MessageEntity[] } = {}): Promise<void> { return this.#write.edit(chatId, targetId, text, opts); }
  /** R56: deleting one's own message with files also releases its blobs; one still uploading is cancelled. */
  deleteMessage(chatId: string, targetId: string): Promise<void> { return this.#write.deleteMessage(chatId, targetId); }
  react(chatId: string, targetId: string, emoji: string, on: boolean): Promise<void> { return this.#write.react(chatId, targetId, emoji, on); }
  /**
   * R49: forwards a message into other chats, encrypted anew for each, `forwarded` naming the original sender
   * unless they asked not to be named; files re-shared, not uploaded again. Returns the new ids, one per target.
   */
  forward(targetChatIds: readonly string[], sourceChatId: string, itemId: string): Promise<string[]> { return this.#write.forward(targetChatIds, sourceChatId, itemId); }
  /** R50: pins (`on`) or unpins a message; refused here (`forbidden`) where this user may not pin. */
  pin(chatId: string, itemId: string, on: boolean): Promise<void> { return this.#write.pin(chatId, itemId, on); }

  // --- files (R52-R56; the work is in files/) ----------------------------------------------------

  /**
   * Encrypts, uploads (tus, resumable; an upload resumes after a restart from the server's offset) and
   * then sends one message with these files and an optional caption (`thread`: into a thread, R89).
   * Resolves with its client id once queued; shown here at once (`item.upload`), to others when complete.
   */
  sendFiles(chatId: string, files: FileToSend[], opts: { text?: string; entities?: MessageEntity[]; replyTo?: string; thread?: string; noForwardName?: boolean; replyMarkup?: ReplyMarkup; replyKeyboard?: ReplyKeyboard; forceReply?: ForceReply } = {}): Promise<string> { return this.#write.sendFiles(chatId, files, opts); }
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

  /**
   * R48: this person's own settings for a chat, the same on all their devices: archive, mute until a time (0 unmutes,
   * MUTED_FOREVER until unmuted; no push while muted), mark unread. Shown here at once; the server's answer confirms it.
   */
  setChatPrefs(chatId: string, update: ChatPrefsUpdate): Promise<void> { return this.#life.setChatPrefs(chatId, update); }

  /** Marks everything this device holds of the chat as read (and tells the others). */
  markRead(chatId: string): void {
    const chat = this.#chats.get(chatId);
    const last = this.#sync.log(chatId).at(-1)?.seq ?? 0;
    // R48: reading a chat someone marked unread takes the mark off (on all their devices).
    if (chat?.prefs?.markedUnread) void this.setChatPrefs(chatId, { markedUnread: false }).catch(() => undefined);
    this.#receipts.read(chatId, last);
  }

  typing(chatId: string): void { if (this.#typing.shouldSend(chatId)) this.#conn.notify({ type: 'typing', chatId }); }

  // --- REST ----------------------------------------------------------------------------------

  async revokeDevice(deviceId: string): Promise<void> {
    await this.rest('DELETE', `/devices/${encodeURIComponent(deviceId)}`);
    this.#ownLog.schedule(0); // its revoke entry settles a new_device_key alert for it (R31)
  }
  /** What this device found in its own user's key log (R31) or in comparing chats' key-log heads (R33), not dismissed yet, oldest first. */
  keyLogAlerts(): readonly KeyLogAlert[] { return this.#ownLog.alerts(); }
  /** The person saw the alert: it is not listed or raised again. */
  dismissKeyLogAlert(id: string): Promise<void> { return this.#ownLog.dismiss(id); }
  /** Reviews this user's key log now (R31) instead of at the next trigger; resolves with the alerts it raised. */
  checkOwnKeyLog(): Promise<KeyLogAlert[]> { return this.#ownLog.check(); }

  /** Asks the chat's members to add this device to its encryption group again (R29): the way out of "waiting". */
  async requestRejoin(chatId: string): Promise<void> { await this.#enc?.requestRejoin(chatId); }

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
  checkEncryption(chatId: string): void { this.#enc?.schedule(chatId, 0); }

  /** R104 (import/import-history.ts): an export's messages into a chat or a new group, each marked `imported`; a re-run sends only what is missing. */
  importHistory(target: string | { newChat: string }, source: ImportSource, opts?: ImportHistoryOptions): Promise<{ chatId: string; sent: number; skipped: number }> {
    return importHistoryLater({ chat: (id) => this.#chats.get(id), createGroup: (name) => this.createGroup({ name, memberIds: [] }), log: (id) => this.log(id),
      hasOlder: (id) => this.hasOlder(id), loadOlder: (id) => this.loadOlder(id), outbox: () => this.#outbox.items(), uploads: () => this.#uploads.list(),
      post: (id, content, o) => this.#post(id, content, o), sendFiles: (id, files, o) => this.#uploads.add(id, files, o), on: (e, h) => this.on(e, h) }, target, source, opts);
  }

  // Direct chats, groups, names, leaving, invites (chat-lifecycle.ts). With end-to-end encryption a group's name is encrypted content.
  openDirect(userId: string): Promise<ChatSummary> { return this.#life.openDirect(userId); }
  createGroup(input: { name: string; color?: string; memberIds: string[] }): Promise<ChatSummary> { return this.#life.createGroup(input); }
  renameChat(chatId: string, name: string): Promise<void> { return this.#life.renameChat(chatId, name); }
  leaveChat(chatId: string): Promise<void> { return this.#life.leaveChat(chatId); }
  joinInvite(token: string): Promise<ChatSummary> { return this.#life.joinInvite(token); }
  // --- internals -----------------------------------------------------------------------------

  #post(chatId: string, content: Content, opts: AddOptions = {}): Promise<string> {
    return this.#write.post(chatId, content, opts);
  }

  /** One page of a chat's log; one refused as `rate_limited` is asked again after the wait it names (R40). */
  async #history(chatId: string, q: { afterSeq?: number; beforeSeq?: number; limit: number }): Promise<ServerFrameOf<'history'>> {
    return untilNotRateLimited(() => this.#conn.request<ServerFrameOf<'history'>>({ type: 'history', rid: this.#conn.newRid(), chatId, ...q }), () => this.#stopped);
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
  get chatListComplete(): boolean { return this.#chatList.complete; }

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
      default:
        if (frame.type === 'channel_post') this.emit('channelPost', { channelId: frame.channelId, seq: frame.seq }); // R97: a notice
        else if (!this.communities.onEvent(frame) && !this.wrappedChannels.notice(frame)) this.#requests.onEvent(frame);
        return;
    }
  }

  /** Takes in a chat summary from the server and catches its log up to the summary's lastSeq. */
  async #adopt(chat: ChatSummary, catchUp = true): Promise<ChatSummary> {
    const before = this.#chats.get(chat.chatId);
    // R44: the person this user asked into a direct chat accepted: what waited for them goes once their devices are in.
    this.#acceptance.adopted(chat, before);
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
      const { chat } = await this.rest<{ chat: ChatSummary }>('GET', `/chats/${chatId}`);
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
    for (const m of fresh) {
      const d = (m as StoredMessage).decoded;
      if (d?.kind === 'content' && d.content.kind === 'call') { const c = d.content; this.#callQueue = this.#callQueue.then(() => this.calls.received(chatId, m, c)).catch(() => undefined); }
    }
    this.calls.chatMoved(chatId); // R64: a commit moves a call's frame key to the new epoch
    this.#receipts.delivered();
    this.#changed(chatId);
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

  /** R44: requests to join chats from people this user shares none with, oldest first. */
  requests(): readonly ChatRequest[] { return this.#requests.list(); }
  refreshRequests(): Promise<readonly ChatRequest[]> { return this.#requests.refresh(); }
  /** Joins the chat the request is for; its summary comes back and the chat is shown. */
  async acceptRequest(requestId: string): Promise<ChatSummary> { return this.#adopt(await this.#requests.accept(requestId)); }
  declineRequest(requestId: string): Promise<void> { return this.#requests.decline(requestId); }
  /** Declines, and nothing from the sender reaches this user again as a request. */
  blockRequest(requestId: string): Promise<void> { return this.#requests.block(requestId); }
  /** Declines and reports the sender to the server's operator (and blocks them with `block`). */
  reportRequest(requestId: string, report: ReportRequest): Promise<void> { return this.#requests.report(requestId, report); }

  #changed(chatId?: string): void {
    this.#views.invalidate(chatId);
    if (this.#changeScheduled) return;
    this.#changeScheduled = true;
    queueMicrotask(() => {
      this.#changeScheduled = false;
      this.emit('change');
    });
  }
}
