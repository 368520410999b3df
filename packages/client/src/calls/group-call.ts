import type { CallContent, GroupCallRoom } from '@parley/protocol';
import { ParleyError } from '@parley/protocol';
import { randomId } from '../encoding.ts';
import type { CallPeer, PeerFactory } from './calls.ts';
import { CallKeyFeed, type CallKeySource, type FrameCryptoFactory } from './call-keys.ts';
import { FanoutSink, LeaveRotation } from './group-call-keys.ts';
import { JanusSession, type JanusHandle, type Jsep } from './janus-session.ts';

const VIDEOROOM = 'janus.plugin.videoroom';
/** Tries at subscribing to a publisher before giving up on it (until it publishes again). */
const SUBSCRIBE_ATTEMPTS = 4;

export interface GroupCallOptions {
  /**
   * Adds the local tracks to the publishing peer, or hooks the subscribing peer's `ontrack`; called
   * before any SDP is made on it. Without a peer factory (Node, no WebRTC) the device joins the
   * room as a participant without media.
   */
  prepare?: (peer: CallPeer, role: 'publisher' | 'subscriber') => void | Promise<void>;
  /** What media to publish (default both). */
  media?: { audio?: boolean; video?: boolean };
  /**
   * R76: end-to-end encryption of the media frames (SFrame with the chat's MLS keys), attached to
   * each peer before `prepare` (the publisher's encrypts, the subscriber's decrypts; it must cover
   * the senders `prepare` adds, as the web client's attachFrameCrypto does); every sink gets
   * each epoch's key. Default: the client's `calls.frameCrypto`. Without either, media is DTLS-SRTP
   * to the SFU only, which can read it.
   */
  frameCrypto?: FrameCryptoFactory;
}

export interface GroupParticipant {
  /** The publisher id the Parley server gave that device for this room (R62). */
  feedId: number;
  /** Whether it sends media now. */
  publishing: boolean;
}

export type GroupCallState = 'joined' | 'left';

/** One media stream the subscriber peer carries: its transceiver's mid, whose feed it is, and its kind. */
export interface GroupStream {
  mid: string;
  feedId: number;
  kind: 'audio' | 'video';
}

export interface GroupCallView {
  chatId: string;
  room: number;
  /** This device's publisher id. */
  feedId: number;
  state: GroupCallState;
  /** The other participants. */
  participants: GroupParticipant[];
  /** Which of the subscriber peer's transceivers (by mid) carries which participant's audio or video (from Janus). */
  streams: GroupStream[];
  /** Why the call ended for this device: `left` (it hung up), `kicked`, or what Janus said. */
  endReason?: string;
  publisher?: CallPeer;
  subscriber?: CallPeer;
  /** R76: the MLS epoch whose key encrypts this call's media frames now (absent: no frame key yet, or no frame encryption). */
  frameEpoch?: number;
}

