import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cipherSize, type Attachment } from '@parley/protocol';
import { MemoryStore } from '../stores/memory-store.ts';
import { SealedStore } from '../stores/sealed-store.ts';
import type { ClientStore } from '../store.ts';
import { startFakeTusServer, type FakeTusServer } from './fake-tus-server.ts';
import { Files } from './files.ts';
import { sanitizeFileName, localFileName } from './file-name.ts';
import type { PendingUpload, UploadProgress } from './types.ts';
import { Uploads, type UploadsDeps } from './uploads.ts';

const CB = 16 * 1024;
const random = (n: number) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
};

interface Harness {
  uploads: Uploads;
  completed: { upload: PendingUpload; attachments: Attachment[] }[];
  events: UploadProgress[][];
  done: Promise<void>;
}

function harness(server: FakeTusServer, store: ClientStore, opts: Partial<UploadsDeps> = {}): Harness {
  const completed: Harness['completed'] = [];
  const events: UploadProgress[][] = [];
  let finish!: () => void;
  const done = new Promise<void>((r) => { finish = r; });
  const uploads = new Uploads({
    store, endpoint: `${server.url}/api/v1/blobs`, token: async () => 'token-1', chunkBytes: CB, chunkSize: 64 * 1024, retryDelays: [],
    complete: async (upload, attachments) => { completed.push({ upload, attachments }); finish(); },
    inOutbox: (id) => completed.some((c) => c.upload.clientMsgId === id),
    changed: () => undefined,
    emit: (list) => events.push(list),
    ...opts,
  });
  return { uploads, completed, events, done };
}

const files = (server: FakeTusServer) => new Files({ baseUrl: server.url, token: async () => 'token-1', rest: async () => { throw new Error('no rest'); }, timeline: () => [] });

