// Files over the real server (R53-R55): uploads with the real tus client and by hand, limits at
// creation and at the first byte over, offsets and checksums, the no-plaintext scan of the blob store.
import assert from 'node:assert/strict';
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { cipherSize, MIN_FILE_CHUNK_BYTES, type StorageUsage } from '@parley/protocol';
import { startTestServer } from '@parley/testing';
import { blobUser, create, created, download, groupOf, head, patch, peerOf, sendWithBlobs, tusUpload } from './blob-http.ts';
import { ChaosProxy } from './chaos-proxy.ts';
import { leaks, serverBytes } from './server-bytes.ts';

/** R52 as a sender does it: AES-256-GCM chunks with the index-and-last nonce (enough of it to test the server with real ciphertext). */
async function encryptFile(plaintext: Buffer, chunkBytes = 64 * 1024): Promise<Buffer> {
  const key = await webcrypto.subtle.importKey('raw', randomBytes(32), 'AES-GCM', false, ['encrypt']);
  const chunks: Buffer[] = [];
  const count = Math.max(1, Math.ceil(plaintext.length / chunkBytes));
  for (let i = 0; i < count; i++) {
    const iv = Buffer.alloc(12);
    iv.writeUIntBE(i, 5, 6); // uint56be(i): i < 2^48 here, so its first byte is 0
    iv[11] = i === count - 1 ? 1 : 0;
    chunks.push(Buffer.from(await webcrypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plaintext.subarray(i * chunkBytes, (i + 1) * chunkBytes))));
  }
  return Buffer.concat(chunks);
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A TCP proxy that cuts its n-th connection after `cuts[n]` bytes from the client (then forwards the rest untouched). */
class CuttingProxy implements AsyncDisposable {
  cut = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  private constructor(server: Server, readonly url: string) {
    this.#server = server;
  }

