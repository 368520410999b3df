import type { CallContent, GroupCallRoom } from '@parley/protocol';
import { CALL_RECONNECT_MS, ParleyError } from '@parley/protocol';
import { randomId } from '../encoding.ts';
import type { CallPeer, PeerFactory } from './calls.ts';
import { CallKeyFeed, type CallKeySource, type FrameCryptoFactory } from './call-keys.ts';
import { FanoutSink } from './group-call-keys.ts';
import { CallSecret, seatTag } from './call-secret.ts';
import { GroupRestarts } from './group-call-restart.ts';
import { JanusSession, type JanusHandle, type Jsep } from './janus-session.ts';
import type { GroupCallDeps, GroupCallOptions, GroupCallView } from './group-call-types.ts';
import { missingMids, presenting, publisherStreams, SCREEN_DESCRIPTION, type PublisherStream } from './group-call-screen.ts';

const VIDEOROOM = 'janus.plugin.videoroom';
/** Tries at subscribing to a publisher before giving up on it (until it publishes again). */
const SUBSCRIBE_ATTEMPTS = 4;

export type { GroupCallDeps, GroupCallOptions, GroupCallState, GroupCallView, GroupParticipant, GroupStream } from './group-call-types.ts';

/**
 * R62: this device in its group chat's call on Janus's VideoRoom (Janus 1.x, multistream): a
 * session with the Parley-issued token (renewed before it expires), a publisher handle that joins
 * at the publisher id the server chose and publishes the prepared tracks, and one subscriber handle
 * whose single peer connection carries every other publisher's streams (added and removed as they
 * come and go, by renegotiation). Other participants are known by publisher id.
 */
export class GroupCall {
  readonly view: GroupCallView;
  readonly #d: GroupCallDeps;
  readonly #opts: GroupCallOptions;
  readonly #session: JanusSession;
  readonly #pub: JanusHandle;
  #grant: GroupCallRoom;
  #privateId = 0;
  #sub: JanusHandle | undefined;
  /** Feeds the subscriber peer carries. */
  readonly #subscribed = new Set<number>();
  /** Subscriber changes run one at a time (each is a renegotiation). */
  #queue: Promise<void> = Promise.resolve();
  #refresh: ReturnType<typeof setTimeout> | undefined;
  /** R63: this join's id in the chat's log (its join and leave entries share it). */
  readonly #joinId = randomId(12);
  /** R76: the chat's epoch keys, to every peer's frame crypto sink. */
  #fanout: FanoutSink | undefined;
  #keys: CallKeyFeed | undefined;
  /** R120: the per-call secret the frame keys need besides the chat's exporter. */
  #secret: CallSecret | undefined;
  /** R119: ICE restarts of the publisher and subscriber peers, and their candidates' gates. */
  readonly #restarts: GroupRestarts;
  /** R133: each other publisher's streams as Janus last listed them. */
  readonly #published = new Map<number, PublisherStream[]>();

