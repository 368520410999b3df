import type { WebSocket } from 'ws';
import {
  CLOSE_CODES, ClientFrame, PROTOCOL_VERSION, ParleyError, assertNever,
  type ErrorBody, type ServerFrame,
} from '@parley/protocol';
import { channelTopic, chatTopic, userTopic, wrappedTopic, type BusEvent } from '../bus/bus.ts';
import type { AuthContext } from '../domain/accounts.ts';
import type { Services } from '../services.ts';
import type { ServerMetrics } from '../metrics.ts';
import type { Hub, HubMember } from './hub.ts';
import { historyFrame } from './history-frame.ts';
import type { ReadGate } from './read-gate.ts';

/** R40: history and chat list reads one connection may have being answered at once. */
export const MAX_READS_IN_FLIGHT = 4;
/** How often a read waiting for room in the send buffer looks again. */
const ROOM_POLL_MS = 20;

export interface SessionOptions {
  maxFrameBytes: number;
  bufferBytes: number;
  authTimeoutMs: number;
  /**
   * Frames per second one connection may send (burst 10x) before the server stops reading it until
   * the budget has refilled; 0: no limit. Bounds what any frame, a ping or one refused as invalid,
   * costs the node: the frames wait in TCP, at the sender.
   */
  framesPerSec: number;
  /** Gateway-level: see Gateway. */
  pingIntervalMs: number;
  /**
   * R137: this long after the last `members` frame of a large group (a burst of joins and leaves), the
   * connection sends the group's digest once more in a `members` frame that changes nothing, so a
   * device that missed the burst's last frame notices without waiting for the next change. 0: never.
   */
  membersSettleMs?: number;
  onError: (err: unknown, context: Record<string, unknown>) => void;
  metrics?: ServerMetrics;
}

/**
 * One WebSocket connection: the auth handshake, then request/response frames and pushed events.
 * A connection that stops reading is closed once `bufferBytes` are queued (slow consumer); the
 * client reconnects and resyncs from its last seq, so nothing is lost (R9).
 */
export class Session implements HubMember {
  #auth: AuthContext | undefined;
  #authTimer: NodeJS.Timeout | undefined;
  #topics = new Set<string>();
  #closed = false;
  /** The connection's frame budget (`framesPerSec`): tokens left, and when they were counted. */
  #frameTokens: number;
  #frameAt = performance.now();
  /** Reads (history, chat list pages) being answered; at MAX_READS_IN_FLIGHT the socket is not read. */
  #reads = 0;
  /** Reads waiting for one of those places, oldest first; each is handed a place (true) or dropped at close (false). */
  #waiting: Array<(go: boolean) => void> = [];
  #throttledUntil = 0;
  /** R137: per large group, the digest to repeat once its joins and leaves have been quiet for membersSettleMs. */
  readonly #settle = new Map<string, NodeJS.Timeout>();
  /** R145: events heard while the sign-in reads the chat list, sent once `auth_ok` has gone. */
  #early: Array<() => void> | undefined;
  /** Heard from the peer (pong or any frame) since the last ping. */
  alive = true;

