import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { WORKER_HASH_MIN_BYTES, newSha256, workerSha256 } from './sha256.ts';

describe('R52 ciphertext hash in a worker thread (large files in Node)', () => {
  it('the same digest as in-thread SHA-256, fed in pieces of every size, read midway and at the end', async () => {
    const data = new Uint8Array(3 * 1024 * 1024 + 77);
    for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(data.length, i + 65536)));
    const hash = await workerSha256();
    const reference = createHash('sha256');
    let at = 0;
    for (const n of [1, 5, 1024 * 1024 - 3, 2 * 1024 * 1024 + 50, 0, 27]) {
      const piece = data.subarray(at, at + n);
      await hash.update(piece);
      reference.update(piece);
      at += n;
      if (n === 5) assert.equal(await hash.hex(), reference.copy().digest('hex'), 'a digest midway, and updating goes on');
    }
    // The caller's buffer may change once update settled: what was fed is what is hashed.
    const reused = data.slice(at);
    await hash.update(reused);
    reference.update(reused);
    reused.fill(0);
    assert.equal(await hash.hex(), reference.digest('hex'));
    hash.close();
    assert.throws(() => hash.update(new Uint8Array(1)), /closed/);
    await assert.rejects(hash.hex(), /closed/);
  });

  it('more at once than the shared slots hold: update waits for slots to come back, and hashes in order', async () => {
    const data = new Uint8Array(17 * 1024 * 1024 + 3);
    for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(data.length, i + 65536)));
    const hash = await workerSha256();
    const fed = hash.update(data); // 16 slots of 1 MiB, then it waits for the worker to free some
    let settled = false;
    void Promise.resolve(fed).then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'more than the ring holds: it waits for the worker');
    await fed;
    await hash.update(data.subarray(0, 5));
    await hash.update(data.subarray(5, 10));
    assert.equal(await hash.hex(), createHash('sha256').update(data).update(data.subarray(0, 10)).digest('hex'));
    hash.close();
  });

  it('newSha256 takes the worker only from WORKER_HASH_MIN_BYTES: both give the same digest', async () => {
    const bytes = crypto.getRandomValues(new Uint8Array(4096));
    const small = await newSha256(10);
    const large = await newSha256(WORKER_HASH_MIN_BYTES);
    small.update(bytes);
    large.update(bytes);
    assert.equal(await large.hex(), await small.hex());
    assert.equal(await small.hex(), createHash('sha256').update(bytes).digest('hex'));
    small.close();
    large.close();
  });
});
