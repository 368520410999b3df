import type { AppendRequest, AppendResult, Storage } from '../storage/storage.ts';

interface Pending {
  request: AppendRequest;
  resolve: (result: AppendResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: sends that arrive in the same event-loop turn are appended in one durable
 * transaction (one fsync for many messages). Nobody is acknowledged before the commit returns.
 * If a batch fails, each entry is retried on its own so one bad request can't fail others.
 */
export class GroupCommit {
  readonly #storage: Storage;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #flushing = false;
  #scheduled = false;

  constructor(storage: Storage, maxBatch = 512) {
    this.#storage = storage;
    this.#maxBatch = maxBatch;
  }

  /** Sends waiting for a commit (queued or in the batch being written). */
  get queued(): number {
    return this.#queue.length + (this.#flushing ? 1 : 0);
  }

  /** Resolves once nothing is queued or being written (a draining node waits for this). */
  async idle(): Promise<void> {
    while (this.#queue.length > 0 || this.#flushing || this.#scheduled) await new Promise((r) => setTimeout(r, 5));
  }

  append(request: AppendRequest): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          const results = await this.#storage.appendMessages(batch.map((p) => p.request));
          batch.forEach((p, i) => {
            const result = results[i];
            if (result) p.resolve(result);
            else p.reject(new Error('storage returned fewer results than requests'));
          });
        } catch {
          for (const p of batch) {
            try {
              const [result] = await this.#storage.appendMessages([p.request]);
              if (result) p.resolve(result);
              else p.reject(new Error('storage returned no result'));
            } catch (err) {
              p.reject(err);
            }
          }
        }
      }
    } finally {
      this.#flushing = false;
    }
  }
}
