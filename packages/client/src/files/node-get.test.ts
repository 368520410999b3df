import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { ParleyError, type Attachment } from '@parley/protocol';
import { bytesToBase64 } from '../encoding.ts';
import { NetworkError } from '../errors.ts';
import { collect, readAttachment, type BlobGet, type BlobStream } from './download.ts';
import { CipherReader, bytesSource, importFileKey, newFileKey } from './file-crypto.ts';
import { streamGet, type StreamResponse } from './node-get.ts';

// The lean GET (node-get.ts) against a server that writes raw HTTP/1.1, in odd pieces, as a network does.

/** A server that answers each connection with `reply` (bytes or text), written in `piece`-byte writes. */
async function rawServer(reply: (request: string) => (Uint8Array | string)[], opts: { piece?: number; end?: boolean } = {}): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let head = '';
    socket.on('data', async (d) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      requests.push(head);
      const bytes = Buffer.concat(reply(head).map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
      const piece = opts.piece ?? 1000;
      for (let i = 0; i < bytes.length; i += piece) {
        if (!socket.write(bytes.subarray(i, i + piece))) await new Promise((r) => socket.once('drain', r));
      }
      if (opts.end !== false) socket.end();
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/api/v1/blobs/x`,
    requests,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

async function bodyOf(res: StreamResponse): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await res.body((p) => { parts.push(p.slice()); return true; });
  return new Uint8Array(Buffer.concat(parts));
}

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

describe('the lean GET of large downloads (node-get.ts)', () => {
  it('reads a body by Content-Length and a chunked one, head and body cut anywhere; sends the headers', async () => {
    const data = random(300_000);
    await using_(await rawServer(() => [`HTTP/1.1 206 Partial Content\r\nContent-Length: ${data.length}\r\nContent-Range: bytes 0-1/2\r\n\r\n`, data], { piece: 777 }), async (s) => {
      const res = await streamGet(new URL(s.url), { authorization: 'Bearer t', range: 'bytes=5-9' });
      assert.equal(res.status, 206);
      assert.equal(res.header('content-range'), 'bytes 0-1/2');
      assert.deepEqual(await bodyOf(res), data);
      assert.match(s.requests[0]!, /^GET \/api\/v1\/blobs\/x HTTP\/1\.1\r\n/);
      assert.match(s.requests[0]!, /\r\nauthorization: Bearer t\r\n/);
      assert.match(s.requests[0]!, /\r\nrange: bytes=5-9\r\n/);
    });
    const chunked = ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', `${(100_000).toString(16)};x=y\r\n`, data.subarray(0, 100_000), '\r\n', `${(200_000).toString(16)}\r\n`, data.subarray(100_000), '\r\n0\r\nTrailer: 1\r\n\r\n'];
    await using_(await rawServer(() => chunked, { piece: 333, end: false }), async (s) => {
      assert.deepEqual(await bodyOf(await streamGet(new URL(s.url), {})), data, 'a chunked body, the connection left open after it');
    });
  });

  it('a connection that ends before Content-Length is a NetworkError; what take throws ends the read with it; an error body reads whole', async () => {
    await using_(await rawServer(() => ['HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n', 'x'.repeat(4000)]), async (s) => {
      await assert.rejects(bodyOf(await streamGet(new URL(s.url), {})), (e: unknown) => e instanceof NetworkError);
      const res = await streamGet(new URL(s.url), {});
      await assert.rejects(res.body(() => { throw new ParleyError('file_damaged', 'no'); }), (e: unknown) => e instanceof ParleyError && e.code === 'file_damaged');
    });
    const json = JSON.stringify({ error: { code: 'blob_not_found', message: 'no such file' } });
    await using_(await rawServer(() => [`HTTP/1.1 404 Not Found\r\nContent-Length: ${json.length}\r\n\r\n${json}`]), async (s) => {
      const res = await streamGet(new URL(s.url), {});
      assert.equal(res.status, 404);
      assert.deepEqual(await (await res.toResponse()).json(), JSON.parse(json));
    });
    await using_(await rawServer(() => ['HTTP/1.1 302 Found\r\nLocation: /y\r\nContent-Length: 0\r\n\r\n']), async (s) => {
      await assert.rejects(streamGet(new URL(s.url), {}), (e: unknown) => (e as Error).name === 'Unsupported', 'a redirect is left to fetch');
    });
  });

  it('readAttachment through it: the same bytes as through fetch; a damaged or cut blob fails, never a short file', async () => {
    const plain = random(5 * 1024 * 1024 + 77); // over STREAM_MIN_BYTES
    const raw = newFileKey();
    const reader = new CipherReader(await importFileKey(raw), bytesSource(plain), 64 * 1024);
    const blob = await reader.read(0, reader.layout.cipherSize);
    const att: Attachment = { blobId: 'A'.repeat(22), key: bytesToBase64(raw), sha256: await reader.digest(), size: plain.length, chunkBytes: 64 * 1024, kind: 'file', name: 'f.bin', mime: 'application/octet-stream' };
    const fetchless: BlobGet = () => Promise.reject(new Error('fetch was used'));
    const serving = (bytes: Uint8Array) => rawServer(() => [`HTTP/1.1 200 OK\r\nContent-Length: ${bytes.length}\r\n\r\n`, bytes], { piece: 65_000 });
    const via = (url: string): BlobStream => (_id, _range, signal) => streamGet(new URL(url), {}, signal);
    await using_(await serving(blob), async (s) => {
      assert.deepEqual(await collect(readAttachment(att, fetchless, { stream: via(s.url) })), plain);
    });
    const bad = blob.slice();
    bad[3 * 65_552 + 9]! ^= 1;
    await using_(await serving(bad), async (s) => {
      await assert.rejects(collect(readAttachment(att, fetchless, { stream: via(s.url) })), (e: unknown) => e instanceof ParleyError && e.code === 'file_damaged');
    });
    // Cut at a chunk boundary, with a Content-Length that says so: no chunk opens as the last.
    await using_(await serving(blob.subarray(0, 70 * 65_552)), async (s) => {
      await assert.rejects(collect(readAttachment(att, fetchless, { stream: via(s.url) })), (e: unknown) => e instanceof ParleyError && e.code === 'file_damaged');
    });
  });

  it('a whole read of 32 MiB or more is hashed on a worker thread, in the read buffers: the same bytes; a hash that differs fails', async () => {
    const plain = random(40 * 1024 * 1024 + 3);
    const raw = newFileKey();
    const reader = new CipherReader(await importFileKey(raw), bytesSource(plain), 64 * 1024);
    const blob = await reader.read(0, reader.layout.cipherSize);
    const att: Attachment = { blobId: 'A'.repeat(22), key: bytesToBase64(raw), sha256: await reader.digest(), size: plain.length, chunkBytes: 64 * 1024, kind: 'file', name: 'f.bin', mime: 'application/octet-stream' };
    await reader.close();
    await using_(await rawServer(() => [`HTTP/1.1 200 OK\r\nContent-Length: ${blob.length}\r\n\r\n`, blob], { piece: 1 << 20 }), async (s) => {
      const buffers: Uint8Array[] = [];
      const stream: BlobStream = (_id, _range, signal, readBuffer) => streamGet(new URL(s.url), {}, signal, readBuffer && (() => { const b = readBuffer(); buffers.push(b); return b; }));
      assert.deepEqual(await collect(readAttachment(att, () => Promise.reject(new Error('fetch')), { stream })), plain);
      assert.ok(buffers.length > 0 && buffers.every((b) => b.buffer instanceof SharedArrayBuffer), 'reads landed in the shared ring');
      const wrong = { ...att, sha256: att.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
      await assert.rejects(collect(readAttachment(wrong, () => Promise.reject(new Error('fetch')), { stream })), (e: unknown) => e instanceof ParleyError && e.code === 'file_damaged');
    });
  });
});

async function using_<T extends { close(): Promise<void> }>(s: T, fn: (s: T) => Promise<void>): Promise<void> {
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}
