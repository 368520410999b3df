import type { FrameKeySink } from './call-keys.ts';
import type { CallEpochKey } from './frame-keys.ts';

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

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(timer: unknown): void;
  now(): number;
}
