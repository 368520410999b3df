/**
 * R102: how a connected 1:1 call rides out a dropped or changed network without hanging up. One
 * per call. The peer connection reports its state; while it is `disconnected` or `failed` the call
 * is "reconnecting" (since when: `since`), and the caller's device makes ICE restarts (a new offer
 * with fresh ICE credentials, numbered by `generation`): at once, again whenever the peer fails
 * again or this device's connection to the server comes back (the network may have changed), and
 * after `retryMs` while the last restart was answered and still nothing flows (then twice as long
 * each time, up to 8 × `retryMs`). The callee's device
 * restarts too when its own connection to the server comes back (its network changed: the caller
 * can't see that). Both numbering their own restarts, each side applies the other's once. When both
 * offer at once (glare), the caller's offer wins: the caller ignores the callee's, the callee drops
 * its own and answers the caller's. After `limitMs` without a media path the call ends as lost.
 */
export interface ReconnectDeps {
  /** Whether this device is the caller's: it restarts whenever the path is lost, and its offers win a glare. */
  caller: boolean;
  /** Makes and sends this device's restart `generation`. */
  restart(generation: number): Promise<void>;
  /** The call had no media path for `limitMs`: end it. */
  lost(): void;
  changed(): void;
  limitMs: number;
  retryMs: number;
  now(): number;
}

export class CallReconnect {
  readonly #d: ReconnectDeps;
  /** The newest restart this device made. */
  generation = 0;
  /** The newest restart of the other side this device applied. */
  #applied = 0;
  /** Whether this device's newest restart still waits for its answer. */
  #pending = false;
  #since: number | undefined;
  #lostTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  /** Timer restarts since the path was last up: each waits twice as long as the one before (to 8×). */
  #retries = 0;

  constructor(deps: ReconnectDeps) {
    this.#d = deps;
  }

  /** Since when the call has had no media path (undefined: it has one). */
  get since(): number | undefined {
    return this.#since;
  }

  /** The peer connection's `connectionState` changed (after the call first connected). */
  peerState(state: string): void {
    if (this.#stopped) return;
    if (state === 'connected') {
      if (this.#since === undefined) return;
      this.#since = undefined;
      this.#retries = 0;
      clearTimeout(this.#lostTimer);
      clearTimeout(this.#retryTimer);
      this.#d.changed();
      return;
    }
    if (state !== 'disconnected' && state !== 'failed') return;
    const first = this.#since === undefined;
    if (first) {
      this.#since = this.#d.now();
      this.#lostTimer = setTimeout(() => { if (!this.#stopped) this.#d.lost(); }, this.#d.limitMs);
      this.#d.changed();
    }
    // A failed restart (the network still down when its checks ran) is tried again at once.
    if (this.#d.caller && (first || state === 'failed')) this.#restart(true);
  }

  /**
   * R136: the path has been gone since `since` (a peer that replaced a lost one and has not connected
   * yet): reconnecting from then, lost at `since + limitMs` unless the peer connects. Restarts nothing.
   */
  lostSince(since: number): void {
    if (this.#stopped || this.#since !== undefined) return;
    this.#since = since;
    this.#lostTimer = setTimeout(() => { if (!this.#stopped) this.#d.lost(); }, Math.max(0, since + this.#d.limitMs - this.#d.now()));
    this.#d.changed();
  }

  /** This device's connection to the server came back: its network may have changed under the call (either side restarts). */
  online(): void {
    if (!this.#stopped) this.#restart(true);
  }

  /**
   * The other side's restart `generation`: applied only once and only newer ones (the log may bring
   * one again after a reconnect). In a glare the caller ignores the callee's; the callee drops its own.
   */
  accepts(generation: number): boolean {
    if (this.#stopped || generation <= this.#applied) return false;
    if (this.#pending && this.#d.caller) return false; // the callee will answer ours
    this.#pending = false; // the callee: ours is dropped (rolled back), the caller's wins
    this.#applied = generation;
    return true;
  }

  /** The answer to this device's restart `generation` arrived; only the newest one counts. */
  answered(generation: number): boolean {
    if (this.#stopped || generation !== this.generation || !this.#pending) return false;
    this.#pending = false;
    return true;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#lostTimer);
    clearTimeout(this.#retryTimer);
  }

  #restart(force: boolean): void {
    if (this.#stopped) return;
    // An unanswered restart is not repeated on a timer (the outbox delivers it once the other side is
    // back), but a new event (failed again, a reconnect) makes a fresh one: a newer network's candidates.
    if (this.#pending && !force) return this.#schedule();
    this.generation++;
    this.#pending = true;
    void this.#d.restart(this.generation).catch(() => undefined);
    this.#schedule();
  }

  #schedule(): void {
    clearTimeout(this.#retryTimer);
    if (this.#since === undefined || this.#stopped) return;
    // Backing off: on a slow path (a loaded device, a slow server) an answered restart's candidates may
    // take longer than `retryMs`, and restarting again at a fixed pace would make them stale every time.
    this.#retryTimer = setTimeout(() => {
      if (!this.#pending) this.#retries++;
      this.#restart(false);
    }, this.#d.retryMs * 2 ** Math.min(this.#retries, 3));
  }
}
