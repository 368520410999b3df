import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FILE_CHUNK_TAG_BYTES, ParleyError, type Attachment } from '@parley/protocol';
import { bytesToBase64 } from '../encoding.ts';
import { collect, readAttachment, type BlobGet } from './download.ts';
import { ChunkLayout, CipherReader, bytesSource, concat, decryptChunk, encryptChunk, importFileKey, newFileKey, type GcmEngine } from './file-crypto.ts';
import { Files } from './files.ts';
import { NodeGcm } from './node-gcm.ts';

// R52 in Node is sealed and opened with Node's own AES-GCM (node-gcm.ts), in browsers with Web
// Crypto: the two must make and accept the same bytes, and both must refuse the same damage.

const CB = 16 * 1024;
const ENGINES: GcmEngine[] = ['auto', 'web'];

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

async function seal(plain: Uint8Array, raw: Uint8Array, engine: GcmEngine, chunkBytes = CB): Promise<{ blob: Uint8Array; att: Attachment }> {
  const reader = new CipherReader(await importFileKey(raw), bytesSource(plain), chunkBytes, engine);
  const blob = await reader.read(0, reader.layout.cipherSize);
  const att: Attachment = {
    blobId: 'A'.repeat(22), key: bytesToBase64(raw), sha256: await reader.digest(), size: plain.length, chunkBytes, kind: 'file', name: 'f.bin', mime: 'application/octet-stream',
  };
  return { blob, att };
}

/** The blob in network pieces of the given sizes, in turn. */
function serve(blob: Uint8Array, pieces: number[]): BlobGet {
  return async (_id, range) => {
    const body = range ? blob.slice(range.start, range.end + 1) : blob.slice();
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0, k = 0; i < body.length; k++) {
          const n = pieces[k % pieces.length]!;
          c.enqueue(body.slice(i, i + n));
          i += n;
        }
        c.close();
      },
    });
    return new Response(stream, { status: range ? 206 : 200 });
  };
}

async function damaged(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ParleyError && e.code === 'file_damaged');
}

