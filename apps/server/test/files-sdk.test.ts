import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ParleyError, type ParleyClient, type TimelineItem } from '@parley/client';
import { cipherSize, FILE_CHUNK_BYTES, FILE_CHUNK_TAG_BYTES } from '@parley/protocol';
import { createUser, newClient, startTestServer, waitFor } from '@parley/testing';
import { leaks, serverBytes } from './server-bytes.ts';

/** Files through the SDK and the real server (R52-R56): upload, resume, download, forward, release, damage, no plaintext. */

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/**
 * A loopback TCP proxy that counts the bytes clients send through it, at most `bytesPerSec` of them;
 * `cuts` lists byte counts at which a connection is cut mid-stream (each used once, in order).
 */
async function countingProxy(upstreamPort: number, bytesPerSec = 0, cuts: number[] = []): Promise<{ url: string; sent: () => number; cutsLeft: () => number; close: () => Promise<void> }> {
  let sent = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let onThis = 0;
    client.on('data', (b: Buffer) => {
      sent += b.length;
      onThis += b.length;
      if (cuts.length > 0 && onThis >= cuts[0]!) {
        cuts.shift();
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(b);
      if (bytesPerSec > 0) {
        client.pause();
        setTimeout(() => client.resume(), (b.length / bytesPerSec) * 1000);
      }
    });
    upstream.pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`, sent: () => sent, cutsLeft: () => cuts.length,
    close: async () => { for (const s of sockets) s.destroy(); await new Promise<void>((r) => server.close(() => r())); },
  };
}

const withFiles = (client: ParleyClient, chatId: string, pred: (i: TimelineItem) => boolean = () => true) =>
  client.timeline(chatId).find((i) => (i.attachments?.length ?? 0) > 0 && !i.upload && pred(i));

const bytesOf = async (blob: Blob) => new Uint8Array(await blob.arrayBuffer());

describe('files through the SDK and the real server (R52-R56)', () => {
  it('send, download whole and by ranges, resume after a restart, forward without upload, release on delete, damage detected, no plaintext on the server', async () => {
    // The server's log at debug is part of what the no-plaintext scan reads.
    const log: Buffer[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write(chunk: Buffer, _e, cb) { log.push(Buffer.from(chunk)); cb(); } }));
    await using server = await startTestServer({ PARLEY_LOG_LEVEL: 'debug' }, { logger });
    const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((displayName) => createUser(server.url, { displayName })));
    if (!alice || !bob || !carol) throw new Error('users');
    const group = await alice.client.createGroup({ name: 'Files', memberIds: [bob.userId, carol.userId] });
    await waitFor(() => [alice, bob, carol].every((u) => u.client.chat(group.chatId)?.encryption === 'on'), { what: 'encryption on', timeoutMs: 30_000 });

    // 1. Alice sends a 3 MB file with a caption; Bob and Carol see it and get the same bytes.
    const report = random(3 * 1024 * 1024 + 333);
    const caption = 'CAPTION-3f9a the quarterly figures';
    const name = 'NAME-c81e-quarterly.bin';
    const sentId = await alice.client.sendFiles(group.chatId, [{ source: new Blob([report as Uint8Array<ArrayBuffer>]), name, mime: 'application/octet-stream', size: report.length }], { text: caption });
    assert.equal(alice.client.timeline(group.chatId).find((i) => i.id === sentId)?.upload?.clientMsgId, sentId, 'in Alice\'s timeline at once, with its progress');
    await waitFor(() => withFiles(bob.client, group.chatId) !== undefined && withFiles(carol.client, group.chatId) !== undefined, { what: 'bob and carol get the file', timeoutMs: 60_000 });
    const atBob = withFiles(bob.client, group.chatId)!;
    assert.equal(atBob.text, caption);
    const att = atBob.attachments![0]!;
    assert.deepEqual([att.name, att.size, att.kind, att.chunkBytes], [name, report.length, 'file', FILE_CHUNK_BYTES]);
    let progressCalls = 0;
    assert.deepEqual(await bytesOf(await bob.client.downloadAttachment(att, { onProgress: () => { progressCalls++; } })), report);
    assert.ok(progressCalls > 1, 'download progress');
    const carolAtt = withFiles(carol.client, group.chatId)!.attachments![0]!;
    for (const [s, e] of [[0, 10], [FILE_CHUNK_BYTES - 5, FILE_CHUNK_BYTES + 5], [1_000_000, 1_500_000], [report.length - 1, report.length], [200, 200]] as const) {
      assert.deepEqual(await carol.client.readAttachmentRange(carolAtt, s, e), report.subarray(s, e), `range ${s}-${e}`);
    }
    const usage = await alice.client.storageUsage();
    assert.equal(usage.blobs, 1);
    assert.equal(usage.usedBytes, cipherSize(report.length));
    assert.deepEqual((await bob.client.media(group.chatId, { filter: 'files' })).items.map((m) => [m.messageId, m.index, m.attachment.blobId]), [[atBob.id, 0, att.blobId]]);
    assert.deepEqual((await bob.client.media(group.chatId, { filter: 'media' })).items, []);

    // 2. An upload cut by closing the app resumes in the next run from the server's offset, sending no stored byte again.
    const big = random(6 * 1024 * 1024);
    // The same device's app, started again on its store (one client per device at a time).
    await alice.client.stop();
    const store = alice.store;
    const slow = await countingProxy(Number(new URL(server.url).port), 2 * 1024 * 1024); // a slow uplink: the upload takes a few seconds
    const firstRun = newClient(slow.url, alice.userId, alice.deviceId, alice.deviceKey, store);
    await firstRun.start();
    await waitFor(() => firstRun.connectionState === 'online', { what: 'alice online again' });
    const bigId = await firstRun.sendFiles(group.chatId, [{ source: new Blob([big as Uint8Array<ArrayBuffer>]), name: 'video.mp4', mime: 'video/mp4', size: big.length, width: 1280, height: 720, durationMs: 61_000 }]);
    await waitFor(() => (firstRun.uploads()[0]?.sentBytes ?? 0) > 1024 * 1024, { what: 'a part uploaded', timeoutMs: 60_000 }).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(firstRun.uploads())}`);
    });
    await firstRun.stop();
    await slow.close();
    const kept = (await store.listPendingUploads())[0];
    assert.ok(kept?.files[0]?.uploadUrl, 'the tus URL is kept with the message');
    const token = await store.getMeta('session-token');
    const headRes = await fetch(new URL(new URL(kept.files[0].uploadUrl).pathname, server.url), { method: 'HEAD', headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' } });
    const offset = Number(headRes.headers.get('upload-offset'));
    const total = cipherSize(big.length);
    assert.ok(offset > 0 && offset < total, `the server holds part of it (${offset} of ${total})`);
    const proxy = await countingProxy(Number(new URL(server.url).port));
    const secondRun = newClient(proxy.url, alice.userId, alice.deviceId, alice.deviceKey, store);
    await secondRun.start();
    await waitFor(() => withFiles(bob.client, group.chatId, (i) => i.id === bigId) !== undefined, { what: 'bob gets the resumed file', timeoutMs: 60_000 });
    const resent = proxy.sent();
    if (process.env.PARLEY_TEST_VERBOSE) console.log(`resume: server had ${offset} of ${total}; the second run sent ${resent}`);
    assert.ok(resent < total - offset + 256 * 1024, `the second run sent ${resent} bytes for the ${total - offset} the server lacked`);
    const video = withFiles(bob.client, group.chatId, (i) => i.id === bigId)!;
    assert.equal(video.text, '', 'no caption');
    assert.deepEqual([video.attachments![0]!.kind, video.attachments![0]!.width, video.attachments![0]!.durationMs], ['video', 1280, 61_000]);
    assert.deepEqual(await bytesOf(await bob.client.downloadAttachment(video.attachments![0]!)), big, 'the hash covers both runs');

    // 3. Bob forwards the video (no caption) into a direct chat with Carol: same blob, no new upload.
    const direct = await bob.client.openDirect(carol.userId);
    await waitFor(() => bob.client.chat(direct.chatId)?.encryption === 'on' && carol.client.chat(direct.chatId)?.encryption === 'on', { what: 'direct chat encrypted', timeoutMs: 30_000 });
    const [fwdId] = await bob.client.forward([direct.chatId], group.chatId, bigId);
    await waitFor(() => withFiles(carol.client, direct.chatId, (i) => i.id === fwdId) !== undefined, { what: 'carol gets the forward', timeoutMs: 30_000 });
    const fwd = withFiles(carol.client, direct.chatId, (i) => i.id === fwdId)!;
    assert.equal(fwd.attachments![0]!.blobId, video.attachments![0]!.blobId, 'the same blob');
    assert.equal(fwd.forwarded?.from?.userId, alice.userId);
    assert.equal((await bob.client.storageUsage()).blobs, 0, 'Bob uploaded nothing');
    assert.deepEqual(await carol.client.readAttachmentRange(fwd.attachments![0]!, 5_000_000, 5_000_100), big.subarray(5_000_000, 5_000_100));

    // 4. Alice deletes the first file's message: it releases the blob; no one may read it any more.
    await secondRun.deleteMessage(group.chatId, sentId);
    await waitFor(() => carol.client.timeline(group.chatId).find((i) => i.id === sentId)?.deleted === true, { what: 'carol sees the deletion', timeoutMs: 30_000 });
    assert.equal(carol.client.timeline(group.chatId).find((i) => i.id === sentId)?.attachments, undefined, 'the deleted message shows no file');
    await assert.rejects(carol.client.downloadAttachment(carolAtt), (e: unknown) => e instanceof ParleyError && e.code === 'blob_not_found');

    // 5. A ciphertext byte altered on the server's disk: the receiver gets file_damaged, never a wrong file.
    const blobPath = join(server.dataDir, 'blobs', video.attachments![0]!.blobId);
    const onDisk = readFileSync(blobPath);
    const at = 40 * (FILE_CHUNK_BYTES + FILE_CHUNK_TAG_BYTES) + 17;
    onDisk[at] = onDisk[at]! ^ 0x01;
    writeFileSync(blobPath, onDisk);
    await assert.rejects(carol.client.downloadAttachment(fwd.attachments![0]!), (e: unknown) => e instanceof ParleyError && e.code === 'file_damaged');
    await assert.rejects(carol.client.readAttachmentRange(fwd.attachments![0]!, 40 * FILE_CHUNK_BYTES, 40 * FILE_CHUNK_BYTES + 1), (e: unknown) => e instanceof ParleyError && e.code === 'file_damaged');
    assert.deepEqual(await carol.client.readAttachmentRange(fwd.attachments![0]!, 0, 100), big.subarray(0, 100), 'the other chunks still open');

    // 6. Nothing the server wrote holds the files' bytes, their names or the caption.
    await Promise.all([secondRun.stop(), bob.client.stop(), carol.client.stop()]);
    await proxy.close();
    const everything = serverBytes(server.dataDir, log);
    assert.ok(leaks(everything, new TextEncoder().encode(group.chatId)), 'the scan finds what is there');
    assert.ok(log.length > 0, 'the log was read');
    const samples = [report.subarray(0, 48), report.subarray(2_000_000, 2_000_048), big.subarray(0, 48), big.subarray(4_000_000, 4_000_048)];
    for (const [i, s] of samples.entries()) assert.ok(!everything.includes(Buffer.from(s)), `file bytes found on the server (sample ${i})`);
    for (const s of ['CAPTION-3f9a', 'quarterly figures', 'NAME-c81e', 'video.mp4']) assert.ok(!leaks(everything, new TextEncoder().encode(s)), `plaintext found on the server: ${s}`);
  });

  it('connections cut in the middle of an upload: it goes on by itself from the server\'s offset, and the file arrives whole', async () => {
    await using server = await startTestServer();
    const tweaks = { mls: { enabled: false } };
    const [alice, bob] = await Promise.all(['Alice', 'Bob'].map((displayName) => createUser(server.url, { displayName, client: tweaks })));
    if (!alice || !bob) throw new Error('users');
    const { chatId } = await alice.client.createGroup({ name: 'Flaky', memberIds: [bob.userId] });
    await alice.client.stop();
    // Three connections of Alice's are cut after 1, 2 and 1.5 MB (a PATCH's, most likely): tus resumes each time.
    const proxy = await countingProxy(Number(new URL(server.url).port), 0, [1_000_000, 2_000_000, 1_500_000]);
    const flaky = newClient(proxy.url, alice.userId, alice.deviceId, alice.deviceKey, alice.store, undefined, tweaks);
    await flaky.start();
    // Stopped however the test ends: a client left running would keep the file's process alive.
    try {
      const data = random(8 * 1024 * 1024);
      const states = new Set<string>();
      flaky.on('uploads', (list) => list.forEach((u) => states.add(u.state)));
      const id = await flaky.sendFiles(chatId, [{ source: new Blob([data as Uint8Array<ArrayBuffer>]), name: 'flaky.bin', mime: 'application/octet-stream', size: data.length }]);
      await waitFor(() => withFiles(bob.client, chatId, (i) => i.id === id) !== undefined, { what: 'bob gets the file', timeoutMs: 90_000 });
      assert.equal(proxy.cutsLeft(), 0, 'every cut happened');
      if (process.env.PARLEY_TEST_VERBOSE) console.log(`flaky: sent ${proxy.sent()} for a blob of ${cipherSize(data.length)}`);
      // Each cut costs what was in flight (the sockets' buffers: 0.2-2.2 MB in all for three cuts,
      // depending on the machine's load; the server keeps what reached it), never the whole PATCH.
      assert.ok(proxy.sent() < cipherSize(data.length) + 3 * 2 * 1024 * 1024, `little was sent again (${proxy.sent()} for ${cipherSize(data.length)})`);
      const att = withFiles(bob.client, chatId, (i) => i.id === id)!.attachments![0]!;
      assert.deepEqual(await bytesOf(await bob.client.downloadAttachment(att)), data);
      assert.ok(states.has('done'));
    } finally {
      await Promise.all([flaky.stop(), bob.client.stop()]);
      await proxy.close();
    }
  });
});