  constructor(
    private readonly ws: WebSocket,
    private readonly services: Services,
    private readonly hub: Hub,
    private readonly opts: SessionOptions,
    /** The node's share-out of reads between connections (one for all, from the gateway). */
    private readonly readGate: ReadGate,
  ) {
    this.#frameTokens = opts.framesPerSec * 10;
    this.#authTimer = setTimeout(() => this.close(CLOSE_CODES.auth_timeout, 'auth timeout'), opts.authTimeoutMs);
    ws.on('message', (data, isBinary) => {
      this.alive = true;
      this.#onRaw(data as Buffer, isBinary);
    });
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.#cleanup());
    ws.on('error', () => this.#cleanup());
  }

  get userId(): string {
    return this.#auth?.userId ?? '';
  }

  get deviceId(): string {
    return this.#auth?.deviceId ?? '';
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.opts.metrics?.disconnects.inc({ reason });
    // A connection held over its frame budget must still read the peer's answer to the close.
    if (this.ws.isPaused) this.ws.resume();
    this.ws.close(code, reason);
    this.#cleanup();
    // A peer that never answers the close handshake must not hold the socket.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  /** Called by the gateway each ping period: drops a peer that stayed silent a whole period. */
  heartbeat(): void {
    if (this.#closed) return;
    if (!this.alive) {
      this.opts.metrics?.disconnects.inc({ reason: 'no pong' });
      this.ws.terminate();
      this.#cleanup();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  deliver(event: BusEvent, topic: string, frame: () => string): void {
    const auth = this.#auth;
    if (!auth || this.#closed) return;
    if (this.#early) {
      this.#early.push(() => this.deliver(event, topic, frame));
      return;
    }
    switch (event.type) {
      case 'message':
      case 'receipt':
      case 'channel_post':
      case 'wrapped_post':
      case 'wrapped_votes':
        this.#sendRaw(frame());
        return;
      case 'typing':
        if (event.userId !== auth.userId) this.#sendRaw(frame());
        return;
      case 'chat_changed':
        void this.#refreshChat(event.chatId);
        return;
      case 'members_changed':
        void this.#sendMembers(event);
        this.#settleMembers(event);
        return;
      case 'chat_removed':
        if (event.userId === auth.userId) {
          this.#leave(chatTopic(event.chatId));
          this.#send({ type: 'chat_removed', chatId: event.chatId });
        }
        return;
      case 'device_revoked':
        if (event.deviceId === auth.deviceId) this.close(CLOSE_CODES.revoked, 'device revoked');
        return;
      case 'device_link_request':
        this.#send({ type: 'device_link_request', link: event.link });
        return;
      case 'device_link_closed':
        this.#send({ type: 'device_link_closed', linkId: event.linkId, status: event.status });
        return;
      case 'device_added':
        // The login alert is for the account's other devices; the new one knows it was added.
        if (event.device.deviceId !== auth.deviceId) this.#send({ type: 'device_added', device: event.device });
        return;
      case 'rejoin_requested':
        if (event.deviceId !== auth.deviceId) this.#send({ type: 'rejoin_requested', chatId: event.chatId, userId: event.userId, deviceId: event.deviceId });
        return;
      case 'chat_request':
        this.#send({ type: 'chat_request', request: event.request });
        return;
      case 'chat_request_closed':
        this.#send({ type: 'chat_request_closed', requestId: event.requestId });
        return;
      case 'community_changed':
        this.#send({ type: 'community_changed', communityId: event.communityId });
        return;
      case 'community_removed':
        if (event.userId !== auth.userId) return;
        this.#leave(wrappedTopic(event.communityId));
        this.#send({ type: 'community_removed', communityId: event.communityId });
        return;
      case 'wrapped_joined':
        this.#join(wrappedTopic(event.communityId));
        this.#send({ type: 'community_changed', communityId: event.communityId });
        return;
      case 'wrapped_keys':
        this.#send({ type: 'wrapped_keys', communityId: event.communityId, epoch: event.epoch });
        return;
      case 'wraps_needed':
        this.#send({ type: 'wraps_needed', communityId: event.communityId });
        return;
      case 'community_report':
        this.#send({ type: 'community_report', communityId: event.communityId, reportId: event.reportId });
        return;
      case 'channel_admin':
        this.#send({ type: 'channel_admin', channelId: event.channelId });
        return;
      case 'channel_subscription':
        if (event.subscribed) this.#join(channelTopic(event.channelId));
        else this.#leave(channelTopic(event.channelId));
        return;
      case 'community_join_request':
        this.#send({ type: 'community_join_request', communityId: event.communityId, requestId: event.requestId, status: event.status });
        return;
      case 'upload_release':
        // Between upload locks (blob-store/upload-locker.ts); never on a session's topics.
        return;
      default:
        assertNever(event, `bus event on ${topic}`);
    }
  }

  #onRaw(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    this.#meter();
    if (isBinary) return this.#error(undefined, new ParleyError('invalid_frame', 'frames are JSON text'));
    if (data.length > this.opts.maxFrameBytes) {
      // Not parsed (that is what the limit spares), but its rid is answered so the sender's request ends.
      const rid = /"rid"\s*:\s*"([^"\\]{1,64})"/.exec(data.subarray(0, 256).toString('utf8'))?.[1];
      return this.#error(rid, new ParleyError('payload_too_large', `a frame is at most ${this.opts.maxFrameBytes} bytes`));
    }
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch {
      return this.#error(undefined, new ParleyError('invalid_frame', 'frame is not JSON'));
    }
    const parsed = ClientFrame.safeParse(json);
    if (!parsed.success) {
      // Echoed as a reply's rid may be (1-64 chars, ServerFrame): a longer one cut, an empty one left out.
      const raw = typeof json === 'object' && json !== null ? (json as { rid?: unknown }).rid : undefined;
      const rid = typeof raw === 'string' && raw.length > 0 ? raw.slice(0, 64) : undefined;
      const type = (json as { type?: unknown } | null)?.type;
      const known = ClientFrame.options.some((o) => o.shape.type.value === type);
      const issue = parsed.error.issues[0];
      return this.#error(rid, new ParleyError(known ? 'invalid_frame' : 'unknown_type',
        known ? `invalid ${String(type)} frame: ${issue?.path.join('.')} ${issue?.message}` : 'unknown frame type'));
    }
    void this.#handle(parsed.data).catch((err: unknown) => {
      const rid = 'rid' in parsed.data ? parsed.data.rid : undefined;
      this.#error(rid, err);
    });
  }

  /**
   * Counts a frame against the connection's budget. Over it, the server reads nothing more from the
   * socket until the budget is back above zero: TCP's flow control holds the sender, nothing is
   * dropped, and a flood of cheap frames (pings, junk) costs the node at most `framesPerSec`.
   */
  #meter(): void {
    const perSec = this.opts.framesPerSec;
    if (perSec <= 0) return;
    const now = performance.now();
    this.#frameTokens = Math.min(perSec * 10, this.#frameTokens + ((now - this.#frameAt) / 1000) * perSec) - 1;
    this.#frameAt = now;
    if (this.#frameTokens >= 0 || this.ws.isPaused) return;
    this.ws.pause();
    this.opts.metrics?.throttled.inc();
    const waitMs = Math.ceil((1 - this.#frameTokens) / perSec * 1000);
    this.#throttledUntil = now + waitMs;
    setTimeout(() => this.#maybeResume(), waitMs).unref();
  }

  /** Reads the socket again once neither the frame budget nor the reads in flight hold it. */
  #maybeResume(): void {
    if (this.#closed || !this.ws.isPaused) return;
    if (this.#reads >= MAX_READS_IN_FLIGHT || this.#waiting.length > 0 || performance.now() < this.#throttledUntil) return;
    this.ws.resume();
  }

  /**
   * R40: a read's page is held in memory until it is sent; a connection gets MAX_READS_IN_FLIGHT at
   * once, and the node reads no more of its frames until one is answered (TCP holds the rest).
   * Pausing the socket is not enough by itself: ws still emits every frame of the chunk it has already
   * read (64 KiB, hundreds of small history frames), and each would start its own read at once, all
   * holding their rows together. So a read over the limit waits here, as its small parsed frame, for
   * a place; it resolves undefined if the connection closes first.
   */
  async #read<T>(answer: () => Promise<T>): Promise<T | undefined> {
    if (this.#reads >= MAX_READS_IN_FLIGHT || this.#waiting.length > 0) {
      this.ws.pause();
      if (!(await new Promise<boolean>((go) => this.#waiting.push(go)))) return undefined;
    } else if (++this.#reads >= MAX_READS_IN_FLIGHT) this.ws.pause();
    let started = false;
    try {
      // A page is made only when the socket has room for one (pages are at most half the buffer): on
      // a slow link the pages of the reads in flight would otherwise queue up past the buffer and the
      // connection be closed as a slow consumer, however small each page is.
      if (!(await this.#roomForPage())) return undefined;
      // Then its turn among the node's other connections' reads (ReadGate).
      if (!(await this.readGate.acquire(this))) return undefined;
      started = true;
      return await answer();
    } finally {
      if (started) this.readGate.release();
      // The place passes to the oldest waiting read, if any; else it is freed.
      const next = this.#closed ? undefined : this.#waiting.shift();
      if (next) next(true);
      else {
        this.#reads--;
        this.#maybeResume();
      }
    }
  }

  /** Waits (polling: ws has no drain event) until at most half the send buffer is queued; false if the connection closed meanwhile. */
  async #roomForPage(): Promise<boolean> {
    while (!this.#closed && this.ws.bufferedAmount > this.opts.bufferBytes / 2) await new Promise((r) => setTimeout(r, ROOM_POLL_MS));
    return !this.#closed;
  }

  async #handle(frame: ClientFrame): Promise<void> {
    const auth = this.#auth;
    if (frame.type === 'auth') return this.#authenticate(frame.v, frame.token);
    if (!auth) throw new ParleyError('auth_required', 'send auth first');
    const { delivery } = this.services;
    switch (frame.type) {
      case 'send': {
        const started = performance.now();
        const { message, duplicate } = await delivery.send(auth, frame);
        this.opts.metrics?.commitSeconds.observe((performance.now() - started) / 1000);
        this.#send({ type: 'ack', rid: frame.rid, chatId: frame.chatId, clientMsgId: frame.clientMsgId, seq: message.seq, sentAt: message.sentAt, duplicate });
        return;
      }
      case 'commit': {
        const { message, duplicate } = await this.services.mls.commit(auth, frame);
        this.#send({ type: 'ack', rid: frame.rid, chatId: frame.chatId, clientMsgId: frame.clientMsgId, seq: message.seq, sentAt: message.sentAt, duplicate });
        return;
      }
      case 'history': {
        // Over its rate, refused at once: the bucket is checked before the read waits for a place.
        await delivery.admitHistory(auth, frame);
        const page = await this.#read(() => delivery.readHistory(frame));
        if (!page) return;
        this.#sendRaw(historyFrame(frame.rid, frame.chatId, page), frame.rid);
        return;
      }
      case 'chats': {
        const page = await this.#read(() => this.services.chats.readPage(auth, frame));
        if (!page) return;
        const { chats, next } = page;
        this.#send({ type: 'chats', rid: frame.rid, chats, ...(next ? { next } : {}) });
        return;
      }
      case 'receipt':
        return delivery.receipt(auth, frame);
      case 'typing':
        return delivery.typing(auth, frame.chatId);
      case 'ping':
        this.#send({ type: 'pong', rid: frame.rid, serverTime: Date.now() });
        return;
      default:
        assertNever(frame, 'client frame');
    }
  }

  async #authenticate(v: number, token: string): Promise<void> {
    if (this.#auth) throw new ParleyError('bad_request', 'already authenticated');
    if (v !== PROTOCOL_VERSION) {
      this.#error(undefined, new ParleyError('unsupported_version', `this server speaks protocol ${PROTOCOL_VERSION}`));
      return this.close(CLOSE_CODES.auth_failed, 'unsupported version');
    }
    let auth: AuthContext;
    try {
      auth = await this.services.accounts.authenticate(token);
    } catch (err) {
      this.#error(undefined, err);
      return this.close(CLOSE_CODES.auth_failed, 'auth failed');
    }
    if (this.#closed) return;
    clearTimeout(this.#authTimer);
    for (const timer of this.#settle.values()) clearTimeout(timer);
    this.#settle.clear();
    this.#auth = auth;
    this.hub.online(this);
    // R145: what is heard from here on goes out after auth_ok, whose list may be read before or after
    // it was committed: a client hears of it whichever way, and signed in, so it can read the gap.
    this.#early = [];
    try {
      // Subscribe before reading the chat list, so nothing committed in between is missed.
      this.#join(userTopic(auth.userId));
      // Every chat's events, but only the first page of the list (R40): a frame holding all of a
      // person's chats could outgrow the send buffer, and one who is in thousands could never sign in.
      for (const chatId of await this.services.chats.ids(auth.userId)) this.#join(chatTopic(chatId));
      // R97: the notices of the user's channels (a notice names the channel and seq; the client reads the log).
      for (const channelId of await this.services.channels.subscribedIds(auth.userId)) this.#join(channelTopic(channelId));
      // R148: the notices of the wrapped channels the user is a member of.
      const wrapped = await this.services.channelWraps.memberOf(auth.userId);
      for (const communityId of wrapped) this.#join(wrappedTopic(communityId));
      const { chats, next } = await this.services.chats.page(auth, {});
      this.#send({ type: 'auth_ok', userId: auth.userId, deviceId: auth.deviceId, chats, ...(next ? { chatsNext: next } : {}), serverTime: Date.now() });
      // R149: an admin's device that comes online hears of the subscriber devices still waiting for a wrap.
      for (const communityId of await this.services.channelWraps.needingWraps(auth.userId, wrapped)) this.#send({ type: 'wraps_needed', communityId });
    } finally {
      const early = this.#early;
      this.#early = undefined;
      for (const send of early) send();
    }
  }

  /** The node may have missed bus events: hear every chat again and tell the client to re-read the list (R40). */
  resync(): void {
    const auth = this.#auth;
    if (!auth || this.#closed) return;
    void Promise.all([this.services.chats.ids(auth.userId), this.services.channels.subscribedIds(auth.userId), this.services.channelWraps.memberOf(auth.userId)]).then(([ids, channelIds, wrapped]) => {
      for (const chatId of ids) this.#join(chatTopic(chatId));
      for (const channelId of channelIds) this.#join(channelTopic(channelId));
      for (const communityId of wrapped) this.#join(wrappedTopic(communityId));
      this.#send({ type: 'resync' });
    }).catch((err: unknown) => this.opts.onError(err, { userId: auth.userId, during: 'resync' }));
  }

  async #refreshChat(chatId: string): Promise<void> {
    const auth = this.#auth;
    if (!auth) return;
    try {
      const chat = await this.services.chats.get(auth, chatId);
      this.#join(chatTopic(chatId));
      this.#send({ type: 'chat', chat });
    } catch (err) {
      if (err instanceof ParleyError && err.code === 'not_member') return;
      this.opts.onError(err, { chatId, userId: auth.userId });
    }
  }

  /** R117: who joined or left a large group, as this user sees them; the one who joined reads the whole chat (user topic). */
  async #sendMembers(event: Extract<BusEvent, { type: 'members_changed' }>): Promise<void> {
    const auth = this.#auth;
    if (!auth || event.added.includes(auth.userId) || event.removed.includes(auth.userId)) return;
    try {
      const added = await this.services.chats.membersFor(auth.userId, event.chatId, event.added);
      this.#send({ type: 'members', chatId: event.chatId, added, removed: event.removed, lastSeq: event.lastSeq, digest: event.digest });
    } catch (err) {
      this.opts.onError(err, { chatId: event.chatId, userId: auth.userId });
    }
  }

  /** R137: the digest of the members after the burst's last change, again, once the burst is over. */
  #settleMembers(event: Extract<BusEvent, { type: 'members_changed' }>): void {
    const auth = this.#auth;
    const ms = this.opts.membersSettleMs ?? 0;
    if (!auth || ms <= 0) return;
    clearTimeout(this.#settle.get(event.chatId));
    if (event.added.includes(auth.userId) || event.removed.includes(auth.userId)) {
      this.#settle.delete(event.chatId); // it read the whole chat, or left it
      return;
    }
    const timer = setTimeout(() => {
      this.#settle.delete(event.chatId);
      if (this.#topics.has(chatTopic(event.chatId))) this.#send({ type: 'members', chatId: event.chatId, added: [], removed: [], lastSeq: event.lastSeq, digest: event.digest });
    }, ms);
    timer.unref();
    this.#settle.set(event.chatId, timer);
  }

  #join(topic: string): void {
    if (this.#closed || this.#topics.has(topic)) return;
    this.#topics.add(topic);
    this.hub.join(this, topic);
  }

  #leave(topic: string): void {
    if (!this.#topics.delete(topic)) return;
    this.hub.leave(this, topic);
  }

  /**
   * A frame of this connection's own (a reply, a history page) goes as bytes: the socket holds them
   * outside V8's heap until written, once, where a string would be held in the heap and copied again
   * when written (and measured once more by ws). Events fanned out by the hub stay one shared string.
   */
  #send(frame: ServerFrame): void {
    this.#sendRaw(Buffer.from(JSON.stringify(frame)), 'rid' in frame ? frame.rid : undefined);
  }

  /**
   * R40: a frame that could not fit the send buffer even were it empty is not sent, and the
   * connection not closed (closing made the client reconnect and ask for the same frame, forever):
   * the client gets `frame_too_large` instead, with the request's `rid` when it was a reply, and
   * the operator a log line. Every frame the server makes is meant to fit (paging, the start-up
   * check); this is the guard for what that reasoning missed.
   */
  #sendRaw(data: string | Buffer, rid?: string): void {
    if (this.#closed || this.ws.readyState !== this.ws.OPEN) return;
    if (data.length > this.opts.bufferBytes) {
      this.opts.onError(new Error('a frame larger than the connection\'s send buffer was not sent (R40)'), {
        userId: this.#auth?.userId, bytes: data.length, bufferBytes: this.opts.bufferBytes, frame: (typeof data === 'string' ? data.slice(0, 40) : data.subarray(0, 40).toString()),
      });
      this.opts.metrics?.errors.inc({ code: 'frame_too_large' });
      const body: ServerFrame = { type: 'error', ...(rid === undefined ? {} : { rid }), code: 'frame_too_large', message: 'the server could not send this: it is larger than a connection may hold' };
      data = Buffer.from(JSON.stringify(body));
    }
    if (this.ws.bufferedAmount + data.length > this.opts.bufferBytes) {
      this.close(CLOSE_CODES.slow_consumer, 'slow consumer');
      return;
    }
    // A text frame either way: every frame is JSON text.
    this.ws.send(data, { binary: false });
  }

  #error(rid: string | undefined, err: unknown): void {
    let body: ErrorBody;
    if (err instanceof ParleyError) body = err.toBody();
    else {
      this.opts.onError(err, { userId: this.#auth?.userId });
      body = { code: 'internal', message: 'internal error' };
    }
    this.opts.metrics?.errors.inc({ code: body.code });
    this.#send(rid === undefined ? { type: 'error', ...body } : { type: 'error', rid, ...body });
  }

  #cleanup(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#authTimer);
    for (const topic of this.#topics) this.hub.leave(this, topic);
    this.#topics.clear();
    for (const go of this.#waiting.splice(0)) go(false);
    this.readGate.drop(this);
    if (this.#auth) this.hub.offline(this);
  }
}