async function until(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every stored byte of the blob came in exactly once. */
function eachByteOnce(server: FakeTusServer, blobId: string, length: number): void {
  const ranges = server.received.filter((r) => r.blobId === blobId).sort((a, b) => a.start - b.start);
  let at = 0;
  for (const r of ranges) {
    assert.equal(r.start, at, `range at ${r.start} (expected ${at}): no byte twice, no gap`);
    at = r.end;
  }
  assert.equal(at, length);
}

describe('the upload outbox (R52/R53), against a tus server', () => {
  let server: FakeTusServer;
  let dir: string;
  before(async () => {
    server = await startFakeTusServer();
    dir = mkdtempSync(join(tmpdir(), 'parley-uploads-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('encrypts and uploads a Blob and a file on disk; the message is handed over with blob ids and hashes; the bytes come back', async () => {
    const a = random(5 * CB + 77);
    const b = random(200_000);
    const path = join(dir, 'b.bin');
    writeFileSync(path, b);
    const store = new MemoryStore();
    const h = harness(server, store);
    const id = await h.uploads.add('chat_1', [
      { source: new Blob([a]), name: 'photo.jpg', mime: 'image/jpeg', size: a.length, width: 640, height: 480 },
      { source: { path }, name: 'notes\u202Etxt.exe', mime: '', size: b.length },
    ], { text: 'caption' });
    assert.equal((await store.listPendingUploads())[0]?.clientMsgId, id, 'kept before anything is uploaded');
    await h.done;
    const [{ upload, attachments }] = h.completed as [Harness['completed'][0]];
    assert.equal(upload.text, 'caption');
    assert.deepEqual(attachments.map((x) => [x.kind, x.name, x.mime, x.size, x.width]), [
      ['image', 'photo.jpg', 'image/jpeg', a.length, 640], ['file', 'notestxt.exe', 'application/octet-stream', b.length, undefined],
    ]);
    await until(() => h.uploads.list().length === 0, 'the upload to leave the list');
    assert.deepEqual(await store.listPendingUploads(), [], 'handed over: no longer kept as an upload');
    const f = files(server);
    assert.deepEqual(new Uint8Array(await (await f.download(attachments[0]!)).arrayBuffer()), a);
    assert.deepEqual(await f.readRange(attachments[1]!, 100_000, 100_010), b.subarray(100_000, 100_010));
    const out = join(dir, 'b.out');
    await f.downloadTo(attachments[1]!, out);
    assert.deepEqual(new Uint8Array((await import('node:fs')).readFileSync(out)), b);
    await assert.rejects(f.downloadTo(attachments[1]!, out), /EEXIST/, 'never overwrites');
    const last = h.events.flat().filter((e) => e.clientMsgId === id);
    assert.equal(last[0]?.totalBytes, cipherSize(a.length, CB) + cipherSize(b.length, CB));
  });

  it('a connection cut mid-upload, then a restart: resumes from the server offset, each byte sent once', async () => {
    const data = random(400_000);
    const store = await SealedStore.open(new MemoryStore(), await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']));
    server.cutAfter = 150_000;
    const first = harness(server, store, { chunkSize: 256 * 1024 });
    const id = await first.uploads.add('chat_1', [{ source: new Blob([data]), name: 'big.bin', mime: 'application/octet-stream', size: data.length }]);
    await until(() => first.uploads.list()[0]?.state === 'waiting', 'the cut upload to wait for the network');
    const kept = (await store.listPendingUploads())[0]!;
    assert.ok(kept.files[0]?.uploadUrl, 'the tus URL is kept');
    const blobId = kept.files[0]!.uploadUrl!.split('/').pop()!;
    const offset = server.blobs.get(blobId)!.data.length;
    assert.equal(offset, 150_000, 'the server kept what came before the cut');
    first.uploads.stop(); // the app closes

    const second = harness(server, store);
    const logFrom = server.log.length;
    await second.uploads.load();
    await second.done;
    assert.deepEqual(server.log.slice(logFrom, logFrom + 2), [`HEAD /api/v1/blobs/${blobId}`, `PATCH /api/v1/blobs/${blobId}`], 'asks the offset, then goes on');
    eachByteOnce(server, blobId, cipherSize(data.length, CB));
    const att = second.completed[0]!.attachments[0]!;
    assert.equal(second.completed[0]!.upload.clientMsgId, id);
    assert.deepEqual(new Uint8Array(await (await files(server).download(att)).arrayBuffer()), data, 'the hash spans both runs');
  });

  it('a dropped connection resumes by itself (tus retries)', async () => {
    const data = random(300_000);
    server.cutAfter = 70_000;
    const h = harness(server, new MemoryStore(), { retryDelays: [50, 100] });
    await h.uploads.add('chat_1', [{ source: new Blob([data]), name: 'x.bin', mime: 'application/octet-stream', size: data.length }]);
    await h.done;
    const att = h.completed[0]!.attachments[0]!;
    eachByteOnce(server, att.blobId, cipherSize(data.length, CB));
  });

  it('pause keeps the upload; resume goes on; cancel deletes it on the server and drops the message', async () => {
    const data = random(2_000_000);
    const store = new MemoryStore();
    const h = harness(server, store, { chunkSize: 32 * 1024 });
    const id = await h.uploads.add('chat_1', [{ source: new Blob([data]), name: 'x.bin', mime: 'application/octet-stream', size: data.length }]);
    await until(() => (h.uploads.list()[0]?.sentBytes ?? 0) > 100_000, 'some progress');
    const moving = h.uploads.list()[0]!;
    assert.ok(moving.state === 'uploading' && moving.sentBytes < moving.totalBytes && moving.totalBytes === cipherSize(data.length, CB));
    h.uploads.pause(id);
    assert.equal(h.uploads.list()[0]?.state, 'paused');
    assert.equal((await store.listPendingUploads())[0]?.paused, true, 'a restart does not resume it');
    const url = (await store.listPendingUploads())[0]!.files[0]!.uploadUrl!;
    const blobId = url.split('/').pop()!;
    await new Promise((r) => setTimeout(r, 100));
    const atPause = server.blobs.get(blobId)!.data.length;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(server.blobs.get(blobId)!.data.length, atPause, 'nothing sent while paused');
    h.uploads.resume(id);
    await until(() => (server.blobs.get(blobId)?.data.length ?? 0) > atPause, 'it to go on');
    await h.uploads.cancel(id);
    assert.equal(server.blobs.has(blobId), false, 'terminated on the server');
    assert.deepEqual(await store.listPendingUploads(), []);
    assert.deepEqual(h.uploads.list(), []);
    assert.equal(h.completed.length, 0);
  });

  it('a refusal (quota_exceeded) fails the message with that code, kept until cancelled', async () => {
    server.refuseCreate = { status: 413, code: 'quota_exceeded' };
    try {
      const store = new MemoryStore();
      const h = harness(server, store);
      await h.uploads.add('chat_1', [{ source: new Blob(['x']), name: 'x', mime: 'text/plain', size: 1 }]);
      await until(() => h.uploads.list()[0]?.state === 'failed', 'the failure');
      assert.equal(h.uploads.list()[0]?.error, 'quota_exceeded');
      assert.equal((await store.listPendingUploads())[0]?.failedCode, 'quota_exceeded');
    } finally {
      delete server.refuseCreate;
    }
  });

  it('too_many_uploads waits and goes on when the device comes online; two messages upload at a time', async () => {
    const store = new MemoryStore();
    const completed: string[] = [];
    const uploads = new Uploads({
      store, endpoint: `${server.url}/api/v1/blobs`, token: async () => 'token-1', chunkBytes: CB, chunkSize: 64 * 1024, retryDelays: [],
      complete: async (upload) => { completed.push(upload.clientMsgId); }, inOutbox: () => false, changed: () => undefined, emit: () => undefined,
    });
    server.refuseCreate = { status: 429, code: 'too_many_uploads' };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await uploads.add('chat_1', [{ source: new Blob([random(150_000) as Uint8Array<ArrayBuffer>]), name: `f${i}`, mime: 'x/y', size: 150_000 }]));
    try {
      // Two try at once; refused, they wait (a slot each frees), and the third tries and waits too.
      await until(() => uploads.list().filter((u) => u.state === 'waiting').length === 3, 'all three waiting for the server');
      assert.ok(server.log.filter((l) => l.startsWith('POST')).length >= 3);
      delete server.refuseCreate;
      uploads.online();
      await until(() => completed.length === 3, 'all three to complete', 20_000);
      assert.deepEqual([...completed].sort(), [...ids].sort());
    } finally {
      delete server.refuseCreate;
      uploads.stop();
    }
  });

  it('bad files are refused before anything is kept', async () => {
    const store = new MemoryStore();
    const h = harness(server, store);
    await assert.rejects(h.uploads.add('chat_1', []), /1 to 10 files/);
    await assert.rejects(h.uploads.add('chat_1', Array.from({ length: 11 }, () => ({ source: new Blob(['x']), name: 'x', mime: 'text/plain', size: 1 }))), /1 to 10/);
    await assert.rejects(h.uploads.add('chat_1', [{ source: new Blob(['x']), name: 'x', mime: 'text/plain', size: 1, width: -3 }]), /bad_request|width/);
    assert.deepEqual(await store.listPendingUploads(), []);
  });

  it('the sealed store keeps no caption, name or key in the clear; Blob sources come back', async () => {
    const inner = new MemoryStore();
    const store = await SealedStore.open(inner, await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']));
    const blob = new Blob(['abc']);
    const upload: PendingUpload = {
      clientMsgId: 'c1', chatId: 'chat_1', createdAt: 1, text: 'SECRET-CAPTION',
      files: [{ attachment: { key: 'K'.repeat(43) + '=', size: 3, chunkBytes: CB, kind: 'file', name: 'SECRET-NAME.pdf', mime: 'application/pdf' }, source: blob }, { attachment: { key: 'L'.repeat(43) + '=', size: 3, chunkBytes: CB, kind: 'file', name: 'b', mime: 'a/b' }, source: { path: '/SECRET-PATH' } }],
    };
    await store.putPendingUpload(upload);
    const raw = JSON.stringify(await inner.listPendingUploads());
    for (const secret of ['SECRET-CAPTION', 'SECRET-NAME', 'KKKK', 'SECRET-PATH']) assert.ok(!raw.includes(secret), secret);
    const [back] = await store.listPendingUploads();
    assert.equal(back?.text, 'SECRET-CAPTION');
    assert.equal(back?.files[0]?.source, blob);
    assert.deepEqual(back?.files[1]?.source, { path: '/SECRET-PATH' });
  });
});

describe('R52 file names', () => {
  it('control and bidi characters are removed for display; local names are safe to create', () => {
    assert.equal(sanitizeFileName('inv\u202Efdp.exe'), 'invfdp.exe');
    assert.equal(sanitizeFileName(' a\u0000b\u0007\u2066c\u2069\u200F.txt\n'), 'abc.txt');
    assert.equal(localFileName('../../etc/passwd'), '_.._etc_passwd');
    assert.equal(localFileName('..'), 'download');
    assert.equal(localFileName('.bashrc'), 'bashrc');
    assert.equal(localFileName('a\\b:c.txt'), 'a_b_c.txt');
    assert.equal(localFileName(`${'x'.repeat(300)}.pdf`).length, 200);
    assert.ok(localFileName(`${'x'.repeat(300)}.pdf`).endsWith('.pdf'));
  });
});

describe('media view', () => {
  it('lists a chat\'s attachments newest first by kind, paged; deleted and uploading ones are left out', async () => {
    const att = (n: number, kind: 'image' | 'video' | 'file' | 'voice' | 'audio') => ({ blobId: `B${String(n).padStart(21, '0')}`, key: 'K'.repeat(43) + '=', sha256: 'a'.repeat(64), size: 1, chunkBytes: CB, kind, name: `f${n}`, mime: 'x/y' });
    const item = (id: string, seq: number | null, attachments: ReturnType<typeof att>[], extra: object = {}) => ({
      id, chatId: 'c', seq, senderUserId: 'u', sentAt: seq ?? 99, text: '', edited: false, deleted: false, reactions: [], state: 'sent' as const, mine: false, attachments, ...extra,
    });
    const timeline = [
      item('m1', 1, [att(1, 'image'), att(2, 'file')]),
      item('m2', 2, [att(3, 'video'), att(4, 'image'), att(5, 'voice')]),
      item('m3', 3, [att(6, 'image')], { deleted: true }),
      item('m4', 4, [att(7, 'audio')]),
      item('m5', null, [att(8, 'image')]),
    ];
    const f = new Files({ baseUrl: 'http://x', token: async () => 't', rest: async () => { throw new Error('no'); }, timeline: () => timeline as never });
    const page1 = f.media('c', { filter: 'media', limit: 2 });
    assert.deepEqual(page1.items.map((m) => [m.messageId, m.index, m.attachment.name]), [['m2', 1, 'f4'], ['m2', 0, 'f3']]);
    const page2 = f.media('c', { filter: 'media', limit: 2, before: page1.next! });
    assert.deepEqual(page2.items.map((m) => m.attachment.name), ['f1']);
    assert.equal(page2.next, undefined);
    assert.deepEqual(f.media('c', { filter: 'files' }).items.map((m) => m.attachment.name), ['f7', 'f2']);
    assert.deepEqual(f.media('c', { filter: 'voice' }).items.map((m) => m.attachment.name), ['f5']);
  });
});
