import type { CallContent, GroupCallRoom } from '@parley/protocol';
import { randomId } from '../encoding.ts';
import type { CallPeer, PeerFactory } from './calls.ts';
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

  private constructor(deps: GroupCallDeps, opts: GroupCallOptions, grant: GroupCallRoom, session: JanusSession, pub: JanusHandle) {
    this.#d = deps;
    this.#opts = opts;
    this.#grant = grant;
    this.#session = session;
    this.#pub = pub;
    this.view = { chatId: deps.chatId, room: grant.room, feedId: grant.feedId, state: 'joined', participants: [], streams: [] };
  }

  static async join(deps: GroupCallDeps, opts: GroupCallOptions = {}): Promise<GroupCall> {
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
    if (this.#d.peer) await this.#publish(this.#d.peer);
    const media = this.#opts.media?.video === false ? 'audio' : 'video';
    await this.#d.post?.({ kind: 'call', callId: this.#joinId, action: 'group_join', media, feedId: this.#grant.feedId });
    this.#changed();
  }

  async #publish(factory: PeerFactory): Promise<void> {
    const peer = this.#newPeer(factory, this.#pub);
    this.view.publisher = peer;
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
    if (joining) this.#upsert(Number(joining['id']), false);
    this.#onPublishers(list(data['publishers']));
    for (const key of ['unpublished', 'leaving', 'kicked'] as const) {
      const id = data[key];
      if (typeof id !== 'number') continue;
      if (key === 'unpublished') this.#upsert(id, false);
      else this.view.participants = this.view.participants.filter((p) => p.feedId !== id);
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
      await this.#opts.prepare?.(peer, 'subscriber');
    }
    await peer.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    const answer = await peer.createAnswer();
    await peer.setLocalDescription({ type: 'answer', ...(answer.sdp !== undefined ? { sdp: answer.sdp } : {}) });
    await sub.send({ request: 'start' }, { type: 'answer', sdp: answer.sdp ?? '' });
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

