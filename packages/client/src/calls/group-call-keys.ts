import type { FrameKeySink } from './call-keys.ts';
import type { CallEpochKey } from './frame-keys.ts';

/** R77: quiet time after the last join or leave before a participant rotates the call's key (a burst makes one commit). */
export const GROUP_CALL_ROTATE_SETTLE_MS = 2_000;
/** R77: a steady stream of joins and leaves delays the rotation at most this long after the first leave. */
export const GROUP_CALL_ROTATE_MAX_SETTLE_MS = 10_000;
/** R77: each further participant (by publisher id) waits this much longer, in case the ones before it are gone. */
export const GROUP_CALL_ROTATE_RANK_MS = 3_000;
/** Ranks beyond this wait no longer than it. */
const MAX_RANK = 8;

/**
 * A group call's frame keys go to two peers' sinks (the publisher encrypts, the subscriber
 * decrypts), the subscriber's made only once the first other participant publishes: a sink added
 * later gets the newest key at once. Each sink gets its own copy of the key.
 */
export class FanoutSink implements FrameKeySink {
  readonly #sinks: FrameKeySink[] = [];
  #last: CallEpochKey | undefined;
  #closed = false;

  add(sink: FrameKeySink): void {
    if (this.#closed) return sink.close();
    this.#sinks.push(sink);
    if (this.#last) sink.setEpoch(copy(this.#last));
  }

  setEpoch(key: CallEpochKey): void {
    if (this.#closed) return;
    this.#last?.baseKey.fill(0);
    this.#last = copy(key);
    for (const sink of this.#sinks) sink.setEpoch(copy(key));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#last?.baseKey.fill(0);
    this.#last = undefined;
    for (const sink of this.#sinks.splice(0)) sink.close();
  }
}

const copy = (key: CallEpochKey): CallEpochKey => ({ ...key, baseKey: key.baseKey.slice() });

/** Where a participant stands in line to rotate: 0 for the lowest publisher id in the room. */
export function rotationRank(self: number, others: readonly number[]): number {
  return others.filter((id) => id < self).length;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(timer: unknown): void;
  now(): number;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export interface LeaveRotationDeps {
  /** This device's publisher id. */
  self: number;
  /** The other participants' publisher ids now. */
  others(): readonly number[];
  /** The epoch this call's frames are encrypted in now (undefined: no key yet). */
  epoch(): bigint | undefined;
  /** Make a commit (R77) unless the chat's group is already past `fromEpoch`. */
  rotate(fromEpoch: bigint): void;
  settleMs?: number;
  maxSettleMs?: number;
  rankDelayMs?: number;
  timers?: Timers;
}

/**
 * R77: when a participant leaves the call (and stays in the chat), the others must move to a key
 * it did not have. Of the participants left, the one with the lowest publisher id asks for an
 * update commit once joins and leaves have been quiet for the settle time (so a burst of them
 * makes one commit); each next one in line waits a rank delay longer and asks only if the epoch
 * still has not moved (the one before it is gone or offline). A commit of anyone else (a member
 * removed, a device revoked, a key update) that moves the epoch past the leaver's serves as well.
 */
export class LeaveRotation {
  readonly #d: LeaveRotationDeps;
  readonly #t: Timers;
  /** The newest epoch a leaver held a key of: the call must get past it. */
  #pending: bigint | undefined;
  #firstLeaveAt: number | undefined;
  #timer: unknown;
  #stopped = false;

  constructor(deps: LeaveRotationDeps) {
    this.#d = deps;
    this.#t = deps.timers ?? realTimers;
  }

  /** Whether a leaver's epoch is still the call's (a rotation is due). */
  get pending(): bigint | undefined {
    return this.#pending;
  }

  /** Another participant left the room. */
  left(): void {
    const epoch = this.#d.epoch();
    if (this.#stopped || epoch === undefined) return; // no key yet: no frame was sent under one
    this.#pending = this.#pending === undefined || epoch > this.#pending ? epoch : this.#pending;
    this.#firstLeaveAt ??= this.#t.now();
    this.#arm();
  }

  /** Another participant joined: while a rotation is due, the burst is not over yet. */
  joined(): void {
    if (this.#pending !== undefined && !this.#stopped) this.#arm();
  }

  /** The call's epoch moved (this device applied a commit). */
  epochMoved(): void {
    const epoch = this.#d.epoch();
    if (this.#pending !== undefined && epoch !== undefined && epoch > this.#pending) this.#clear();
  }

  stop(): void {
    this.#stopped = true;
    this.#clear();
  }

  #arm(): void {
    if (this.#timer !== undefined) this.#t.clear(this.#timer);
    const settle = this.#d.settleMs ?? GROUP_CALL_ROTATE_SETTLE_MS;
    const cap = (this.#firstLeaveAt ?? this.#t.now()) + (this.#d.maxSettleMs ?? GROUP_CALL_ROTATE_MAX_SETTLE_MS) - this.#t.now();
    const rank = Math.min(MAX_RANK, rotationRank(this.#d.self, this.#d.others()));
    this.#timer = this.#t.set(() => this.#fire(), Math.max(0, Math.min(settle, cap)) + rank * (this.#d.rankDelayMs ?? GROUP_CALL_ROTATE_RANK_MS));
  }

  #fire(): void {
    this.#timer = undefined;
    const pending = this.#pending;
    if (pending === undefined || this.#stopped) return;
    const epoch = this.#d.epoch();
    if (epoch !== undefined && epoch > pending) return this.#clear();
    this.#firstLeaveAt = undefined;
    this.#d.rotate(pending);
  }

  #clear(): void {
    if (this.#timer !== undefined) this.#t.clear(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
    this.#firstLeaveAt = undefined;
  }
}
