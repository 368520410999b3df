import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { FILE_CHUNK_TAG_BYTES, ParleyError, cipherSize, type Attachment } from '@parley/protocol';
import { bytesToBase64 } from '../encoding.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, readAttachment, type BlobGet } from './download.ts';
import { openSource } from './sources.ts';
import { ChunkLayout, CipherReader, bytesSource, concat, chunkNonce, decryptChunk, encryptChunk, importFileKey, newFileKey } from './file-crypto.ts';

const CB = 16 * 1024; // the smallest chunk size, so files of many chunks stay small

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** Encrypts `plain` as R52 says; returns the blob and the attachment that opens it. */
async function seal(plain: Uint8Array, chunkBytes = CB): Promise<{ blob: Uint8Array; att: Attachment }> {
  const raw = newFileKey();
  const reader = new CipherReader(await importFileKey(raw), bytesSource(plain), chunkBytes);
  const blob = await reader.read(0, reader.layout.cipherSize);
  const att: Attachment = {
    blobId: 'A'.repeat(22), key: bytesToBase64(raw), sha256: await reader.digest(), size: plain.length, chunkBytes, kind: 'file', name: 'f.bin', mime: 'application/octet-stream',
  };
  return { blob, att };
}

/** A blob server in memory: answers Range as HTTP does (inclusive end), 206 or 200. */
function serve(blob: Uint8Array, opts: { ignoreRange?: boolean; status?: number; pieces?: number } = {}): BlobGet & { ranges: (string | undefined)[] } {
  const ranges: (string | undefined)[] = [];
  const get = async (_id: string, range: { start: number; end: number } | undefined) => {
    ranges.push(range && `${range.start}-${range.end}`);
    if (opts.status) return new Response(JSON.stringify({ error: { code: 'blob_not_found', message: 'no' } }), { status: opts.status });
    const body = range && !opts.ignoreRange ? blob.slice(range.start, range.end + 1) : blob.slice();
    // Delivered in odd-sized pieces, as a network does.
    const piece = opts.pieces ?? 7777;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < body.length; i += piece) c.enqueue(body.slice(i, i + piece));
        c.close();
      },
    });
    return new Response(stream, { status: range && !opts.ignoreRange ? 206 : 200 });
  };
  return Object.assign(get, { ranges });
}

async function damaged(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ParleyError && e.code === 'file_damaged');
}