describe('R52 with Node\'s AES-GCM and with Web Crypto', () => {
  for (const size of [0, 1, CB - 1, CB, CB + 1, 7 * CB + 123, 40 * CB + 5]) {
    it(`${size} bytes: the same ciphertext and hash from both, each opens the other's`, async () => {
      const plain = random(size);
      const raw = newFileKey();
      const node = await seal(plain, raw, 'auto');
      const web = await seal(plain, raw, 'web');
      assert.deepEqual(node.blob, web.blob);
      assert.equal(node.att.sha256, web.att.sha256);
      assert.equal(node.att.sha256, createHash('sha256').update(web.blob).digest('hex'));
      assert.deepEqual(await collect(readAttachment(web.att, serve(node.blob, [CB + 16]), { engine: 'web' })), plain);
      assert.deepEqual(await collect(readAttachment(node.att, serve(web.blob, [CB + 16]), { engine: 'auto' })), plain);
    });
  }

  it('one chunk sealed by encryptChunk (Web Crypto) opens with NodeGcm and back', async () => {
    const raw = newFileKey();
    const key = await importFileKey(raw);
    const layout = new ChunkLayout(3 * CB + 5, CB);
    const gcm = await NodeGcm.of(key);
    const plain = random(5);
    const sealed = await encryptChunk(key, 3, true, plain);
    assert.deepEqual(gcm.open(layout, 3, sealed), plain);
    const out = new Uint8Array(5 + FILE_CHUNK_TAG_BYTES);
    gcm.sealInto(layout, 3, 3, plain, out);
    assert.deepEqual(await decryptChunk(key, 3, true, out), plain);
    // The same bytes as chunk 2 (not last) do not open as chunk 3.
    assert.throws(() => gcm.open(layout, 2, sealed), (e: unknown) => e instanceof ParleyError && e.code === 'file_damaged');
  });

  // Pieces of a few bytes between larger ones split tags across pieces; 3 chunks and a bit in one piece.
  for (const pieces of [[1, 2, 5, 9000], [7, 3, 16400], [3 * (CB + 16) + 5]]) {
    for (const engine of ENGINES) {
      it(`${engine}: pieces of ${pieces.join('/')} bytes open; altered, cut, swapped, extra bytes and a wrong key fail`, async () => {
        const plain = random(5 * CB + 9);
        const { blob, att } = await seal(plain, newFileKey(), 'auto');
        const read = (b: Uint8Array, a: Attachment = att, range: { start?: number; end?: number } = {}) => collect(readAttachment(a, serve(b, pieces), { engine, ...range }));
        assert.deepEqual(await read(blob), plain);
        assert.deepEqual(await read(blob, att, { start: CB - 3, end: 2 * CB + 4 }), plain.subarray(CB - 3, 2 * CB + 4));
        const c = CB + 16;
        for (const at of [5, c - 1, c - 16, blob.length - 1]) {
          const bad = blob.slice();
          bad[at]! ^= 1;
          await damaged(read(bad));
        }
        await damaged(read(blob.subarray(0, blob.length - 3))); // the last tag cut
        await damaged(read(blob.subarray(0, 2 * c))); // whole chunks missing at the end
        await damaged(read(concat([blob.subarray(c, 2 * c), blob.subarray(0, c), blob.subarray(2 * c)])));
        await damaged(read(concat([blob, new Uint8Array(5)]), { ...att, sha256: createHash('sha256').update(concat([blob, new Uint8Array(5)])).digest('hex') }));
        await damaged(read(blob, { ...att, key: bytesToBase64(newFileKey()) }));
      });
    }
  }

  it('lent reads (tus PATCHes) give the same bytes as fresh ones; the hash is of the whole', async () => {
    const plain = random(20 * CB + 7);
    const raw = newFileKey();
    const { blob, att } = await seal(plain, raw, 'web');
    const reader = new CipherReader(await importFileKey(raw), bytesSource(plain), CB);
    const step = 3 * CB + 100;
    for (let at = 0; at < blob.length; at += step) {
      // Used before the next read, as a PATCH is sent before the next is asked for.
      const got = concat(await reader.readPieces(at, at + step, { lent: true }));
      assert.deepEqual(got, blob.subarray(at, Math.min(blob.length, at + step)));
    }
    assert.equal(await reader.digest(), att.sha256);
  });

  it('a large file hashed on a worker thread (hash-worker.ts): lent, repeated and skipped-ahead reads give the hash of the whole', async () => {
    const plain = random(40 * 1024 * 1024 + 5); // over WORKER_HASH_MIN_BYTES
    const raw = newFileKey();
    const key = await importFileKey(raw);
    const blob = await new CipherReader(key, bytesSource(plain), 64 * 1024, 'web').read(0, Number.MAX_SAFE_INTEGER);
    const reader = new CipherReader(key, bytesSource(plain), 64 * 1024);
    const step = 8 * 1024 * 1024 + 3;
    const firstRead = concat(await reader.readPieces(0, step, { lent: true }));
    assert.ok(firstRead.buffer instanceof SharedArrayBuffer, 'the worker path was taken');
    assert.deepEqual(firstRead, blob.subarray(0, step));
    await reader.readPieces(step - 1000, step + 5, { lent: true }); // a retried PATCH's tail: hashed once
    // A resume after a restart starts ahead of what is hashed: the gap is made and hashed first.
    for (let at = 3 * step; at < blob.length; at += step) {
      assert.deepEqual(concat(await reader.readPieces(at, at + step, { lent: true })), blob.subarray(at, Math.min(blob.length, at + step)));
    }
    assert.equal(await reader.digest(), createHash('sha256').update(blob).digest('hex'));
    await reader.close();
  });
});

describe('downloadTo', () => {
  /** Serves one blob over HTTP (the whole of it, whatever the Range). */
  async function blobServer(blob: Uint8Array): Promise<{ url: string; close(): Promise<void> }> {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': blob.length });
      res.end(blob);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
  }

  it('a file of several write batches arrives whole; one damaged near its end leaves no file, no .part', async () => {
    const plain = random(9 * 1024 * 1024 + 5); // more than two 4 MiB write batches
    const { blob, att } = await seal(plain, newFileKey(), 'auto', 64 * 1024);
    const dir = mkdtempSync(join(tmpdir(), 'parley-dl-'));
    const bad = blob.slice();
    bad[bad.length - 100]! ^= 1;
    const good = await blobServer(blob);
    const broken = await blobServer(bad);
    try {
      const files = (url: string) => new Files({ baseUrl: url, token: async () => 't', rest: (async () => ({})) as never, timeline: () => [] });
      const out = join(dir, 'f.bin');
      await files(good.url).downloadTo(att, out);
      assert.deepEqual(new Uint8Array(readFileSync(out)), plain);
      const out2 = join(dir, 'g.bin');
      await damaged(files(broken.url).downloadTo(att, out2));
      assert.equal(existsSync(out2), false);
      assert.equal(existsSync(`${out2}.part`), false);
    } finally {
      await good.close();
      await broken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
