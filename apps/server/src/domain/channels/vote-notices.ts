import type { BusEvent } from '../../bus/bus.ts';

interface Window {
  timer: ReturnType<typeof setTimeout>;
  /** A vote came after the notice that opened this window: one more notice when it ends. */
  pending: boolean;
}

/**
 * R185: tells a wrapped channel's members that a poll's counts changed (`wrapped_votes {communityId, seq}`,
 * no voter named), at most once per `everyMs` per poll on this node: the first change is told at once, the
 * changes within the next `everyMs` together when it ends. So a poll voted a thousand times a second costs
 * each member connection one small frame per interval, not one per vote.
 */
export class VoteNotices {
  readonly #windows = new Map<string, Window>();
  readonly #publish: (event: Extract<BusEvent, { type: 'wrapped_votes' }>) => Promise<void>;
  readonly #everyMs: number;
  readonly #onError: (err: unknown, context: Record<string, unknown>) => void;

  constructor(publish: (event: Extract<BusEvent, { type: 'wrapped_votes' }>) => Promise<void>, everyMs: number, onError: (err: unknown, context: Record<string, unknown>) => void) {
    this.#publish = publish;
    this.#everyMs = everyMs;
    this.#onError = onError;
  }

  changed(communityId: string, seq: number): void {
    const key = `${communityId}\n${seq}`;
    const open = this.#windows.get(key);
    if (open) {
      open.pending = true;
      return;
    }
    this.#tell(communityId, seq);
    this.#open(key, communityId, seq);
  }

  /** Drops the waiting notices (the node is closing). */
  stop(): void {
    for (const w of this.#windows.values()) clearTimeout(w.timer);
    this.#windows.clear();
  }

  #open(key: string, communityId: string, seq: number): void {
    const w: Window = {
      pending: false,
      timer: setTimeout(() => {
        this.#windows.delete(key);
        if (!w.pending) return;
        this.#tell(communityId, seq);
        this.#open(key, communityId, seq);
      }, this.#everyMs),
    };
    w.timer.unref?.();
    this.#windows.set(key, w);
  }

  #tell(communityId: string, seq: number): void {
    this.#publish({ type: 'wrapped_votes', communityId, seq }).catch((err: unknown) => this.#onError(err, { communityId, seq, notice: 'wrapped_votes' }));
  }
}
