import type { CallPeer } from './calls.ts';
import type { JanusHandle, Jsep } from './janus-session.ts';
import { CallReconnect } from './reconnect.ts';

/** R119: how often an answered ICE restart is made again while still nothing flows. */
const RESTART_RETRY_MS = 5_000;
/** R119: Janus answers a restart's `configure` at once when it takes it; a restart unanswered this long failed. */
export const RESTART_ANSWER_MS = 5_000;

/**
 * R119: one peer of a group call (its publisher or its subscriber) riding out a network that drops
 * or changes. Once the peer has connected, a `disconnected` or `failed` state makes it
 * "reconnecting" (since when: `since`) and asks for ICE restarts through Janus, with R102's timing
 * (`CallReconnect`, this device always the offering side: at once, again when the peer fails again
 * or this device's connection comes back, after `retryMs` while an answered restart still carries
 * nothing, then twice as long each time up to 8 × `retryMs`; a restart Janus did not take is owed and
 * made again on the same back-off); one restart runs at a time (a second one asked meanwhile runs after it, once). After
 * `limitMs` without a media path the part is lost.
 */
export interface PeerRestartDeps {
  /** Makes one ICE restart of the peer through Janus; resolves once Janus's side is applied. */
  restart(): Promise<void>;
  lost(): void;
  changed(): void;
  limitMs: number;
  retryMs: number;
  now(): number;
  /**
   * R136: this peer replaces one (published afresh) that has had no path since then: it counts as
   * reconnecting from that moment and is lost `limitMs` after it unless it connects.
   */
  replacing?: number | undefined;
}

export class PeerRestart {
  readonly #d: PeerRestartDeps;
  readonly #reconnect: CallReconnect;
  #connected = false;
  #running = false;
  /** The newest restart asked while one ran. */
  #again: number | undefined;
  /** The last restart failed: one is still due. */
  #owed = false;
  /** Owed restarts in a row that failed: each waits twice as long as the one before (to 8 × `retryMs`). */
  #owedFailures = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(deps: PeerRestartDeps) {
    this.#d = deps;
    this.#reconnect = new CallReconnect({
      caller: true, restart: async (generation) => this.#run(generation),
      lost: () => deps.lost(), changed: () => deps.changed(), limitMs: deps.limitMs, retryMs: deps.retryMs, now: () => deps.now(),
    });
    if (deps.replacing !== undefined) {
      this.#connected = true;
      this.#reconnect.lostSince(deps.replacing);
    }
  }

  /** Since when this peer has had no media path (undefined: it has one). */
  get since(): number | undefined {
    return this.#reconnect.since;
  }

  /** The peer's `connectionState` changed. Before its first `connected` nothing is restarted. */
  peerState(state: string): void {
    if (state === 'connected') this.#connected = true;
    if (this.#connected) this.#reconnect.peerState(state);
  }

  /** This device's connection to the Parley server came back: restart if the peer has no path. */
  online(): void {
    if (this.#connected && this.#reconnect.since !== undefined) this.#reconnect.online();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#reconnect.stop();
  }

  #run(generation: number): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = generation;
      return;
    }
    this.#running = true;
    clearTimeout(this.#retry);
    void this.#d.restart().then(() => { this.#owed = false; this.#owedFailures = 0; }, () => { this.#owed = true; }).finally(() => {
      // Done or failed: either way the timer may make a fresh one while nothing flows.
      this.#reconnect.answered(generation);
      this.#running = false;
      const next = this.#again;
      this.#again = undefined;
      if (next !== undefined && this.#reconnect.since !== undefined) this.#run(next);
      // A restart Janus never took (its request lost on the way) is owed even if ICE came back on
      // its own: the peer waits for an answer to its offer, and the old path may lead nowhere.
      // Backing off, as R102's timer restarts do: a Janus that is slow to answer is not asked faster.
      else if (this.#owed) {
        const delay = this.#d.retryMs * 2 ** Math.min(this.#owedFailures++, 3);
        this.#retry = setTimeout(() => { if (this.#owed) this.#run(generation); }, delay);
      }
    });
  }
}

/**
 * A peer's local candidates on their way to Janus (trickle), held while an ICE restart's
 * description is on its way: Janus must see the new credentials before the candidates that go with them.
 */
/** A candidate as Janus's trickle takes it (null: gathering complete). */
export interface TrickleCandidate { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null }

export class TrickleGate {
  #held: Array<TrickleCandidate | null> | undefined;

  constructor(private readonly send: (candidate: TrickleCandidate | null) => void) {}

  push(candidate: TrickleCandidate | null): void {
    if (this.#held) this.#held.push(candidate);
    else this.send(candidate);
  }

  hold(): void {
    this.#held ??= [];
  }

  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const c of held) this.send(c);
  }
}

type Role = 'publisher' | 'subscriber';

