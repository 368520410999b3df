/**
 * R40: the node's share-out of history and chat list reads between connections. A read of SQLite
 * runs start to end without waiting for I/O, so however many connections ask, nothing else (a new
 * connection, a sign-in, another member's read) is served until every read started in one turn of
 * the event loop is done: with 100 connections each asking a burst of pages, a turn lasted seconds.
 * So at most `perTurn` reads start per turn (and at most `inFlight` are in progress, for a storage
 * that waits on I/O); the others wait, taken one connection at a time in turn, and the next reads
 * start after the event loop has served its I/O (setImmediate).
 */
export class ReadGate {
  readonly #perTurn: number;
  readonly #inFlight: number;
  #running = 0;
  #startedThisTurn = 0;
  #pumping = false;
  /** Waiting reads by connection, in the order connections first waited (round robin). */
  readonly #waiting = new Map<object, Array<(go: boolean) => void>>();

  constructor(perTurn = 8, inFlight = 64) {
    this.#perTurn = perTurn;
    this.#inFlight = inFlight;
  }

  /** Reads waiting for a start. */
  get waiting(): number {
    let n = 0;
    for (const q of this.#waiting.values()) n += q.length;
    return n;
  }

  /**
   * Resolves true when `owner`'s read may start (call `release` when it ends), or false if the
   * owner's waiting reads were dropped (`drop`, the connection closed) first.
   */
  acquire(owner: object): Promise<boolean> {
    if (this.#waiting.size === 0 && this.#running < this.#inFlight && this.#startedThisTurn < this.#perTurn) {
      this.#start();
      return Promise.resolve(true);
    }
    return new Promise((go) => {
      const queue = this.#waiting.get(owner);
      if (queue) queue.push(go);
      else this.#waiting.set(owner, [go]);
      this.#schedule();
    });
  }

  release(): void {
    this.#running--;
    if (this.#waiting.size > 0) this.#schedule();
  }

  /** Forgets `owner`'s waiting reads; each resolves false. */
  drop(owner: object): void {
    const queue = this.#waiting.get(owner);
    if (!queue) return;
    this.#waiting.delete(owner);
    for (const go of queue) go(false);
  }

  #start(): void {
    this.#running++;
    if (this.#startedThisTurn++ === 0) this.#schedule();
  }

  /** Once per turn: a new turn's allowance, and the waiting reads it starts. */
  #schedule(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    setImmediate(() => {
      this.#pumping = false;
      this.#startedThisTurn = 0;
      while (this.#waiting.size > 0 && this.#running < this.#inFlight && this.#startedThisTurn < this.#perTurn) {
        const [owner, queue] = this.#waiting.entries().next().value as [object, Array<(go: boolean) => void>];
        const go = queue.shift()!;
        // The owner goes to the back of the line, if it has more.
        this.#waiting.delete(owner);
        if (queue.length > 0) this.#waiting.set(owner, queue);
        this.#start();
        go(true);
      }
      if (this.#waiting.size > 0 && this.#running < this.#inFlight) this.#schedule();
    });
  }
}
