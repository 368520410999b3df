// Who may read a blob (R55), what a send may reference (R54), and when blobs go (R56), through the
// real server: each access case gets its stable code; the sweep runs on a test clock.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { accounts, generateDeviceKey, RestApi } from '@parley/client';
import type { StorageUsage } from '@parley/protocol';
import { startTestServer } from '@parley/testing';
import { blobUser, created, download, groupOf, head, patch, peerOf, sendWithBlobs, tusUpload } from './blob-http.ts';

const DAY = 86_400_000;

describe('files: access (R55) and references (R54)', () => {
  it('R55 each case gets its code: uploader before a reference, member, non-member, removed member, revoked device, guessed id, no session', async () => {
    await using server = await startTestServer();
    const [alice, bob, eve] = await Promise.all([blobUser(server.url), blobUser(server.url), blobUser(server.url)]);
    const data = randomBytes(5000);
    const blobId = await tusUpload(server.url, alice.token, data);
    const read = async (token: string | undefined, id = blobId) => {
      const r = await download(server.url, token, id);
      return r.status === 200 ? 'ok' : `${r.status} ${r.code}`;
    };

    assert.equal(await read(alice.token), 'ok', 'the uploader, before any message references it');
    assert.equal(await read(bob.token), '404 blob_not_found', 'not referenced in any chat of bob\'s yet');

    const chatId = await groupOf(alice, [bob]);
    const peer = await peerOf(server.url, alice);
    assert.equal((await sendWithBlobs(peer, chatId, 'photo_1', { blobs: [blobId] }))['type'], 'ack');
    assert.equal(await read(bob.token), 'ok', 'a member of a chat that references it');
    assert.equal(await read(eve.token), '404 blob_not_found', 'a non-member');
    assert.equal(await read(bob.token, randomBytes(16).toString('base64url')), '404 blob_not_found', 'a guessed id');
    assert.equal(await read(bob.token, 'not-a-blob-id'), '404 blob_not_found', 'a malformed id');
    assert.equal(await read(undefined), '401 auth_required', 'no session');
    assert.equal(await read('forged-token'), '401 session_invalid');

    // Bob's second device, revoked by his first: its session fails (R55 reads current devices only).
    const key = await generateDeviceKey();
    const laptop = await accounts.recover(server.url, { handle: bob.handle, recoveryCode: bob.recoveryCode, device: { name: 'laptop', publicKey: key.publicKey } });
    const { token: laptopToken } = await accounts.login(server.url, laptop.deviceId, key);
    assert.equal(await read(laptopToken), 'ok');
    const bobNow = new RestApi(server.url, (await accounts.login(server.url, bob.deviceId, bob.deviceKey)).token);
    await bobNow.call('DELETE', `/devices/${laptop.deviceId}`);
    assert.equal(await read(laptopToken), '401 session_invalid', 'a revoked device');

    // Removed from the chat: access follows current membership.
    await alice.api.call('DELETE', `/chats/${chatId}/members/${bob.userId}`);
    assert.equal(await read(bob.token), '404 blob_not_found', 'a removed member');
    assert.equal(await read(alice.token), 'ok');
    peer.close();
  });

  it('R54 a send is refused for an unfinished blob, a blob the sender may not read, and accepted again as a duplicate; forwarding reuses the blob', async () => {
    await using server = await startTestServer();
    const [alice, bob, carol, dave] = await Promise.all([blobUser(server.url), blobUser(server.url), blobUser(server.url), blobUser(server.url)]);
    const chatAB = await groupOf(alice, [bob]);
    const chatBD = await groupOf(bob, [dave]);
    const chatCD = await groupOf(carol, [dave]);
    const [alicePeer, bobPeer, carolPeer] = await Promise.all([peerOf(server.url, alice), peerOf(server.url, bob), peerOf(server.url, carol)]);

    const half = await created(server.url, alice.token, 1000);
    await patch(server.url, alice.token, half, 0, randomBytes(400));
    const incomplete = await sendWithBlobs(alicePeer, chatAB, 'half_file', { blobs: [half] });
    assert.deepEqual([incomplete['type'], incomplete['code']], ['error', 'blob_incomplete']);

    const blobId = await tusUpload(server.url, alice.token, randomBytes(2000));
    const notHers = await sendWithBlobs(carolPeer, chatCD, 'steal_file', { blobs: [blobId] });
    assert.deepEqual([notHers['type'], notHers['code']], ['error', 'blob_not_found'], 'carol cannot make a chat of hers reference alice\'s blob');
    const unknown = await sendWithBlobs(alicePeer, chatAB, 'ghost_file', { blobs: [randomBytes(16).toString('base64url')] });
    assert.deepEqual([unknown['type'], unknown['code']], ['error', 'blob_not_found']);
    const history = await bobPeer.request({ type: 'history', rid: 'h1', chatId: chatAB, afterSeq: 0 });
    assert.equal((history['messages'] as unknown[]).length, 1, 'none of the refused sends reached the log');

    const first = await sendWithBlobs(alicePeer, chatAB, 'real_file', { blobs: [blobId] });
    const again = await sendWithBlobs(alicePeer, chatAB, 'real_file', { blobs: [blobId] });
    assert.deepEqual([again['type'], again['duplicate'], again['seq']], ['ack', true, first['seq']]);

    // Bob forwards it to dave: no download, no upload, the same blob.
    const fwd = await sendWithBlobs(bobPeer, chatBD, 'forwarded', { blobs: [blobId] });
    assert.equal(fwd['type'], 'ack');
    assert.equal((await download(server.url, dave.token, blobId)).status, 200);
    for (const p of [alicePeer, bobPeer, carolPeer]) p.close();
  });
});