describe('R52 file encryption', () => {
  it('nonce = 4 zero bytes, 7-byte big-endian index, last flag', () => {
    assert.deepEqual([...chunkNonce(0, false)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...chunkNonce(0x010203, true)], [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 1]);
    assert.deepEqual([...chunkNonce(2 ** 40 + 5, false)].slice(4), [0, 1, 0, 0, 0, 0, 5, 0]);
  });

  for (const size of [0, 1, CB - 1, CB, CB + 1, 5 * CB + 123]) {
    it(`round trip of ${size} bytes (ciphertext is cipherSize, hash checked)`, async () => {
      const plain = random(size);
      const { blob, att } = await seal(plain);
      assert.equal(blob.length, cipherSize(size, CB));
      assert.equal(att.sha256, createHash('sha256').update(blob).digest('hex'));
      assert.deepEqual(await collect(readAttachment(att, serve(blob))), plain);
    });
  }

  it('ciphertext is deterministic per key: any range made again matches, whatever the order it is read in', async () => {
    const plain = random(3 * CB + 5);
    const raw = newFileKey();
    const key = await importFileKey(raw);
    const first = new CipherReader(key, bytesSource(plain), CB);
    const whole = await first.read(0, first.layout.cipherSize);
    const again = new CipherReader(key, bytesSource(plain), CB);
    // A resume after a restart: starts in the middle (hashing the gap), a retry goes back.
    const mid = await again.read(20_000, 40_000);
    assert.deepEqual(mid, whole.subarray(20_000, 40_000));
    assert.deepEqual(await again.read(10, 30_000), whole.subarray(10, 30_000));
    assert.deepEqual(await again.read(40_000, again.layout.cipherSize), whole.subarray(40_000));
    assert.equal(await again.digest(), await first.digest());
    assert.equal(await again.digest(), createHash('sha256').update(whole).digest('hex'));
  });

  it('a file on disk read range after range through one reused buffer gives the same ciphertext', async () => {
    const plain = random(9 * CB + 77);
    const dir = mkdtempSync(join(tmpdir(), 'parley-fc-'));
    try {
      const path = join(dir, 'f.bin');
      writeFileSync(path, plain);
      const { blob, att } = await seal(plain);
      const key = await importFileKey(Buffer.from(att.key, 'base64'));
      const reader = new CipherReader(key, await openSource({ path }, plain.length), CB);
      // Ranges of different lengths, as tus asks for them: each is the same bytes as the whole.
      const got: Uint8Array[] = [];
      for (const [s, e] of [[0, 3 * CB], [3 * CB, 3 * CB + 10], [3 * CB + 10, 8 * CB], [8 * CB, blob.length]] as const) got.push(concat(await reader.readPieces(s, e)));
      assert.deepEqual(Buffer.concat(got), Buffer.from(blob));
      assert.equal(await reader.digest(), att.sha256);
      await reader.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const piece of [CB + FILE_CHUNK_TAG_BYTES, 3 * (CB + FILE_CHUNK_TAG_BYTES) + 5, 100]) {
    it(`opens chunks from network pieces of ${piece} bytes (inside one piece or across several)`, async () => {
      const plain = random(6 * CB + 3);
      const { blob, att } = await seal(plain);
      assert.deepEqual(await collect(readAttachment(att, serve(blob, { pieces: piece }))), plain);
      const bad = blob.slice();
      bad[4 * (CB + 16) + 1]! ^= 1;
      await damaged(collect(readAttachment(att, serve(bad, { pieces: piece }))));
    });
  }

  it('reads a plaintext range through only the chunks that hold it', async () => {
    const plain = random(10 * CB);
    const { blob, att } = await seal(plain);
    const get = serve(blob);
    const part = await collect(readAttachment(att, get, { start: 3 * CB + 100, end: 5 * CB + 7 }));
    assert.deepEqual(part, plain.subarray(3 * CB + 100, 5 * CB + 7));
    const c = CB + FILE_CHUNK_TAG_BYTES;
    assert.deepEqual(get.ranges, [`${3 * c}-${6 * c - 1}`], 'chunks 3..5, nothing else');
    assert.deepEqual(await collect(readAttachment(att, get, { start: 10 * CB - 1, end: 10 * CB })), plain.subarray(10 * CB - 1));
    // A server that ignores Range: still right.
    assert.deepEqual(await collect(readAttachment(att, serve(blob, { ignoreRange: true }), { start: CB, end: CB + 10 })), plain.subarray(CB, CB + 10));
    assert.deepEqual(new ChunkLayout(0, CB).cipherRangeFor(0, 0), { first: 0, last: 0, start: 0, end: 16 });
  });

  it('an altered byte fails as file_damaged, in a whole read and in a range read', async () => {
    const plain = random(4 * CB);
    const { blob, att } = await seal(plain);
    const bad = blob.slice();
    bad[2 * (CB + 16) + 5]! ^= 1;
    await damaged(collect(readAttachment(att, serve(bad))));
    await damaged(collect(readAttachment(att, serve(bad), { start: 2 * CB, end: 2 * CB + 1 })));
    assert.deepEqual(await collect(readAttachment(att, serve(bad), { start: 0, end: CB })), plain.subarray(0, CB), 'other chunks still open');
  });

  it('swapped, dropped, duplicated chunks and truncation fail; a wrong key fails', async () => {
    const plain = random(3 * CB + 10);
    const { blob, att } = await seal(plain);
    const c = CB + 16;
    const chunks = [blob.subarray(0, c), blob.subarray(c, 2 * c), blob.subarray(2 * c, 3 * c), blob.subarray(3 * c)];
    const join = (parts: Uint8Array[]) => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) { out.set(p, at); at += p.length; }
      return out;
    };
    await damaged(collect(readAttachment(att, serve(join([chunks[1]!, chunks[0]!, chunks[2]!, chunks[3]!])))));
    await damaged(collect(readAttachment(att, serve(join([chunks[0]!, chunks[1]!, chunks[2]!]))))); // last chunk dropped
    await damaged(collect(readAttachment(att, serve(join([chunks[0]!, chunks[0]!, chunks[1]!, chunks[2]!, chunks[3]!])))));
    await damaged(collect(readAttachment(att, serve(blob.subarray(0, blob.length - 1)))));
    // Cut at a chunk boundary and told the file is that long: no chunk opens as the last one.
    const cut = { ...att, size: 3 * CB };
    await damaged(collect(readAttachment(cut, serve(join([chunks[0]!, chunks[1]!, chunks[2]!])), { start: 0, end: 3 * CB })));
    await damaged(collect(readAttachment({ ...att, key: bytesToBase64(newFileKey()) }, serve(blob))));
    const key = await importFileKey(newFileKey());
    await damaged(decryptChunk(key, 0, true, await encryptChunk(key, 0, false, new Uint8Array(3))));
  });

  it('a whole download whose sha256 differs fails, though every chunk opens', async () => {
    const { blob, att } = await seal(random(2 * CB));
    await damaged(collect(readAttachment({ ...att, sha256: '0'.repeat(64) }, serve(blob))));
  });

  it('a 404 is blob_not_found', async () => {
    const { blob, att } = await seal(random(10));
    await assert.rejects(collect(readAttachment(att, serve(blob, { status: 404 }))), (e: unknown) => e instanceof ParleyError && e.code === 'blob_not_found');
  });
});