  private constructor(deps: GroupCallDeps, opts: GroupCallOptions, grant: GroupCallRoom, session: JanusSession, pub: JanusHandle) {
    this.#d = deps;
    this.#opts = opts;
    this.#grant = grant;
    this.#session = session;
    this.#pub = pub;
    this.view = { chatId: deps.chatId, room: grant.room, feedId: grant.feedId, state: 'joined', participants: [], streams: [], presenting: [] };
    this.#restarts = new GroupRestarts({
      pub, sub: () => this.#sub, answer: (offer) => this.#answer(offer), reach: () => session.reach(), serial: (step) => this.#serial(step),
      publish: (replacing) => this.#publish(deps.peer!, replacing), canPublish: () => deps.peer !== undefined, joined: () => this.#joined(),
      lost: () => void this.#end('connection_lost'), changed: () => this.#reconnecting(),
      limitMs: deps.reconnectMs ?? CALL_RECONNECT_MS, now: () => Date.now(),
    });
  }

  static async join(deps: GroupCallDeps, opts: GroupCallOptions = {}): Promise<GroupCall> {
    if (opts.frameCrypto && !deps.keys) throw new ParleyError('bad_request', 'no end-to-end keys for call media on this client');
    const grant = await deps.room();
    const session = await JanusSession.create({ url: grant.url, token: grant.token, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
    try {
      const pub = await session.attach(VIDEOROOM);
      const call = new GroupCall(deps, opts, grant, session, pub);
      deps.created?.(call);
      await call.#start();
      return call;
    } catch (err) {
      await session.destroy();
      throw err;
    }
  }

  /** Leaves the room and closes the peers. */
  async leave(): Promise<void> {
    if (this.view.state === 'left') return;
    await this.#pub.send({ request: 'leave' }).catch(() => undefined);
    await this.#end('left');
  }

  async #start(): Promise<void> {
    this.#session.onclose = (reason) => void this.#end(reason);
    this.#pub.on((event) => this.#onRoomEvent(event.data));
    await this.#makeSecret();
    // R135: the seat names this join's key, so a join entry naming this publisher id with another key is not wrapped a secret.
    const display = this.#secret ? { display: await seatTag(this.#secret.pub) } : {};
    const joined = await this.#pub.send({ request: 'join', ptype: 'publisher', room: this.#grant.room, id: this.#grant.feedId, token: this.#grant.token, ...display });
    this.#privateId = Number(joined.data['private_id']);
    for (const a of list(joined.data['attendees'])) this.#upsert(Number(a['id']), false, a['display']);
    this.#onPublishers(list(joined.data['publishers']));
    this.#armRefresh();
    await this.#startKeys();
    if (this.#d.peer) await this.#publish(this.#d.peer);
    const media = this.#opts.media?.video === false ? 'audio' : 'video';
    if (this.view.participants.length === 0) this.view.started = true;
    await this.#d.post?.({
      kind: 'call', callId: this.#joinId, action: 'group_join', media, feedId: this.#grant.feedId,
      ...(this.#secret ? { pub: this.#secret.pub } : {}), ...(this.view.started ? { ring: true as const } : {}),
    });
    this.#secret?.roomChanged();
    this.#changed();
  }

  /** Publishes the prepared tracks on a new peer; `replacing` (R136): since when the peer it replaces had no path. */
  async #publish(factory: PeerFactory, replacing?: number): Promise<void> {
    const peer = this.#newPeer(factory, this.#pub);
    this.view.publisher = peer;
    // Frame crypto first: a sender must get its transform in the same task its track is added.
    await this.#encrypt(peer, 'publisher');
    await this.#opts.prepare?.(peer, 'publisher');
    const offer = await peer.createOffer();
    await peer.setLocalDescription({ type: 'offer', ...(offer.sdp !== undefined ? { sdp: offer.sdp } : {}) });
    const media = this.#opts.media ?? {};
    const mid = this.#opts.screenMid?.(peer);
    const descriptions = typeof mid === 'string' ? { descriptions: [{ mid, description: SCREEN_DESCRIPTION }] } : {};
    const answer = await this.#pub.send({ request: 'publish', audio: media.audio ?? true, video: media.video ?? true, ...descriptions }, { type: 'offer', sdp: offer.sdp ?? '' });
    if (answer.jsep) await peer.setRemoteDescription({ type: 'answer', sdp: answer.jsep.sdp });
    this.#restarts.watch(peer, 'publisher', replacing);
  }

  /**
   * R133: the app added, paused or resumed a track of the publishing peer (a shared screen): a new
   * offer through `configure`; the mid `screenMid` gives once the offer is made (the screen's
   * transceiver's) is labelled for the others.
   */
  republishTracks(screenMid?: () => string | null | undefined): Promise<void> {
    return this.#serial(async () => {
      const peer = this.view.publisher;
      if (!peer || !this.#joined()) return;
      const offer = await peer.createOffer();
      await peer.setLocalDescription({ type: 'offer', ...(offer.sdp !== undefined ? { sdp: offer.sdp } : {}) });
      const mid = screenMid?.();
      const descriptions = typeof mid === 'string' ? [{ mid, description: SCREEN_DESCRIPTION }] : [];
      const answer = await this.#pub.send({ request: 'configure', descriptions }, { type: 'offer', sdp: offer.sdp ?? '' });
      if (answer.jsep) await peer.setRemoteDescription({ type: 'answer', sdp: answer.jsep.sdp });
    });
  }

  /**
   * R123: which simulcast layer Janus forwards to this device of `feedId`'s video (0 the smallest,
   * 2 the full size; Janus 1.x subscriber `configure` with the stream's mid and `substream`).
   * Janus switches at the next key frame of that layer.
   */
  setSubstream(feedId: number, substream: 0 | 1 | 2): Promise<void> {
    return this.#serial(async () => {
      const streams = this.view.streams.filter((s) => s.feedId === feedId && s.kind === 'video' && !s.screen).map((s) => ({ mid: s.mid, substream }));
      if (!this.#sub || streams.length === 0 || !this.#joined()) return;
      await this.#sub.send({ request: 'configure', streams });
    });
  }

  /** Runs `step` in the subscriber's queue (one negotiation with Janus at a time) and says how it went. */
  #serial(step: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => this.#enqueue(() => step().then(resolve, reject)));
  }

  #reconnecting(): void {
    const since = this.#restarts.since;
    if (since === undefined) delete this.view.reconnectingSince;
    else this.view.reconnectingSince = since;
    this.#changed();
  }

  /** R119: this device's connection to the Parley server came back: its network may have changed under the call. */
  online(): void {
    if (this.#joined()) this.#restarts.online();
  }

  #onRoomEvent(data: Record<string, unknown>): void {
    if (data['leaving'] === 'ok' && data['reason'] === 'kicked') {
      void this.#end('kicked');
      return;
    }
    const joining = data['joining'] as Record<string, unknown> | undefined;
    if (joining) {
      this.#upsert(Number(joining['id']), false, joining['display']);
    }
    this.#onPublishers(list(data['publishers']));
    for (const key of ['unpublished', 'leaving', 'kicked'] as const) {
      const id = data[key];
      if (typeof id !== 'number') continue;
      this.#published.delete(id);
      if (key === 'unpublished') this.#upsert(id, false);
      else if (this.view.participants.some((p) => p.feedId === id)) {
        this.view.participants = this.view.participants.filter((p) => p.feedId !== id);
      }
      this.#unsubscribe(id);
    }
    this.view.presenting = presenting(this.#published);
    this.#secret?.roomChanged(); // R120: a leaver had the secret, a newcomer needs one
    this.#changed();
  }

  #onPublishers(publishers: Array<Record<string, unknown>>): void {
    const fresh: number[] = [];
    for (const p of publishers) {
      const id = Number(p['id']);
      if (id === this.#grant.feedId) continue;
      this.#upsert(id, true, p['display']);
      this.#published.set(id, publisherStreams(p));
      if (!this.#subscribed.has(id)) fresh.push(id);
      else this.#subscribeMissing(id);
    }
    this.view.presenting = presenting(this.#published);
    if (fresh.length > 0 && this.#d.peer) this.#subscribe(fresh);
  }

  /** R133: a publisher the subscriber carries added a stream (a shared screen): the subscriber adds it by mid. */
  #subscribeMissing(feed: number): void {
    if (!this.#d.peer) return;
    this.#enqueue(async () => {
      const sub = this.#sub;
      const mids = missingMids(this.#published.get(feed) ?? [], this.view.streams.filter((s) => s.feedId === feed));
      if (!sub || mids.length === 0 || !this.#subscribed.has(feed) || !this.#joined()) return;
      const updated = await sub.send({ request: 'subscribe', streams: mids.map((mid) => ({ feed, mid })) });
      this.#onStreams(updated.data);
      if (updated.jsep) await this.#answer(updated.jsep);
    });
  }

  #upsert(feedId: number, publishing: boolean, display?: unknown): void {
    if (feedId === this.#grant.feedId) return;
    const seat = typeof display === 'string' && display.startsWith('pk1.') ? { seat: display } : {};
    const known = this.view.participants.find((p) => p.feedId === feedId);
    if (known) {
      known.publishing = publishing;
      if (seat.seat) known.seat = seat.seat;
    } else this.view.participants = [...this.view.participants, { feedId, publishing, ...seat }];
  }

  /** Janus 1.x multistream: one subscriber handle, streams added to it as publishers come. */
  #subscribe(feeds: number[], attempt = 1): void {
    if (!this.#d.peer) return;
    this.#enqueue(async () => {
      const wanted = feeds.filter((f) => !this.#subscribed.has(f) && this.view.participants.some((p) => p.feedId === f && p.publishing));
      if (wanted.length === 0 || !this.#joined()) return;
      for (const f of wanted) this.#subscribed.add(f);
      const streams = wanted.map((feed) => ({ feed }));
      try {
        if (!this.#sub) {
          const sub = await this.#session.attach(VIDEOROOM);
          sub.on((event) => {
            this.#onStreams(event.data);
            if (event.jsep?.type === 'offer') this.#enqueue(() => this.#answer(event.jsep!));
          });
          this.#sub = sub;
          try {
            const attached = await sub.send({ request: 'join', ptype: 'subscriber', room: this.#grant.room, private_id: this.#privateId, streams });
            this.#onStreams(attached.data);
            if (attached.jsep) await this.#answer(attached.jsep);
          } catch (err) {
            this.#sub = undefined;
            await sub.detach();
            throw err;
          }
        } else {
          const updated = await this.#sub.send({ request: 'subscribe', streams });
          this.#onStreams(updated.data);
          if (updated.jsep) await this.#answer(updated.jsep);
        }
      } catch {
        // Janus may refuse while it renegotiates, or not answer in time under load: a few more tries.
        for (const f of wanted) this.#subscribed.delete(f);
        if (attempt < SUBSCRIBE_ATTEMPTS && this.#joined()) setTimeout(() => this.#subscribe(wanted, attempt + 1), 500 * attempt);
      }
    });
  }

  #unsubscribe(feedId: number): void {
    if (!this.#subscribed.delete(feedId) || !this.#sub) return;
    const sub = this.#sub;
    this.#enqueue(async () => {
      const updated = await sub.send({ request: 'unsubscribe', streams: [{ feed: feedId }] });
      this.#onStreams(updated.data);
      if (updated.jsep) await this.#answer(updated.jsep);
    });
  }

  /** Janus's list of the subscriber's streams (in `attached` and `updated`): the active ones, by mid. */
  #onStreams(data: Record<string, unknown>): void {
    if (!Array.isArray(data['streams'])) return;
    this.view.streams = list(data['streams']).flatMap((s) => {
      const kind = s['type'];
      if (s['active'] === false || typeof s['mid'] !== 'string' || typeof s['feed_id'] !== 'number' || (kind !== 'audio' && kind !== 'video')) return [];
      const feedMid = typeof s['feed_mid'] === 'string' ? { feedMid: s['feed_mid'] } : {};
      return [{ mid: s['mid'], feedId: s['feed_id'], kind, ...feedMid, ...(s['feed_description'] === SCREEN_DESCRIPTION ? { screen: true as const } : {}) }];
    });
    this.#changed();
  }

  /** Answers an offer from Janus on the subscriber peer (first one, or a renegotiation). */
  async #answer(offer: Jsep): Promise<void> {
    const sub = this.#sub;
    if (!sub || !this.#d.peer) return;
    let peer = this.view.subscriber;
    if (!peer) {
      peer = this.#newPeer(this.#d.peer, sub);
      this.view.subscriber = peer;
      await this.#encrypt(peer, 'subscriber');
      await this.#opts.prepare?.(peer, 'subscriber');
    }
    await peer.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    const gate = this.#restarts.gateOf(peer);
    gate?.hold();
    try {
      const answer = await peer.createAnswer();
      await peer.setLocalDescription({ type: 'answer', ...(answer.sdp !== undefined ? { sdp: answer.sdp } : {}) });
      await sub.send({ request: 'start' }, { type: 'answer', sdp: answer.sdp ?? '' });
    } finally {
      gate?.release();
    }
    if (!this.#restarts.has('subscriber')) this.#restarts.watch(peer, 'subscriber');
  }

  /** R120: this join's key pair and the call secret it will be wrapped (made before the join: the seat names its key, R135). */
  async #makeSecret(): Promise<void> {
    if (!this.#opts.frameCrypto || !this.#d.keys) return;
    const post = this.#d.post;
    this.#secret = await CallSecret.create({
      chatId: this.#d.chatId, self: this.#grant.feedId, others: () => this.view.participants.map((p) => p.feedId),
      seat: (feedId) => this.view.participants.find((p) => p.feedId === feedId)?.seat,
      post: async (entry) => post?.({ kind: 'call', callId: this.#joinId, action: 'group_key', ...entry }),
      changed: () => this.keysMoved(), onError: (error) => this.#d.onError?.(error),
      ...(this.#d.secretSettleMs !== undefined ? { settleMs: this.#d.secretSettleMs } : {}),
    });
  }

  /** R76/R120: frame keys from the chat's epoch keys and the call's secret, followed as either moves. */
  async #startKeys(): Promise<void> {
    if (!this.#secret || !this.#d.keys) return;
    this.#fanout = new FanoutSink();
    this.#keys = new CallKeyFeed(this.#d.chatId, this.#secret.source(this.#d.keys), this.#fanout, (epoch) => {
      this.view.frameEpoch = Number(epoch);
      this.#changed();
    }, (error) => this.#d.onError?.(error));
    await this.#keys.refresh();
  }

  /** R120: a call entry of the chat's log (group joins, leaves and call secrets), in log order; `from` the sending device. */
  logEntry(seq: number, mine: boolean, content: CallContent, from?: string): void {
    if (this.#joined()) void this.#secret?.entry(seq, mine, content, from);
  }

  /** R76: the peer's frames go through the app's frame crypto, keyed with the chat's epoch keys. */
  async #encrypt(peer: CallPeer, role: 'publisher' | 'subscriber'): Promise<void> {
    if (this.#opts.frameCrypto && this.#fanout) this.#fanout.add(await this.#opts.frameCrypto(peer, role));
  }

  /** The chat's log moved (the SDK calls this after a commit): the call switches to the new epoch's key. */
  keysMoved(): void {
    if (this.#joined()) void this.#keys?.refresh();
  }

  #newPeer(factory: PeerFactory, handle: JanusHandle): CallPeer {
    const peer = factory({ iceServers: this.#grant.iceServers, iceTransportPolicy: this.#d.relayOnly ? 'relay' : 'all' });
    const gate = this.#restarts.gate(peer, handle);
    peer.onicecandidate = (event) => {
      const c = event.candidate;
      gate.push(c && c.candidate ? { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null } : null);
    };
    return peer;
  }

  #joined(): boolean {
    return this.view.state === 'joined';
  }

  #enqueue(step: () => Promise<void>): void {
    this.#queue = this.#queue.then(step).catch(() => undefined);
  }

  /** Asks the Parley server for a new token halfway to the current one's expiry (R62). */
  #armRefresh(): void {
    const wait = Math.max(5_000, (this.#grant.expiresAt - Date.now()) / 2);
    this.#refresh = setTimeout(() => {
      void this.#d.room().then((grant) => {
        this.#grant = grant;
        this.#session.setToken(grant.token);
        this.#armRefresh();
      }, (err: unknown) => {
        // R119: a network that is away is asked again (the token still holds until it expires); a refusal ends the call.
        const refused = err instanceof ParleyError && ['not_member', 'forbidden', 'device_revoked', 'session_invalid', 'bad_request'].includes(err.code);
        if (!refused && this.#grant.expiresAt > Date.now() && this.#joined()) this.#armRefresh();
        else void this.#end('token refused');
      });
    }, wait);
  }

  async #end(reason: string): Promise<void> {
    if (this.view.state === 'left') return;
    this.view.state = 'left';
    this.view.endReason = reason;
    clearTimeout(this.#refresh);
    this.#secret?.stop(); // the secret and this join's private key go with it
    this.#restarts.stop();
    this.#keys?.stop(); // closes every sink: the keys leave the frame workers
    this.#fanout?.close();
    this.view.publisher?.close();
    this.view.subscriber?.close();
    await this.#session.destroy();
    // Queued in the outbox; refused for a member just removed (the others' lines drop it as stale).
    await this.#d.post?.({ kind: 'call', callId: this.#joinId, action: 'group_leave', feedId: this.#grant.feedId }).catch(() => undefined);
    this.#changed();
  }

  #changed(): void {
    this.#d.onChange?.(this.view);
  }
}

function list(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value) ? (value as Array<Record<string, unknown>>) : [];
}

