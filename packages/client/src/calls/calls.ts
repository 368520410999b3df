import { CALL_RECONNECT_MS, CALL_RING_MS, ParleyError, type CallCandidate, type CallContent, type ChatSummary, type GroupCallRoom, type IceServer, type Message, type TurnCredentials } from '@parley/protocol';
import { randomId } from '../encoding.ts';
import { CallKeyFeed, type CallKeySource, type FrameCryptoFactory, type FrameKeySink } from './call-keys.ts';
import type { GroupCall, GroupCallOptions, GroupCallView } from './group-call.ts';
import type { AudioResilience } from './audio-resilience.ts';
import { setTunedLocalDescriptionLater as setTunedLocalDescription } from '../lazy.ts';
import { CallReconnect } from './reconnect.ts';
import { GroupRings, type GroupRing } from './group-ring.ts';

export { mlsCallKeys } from './call-keys.ts';

/**
 * The part of an RTCPeerConnection a call uses: the browser's own in the web client, a fake in
 * Node tests (signalling only). The app adds its media tracks in `prepare` before any SDP is made.
 */
export interface CallPeer {
  readonly connectionState: string;
  onicecandidate: ((event: { candidate: CallCandidate | null }) => void) | null;
  onconnectionstatechange: (() => void) | null;
  createOffer(): Promise<{ type: string; sdp?: string }>;
  createAnswer(): Promise<{ type: string; sdp?: string }>;
  setLocalDescription(description: { type: 'offer' | 'answer'; sdp?: string }): Promise<void>;
  setRemoteDescription(description: { type: 'offer' | 'answer'; sdp: string }): Promise<void>;
  addIceCandidate(candidate: CallCandidate): Promise<void>;
  /** R102: the next offer gets fresh ICE credentials (RTCPeerConnection.restartIce). */
  restartIce?(): void;
  close(): void;
}

export type PeerFactory = (config: { iceServers: IceServer[]; iceTransportPolicy: 'all' | 'relay' }) => CallPeer;

export type CallState = 'ringing' | 'connecting' | 'active' | 'ended';
export type CallEndReason = 'hangup' | 'remote_hangup' | 'declined' | 'missed' | 'cancelled' | 'failed' | 'answered_elsewhere' | 'declined_elsewhere' | 'connection_lost';

/** A call as this device sees it. */
export interface CallView {
  callId: string;
  chatId: string;
  media: 'audio' | 'video';
  direction: 'outgoing' | 'incoming';
  state: CallState;
  /** The other person. */
  peerUserId: string;
  startedAt: number;
  connectedAt?: number;
  endedAt?: number;
  endReason?: CallEndReason;
  /** The call's peer connection (for the app's media and getStats); absent while it rings in. */
  peer?: CallPeer;
  /** R64: the MLS epoch whose key encrypts this call's media frames now (absent: no frame key yet). */
  frameEpoch?: number;
  /** R102: the connected call lost its media path at this time and is reconnecting (absent: media flows). */
  reconnectingSince?: number;
}

export interface CallOptions {
  /** Adds the local media tracks (getUserMedia's stream) and hooks up remote ones; called before any SDP is made. */
  prepare?: (peer: CallPeer) => void | Promise<void>;
  /**
   * R64: end-to-end encryption of the media frames (SFrame with the chat's MLS keys), attached after
   * `prepare`; the sink gets each epoch's key. Without it media is only DTLS-SRTP encrypted (hop by hop).
   */
  frameCrypto?: ((peer: CallPeer) => FrameKeySink | Promise<FrameKeySink>) | FrameCryptoFactory;
}