export interface GroupCallDeps {
  chatId: string;
  /** R62: asks the Parley server for the room and a fresh token (POST /calls/room). */
  room(): Promise<GroupCallRoom>;
  /** R63: puts a `call` entry in the chat's log (end-to-end encrypted): this device joined or left. */
  post?: (content: CallContent) => Promise<unknown>;
  peer?: PeerFactory | undefined;
  relayOnly?: boolean | undefined;
  onChange?: (view: GroupCallView) => void;
  fetch?: typeof fetch;
  /** R76: the chat's epoch keys for call media (the MLS exporter); needed when frames are encrypted. */
  keys?: CallKeySource | undefined;
  /** R77: asks for a commit of the chat's group unless it is past `fromEpoch` already (a participant left). */
  rotate?: ((fromEpoch: bigint) => void) | undefined;
  onError?: ((error: unknown) => void) | undefined;
  /** R77 timing (tests): the settle time and the rank delay of LeaveRotation. */
  rotation?: { settleMs?: number; rankDelayMs?: number } | undefined;
}

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
  #rotation: LeaveRotation | undefined;

  private constructor(deps: GroupCallDeps, opts: GroupCallOptions, grant: GroupCallRoom, session: JanusSession, pub: JanusHandle) {
    this.#d = deps;
    this.#opts = opts;
    this.#grant = grant;
    this.#session = session;
    this.#pub = pub;
    this.view = { chatId: deps.chatId, room: grant.room, feedId: grant.feedId, state: 'joined', participants: [], streams: [] };
  }

  static async join(deps: GroupCallDeps, opts: GroupCallOptions = {}): Promise<GroupCall> {
    if (opts.frameCrypto && !deps.keys) throw new ParleyError('bad_request', 'no end-to-end keys for call media on this client');
    const grant = await deps.room();
    const session = await JanusSession.create({ url: grant.url, token: grant.token, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
    try {
      const pub = await session.attach(VIDEOROOM);
      const call = new GroupCall(deps, opts, grant, session, pub);
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
    const joined = await this.#pub.send({ request: 'join', ptype: 'publisher', room: this.#grant.room, id: this.#grant.feedId, token: this.#grant.token });
    this.#privateId = Number(joined.data['private_id']);
    for (const a of list(joined.data['attendees'])) this.#upsert(Number(a['id']), false);
    this.#onPublishers(list(joined.data['publishers']));
    this.#armRefresh();
    await this.#startKeys();
    if (this.#d.peer) await this.#publish(this.#d.peer);
    const media = this.#opts.media?.video === false ? 'audio' : 'video';
    await this.#d.post?.({ kind: 'call', callId: this.#joinId, action: 'group_join', media, feedId: this.#grant.feedId });
    this.#changed();
  }

  async #publish(factory: PeerFactory): Promise<void> {
    const peer = this.#newPeer(factory, this.#pub);
    this.view.publisher = peer;
    // Frame crypto first: a sender must get its transform in the same task its track is added.
    await this.#encrypt(peer, 'publisher');
    await this.#opts.prepare?.(peer, 'publisher');
    const offer = await peer.createOffer();
    await peer.setLocalDescription({ type: 'offer', ...(offer.sdp !== undefined ? { sdp: offer.sdp } : {}) });
    const media = this.#opts.media ?? {};
    const answer = await this.#pub.send({ request: 'publish', audio: media.audio ?? true, video: media.video ?? true }, { type: 'offer', sdp: offer.sdp ?? '' });
    if (answer.jsep) await peer.setRemoteDescription({ type: 'answer', sdp: answer.jsep.sdp });
  }

  #onRoomEvent(data: Record<string, unknown>): void {
    if (data['leaving'] === 'ok' && data['reason'] === 'kicked') {
      void this.#end('kicked');
      return;
    }
    const joining = data['joining'] as Record<string, unknown> | undefined;
    if (joining) {
      this.#upsert(Number(joining['id']), false);
      this.#rotation?.joined();
    }
    this.#onPublishers(list(data['publishers']));
    for (const key of ['unpublished', 'leaving', 'kicked'] as const) {
      const id = data[key];
      if (typeof id !== 'number') continue;
      if (key === 'unpublished') this.#upsert(id, false);
      else if (this.view.participants.some((p) => p.feedId === id)) {
        this.view.participants = this.view.participants.filter((p) => p.feedId !== id);
        // R77: it had the key; the others move past it. A kick is the server dropping a removed
        // member or a revoked device (R62): the commit that removes its leaf rotates already.
        if (key === 'leaving') this.#rotation?.left();
      }
      this.#unsubscribe(id);
    }
    this.#changed();
  }

  #onPublishers(publishers: Array<Record<string, unknown>>): void {
    const fresh: number[] = [];
    for (const p of publishers) {
      const id = Number(p['id']);
      if (id === this.#grant.feedId) continue;
      this.#upsert(id, true);
      if (!this.#subscribed.has(id)) fresh.push(id);
    }
    if (fresh.length > 0 && this.#d.peer) this.#subscribe(fresh);
  }

  #upsert(feedId: number, publishing: boolean): void {
    if (feedId === this.#grant.feedId) return;
    const known = this.view.participants.find((p) => p.feedId === feedId);
    if (known) known.publishing = publishing;
    else this.view.participants = [...this.view.participants, { feedId, publishing }];
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
      return [{ mid: s['mid'], feedId: s['feed_id'], kind }];
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
    const answer = await peer.createAnswer();
    await peer.setLocalDescription({ type: 'answer', ...(answer.sdp !== undefined ? { sdp: answer.sdp } : {}) });
    await sub.send({ request: 'start' }, { type: 'answer', sdp: answer.sdp ?? '' });
  }

  /** R76/R77: the chat's epoch keys, followed as the group moves; leaves of others trigger a rotation. */
  async #startKeys(): Promise<void> {
    if (!this.#opts.frameCrypto || !this.#d.keys) return;
    this.#fanout = new FanoutSink();
    const rotate = this.#d.rotate;
    if (rotate) {
      this.#rotation = new LeaveRotation({
        self: this.#grant.feedId, others: () => this.view.participants.map((p) => p.feedId), epoch: () => this.#keys?.epoch, rotate,
        ...this.#d.rotation,
      });
    }
    this.#keys = new CallKeyFeed(this.#d.chatId, this.#d.keys, this.#fanout, (epoch) => {
      this.view.frameEpoch = Number(epoch);
      this.#rotation?.epochMoved();
      this.#changed();
    }, (error) => this.#d.onError?.(error));
    await this.#keys.refresh();
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
    peer.onicecandidate = (event) => {
      const c = event.candidate;
      void handle.trickle(c && c.candidate ? { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null } : null).catch(() => undefined);
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
      }, () => this.#end('token refused'));
    }, wait);
  }

  async #end(reason: string): Promise<void> {
    if (this.view.state === 'left') return;
    this.view.state = 'left';
    this.view.endReason = reason;
    clearTimeout(this.#refresh);
    this.#rotation?.stop();
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

