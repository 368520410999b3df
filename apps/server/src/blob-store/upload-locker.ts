import { randomUUID } from 'node:crypto';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/utils';
import { uploadTopic, type Bus } from '../bus/bus.ts';
import type { UploadLeases } from './upload-leases.ts';

export interface UploadLockerOptions {
  leases: UploadLeases;
  bus: Bus;
  clock?: () => number;
  /** How long a lease runs without renewal: how long a dead node can hold an upload. */
  leaseMs?: number;
  /** How long a request waits for the lock before tus answers it with its lock timeout. */
  acquireTimeoutMs?: number;
  /** Between tries while another request holds it. */
  retryMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * tus's Locker across nodes (R53): one writer per upload in the whole cluster, not per process as
 * @tus/server's MemoryLocker. A client cut off mid-PATCH resumes at once, often through another
 * node, while its old request may still be writing there; the new request publishes
 * `upload_release` on the upload's topic (the holder, wherever it runs, ends its request: tus keeps
 * what it stored) and takes the lease once it is free. Leases are renewed while held, so a node
 * that dies frees its uploads after `leaseMs`. On one node the same code runs on MemoryUploadLeases
 * and the in-process bus.
 */
export class UploadLocker implements Locker {
  readonly #o: Required<Omit<UploadLockerOptions, 'onError'>> & { onError: (err: unknown) => void };

  constructor(o: UploadLockerOptions) {
    this.#o = {
      clock: Date.now, leaseMs: 15_000, acquireTimeoutMs: 30_000, retryMs: 100,
      onError: (err) => console.error('upload lock', err), ...o,
    };
  }

  newLock(id: string): Lock {
    return new UploadLock(id, this.#o);
  }
}

class UploadLock implements Lock {
  readonly #id: string;
  readonly #o: Required<UploadLockerOptions>;
  readonly #holder = randomUUID();
  #renew: ReturnType<typeof setInterval> | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(id: string, o: Required<UploadLockerOptions>) {
    this.#id = id;
    this.#o = o;
  }

  async lock(stopSignal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const { leases, bus, clock, leaseMs, acquireTimeoutMs, retryMs } = this.#o;
    const deadline = clock() + acquireTimeoutMs;
    // Listen before taking it, so no release request falls between the two.
    const unsubscribe = bus.subscribe(uploadTopic(this.#id), (event) => {
      if (event.type === 'upload_release' && event.holder !== this.#holder && this.#renew !== undefined) {
        void Promise.resolve().then(requestRelease).catch(this.#o.onError);
      }
    });
    try {
      while (!(await leases.acquire(this.#id, this.#holder, clock(), leaseMs))) {
        if (stopSignal.aborted || clock() >= deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
        await bus.publish(uploadTopic(this.#id), { type: 'upload_release', blobId: this.#id, holder: this.#holder });
        await sleep(retryMs, stopSignal);
      }
    } catch (err) {
      unsubscribe();
      throw err;
    }
    this.#unsubscribe = unsubscribe;
    this.#renew = setInterval(() => {
      leases.renew(this.#id, this.#holder, clock(), leaseMs).then((held) => {
        // Lost (this process stalled past the lease and another took it): stop writing at once.
        if (!held && this.#renew !== undefined) return requestRelease();
      }).catch(this.#o.onError);
    }, Math.max(50, Math.floor(leaseMs / 3)));
    this.#renew.unref();
  }

  async unlock(): Promise<void> {
    clearInterval(this.#renew);
    this.#renew = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#o.leases.release(this.#id, this.#holder);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