export interface CallsDeps {
  userId: string;
  deviceId: string;
  chat(chatId: string): ChatSummary | undefined;
  /** Puts a call entry in the chat's outbox (end-to-end encrypted, sent when online). */
  post(chatId: string, content: CallContent): Promise<string>;
  /** R60: TURN credentials, or undefined where the server offers none (then direct paths only). */
  turn(chatId: string): Promise<TurnCredentials | undefined>;
  /** R62: the group chat's call room on the SFU and a token for it. */
  groupRoom?(chatId: string): Promise<GroupCallRoom>;
  /** R118: asks the server to wake the callee's closed apps (a Web Push naming no one) once the offer is queued (R124: or a group call started). */
  ring?(chatId: string): Promise<void>;
  /** R124: the server's cap on members of a group whose calls ring (GET /info). */
  ringMaxMembers?: () => Promise<number | undefined>;
  peer?: PeerFactory;
  /** R64: the chat's epoch keys for call media (the MLS exporter); calls asking for frameCrypto fail without it. */
  frameKeys?: CallKeySource;
  /** R64/R76: the app's frame encryption for calls that don't pass their own `frameCrypto` (the web client's frame worker). */
  frameCrypto?: FrameCryptoFactory;
  /** A frame key that could not be had (the call keeps the previous one; the next commit tries again). */
  onError?: (error: unknown) => void;
  /** Relay-only ICE (tests, or people who don't want the other side to learn their address). */
  relayOnly?: boolean;
  /** R120 timing for tests: how long a group call's keyer waits for the room to settle before a new secret. */
  groupSecretSettleMs?: number;
  /** R65 audio resilience (default AUDIO_RESILIENCE; false: the browser's stock audio, for comparisons). */
  audio?: AudioResilience | false;
  ringMs?: number;
  /** R102: how long a connected call may stay without a media path before it ends (CALL_RECONNECT_MS). */
  reconnectMs?: number;
  /** R102: how often the caller makes another ICE restart while the last one was answered and nothing flows. */
  restartRetryMs?: number;
  emit(calls: CallView[]): void;
  now?: () => number;
}

interface Call {
  view: CallView;
  /** The caller's device (the offer's sender). */
  offerDevice: string;
  offerSdp?: string;
  /** The offer's log position once the server ordered it (for calls made at the same moment). */
  offerSeq?: number;
  /** The device at the other end, once known (the callee's answering device, or the caller's). */
  peerDevice?: string;
  /** Candidates from devices before it was known which one answers, or before the remote description was set (a browser refuses them then). */
  early: Map<string, CallCandidate[]>;
  /** The peer has the other side's description: candidates can be added. */
  remoteSet?: boolean;
  outgoing: CallCandidate[];
  flushTimer?: ReturnType<typeof setTimeout> | undefined;
  ringTimer?: ReturnType<typeof setTimeout> | undefined;
  /** An ended call is forgotten after ENDED_KEPT_MS (its line stays in the chat). */
  forgetTimer?: ReturnType<typeof setTimeout> | undefined;
  options: CallOptions;
  keys?: CallKeyFeed;
  /** R102: ICE restarts once the call has connected. */
  reconnect?: CallReconnect;
  /** Candidates wait while a restart's description is being posted (they must follow it in the log). */
  holdIce?: boolean;
}

/** How long candidates gathered at once are held to go in one entry. */
const ICE_BATCH_MS = 80;
/** How long an ended call stays in list() (for the app to say how it ended). */
const ENDED_KEPT_MS = 60_000;
/** R102: while a restart was answered and still nothing flows, the caller makes another after this long. */
const RESTART_RETRY_MS = 5_000;

/**
 * R61: 1:1 calls, signalled through the chat's end-to-end encrypted log (see PROTOCOL.md): this
 * device's calls, their peer connections, ringing, answering on one device of several, calls made
 * at the same moment from both sides (the one the log orders first wins), missed calls.
 */
export class Calls {
  readonly #d: CallsDeps;
  readonly #calls = new Map<string, Call>();
  /** Group calls this device is in (their keys follow the chat's commits). */
  readonly #groups = new Set<GroupCall>();
  readonly #rings: GroupRings;