  static async start(upstreamPort: number, cuts: number[]): Promise<CuttingProxy> {
    let connections = 0;
    let self: CuttingProxy | undefined;
    const server = createServer((client) => {
      const limit = cuts[connections++];
      const upstream = connect(upstreamPort, '127.0.0.1');
      for (const s of [client, upstream]) self?.track(s);
      let sent = 0;
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('data', (chunk: Buffer) => {
        if (limit !== undefined && sent + chunk.length > limit) {
          upstream.write(chunk.subarray(0, limit - sent), () => end());
          if (self) self.cut += 1;
          sent = limit;
          client.removeAllListeners('data');
          return;
        }
        sent += chunk.length;
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    self = new CuttingProxy(server, `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    return self;
  }

  track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe('files: uploads (R53) and downloads (R55) through the real server', () => {
  it('R53 R54 R55 a tus upload, referenced by a send, is read by two members whole and in ranges; the server keeps no name and no plaintext', async () => {
    await using server = await startTestServer();
    const [alice, bob, carol] = await Promise.all([blobUser(server.url), blobUser(server.url), blobUser(server.url)]);
    const plaintext = Buffer.concat([Buffer.from('MINUTES OF THE BUILDING MEETING: the roof is leaking again. '), randomBytes(700_000)]);
    const blob = await encryptFile(plaintext);
    assert.equal(blob.length, cipherSize(plaintext.length));
    const name = 'minutes-of-the-building-meeting.pdf';
    const blobId = await tusUpload(server.url, alice.token, blob, { chunkSize: 256 * 1024, metadata: { filename: name, filetype: 'application/pdf' } });
    assert.match(blobId, /^[A-Za-z0-9_-]{22}$/);

    const chatId = await groupOf(alice, [bob, carol]);
    const peer = await peerOf(server.url, alice);
    const ack = await sendWithBlobs(peer, chatId, 'minutes_1', { blobs: [blobId] });
    assert.deepEqual([ack['type'], ack['duplicate']], ['ack', false]);

    const whole = await download(server.url, bob.token, blobId);
    assert.equal(whole.status, 200);
    assert.equal(sha256(whole.body), sha256(blob), 'bob checks the hash of the whole blob');
    assert.equal(whole.headers.get('content-type'), 'application/octet-stream');
    assert.equal(whole.headers.get('cache-control'), 'private, no-store');
    assert.equal(whole.headers.get('content-security-policy')?.startsWith("default-src 'none'"), true, 'the API\'s security headers apply');
    assert.equal(whole.headers.get('access-control-allow-origin'), null, 'no CORS');
    const firstChunk = await download(server.url, carol.token, blobId, `bytes=0-${64 * 1024 + 15}`);
    assert.deepEqual([firstChunk.status, firstChunk.headers.get('content-range')], [206, `bytes 0-${64 * 1024 + 15}/${blob.length}`]);
    assert.deepEqual(firstChunk.body, blob.subarray(0, 64 * 1024 + 16));
    const tail = await download(server.url, carol.token, blobId, 'bytes=-100');
    assert.deepEqual([tail.status, tail.body], [206, blob.subarray(blob.length - 100)]);
    const middle = await download(server.url, carol.token, blobId, 'bytes=300000-300009');
    assert.deepEqual(middle.body, blob.subarray(300_000, 300_010));
    const past = await download(server.url, carol.token, blobId, `bytes=${blob.length}-`);
    assert.deepEqual([past.status, past.code, past.headers.get('content-range')], [416, 'range_not_satisfiable', `bytes */${blob.length}`]);

    const usage = await alice.api.call<StorageUsage>('GET', '/me/storage');
    assert.deepEqual(usage, { usedBytes: blob.length, quotaBytes: 20 * 1024 ** 3, maxFileBytes: 4 * 1024 ** 3, blobs: 1 });
    const info = await fetch(`${server.url}/api/v1/info`).then((r) => r.json() as Promise<{ limits: { maxFileBytes: number } }>);
    assert.equal(info.limits.maxFileBytes, 4 * 1024 ** 3);

    // What the server wrote (database, WAL, blob store and its tus state files): ciphertext only.
    const blobDir = join(server.dataDir, 'blobs');
    assert.deepEqual(readdirSync(blobDir).sort(), [blobId, `${blobId}.json`]);
    assert.deepEqual(readFileSync(join(blobDir, blobId)), blob);
    const written = serverBytes(server.dataDir);
    for (const secret of [Buffer.from(name), Buffer.from('application/pdf'), Buffer.from('MINUTES OF THE BUILDING'), plaintext.subarray(100_000, 100_064)]) {
      assert.ok(!leaks(written, secret), `the server stored ${secret.subarray(0, 40).toString()}…`);
    }
    peer.close();
  });

  it('R53 creation is refused before any byte is stored: too large, over quota, too many in flight, too fast, no length', async () => {
    const maxFile = 100_000;
    await using server = await startTestServer({
      PARLEY_MAX_FILE_BYTES: String(maxFile), PARLEY_STORAGE_QUOTA_BYTES: '250000', PARLEY_MAX_UPLOADS_IN_FLIGHT: '2', PARLEY_RATE_UPLOADS_PER_HOUR: '5',
    });
    const [alice, bob, carol] = await Promise.all([blobUser(server.url), blobUser(server.url), blobUser(server.url)]);
    const maxBlob = cipherSize(maxFile, MIN_FILE_CHUNK_BYTES);
    const tooLarge = await create(server.url, alice.token, maxBlob + 1);
    assert.deepEqual([tooLarge.status, await codeOf(tooLarge)], [413, 'file_too_large']);
    assert.deepEqual([(await create(server.url, alice.token, 0, { 'upload-defer-length': '1' })).status], [400]);
    const concat = await create(server.url, alice.token, 10, { 'upload-concat': 'partial' });
    assert.deepEqual([concat.status, await codeOf(concat)], [400, 'bad_request'], 'no concatenation extension: a stable code, not a 5xx');
    const noLength = await fetch(`${server.url}/api/v1/blobs`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'tus-resumable': '1.0.0' } });
    assert.deepEqual([noLength.status, await codeOf(noLength)], [400, 'bad_request']);
    const noTus = await fetch(`${server.url}/api/v1/blobs`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'upload-length': '10' } });
    assert.equal(noTus.status, 412, 'tus\'s own answer');
    const anonymous = await fetch(`${server.url}/api/v1/blobs`, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '10' } });
    assert.deepEqual([anonymous.status, await codeOf(anonymous)], [401, 'auth_required']);

    const first = await created(server.url, alice.token, maxBlob);
    const second = await created(server.url, alice.token, 100_000);
    const third = await create(server.url, alice.token, 10);
    assert.deepEqual([third.status, await codeOf(third)], [429, 'too_many_uploads']);
    assert.equal((await patch(server.url, alice.token, second, 0, randomBytes(100_000))).status, 204);
    const overQuota = await create(server.url, alice.token, 250_000 - maxBlob - 100_000 + 1);
    assert.deepEqual([overQuota.status, await codeOf(overQuota)], [413, 'quota_exceeded']);
    assert.deepEqual(readdirSync(join(server.dataDir, 'blobs')).sort(), [first, `${first}.json`, second, `${second}.json`].sort(), 'nothing stored for the refused ones');
    assert.equal((await create(server.url, bob.token, 1000)).status, 201, 'quotas and slots are per account and device');
    const expiring = await create(server.url, carol.token, 10);
    assert.ok(Date.parse(expiring.headers.get('upload-expires') ?? '') > Date.now() + 23 * 3600_000, 'tus expiration: Upload-Expires a day after creation');
    const empty = await create(server.url, carol.token, 0);
    const emptyId = empty.headers.get('location')?.split('/').at(-1) ?? '';
    assert.equal(empty.status, 201);
    const emptyDownload = await download(server.url, carol.token, emptyId);
    assert.deepEqual([emptyDownload.status, emptyDownload.body.length], [200, 0], 'a zero-length blob is complete at once');


    const fifth = await created(server.url, alice.token, 1); // alice's fourth creation (one was refused by the slot check, one by the quota: both counted)
    assert.ok(fifth);
    const limited = await create(server.url, alice.token, 1);
    assert.deepEqual([limited.status, await codeOf(limited)], [429, 'rate_limited']);
  });

  it('R53 a PATCH is refused at the first byte over the declared length; a wrong offset (409) or checksum (460) changes nothing', async () => {
    await using server = await startTestServer();
    const alice = await blobUser(server.url);
    const data = randomBytes(1000);
    const id = await created(server.url, alice.token, data.length);
    const offsetOf = async () => Number((await head(server.url, alice.token, id)).headers.get('upload-offset'));

    const tooLong = await patch(server.url, alice.token, id, 0, randomBytes(1200));
    assert.deepEqual([tooLong.status, await codeOf(tooLong)], [413, 'file_too_large']);
    assert.equal(await offsetOf(), 0, 'a declared length over the rest is refused before a byte is written');
    // Streamed without a length: what fits is stored, the byte past the declared length is refused.
    const streamed = await patch(server.url, alice.token, id, 0, Readable.from([data.subarray(0, 600), randomBytes(600)]));
    assert.equal(streamed.status, 413);
    assert.ok([0, 600].includes(await offsetOf()), 'what came before the chunk that crossed the declared length, at most');
    const at = await offsetOf();
    const rest = async (from: number) => patch(server.url, alice.token, id, from, data.subarray(from));

    const wrongOffset = await patch(server.url, alice.token, id, at + 5, data.subarray(at + 5));
    assert.equal(wrongOffset.status, 409);
    assert.equal(await offsetOf(), at);
    const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('base64');
    const mismatch = await patch(server.url, alice.token, id, at, data.subarray(at), { 'upload-checksum': `sha1 ${sha1(Buffer.from('something else'))}` });
    assert.equal(mismatch.status, 460);
    assert.equal(await offsetOf(), at, 'a body that fails its checksum is not stored');
    const unknownAlgorithm = await patch(server.url, alice.token, id, at, data.subarray(at), { 'upload-checksum': 'crc32 AAAA' });
    assert.equal(unknownAlgorithm.status, 400);
    const options = await fetch(`${server.url}/api/v1/blobs`, { method: 'OPTIONS' });
    assert.match(options.headers.get('tus-extension') ?? '', /checksum/);
    assert.equal(options.headers.get('tus-checksum-algorithm'), 'sha1,sha256');

    if (at > 0) {
      // The streamed PATCH stored a prefix of other bytes: start the upload over.
      assert.equal((await fetch(`${server.url}/api/v1/blobs/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${alice.token}`, 'tus-resumable': '1.0.0' } })).status, 204);
      const again = await created(server.url, alice.token, data.length);
      const ok = await patch(server.url, alice.token, again, 0, data, { 'upload-checksum': `sha1 ${sha1(data)}` });
      assert.deepEqual([ok.status, ok.headers.get('upload-offset')], [204, '1000']);
      assert.deepEqual((await download(server.url, alice.token, again)).body, data);
    } else {
      const ok = await rest(0);
      assert.equal(ok.status, 204);
      assert.deepEqual((await download(server.url, alice.token, id)).body, data);
    }
  });

  it('R53 only the uploading account may HEAD, PATCH or DELETE an upload; DELETE frees the quota; a referenced blob stays', async () => {
    await using server = await startTestServer();
    const [alice, bob] = await Promise.all([blobUser(server.url), blobUser(server.url)]);
    const id = await created(server.url, alice.token, 500);
    const asBob = [
      await head(server.url, bob.token, id),
      await patch(server.url, bob.token, id, 0, randomBytes(500)),
      await fetch(`${server.url}/api/v1/blobs/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${bob.token}`, 'tus-resumable': '1.0.0' } }),
    ];
    assert.deepEqual(asBob.map((r) => r.status), [404, 404, 404]);
    assert.equal(await codeOf(asBob[1]!), 'blob_not_found');
    assert.equal((await head(server.url, alice.token, id)).headers.get('upload-offset'), '0', 'bob changed nothing');

    const del = (token: string, blobId: string) => fetch(`${server.url}/api/v1/blobs/${blobId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' } });
    assert.equal((await del(alice.token, id)).status, 204);
    assert.equal((await head(server.url, alice.token, id)).status, 404);
    assert.deepEqual(await alice.api.call<StorageUsage>('GET', '/me/storage').then((u) => [u.usedBytes, u.blobs]), [0, 0]);
    assert.deepEqual(readdirSync(join(server.dataDir, 'blobs')), []);

    const kept = await tusUpload(server.url, alice.token, randomBytes(300));
    const chatId = await groupOf(alice, [bob]);
    const peer = await peerOf(server.url, alice);
    assert.equal((await sendWithBlobs(peer, chatId, 'kept_1', { blobs: [kept] }))['type'], 'ack');
    const refused = await del(alice.token, kept);
    assert.deepEqual([refused.status, await codeOf(refused)], [403, 'forbidden']);
    assert.equal((await download(server.url, bob.token, kept)).status, 200);
    peer.close();
  });

  it('R53 an upload cut at random offsets by a flaky network resumes where the server stopped and arrives whole', async () => {
    await using server = await startTestServer();
    const alice = await blobUser(server.url);
    const data = randomBytes(6 * 1024 * 1024);
    // Five connections are cut, each after a random number of bytes sent to the server (within the upload).
    const cuts = Array.from({ length: 5 }, () => 50_000 + Math.floor(Math.random() * 600_000));
    const proxy = await CuttingProxy.start(server.port, cuts);
    await using _proxy = proxy;
    const id = await tusUpload(proxy.url, alice.token, data, { chunkSize: 1024 * 1024, retryDelays: Array.from({ length: 20 }, () => 20) });
    assert.ok(proxy.cut >= 2, `cut ${proxy.cut} times (limits ${cuts.join(', ')} bytes of a connection)`);
    const back = await download(server.url, alice.token, id);
    assert.equal(sha256(back.body), sha256(data));
    // A cut chaos proxy too (delays, random cuts), as the other flaky-network tests use.
    const chaos = new ChaosProxy(server.port, { maxDelayMs: 2, cutProbability: 0.01, stallMs: 0 });
    const chaotic = await chaos.listen();
    await using _chaos = { [Symbol.asyncDispose]: () => chaos.close() };
    const again = await tusUpload(chaotic, alice.token, data, { chunkSize: 512 * 1024, retryDelays: Array.from({ length: 60 }, () => 20) });
    assert.equal(sha256((await download(server.url, alice.token, again)).body), sha256(data));
  });

  it('R53 a PATCH whose client goes silent is closed after PARLEY_BLOB_IDLE_TIMEOUT_MS; what arrived is kept and the upload resumes from it', async () => {
    await using server = await startTestServer({ PARLEY_BLOB_IDLE_TIMEOUT_MS: '300' });
    const alice = await blobUser(server.url);
    const data = randomBytes(5000);
    const id = await created(server.url, alice.token, data.length);
    const socket = connect(server.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    socket.write([`PATCH /api/v1/blobs/${id} HTTP/1.1`, 'host: 127.0.0.1', `authorization: Bearer ${alice.token}`, 'tus-resumable: 1.0.0', 'upload-offset: 0',
      'content-type: application/offset+octet-stream', `content-length: ${data.length}`, '', ''].join('\r\n'));
    socket.write(data.subarray(0, 1000));
    const stalledAt = Date.now();
    const closedAt = await closed; // the client sends nothing more
    assert.ok(closedAt - stalledAt < 5000, `the server closed the silent upload after ${closedAt - stalledAt} ms`);
    const offset = Number((await head(server.url, alice.token, id)).headers.get('upload-offset'));
    assert.ok(offset >= 0 && offset <= 1000, `kept what arrived: ${offset}`);
    assert.equal((await patch(server.url, alice.token, id, offset, data.subarray(offset))).status, 204);
    assert.deepEqual((await download(server.url, alice.token, id)).body, data);
  });
});
