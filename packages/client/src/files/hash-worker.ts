// SHA-256 on a worker thread of its own (Node), for the R52 hash of a large upload: the ciphertext
// is hashed on the second core while the main thread seals the next PATCH and feeds the socket
// (hashing was ~a quarter of an upload's main-thread time: docs/BENCHMARKS.md). The bytes are
// handed over as views of SharedArrayBuffers, so nothing is copied; the caller must leave them
// alone until their update() resolved.

/** The worker, as a CommonJS script (no file to resolve: the SDK runs from sources or a bundle). */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
parentPort.on('message', (m) => {
  if (m.bytes) hash.update(m.bytes);
  parentPort.postMessage(m.digest ? hash.copy().digest('hex') : '');
});`;

interface WorkerLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (value: string) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  unref(): void;
  terminate(): Promise<number>;
}

/** An incremental SHA-256 whose work runs on a worker thread; calls are answered in order. */
export class WorkerSha256 {
  readonly #worker: WorkerLike;
  readonly #waiting: { resolve(hex: string): void; reject(err: unknown): void }[] = [];
  #failure: unknown;

  private constructor(worker: WorkerLike) {
    this.#worker = worker;
    worker.unref(); // never what keeps a process alive
    worker.on('message', (hex) => this.#waiting.shift()?.resolve(hex));
    worker.on('error', (err) => {
      this.#failure = err;
      for (const w of this.#waiting.splice(0)) w.reject(err);
    });
  }

  /** A started worker, or undefined where there are no worker threads. */
  static async start(): Promise<WorkerSha256 | undefined> {
    try {
      const specifier: string = 'node:worker_threads';
      const { Worker } = (await import(/* @vite-ignore */ specifier)) as { Worker: new (src: string, opts: { eval: true }) => WorkerLike };
      return new WorkerSha256(new Worker(SOURCE, { eval: true }));
    } catch {
      return undefined;
    }
  }

  /**
   * Hashes `bytes` after everything given before; resolves once done. A view of a
   * SharedArrayBuffer is shared with the worker (keep it unchanged until then); anything else is copied.
   */
  update(bytes: Uint8Array): Promise<void> {
    if (!(bytes.buffer instanceof SharedArrayBuffer)) {
      const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
      shared.set(bytes);
      bytes = shared;
    }
    return this.#ask({ bytes }).then(() => undefined);
  }

  /** Hex digest of everything hashed so far. */
  hex(): Promise<string> {
    return this.#ask({ digest: true });
  }

  close(): void {
    void this.#worker.terminate();
  }

  #ask(message: object): Promise<string> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#worker.postMessage(message);
    });
  }
}

/**
 * The read buffers of a large download (node-get.ts `readBuffer`), in one SharedArrayBuffer: each
 * socket read lands in a free slot, which the worker hashes where it lies while the main thread
 * opens the same bytes; the slot is free again once hashed. Should none be free, a read lands in a
 * spare buffer the worker gets a copy of; `roomy()` tells the reader to pause before that happens.
 */
export class HashRing {
  static readonly SLOTS = 32;
  static readonly SLOT_BYTES = 512 * 1024;
  readonly #shared = new SharedArrayBuffer(HashRing.SLOTS * HashRing.SLOT_BYTES);
  readonly #busy: boolean[] = new Array<boolean>(HashRing.SLOTS).fill(false);
  #next = 0;
  #spare: Uint8Array | undefined;
  /** Called when a slot was hashed. */
  onFree: (() => void) | undefined;

  constructor(readonly hash: WorkerSha256) {}

  /** The buffer for the next socket read (Node asks once before each read). */
  readonly buffer = (): Uint8Array => {
    for (let k = 0; k < HashRing.SLOTS; k++) {
      const at = (this.#next + k) % HashRing.SLOTS;
      if (this.#busy[at]) continue;
      this.#next = (at + 1) % HashRing.SLOTS;
      return new Uint8Array(this.#shared, at * HashRing.SLOT_BYTES, HashRing.SLOT_BYTES);
    }
    return (this.#spare ??= new Uint8Array(HashRing.SLOT_BYTES));
  };

  /** Hashes bytes of the read that just came (a view of its slot, shared; anything else is copied). */
  update(bytes: Uint8Array): void {
    const slot = bytes.buffer === this.#shared ? Math.floor(bytes.byteOffset / HashRing.SLOT_BYTES) : -1;
    if (slot >= 0) this.#busy[slot] = true;
    void this.hash.update(bytes).catch(() => undefined).then(() => { // a failure comes with hex()
      if (slot < 0) return;
      this.#busy[slot] = false;
      this.onFree?.();
    });
  }

  /** Whether the worker keeps up: a few slots are free for the reads to come. */
  roomy(): boolean {
    let free = 0;
    for (const busy of this.#busy) if (!busy && ++free >= 4) return true;
    return false;
  }
}