describe('files: lifetime (R56) on a test clock', () => {
  it('R56 the sweep deletes abandoned uploads and unreferenced blobs past the TTL, keeps referenced ones until released, and frees the quota', async () => {
    let now = Date.now();
    await using server = await startTestServer({ PARLEY_BLOB_GC_INTERVAL_MS: '0' }, { clock: { now: () => now } });
    const [alice, bob] = await Promise.all([blobUser(server.url), blobUser(server.url)]);
    const usage = () => alice.api.call<StorageUsage>('GET', '/me/storage').then((u) => [u.usedBytes, u.blobs]);
    const inDir = (id: string) => existsSync(join(server.dataDir, 'blobs', id));

    const abandoned = await created(server.url, alice.token, 3000);
    await patch(server.url, alice.token, abandoned, 0, randomBytes(1000));
    const unreferenced = await tusUpload(server.url, alice.token, randomBytes(2000));
    const referenced = await tusUpload(server.url, alice.token, randomBytes(1500));
    const released = await tusUpload(server.url, alice.token, randomBytes(500));
    const chatId = await groupOf(alice, [bob]);
    const peer = await peerOf(server.url, alice);
    await sendWithBlobs(peer, chatId, 'keeps_it', { blobs: [referenced] });
    await sendWithBlobs(peer, chatId, 'soon_gone', { blobs: [released] });
    assert.deepEqual(await usage(), [7000, 4]);

    assert.deepEqual(await server.services.files.sweep(), { deleted: 0, freedBytes: 0 }, 'nothing is old yet');
    now += DAY - 1000;
    assert.equal((await server.services.files.sweep()).deleted, 0, 'still within the TTL');
    // Alice deletes her message and releases its blob (R56).
    await sendWithBlobs(peer, chatId, 'delete_it', { release: [released] });
    now += 2000;
    assert.deepEqual(await server.services.files.sweep(), { deleted: 3, freedBytes: 3000 + 2000 + 500 });
    assert.deepEqual(await usage(), [1500, 1]);
    assert.deepEqual([inDir(abandoned), inDir(unreferenced), inDir(released), inDir(referenced)], [false, false, false, true]);
    assert.equal((await head(server.url, alice.token, abandoned)).status, 404, 'the abandoned upload is gone for its uploader too');
    assert.equal((await download(server.url, bob.token, released)).code, 'blob_not_found');
    assert.equal((await download(server.url, bob.token, referenced)).status, 200, 'a referenced blob stays, however old');

    now += 30 * DAY;
    assert.equal((await server.services.files.sweep()).deleted, 0);
    assert.equal((await download(server.url, bob.token, referenced)).status, 200);
    peer.close();
  });

  it('R53 R56 a device whose slots are full gets back those of its uploads that never stored a byte, after 15 minutes (a lost creation answer)', async () => {
    let now = Date.now();
    await using server = await startTestServer({ PARLEY_BLOB_GC_INTERVAL_MS: '0', PARLEY_MAX_UPLOADS_IN_FLIGHT: '2' }, { clock: { now: () => now } });
    const alice = await blobUser(server.url);
    const lost = await created(server.url, alice.token, 100);
    const started = await created(server.url, alice.token, 100);
    await patch(server.url, alice.token, started, 0, randomBytes(10));
    const create = () => fetch(`${server.url}/api/v1/blobs`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'tus-resumable': '1.0.0', 'upload-length': '100' } });
    assert.equal((await create()).status, 429);
    now += 14 * 60_000;
    assert.equal((await create()).status, 429, 'not before 15 minutes');
    now += 2 * 60_000;
    assert.equal((await create()).status, 201);
    assert.deepEqual([(await head(server.url, alice.token, lost)).status, (await head(server.url, alice.token, started)).headers.get('upload-offset')], [404, '10'],
      'the empty one made room; the one with bytes stays');
  });
});