  constructor(deps: CallsDeps) {
    this.#d = deps;
    this.#rings = new GroupRings({
      userId: deps.userId, chat: (chatId) => deps.chat(chatId), changed: () => this.#changed(), now: () => this.#now(),
      inCall: (chatId) => [...this.#groups].some((g) => g.view.chatId === chatId && g.view.state === 'joined'),
      ...(deps.ringMaxMembers ? { maxMembers: deps.ringMaxMembers } : {}), ...(deps.ringMs !== undefined ? { ringMs: deps.ringMs } : {}),
    });
  }

  list(): CallView[] {
    return [...this.#calls.values()].map((c) => c.view);
  }

  get(callId: string): CallView | undefined {
    return this.#calls.get(callId)?.view;
  }

  /**
   * R62: joins the group chat's call on the SFU; resolves once in the room (and publishing, where
   * this runtime has WebRTC or `peer` was given). `onChange` follows who else is in it.
   */
  async joinGroup(chatId: string, opts: GroupCallOptions & { onChange?: (view: GroupCallView) => void } = {}): Promise<GroupCall> {
    const chat = this.#d.chat(chatId);
    if (!chat) throw new ParleyError('not_member', 'unknown chat');
    if (chat.kind !== 'group') throw new ParleyError('bad_request', 'group calls are for group chats');
    const groupRoom = this.#d.groupRoom;
    if (!groupRoom) throw new ParleyError('calls_unavailable', 'group calls are not set up');
    const hasWebRtc = (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection !== undefined;
    const frameCrypto = opts.frameCrypto ?? this.#d.frameCrypto;
    this.#rings.stop(chatId); // R124: answered here
    // Loaded on the first group call: the SFU session and its key handling stay out of the start-up code.
    const { GroupCall } = await import('./group-call.ts');
    let made: GroupCall | undefined;
    const call = await GroupCall.join({
      created: (c) => { made = c; this.#groups.add(c); },
      chatId, room: () => groupRoom(chatId), post: (content) => this.#d.post(chatId, content), peer: this.#d.peer ?? (hasWebRtc ? defaultPeerFactory() : undefined),
      relayOnly: this.#d.relayOnly, keys: this.#d.frameKeys, onError: this.#d.onError, secretSettleMs: this.#d.groupSecretSettleMs, reconnectMs: this.#d.reconnectMs,
      onChange: (view) => {
        if (view.state === 'left' && made) this.#groups.delete(made);
        opts.onChange?.(view);
      },
    }, { ...opts, ...(frameCrypto ? { frameCrypto } : {}) }).catch((err: unknown) => {
      if (made) this.#groups.delete(made);
      throw err;
    });
    if (call.view.state !== 'joined') this.#groups.delete(call);
    // R124: the one who started it rings the others' closed apps too (small groups only; best effort).
    if (call.view.started && this.#d.ring && await this.#rings.rings(chat.members.length)) void this.#d.ring(chatId).catch((err: unknown) => this.#d.onError?.(err));
    return call;
  }

  /** R124: group calls started in this person's groups, ringing on this device (Join: `joinGroup`; Dismiss: `dismissGroupRing`). */
  groupRings(): GroupRing[] {
    return this.#rings.list();
  }

  dismissGroupRing(chatId: string): void {
    this.#rings.stop(chatId);
  }

  /** Calls the other person of a direct chat; resolves once the offer is queued. */
  async start(chatId: string, opts: CallOptions & { media?: 'audio' | 'video' } = {}): Promise<CallView> {
    const chat = this.#d.chat(chatId);
    if (!chat) throw new ParleyError('not_member', 'unknown chat');
    const other = chat.members.find((m) => m.userId !== this.#d.userId);
    if (chat.kind !== 'direct' || !other) throw new ParleyError('bad_request', 'calls are between the two people of a direct chat (group calls come with the SFU)');
    if (this.#busy()) throw new ParleyError('bad_request', 'already in a call');
    const callId = randomId(12);
    const media = opts.media ?? 'audio';
    const call: Call = {
      view: { callId, chatId, media, direction: 'outgoing', state: 'ringing', peerUserId: other.userId, startedAt: this.#now() },
      offerDevice: this.#d.deviceId, early: new Map(), outgoing: [], options: opts,
    };
    this.#calls.set(callId, call);
    try {
      const peer = await this.#peer(call);
      call.offerSdp = await setTunedLocalDescription(peer, 'offer', this.#d.audio);
      await this.#d.post(chatId, { kind: 'call', callId, action: 'offer', media, sdp: call.offerSdp });
      // R118: best effort; a callee with a tab open rings from the log anyway.
      void this.#d.ring?.(chatId).catch((err: unknown) => this.#d.onError?.(err));
    } catch (err) {
      this.#end(call, 'failed');
      throw err;
    }
    call.ringTimer = setTimeout(() => {
      if (call.view.state !== 'ringing') return;
      void this.#send(call, { action: 'end', reason: 'missed' });
      this.#end(call, 'missed');
    }, this.#d.ringMs ?? CALL_RING_MS);
    this.#changed();
    return call.view;
  }

  /** Answers a call ringing on this device; the person's other devices stop ringing. */
  async accept(callId: string, opts: CallOptions = {}): Promise<void> {
    const call = this.#calls.get(callId);
    if (!call || call.view.direction !== 'incoming' || call.view.state !== 'ringing' || call.offerSdp === undefined) throw new ParleyError('bad_request', 'no such call ringing');
    clearTimeout(call.ringTimer);
    call.options = opts;
    call.peerDevice = call.offerDevice;
    call.view.state = 'connecting';
    this.#changed();
    try {
      const peer = await this.#peer(call);
      await peer.setRemoteDescription({ type: 'offer', sdp: call.offerSdp });
      call.remoteSet = true;
      const answer = await setTunedLocalDescription(peer, 'answer', this.#d.audio);
      await this.#send(call, { action: 'answer', sdp: answer, to: call.offerDevice });
      await this.#applyEarly(call);
    } catch (err) {
      void this.#send(call, { action: 'end', reason: 'failed' });
      this.#end(call, 'failed');
      throw err;
    }
  }

  /** Declines a call ringing on this device (on every device of the person). */
  async decline(callId: string): Promise<void> {
    const call = this.#calls.get(callId);
    if (!call || call.view.direction !== 'incoming' || call.view.state !== 'ringing') return;
    this.#end(call, 'declined');
    await this.#send(call, { action: 'decline' });
  }

  /** Hangs up (or, while it still rings out, cancels) a call of this device. */
  async hangUp(callId: string): Promise<void> {
    const call = this.#calls.get(callId);
    if (!call || call.view.state === 'ended') return;
    if (call.view.direction === 'incoming' && call.view.state === 'ringing') return this.decline(callId);
    const ringing = call.view.state === 'ringing';
    const durationMs = call.view.connectedAt !== undefined ? this.#now() - call.view.connectedAt : 0;
    this.#end(call, ringing ? 'cancelled' : 'hangup');
    await this.#send(call, ringing ? { action: 'end', reason: 'cancelled' } : { action: 'end', reason: 'hangup', durationMs });
  }

  /** Call entries of a chat's log, in order, as they arrive (fresh ones only: after the device caught up). */
  async received(chatId: string, message: Message, content: CallContent): Promise<void> {
    const fromMe = message.senderUserId === this.#d.userId;
    const fromThisDevice = fromMe && message.senderDeviceId === this.#d.deviceId;
    if (content.action === 'group_join' || content.action === 'group_leave' || content.action === 'group_key') {
      // R63: the chat's line says who is in the call (timeline); R120: the calls keep their secrets.
      for (const group of this.#groups) if (group.view.chatId === chatId) group.logEntry(message.seq, fromThisDevice, content, message.senderDeviceId);
      if (content.action !== 'group_key') await this.#rings.received(chatId, message, content);
      return;
    }
    const call = this.#calls.get(content.callId);
    if (fromThisDevice) {
      if (call && content.action === 'offer') call.offerSeq = message.seq;
      return;
    }
    switch (content.action) {
      case 'offer':
        if (!fromMe && !call && content.media && content.sdp) await this.#incoming(chatId, message, content);
        return;
      case 'answer':
        if (!call) return;
        if (call.view.direction === 'outgoing' && !fromMe && content.to === this.#d.deviceId && call.view.state === 'ringing' && content.sdp) {
          clearTimeout(call.ringTimer);
          call.peerDevice = message.senderDeviceId;
          call.view.state = 'connecting';
          this.#changed();
          try {
            await call.view.peer?.setRemoteDescription({ type: 'answer', sdp: content.sdp });
            call.remoteSet = true;
            await this.#applyEarly(call);
          } catch {
            void this.#send(call, { action: 'end', reason: 'failed' });
            this.#end(call, 'failed');
          }
        } else if (call.view.direction === 'incoming' && fromMe && call.view.state === 'ringing') this.#end(call, 'answered_elsewhere');
        return;
      case 'ice': {
        if (!call || !content.candidates || (content.to !== undefined && content.to !== this.#d.deviceId)) return;
        if (call.peerDevice === message.senderDeviceId && call.view.peer && call.remoteSet) {
          for (const c of content.candidates) await call.view.peer.addIceCandidate(c).catch(() => undefined);
        } else if (call.peerDevice === undefined || call.peerDevice === message.senderDeviceId) {
          const list = call.early.get(message.senderDeviceId) ?? [];
          list.push(...content.candidates);
          call.early.set(message.senderDeviceId, list);
        }
        return;
      }
      case 'decline':
        if (!call) return;
        if (call.view.direction === 'outgoing' && !fromMe && call.view.state === 'ringing') this.#end(call, 'declined');
        else if (call.view.direction === 'incoming' && fromMe && call.view.state === 'ringing') this.#end(call, 'declined_elsewhere');
        return;
      case 'end':
        if (!call || call.view.state === 'ended') return;
        if (fromMe && call.view.direction === 'incoming' && call.view.state !== 'ringing') return; // this device answered; another of mine ended its own view
        if (content.reason === 'failed' && call.view.reconnectingSince !== undefined) return this.#end(call, 'connection_lost');
        this.#end(call, content.reason === 'hangup' ? 'remote_hangup' : content.reason === 'missed' ? 'missed' : content.reason === 'failed' ? 'failed' : 'cancelled');
        return;
      case 'restart':
        if (call && !fromMe && content.to === this.#d.deviceId && message.senderDeviceId === call.peerDevice && content.sdp && content.generation !== undefined) await this.#restarted(call, content.sdp, content.generation);
        return;
      case 'restart_answer': {
        if (!call || fromMe || content.to !== this.#d.deviceId || !content.sdp || content.generation === undefined) return;
        if (call.view.state === 'ended' || message.senderDeviceId !== call.peerDevice || !call.reconnect?.answered(content.generation)) return;
        await call.view.peer?.setRemoteDescription({ type: 'answer', sdp: content.sdp }).catch((err: unknown) => this.#d.onError?.(err));
        return;
      }
    }
  }

  /** R102: this device's connection to the server is back: a connected call's path may have changed, the caller restarts ICE. */
  online(): void {
    for (const call of this.#calls.values()) if (call.view.state === 'active') call.reconnect?.online();
    for (const group of this.#groups) group.online(); // R119
  }

  /** R102: the other side's restart `generation`, applied once (in a glare the caller's wins); the answer goes back to its device. */
  async #restarted(call: Call, sdp: string, generation: number): Promise<void> {
    const peer = call.view.peer;
    if (call.view.state === 'ended' || !peer || call.peerDevice === undefined || !call.reconnect?.accepts(generation)) return;
    call.holdIce = true;
    try {
      // The callee's own restart offer, if it made one, is rolled back by this (implicit rollback).
      await peer.setRemoteDescription({ type: 'offer', sdp });
      const answer = await setTunedLocalDescription(peer, 'answer', this.#d.audio);
      await this.#send(call, { action: 'restart_answer', sdp: answer, to: call.peerDevice, generation });
    } catch (err) {
      this.#d.onError?.(err);
    } finally {
      this.#releaseIce(call);
    }
  }

  /** R102: makes and posts this device's restart `generation` to the device at the other end. */
  async #restart(call: Call, generation: number): Promise<void> {
    const peer = call.view.peer;
    if (!peer || call.view.state === 'ended' || call.peerDevice === undefined) return;
    call.holdIce = true;
    try {
      peer.restartIce?.();
      const sdp = await setTunedLocalDescription(peer, 'offer', this.#d.audio);
      await this.#send(call, { action: 'restart', sdp, to: call.peerDevice, generation });
    } finally {
      this.#releaseIce(call);
    }
  }

  #releaseIce(call: Call): void {
    call.holdIce = false;
    if (call.outgoing.length > 0) call.flushTimer ??= setTimeout(() => this.#flushIce(call), ICE_BATCH_MS);
  }

  /** The chat's log moved (a commit may have started a new epoch): calls in it switch to the new frame key. */
  chatMoved(chatId: string): void {
    for (const call of this.#calls.values()) if (call.view.chatId === chatId && call.view.state !== 'ended') void call.keys?.refresh();
    for (const group of this.#groups) if (group.view.chatId === chatId) group.keysMoved(); // R76
  }

  stop(): void {
    this.#rings.stopAll();
    for (const call of this.#calls.values()) {
      if (call.view.state !== 'ended') this.#end(call, 'failed', false);
      clearTimeout(call.forgetTimer);
    }
  }

  async #incoming(chatId: string, message: Message, content: CallContent): Promise<void> {
    if (this.#now() - message.sentAt > (this.#d.ringMs ?? CALL_RING_MS)) return; // rang while this device was away: the line says missed
    // Calls made at the same moment from both sides: the one the log orders first wins; the other
    // caller's device drops its own and answers it (one call results).
    const mine = [...this.#calls.values()].find((c) => c.view.chatId === chatId && c.view.direction === 'outgoing' && c.view.state === 'ringing');
    if (mine && mine.offerSeq !== undefined && mine.offerSeq < message.seq) return;
    const call: Call = {
      view: { callId: content.callId, chatId, media: content.media ?? 'audio', direction: 'incoming', state: 'ringing', peerUserId: message.senderUserId, startedAt: message.sentAt },
      offerDevice: message.senderDeviceId, early: new Map(), outgoing: [], options: {},
      ...(content.sdp !== undefined ? { offerSdp: content.sdp } : {}),
    };
    this.#calls.set(content.callId, call);
    if (mine) {
      clearTimeout(mine.ringTimer);
      this.#end(mine, 'cancelled');
      void this.#send(mine, { action: 'end', reason: 'cancelled' });
      await this.accept(content.callId, mine.options);
      return;
    }
    const left = (this.#d.ringMs ?? CALL_RING_MS) - (this.#now() - message.sentAt);
    call.ringTimer = setTimeout(() => { if (call.view.state === 'ringing') this.#end(call, 'missed'); }, Math.max(0, left));
    this.#changed();
  }

  async #peer(call: Call): Promise<CallPeer> {
    const factory = this.#d.peer ?? defaultPeerFactory();
    const creds = await this.#d.turn(call.view.chatId).catch((err: unknown) => {
      if (err instanceof ParleyError && err.code === 'calls_unavailable') return undefined;
      throw err;
    });
    const peer = factory({ iceServers: creds?.iceServers ?? [], iceTransportPolicy: this.#d.relayOnly ? 'relay' : 'all' });
    call.view.peer = peer;
    peer.onicecandidate = (event) => {
      if (!event.candidate || !event.candidate.candidate) return;
      call.outgoing.push({ candidate: event.candidate.candidate, sdpMid: event.candidate.sdpMid ?? null, sdpMLineIndex: event.candidate.sdpMLineIndex ?? null });
      call.flushTimer ??= setTimeout(() => this.#flushIce(call), ICE_BATCH_MS);
    };
    peer.onconnectionstatechange = () => {
      if (call.view.state === 'ended') return;
      if (peer.connectionState === 'connected' && call.view.state !== 'active') {
        call.view.state = 'active';
        call.view.connectedAt = this.#now();
        call.reconnect = this.#reconnector(call);
        this.#changed();
      } else if (call.reconnect) {
        call.reconnect.peerState(peer.connectionState); // R102: a connected call reconnects rather than ends
      } else if (peer.connectionState === 'failed') {
        void this.#send(call, { action: 'end', reason: 'failed' });
        this.#end(call, 'failed');
      }
    };
    await call.options.prepare?.(peer);
    const frameCrypto = call.options.frameCrypto ?? this.#d.frameCrypto;
    if (frameCrypto) {
      const source = this.#d.frameKeys;
      if (!source) throw new ParleyError('bad_request', 'no end-to-end keys for call media on this client');
      const sink = await frameCrypto(peer);
      call.keys = new CallKeyFeed(call.view.chatId, source, sink, (epoch) => {
        call.view.frameEpoch = Number(epoch);
        this.#changed();
      }, (error) => this.#d.onError?.(error));
      await call.keys.refresh();
    }
    return peer;
  }

  #reconnector(call: Call): CallReconnect {
    return new CallReconnect({
      caller: call.view.direction === 'outgoing',
      restart: (generation) => this.#restart(call, generation),
      lost: () => {
        const durationMs = call.view.connectedAt !== undefined ? this.#now() - call.view.connectedAt : 0;
        void this.#send(call, { action: 'end', reason: 'failed', durationMs });
        this.#end(call, 'connection_lost');
      },
      changed: () => {
        const since = call.reconnect?.since;
        if (since === undefined) delete call.view.reconnectingSince;
        else call.view.reconnectingSince = since;
        this.#changed();
      },
      limitMs: this.#d.reconnectMs ?? CALL_RECONNECT_MS,
      retryMs: this.#d.restartRetryMs ?? RESTART_RETRY_MS,
      now: () => this.#now(),
    });
  }

  #flushIce(call: Call): void {
    call.flushTimer = undefined;
    if (call.holdIce) return; // #releaseIce flushes once the restart's description is posted
    while (call.outgoing.length > 0 && call.view.state !== 'ended') {
      const candidates = call.outgoing.splice(0, 20);
      void this.#send(call, { action: 'ice', candidates, ...(call.view.direction === 'incoming' ? { to: call.offerDevice } : {}) });
    }
  }

  async #applyEarly(call: Call): Promise<void> {
    const early = call.peerDevice !== undefined ? call.early.get(call.peerDevice) ?? [] : [];
    call.early.clear();
    for (const c of early) await call.view.peer?.addIceCandidate(c).catch(() => undefined);
  }

  #send(call: Call, entry: Omit<CallContent, 'kind' | 'callId'>): Promise<unknown> {
    return this.#d.post(call.view.chatId, { kind: 'call', callId: call.view.callId, ...entry } as CallContent).catch(() => undefined);
  }

  #end(call: Call, reason: CallEndReason, notify = true): void {
    if (call.view.state === 'ended') return;
    clearTimeout(call.ringTimer);
    clearTimeout(call.flushTimer);
    call.view.state = 'ended';
    call.view.endReason = reason;
    call.view.endedAt = this.#now();
    call.view.peer?.close();
    call.keys?.stop();
    call.reconnect?.stop();
    call.forgetTimer = setTimeout(() => {
      if (this.#calls.get(call.view.callId) !== call) return;
      this.#calls.delete(call.view.callId);
      this.#changed();
    }, ENDED_KEPT_MS);
    if (notify) this.#changed();
  }

  #busy(): boolean {
    return [...this.#calls.values()].some((c) => c.view.state === 'connecting' || c.view.state === 'active' || (c.view.direction === 'outgoing' && c.view.state === 'ringing'));
  }

  #now(): number {
    return (this.#d.now ?? Date.now)();
  }

  #changed(): void {
    this.#d.emit(this.list());
  }
}

function defaultPeerFactory(): PeerFactory {
  const Ctor = (globalThis as { RTCPeerConnection?: new (config: unknown) => CallPeer }).RTCPeerConnection;
  if (!Ctor) throw new ParleyError('bad_request', 'this runtime has no WebRTC: pass options.calls.peer');
  return (config) => new Ctor(config);
}