export interface GroupRestartsDeps {
  /** The publisher handle (restarts through `configure`; published afresh on it). */
  pub: JanusHandle;
  sub(): JanusHandle | undefined;
  /** Publishes on a new publisher peer at the same publisher id; `replacing`: since when the old one had no path. */
  publish(replacing: number): Promise<void>;
  /** Answers Janus's offer on the subscriber peer. */
  answer(offer: Jsep): Promise<void>;
  /** Resolves once Janus answers again (a request made while the network is away would hang). */
  reach(): Promise<void>;
  /** Runs a step in the call's one queue of negotiations with Janus. */
  serial(step: () => Promise<void>): Promise<void>;
  joined(): boolean;
  /** Whether this device publishes media at all (a peer factory): without one nothing is republished. */
  canPublish(): boolean;
  /** A peer had no path for `limitMs`: the device's part of the call ends (connection_lost). */
  lost(): void;
  /** `since` changed. */
  changed(): void;
  limitMs: number;
  now(): number;
}

/**
 * R119: the ICE restarts of a group call's two peers through Janus, and their candidates' gates.
 * Publisher: a new offer in a `configure`; after one Janus left unanswered, published afresh on a
 * new peer (R136: which has what is left of the limit to connect). Subscriber: `configure {restart}`
 * and an answer to Janus's new offer.
 */
export class GroupRestarts {
  readonly #d: GroupRestartsDeps;
  readonly #restarts = new Map<Role, PeerRestart>();
  readonly #gates = new Map<CallPeer, TrickleGate>();
  /** Publisher restarts in a row that Janus did not answer. */
  #pubFailures = 0;

  constructor(deps: GroupRestartsDeps) {
    this.#d = deps;
  }

  /** Since when a peer of the call has had no media path (undefined: both have one). */
  get since(): number | undefined {
    const since = [...this.#restarts.values()].flatMap((r) => (r.since === undefined ? [] : [r.since]));
    return since.length === 0 ? undefined : Math.min(...since);
  }

  has(role: Role): boolean {
    return this.#restarts.has(role);
  }

  /** The gate a new peer's local candidates go through to `handle`. */
  gate(peer: CallPeer, handle: JanusHandle): TrickleGate {
    const gate = new TrickleGate((c) => void handle.trickle(c).catch(() => undefined));
    this.#gates.set(peer, gate);
    return gate;
  }

  gateOf(peer: CallPeer): TrickleGate | undefined {
    return this.#gates.get(peer);
  }

  /** Once connected, a peer that loses its path restarts ICE rather than ending the call. */
  watch(peer: CallPeer, role: Role, replacing?: number): void {
    const restart = role === 'publisher' ? () => this.#restartPublisher(peer) : () => this.#restartSubscriber();
    const r = new PeerRestart({
      restart: () => this.#d.reach().then(() => this.#d.serial(restart)),
      lost: () => this.#d.lost(), changed: () => this.#d.changed(),
      limitMs: this.#d.limitMs, retryMs: RESTART_RETRY_MS, now: () => this.#d.now(), replacing,
    });
    this.#restarts.get(role)?.stop();
    this.#restarts.set(role, r);
    peer.onconnectionstatechange = () => { if (this.#d.joined()) r.peerState(peer.connectionState); };
    r.peerState(peer.connectionState);
  }

  /** This device's connection to the Parley server came back: its network may have changed under the call. */
  online(): void {
    for (const r of this.#restarts.values()) r.online();
  }

  stop(): void {
    for (const r of this.#restarts.values()) r.stop();
  }

  /** A new offer with fresh ICE credentials, through a `configure` (Janus restarts its side on seeing them). */
  async #restartPublisher(peer: CallPeer): Promise<void> {
    if (this.#pubFailures > 0) return this.#republish(peer);
    const gate = this.#gates.get(peer);
    gate?.hold();
    try {
      peer.restartIce?.();
      const offer = await peer.createOffer();
      await peer.setLocalDescription({ type: 'offer', ...(offer.sdp !== undefined ? { sdp: offer.sdp } : {}) });
      const answer = await this.#d.pub.send({ request: 'configure' }, { type: 'offer', sdp: offer.sdp ?? '' }, RESTART_ANSWER_MS);
      if (answer.jsep) await peer.setRemoteDescription({ type: 'answer', sdp: answer.jsep.sdp });
      this.#pubFailures = 0;
    } catch (err) {
      this.#pubFailures++;
      throw err;
    } finally {
      gate?.release();
    }
  }

  /**
   * Janus left a publisher restart unanswered (seen when the old ICE generation came back just as
   * Janus restarted its side): a fresh publisher peer at the same publisher id on the same handle.
   * The others see it unpublish and publish again and resubscribe; nobody leaves the room.
   */
  async #republish(old: CallPeer): Promise<void> {
    if (!this.#d.canPublish() || !this.#d.joined()) return;
    const since = this.#restarts.get('publisher')?.since ?? this.#d.now();
    await this.#d.pub.send({ request: 'unpublish' }, undefined, RESTART_ANSWER_MS).catch(() => undefined);
    old.onconnectionstatechange = null;
    old.close();
    this.#gates.delete(old);
    this.#pubFailures = 0;
    await this.#d.publish(since);
    this.#d.changed();
  }

  /** Janus 1.x makes a new offer with fresh ICE credentials for the subscriber (`configure` with `restart`). */
  async #restartSubscriber(): Promise<void> {
    const sub = this.#d.sub();
    if (!sub || !this.#d.joined()) return;
    const offer = await sub.send({ request: 'configure', restart: true });
    if (offer.jsep) await this.#d.answer(offer.jsep);
  }
}
