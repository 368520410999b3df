import { sha256 } from '@noble/hashes/sha2.js';
import { isNode, nodeModule } from './sources.ts';
import { toHex } from './file-crypto-hex.ts';

/** An incremental SHA-256 (R52: the hash of a file's whole ciphertext). */
export interface Sha256 {
  /**
   * Takes `bytes` in. A promise back settles once they are taken in (at once unless the hashing
   * worker is behind): until then `bytes` must stay as they are and nothing more be fed.
   */
  update(bytes: Uint8Array): void | Promise<void>;
  /** Hex digest of what was fed so far; updating may go on afterwards. */
  hex(): Promise<string>;
  /** Frees what the hash holds (its worker); nothing more may be fed. */
  close(): void;
}

/**
 * Below this many bytes to hash a worker costs more (its start, ~30 ms) than it saves.
 * Exported for tests.
 */
export const WORKER_HASH_MIN_BYTES = 8 * 1024 * 1024;
/** Bytes per slot of the ring shared with the hashing worker. */
const WORKER_BATCH_BYTES = 1024 * 1024;

/**
 * Node's native SHA-256 where there is one (~1.9 GB/s here), else @noble/hashes (~120 MB/s here):
 * Web Crypto has no incremental hash. In a browser the uplink is almost always the slower part.
 * In Node, `bytes` of WORKER_HASH_MIN_BYTES or more are hashed in a worker thread, beside the
 * thread that seals, opens and moves the bytes: hashing was the largest single cost of a file's
 * transfer (~0.6 CPU s per GiB), and it need not wait for anything else.
 */
export async function newSha256(bytes = 0): Promise<Sha256> {
  if (isNode) return bytes >= WORKER_HASH_MIN_BYTES ? workerSha256() : nodeSha256();
  const h = sha256.create();
  return { update: (b) => void h.update(b), hex: async () => toHex(h.clone().digest()), close: () => undefined };
}

async function nodeSha256(): Promise<Sha256> {
  const { createHash } = await nodeModule<typeof import('node:crypto')>('node:crypto');
  const h = createHash('sha256');
  return { update: (b) => void h.update(b), hex: async () => h.copy().digest('hex'), close: () => undefined };
}

// The worker: a message is a slot of the shared ring to hash ({ slot, length }, answered with
// { free: slot }) or 'hex' for the digest so far.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const h = require('node:crypto').createHash('sha256');
const ring = new Uint8Array(workerData.ring);
parentPort.on('message', (m) => {
  if (m === 'hex') parentPort.postMessage({ hex: h.copy().digest('hex') });
  else {
    h.update(ring.subarray(m.slot * workerData.slotBytes, m.slot * workerData.slotBytes + m.length));
    parentPort.postMessage({ free: m.slot });
  }
});`;

/** Slots of the ring shared with the hashing worker, and their size. */
const RING_SLOTS = 16;

/**
 * SHA-256 in a worker thread. Bytes are copied into slots of one SharedArrayBuffer that the worker
 * hashes and hands back (a fresh buffer per batch, moved to the worker, made the main thread's
 * collector run a full collection every few MiB: its external memory kept growing). When all
 * slots are being hashed, `update` waits for one, so memory stays bounded.
 */
export async function workerSha256(): Promise<Sha256> {
  const { Worker } = await nodeModule<typeof import('node:worker_threads')>('node:worker_threads');
  const ring = new Uint8Array(new SharedArrayBuffer(RING_SLOTS * WORKER_BATCH_BYTES));
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ring: ring.buffer, slotBytes: WORKER_BATCH_BYTES } });
  let failed: Error | undefined;
  const waiting: { resolve(hex: string): void; reject(err: Error): void }[] = [];
  const fail = (err: Error) => {
    failed ??= err;
    for (const w of waiting.splice(0)) w.reject(failed);
    for (const w of slotWaiters.splice(0)) w.reject(failed);
  };
  const free = Array.from({ length: RING_SLOTS }, (_, i) => i);
  const slotWaiters: { resolve(slot: number): void; reject(err: Error): void }[] = [];
  worker.on('message', (m: { free: number } | { hex: string }) => {
    if ('free' in m) {
      const waiter = slotWaiters.shift();
      if (waiter) waiter.resolve(m.free);
      else free.push(m.free);
      return;
    }
    waiting.shift()?.resolve(m.hex);
    if (waiting.length === 0 && slotWaiters.length === 0) worker.unref();
  });
  worker.on('error', fail);
  worker.on('exit', () => fail(new Error('the hashing worker stopped')));
  // Keeps the process alive only while a digest is awaited (unref after the listeners: adding one refs it).
  worker.unref();
  let slot: number | undefined;
  let filled = 0;
  const send = () => {
    if (slot === undefined || filled === 0) return;
    worker.postMessage({ slot, length: filled });
    slot = undefined;
    filled = 0;
  };
  const nextFree = async (): Promise<number> => {
    worker.ref(); // what is awaited must keep the process alive
    try {
      return await new Promise<number>((resolve, reject) => slotWaiters.push({ resolve, reject }));
    } finally {
      if (waiting.length === 0 && slotWaiters.length === 0) worker.unref();
    }
  };
  /** Copies `bytes` into slots, waiting for one to come back when all are being hashed (memory stays bounded). */
  const feed = async (bytes: Uint8Array): Promise<void> => {
    for (let at = 0; at < bytes.length;) {
      slot ??= free.shift() ?? (await nextFree());
      const take = Math.min(bytes.length - at, WORKER_BATCH_BYTES - filled);
      ring.set(bytes.subarray(at, at + take), slot * WORKER_BATCH_BYTES + filled);
      filled += take;
      at += take;
      if (filled === WORKER_BATCH_BYTES) send();
    }
  };
  return {
    update(bytes) {
      if (failed) throw failed;
      return feed(bytes);
    },
    hex() {
      if (failed) return Promise.reject(failed);
      send();
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        worker.ref();
        worker.postMessage('hex');
      });
    },
    close() {
      failed ??= new Error('the hash was closed');
      void worker.terminate();
    },
  };
}
