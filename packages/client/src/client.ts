import {
  type Attachment, type ChatPrefsUpdate, type ChatSummary, type MessageEntity, type Forwarded, type Content, type Message, type ServerFrameOf,
  type LinkPreview, type StorageUsage, type ChatRequest, type ReportRequest, type ReplyMarkup, type ReplyKeyboard, type ForceReply,
} from '@parley/protocol';
import { decodePlainEnvelope, PlaintextCodec, type ContentCodec } from './codec.ts';
import type { ChatEncryption } from './e2ee/chat-encryption.ts';
import { keyParts, type KeyParts } from './e2ee/key-parts.ts';
import { Connection, type ConnectionProblem, type ConnectionState, type WebSocketCtor } from './connection.ts';
import type { KeyPackageKeeper } from './key-packages.ts';
import type { KeyDirectory, KeyLogAlert } from './key-log/index.ts';
import { LogSync } from './log-sync.ts';
import type { Outbox, AddOptions } from './outbox.ts';
import { TypingState } from './typing.ts';
import { Drafts } from './drafts.ts';
import { untilNotRateLimited } from './chat-list.ts';
import { type AcceptanceWait, ChatRequests } from './chat-requests.ts';
import { ChatViews } from './chat-views.ts';
import { ThreadMarks } from './threads.ts';
import type { Calls } from './calls/calls.ts';
import type { Communities } from './communities.ts';
import { importHistoryLater, type lazyBots, type lazyChannels, lazyWrappedChannels, lazyChannelViews, lazyMlsSchedule } from './lazy.ts';
import type { ImportHistoryOptions, ImportSource } from './import/import-history.ts';
import type { Polls } from './polls/polls.ts';
import { ChatLifecycle } from './chat-lifecycle.ts';
import { ChatWriter } from './chat-writer.ts';
import { ClientRest } from './client-rest.ts';
import { keepNewerReceipts, ReceiptSender } from './receipts.ts';
import type { OutboxItem, StoredMessage } from './store.ts';
import { mayPin, pinnedItems, type TimelineItem } from './timeline.ts';
import type { BackgroundError, ChatView, ClientOptions } from './client-options.ts';
import type { ClientCore } from './client-core.ts';
import { Files } from './files/files.ts';
import { Uploads, wrappedUploadChat } from './files/uploads.ts';
import type { FileToSend, MediaFilter, MediaItem, UploadProgress } from './files/types.ts';
import type { WrappedPending, WrappedUploads } from './channels/wrapped-files.ts';
import { sendParts } from './send-parts.ts';
import { featureParts } from './feature-parts.ts';
import { ServerEvents } from './server-events.ts';

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
  /** R50: the server's pin limit for channels, asked once (`/info`). */
  #maxPins: Promise<number | undefined> | undefined;
  readonly #outbox: Outbox;
  readonly #typing = new TypingState(() => this.#changed());
  readonly #drafts: Drafts;
  readonly #requests = new ChatRequests({ rest: this.rest, changed: () => this.#changed() }); // R44: open requests to this user
  readonly #acceptance: AcceptanceWait; // R44: what is written in a direct chat waits until the other person can read it
  readonly #write: ChatWriter;
  readonly calls: Calls; // R61: this device's calls (1:1, signalled through the chat's encrypted log)
  readonly communities: Communities; // R66-R75 (communities.ts); the `community` event tells each change
  readonly channels: ReturnType<typeof lazyChannels>; // R95-R99 (channels/, loaded on first use); the `channelPost` event is a notice
  readonly channelViews = lazyChannelViews(this.rest); // R190 (channels/channel-views.ts)
  readonly channelSchedule = lazyMlsSchedule({ // R191 (channels/mls-schedule.ts)
    rest: this.rest, identity: async () => this.keyPackages?.identity(), keys: () => this.keys,
    chatOf: async (id) => [...this.#chats.values()].find((c) => c.community?.communityId === id && c.community.kind === 'announcements')?.chatId ?? (await this.communities.get(id)).announcementsChatId,
    atCurrentEpoch: async (chatId, use) => this.#k.mls?.atCurrentEpoch(chatId, use), epoch: async (chatId) => this.#k.mls?.epoch(chatId),
  });
  readonly wrappedChannels = lazyWrappedChannels({ rest: this.rest, keys: () => this.keys, identity: () => this.keyPackages?.identity(), now: () => Date.now(), emit: (e) => this.emit('wrappedPost', e), emitVotes: (e) => this.emit('wrappedVotes', e), channelInfo: (id) => this.communities.wrappedInfo(id), queueFiles: async (upload, text, files) => (await this.#wrapped()).queue(upload, text, files), adminGroup: { log: (id) => this.#sync.log(id) as readonly StoredMessage[], chat: (id) => this.#chats.get(id), post: (id, c) => this.#post(id, c) }, forwardTo: (id, c, blobs) => this.#post(id, c, { blobs }) }); // R186 forwardTo; R141-R142, R147-R149, R161-R162, R170 (channels/wrapped.ts)
  readonly #life: ChatLifecycle;
  readonly polls: Polls; // R87 (polls/polls.ts); each poll's tally is its TimelineItem.poll
  readonly threads: ThreadMarks; // R89: how far this device has shown each thread (`thread.unread`)
  readonly bots: ReturnType<typeof lazyBots>; // R90-R93 (bots/bots.ts, loaded on first use): owning bots, inline buttons
  readonly #receipts: ReceiptSender;
  readonly #views: ChatViews;
  readonly #enc: ChatEncryption | undefined;
  readonly #k: KeyParts; // key packages, key logs, R34's removal hold, the MLS codec (e2ee/key-parts.ts)
  readonly #files: Files; // downloads, the media view, storage use (files/files.ts)
  readonly #uploads: Uploads; // messages with files still uploading (files/uploads.ts)
  #wrappedUploads: Promise<WrappedUploads> | undefined; // R162: wrapped posts with files, in the same upload outbox (loaded with the first)
  #wrappedLoaded: WrappedUploads | undefined;
  #stopped = false;
  #changeScheduled = false;
  readonly #events: ServerEvents; // what the connection brings: sessions, states, events, new log entries
  /** This device's MLS identity and key packages; undefined when `mls.enabled` is false. */
  readonly keyPackages: KeyPackageKeeper | undefined;
  /** The per-user device-key logs (R19-R22): safety numbers, and the check of every MLS member's key. */
  readonly keys: KeyDirectory;

  constructor(options: ClientOptions) {
    super(options);
    this.#o = options;
    const tokens = this.tokens;
    const changed = (chatId?: string) => this.#changed(chatId);
    const backgroundError = (error: BackgroundError) => this.#backgroundError(error);
    this.#sync = new LogSync({
      pageSize: options.pageSize ?? 100,
      history: (chatId, q) => this.#history(chatId, q),
      hasChat: (chatId) => this.#chats.has(chatId), stopped: () => this.#stopped,
      knowChat: (chatId) => this.#fetchChat(chatId),
      findStart: async (chatId, targetSeq) => this.#enc?.findStart(chatId, targetSeq),
      keep: (messages) => this.#keep(messages),
      onAppended: (chatId, fresh, lastSeq) => this.#events.appended(chatId, fresh, lastSeq),
      onPrepended: changed,
    });
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!WebSocketImpl) throw new Error('no WebSocket implementation: pass options.WebSocket (e.g. from the "ws" package)');
    this.#conn = new Connection({
      baseUrl: options.baseUrl, WebSocket: WebSocketImpl, getToken: (fresh) => tokens.get(fresh),
      onAuthenticated: (frame) => this.#events.authenticated(frame), onEvent: (frame) => this.#events.frame(frame), onState: (state) => this.#events.state(state),
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
      backgroundError,
    });
    this.#k = parts;
    this.keyPackages = parts.keyPackages;
    this.keys = parts.keys;
    this.#codec = options.codec ?? parts.mls ?? new PlaintextCodec();
    const core: ClientCore = {
      options, api: this, rest: this.rest, token: (fresh) => tokens.get(fresh), conn: this.#conn, stopped: () => this.#stopped, sync: this.#sync, chats: this.#chats, keys: parts,
      views: () => this.#views, timeline: (chatId) => this.timeline(chatId), history: (chatId, q) => this.#history(chatId, q), adopt: (c, catchUp) => this.#adopt(c, catchUp),
      post: (chatId, content, opts) => this.#post(chatId, content, opts), emit: (event, ...args) => this.emit(event, ...args), changed, backgroundError,
    };
    const send = sendParts(core, { codec: this.#codec, drafts: () => this.#drafts, openDirect: (userId) => this.openDirect(userId) });
    ({ acceptance: this.#acceptance, outbox: this.#outbox, enc: this.#enc } = send);
    this.#files = new Files({ baseUrl: options.baseUrl, token: core.token, rest: this.rest, timeline: core.timeline });
    this.#uploads = new Uploads({
      store: options.store, endpoint: this.#files.endpoint, token: core.token,
      ...(options.files?.chunkBytes !== undefined ? { chunkBytes: options.files.chunkBytes } : {}),
      ...(options.files?.tusRetryDelays !== undefined ? { retryDelays: options.files.tusRetryDelays } : {}),
      ...(options.files?.tusChunkBytes !== undefined ? { chunkSize: options.files.tusChunkBytes } : {}),
      complete: async (upload, attachments) => (upload.wrapped ? (await this.#wrapped()).uploaded(upload, attachments) : this.#write.uploadComplete(upload, attachments)),
      inOutbox: (clientMsgId) => this.#outbox.items().some((o) => o.clientMsgId === clientMsgId),
      changed, emit: (uploads) => { this.#wrappedLoaded?.settle(uploads); this.emit('uploads', uploads); },
    });
    const enc = this.#enc;
    this.#drafts = new Drafts({
      store: options.store,
      // Only end-to-end encrypted: a draft never reaches the server in the clear.
      ...(enc ? { share: (content: Extract<Content, { kind: 'draft' }>) => enc.shareDraft(content) } : {}),
      onChange: changed,
    });
    this.#receipts = new ReceiptSender({
      userId: this.userId, chat: (chatId) => this.#chats.get(chatId), logs: () => this.#sync.entries(),
      notify: (frame) => this.#conn.notify(frame), putChat: (chat) => this.#o.store.putChat(chat), changed,
    });
    this.threads = new ThreadMarks({ getMeta: (k) => this.#o.store.getMeta(k), setMeta: (k, v) => this.#o.store.setMeta(k, v), changed });
    this.#views = new ChatViews({
      userId: this.userId, chats: this.#chats, sync: this.#sync, outbox: this.#outbox, typing: this.#typing, enc: () => this.#enc, uploads: () => this.#uploads,
      threadSeen: (chatId, rootId) => this.threads.seen(chatId, rootId), rightsWaitMs: options.communities?.rightsConfirmWaitMs,
    });
    this.#write = new ChatWriter({
      userId: this.userId, chat: (chatId) => this.#chats.get(chatId), timeline: core.timeline, mayPin: (chatId) => this.mayPin(chatId),
      maxChannelPins: () => (this.#maxPins ??= this.serverInfo().then((i) => i.limits.channelMaxPins, () => { this.#maxPins = undefined; return undefined; })),
      typing: this.#typing, drafts: this.#drafts, outbox: this.#outbox, uploads: () => this.#uploads,
      commentDeleted: (communityId, root, id) => this.wrappedChannels.commentDeleted(communityId, root, id), // R177
    });
    this.#life = new ChatLifecycle({
      rest: this.rest, e2ee: this.#k.mls !== undefined, chat: (id) => this.#chats.get(id), show: (c) => { this.#chats.set(c.chatId, c); this.#changed(c.chatId); },
      adopt: core.adopt, post: core.post, forget: (id) => this.#forget(id), leave: (id) => this.removeMember(id, this.userId),
    });
    const f = featureParts(core, { ...send, uploads: this.#uploads, publishWrappedInfo: (id, info) => this.wrappedChannels.publishInfo(id, info) });
    ({ communities: this.communities, channels: this.channels, calls: this.calls, polls: this.polls, bots: this.bots } = f);
    this.#events = new ServerEvents(core, {
      ...send, ...f, uploads: this.#uploads, typing: this.#typing, requests: this.#requests, receipts: this.#receipts,
      wrappedNotice: (frame) => this.wrappedChannels.notice(frame), forget: (chatId) => this.#forget(chatId), catchUp: (chatId) => this.#catchUp(chatId),
    });
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
    await this.#k.ownLog.load();
    this.#conn.start();
    this.#changed();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#uploads.stop();
    this.#drafts.stop();
    this.#enc?.stop();
    this.#k.ownLog.stop();
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
  /** R176: an outbox item that failed (`failedCode`) tries again, or (`discardMessage`) is dropped unsent; false when no such failed item. */
  retryMessage(chatId: string, clientMsgId: string): Promise<boolean> { return this.#outbox.retryFailed(chatId, clientMsgId); }
  discardMessage(chatId: string, clientMsgId: string): Promise<boolean> { return this.#outbox.discardFailed(chatId, clientMsgId); }
  hasOlder(chatId: string): boolean { return this.#sync.hasOlder(chatId); }
  loadOlder(chatId: string): Promise<void> { return this.#sync.loadOlder(chatId); }

  /** The devices in this device's view of the chat's encryption group (empty without MLS). */
  async encryptionMembers(chatId: string): Promise<{ userId: string; deviceId: string }[]> { return this.#k.mls ? this.#k.mls.members(chatId) : []; }

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
   * `forwarded`: a public channel's post this device forwards (R202: `{channel: {name}, sentAt}`).
   */
  sendText(chatId: string, text: string, opts: { replyTo?: string; entities?: readonly MessageEntity[]; preview?: LinkPreview; noForwardName?: boolean; thread?: string; threadQuote?: string; forwarded?: Forwarded } = {}): Promise<string> {
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
  sendFiles(chatId: string, files: FileToSend[], opts: { text?: string; entities?: MessageEntity[]; replyTo?: string; thread?: string; noForwardName?: boolean; forwarded?: Forwarded; replyMarkup?: ReplyMarkup; replyKeyboard?: ReplyKeyboard; forceReply?: ForceReply } = {}): Promise<string> { return this.#write.sendFiles(chatId, files, opts); }
  /** This device's uploads in progress; the 'uploads' event tells each change. */
  uploads(): UploadProgress[] { return this.#uploads.list(); }
  pauseUpload(clientMsgId: string): void { this.#uploads.pause(clientMsgId); }
  resumeUpload(clientMsgId: string): void { this.#uploads.resume(clientMsgId); }
  /** Stops the upload, deletes it on the server and drops the message. */
  cancelUpload(clientMsgId: string): Promise<void> { return this.#uploads.cancel(clientMsgId); }
  /** R162: this device's wrapped posts with files not posted yet (uploading, waiting, failed: `resumeUpload` tries again, `cancelUpload` drops it), oldest first; 'uploads' tells each change. */
  wrappedPending(communityId: string): WrappedPending[] {
    return this.#uploads.pending(wrappedUploadChat(communityId)).map(({ upload, progress }) => ({ clientMsgId: upload.clientMsgId, text: upload.text, files: upload.files.map((f) => f.attachment.name), progress }));
  }
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
    this.#k.ownLog.schedule(0); // its revoke entry settles a new_device_key alert for it (R31)
  }
  /** What this device found in its own user's key log (R31) or in comparing chats' key-log heads (R33), not dismissed yet, oldest first. */
  keyLogAlerts(): readonly KeyLogAlert[] { return this.#k.ownLog.alerts(); }
  /** The person saw the alert: it is not listed or raised again. */
  dismissKeyLogAlert(id: string): Promise<void> { return this.#k.ownLog.dismiss(id); }
  /** Reviews this user's key log now (R31) instead of at the next trigger; resolves with the alerts it raised. */
  checkOwnKeyLog(): Promise<KeyLogAlert[]> { return this.#k.ownLog.check(); }

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

  /** R162: channels/wrapped-files.ts, loaded when a wrapped post with files is queued or one kept from a previous run completes (not on the chat screen). */
  #wrapped(): Promise<WrappedUploads> {
    this.#wrappedUploads ??= import('./channels/wrapped-files.ts').then((m) => (this.#wrappedLoaded = new m.WrappedUploads({
      uploads: () => this.#uploads, post: (upload, text, attachments) => this.wrappedChannels.postUploaded(upload, text, attachments),
    })));
    return this.#wrappedUploads;
  }

  /** One page of a chat's log; one refused as `rate_limited` is asked again after the wait it names (R40). */
  async #history(chatId: string, q: { afterSeq?: number; beforeSeq?: number; limit: number }): Promise<ServerFrameOf<'history'>> {
    return untilNotRateLimited(() => this.#conn.request<ServerFrameOf<'history'>>({ type: 'history', rid: this.#conn.newRid(), chatId, ...q }), () => this.#stopped);
  }

  /** Whether this connection has read the whole chat list from the server (R40: it comes in pages after sign-in). */
  get chatListComplete(): boolean { return this.#events.chatList.complete; }

  #backgroundError(error: BackgroundError): void {
    console.warn(`parley: ${error.task} failed (retried later):`, error.error);
    this.emit('error', error);
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
    await this.#k.mls?.forget(chatId);
    this.#k.hold.forget(chatId);
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
