import { sha256 } from '@noble/hashes/sha2.js';
import { isNode, nodeModule } from './sources.ts';
import { toHex } from './file-crypto-hex.ts';

/** An incremental SHA-256 (R52: the hash of a file's whole ciphertext). */
export interface Sha256 {
  /** Takes `bytes` in; the caller may reuse them as soon as this returns. */
  update(bytes: Uint8Array): void;
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
/** Bytes copied into one message to the hashing worker. */
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

// The worker: messages are arrays of bytes to hash in order, or 'hex' for the digest so far.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const h = require('node:crypto').createHash('sha256');
parentPort.on('message', (m) => {
  if (m === 'hex') parentPort.postMessage(h.copy().digest('hex'));
  else h.update(m);
});`;

/** SHA-256 in a worker thread: bytes are copied into 1 MiB batches, each moved (not copied again) to it. */
export async function workerSha256(): Promise<Sha256> {
  const { Worker } = await nodeModule<typeof import('node:worker_threads')>('node:worker_threads');
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  let failed: Error | undefined;
  const waiting: { resolve(hex: string): void; reject(err: Error): void }[] = [];
  const fail = (err: Error) => {
    failed ??= err;
    for (const w of waiting.splice(0)) w.reject(failed);
  };
  worker.on('message', (hex: string) => {
    waiting.shift()?.resolve(hex);
    if (waiting.length === 0) worker.unref();
  });
  worker.on('error', fail);
  worker.on('exit', () => fail(new Error('the hashing worker stopped')));
  // Keeps the process alive only while a digest is awaited (unref after the listeners: adding one refs it).
  worker.unref();
  let batch: Uint8Array | undefined;
  let filled = 0;
  const send = () => {
    if (!batch || filled === 0) return;
    const full = filled === batch.length ? batch : batch.slice(0, filled);
    worker.postMessage(full, [full.buffer as ArrayBuffer]);
    batch = undefined;
    filled = 0;
  };
  return {
    update(bytes) {
      if (failed) throw failed;
      for (let at = 0; at < bytes.length;) {
        batch ??= new Uint8Array(WORKER_BATCH_BYTES);
        const take = Math.min(bytes.length - at, batch.length - filled);
        batch.set(bytes.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === batch.length) send();
      }
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
