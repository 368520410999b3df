import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { sessionRest, type ChannelPost } from '@parley/client';
import { CHANNEL_POST_CONTEXT } from '@parley/protocol';
import { createUser, insertChannelPost, startTestServer, uniqueHandle, waitFor, type TestUser, rejectsWithCode as rejects } from '@parley/testing';

/** Scheduled channel posts (docs/PROTOCOL.md R115) through the real server and SDK. */

const shown = (posts: ChannelPost[]) => posts.map((p) => (p.verified ? p.text : `UNVERIFIED: ${p.problem}`));
const raw = (u: TestUser) => sessionRest(u.baseUrl, u.deviceId, u.deviceKey);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

/** Signs any body with the channel key `user`'s device keeps (what a colluding admin or a test does by hand). */
async function deviceSigner(user: TestUser, channelId: string) {
  const { publicKey, jwk } = JSON.parse((await user.store.getMeta(`channel-key:${channelId}`))!) as { publicKey: string; jwk: JsonWebKey };
  const key = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  return { publicKey, signed: (body: object) => ({ signed: JSON.stringify(body), signature: sign(null, Buffer.from(CHANNEL_POST_CONTEXT + JSON.stringify(body)), key).toString('base64') }) };
}

async function users(t: TestContext, url: string, ...names: string[]): Promise<TestUser[]> {
  const made = await Promise.all(names.map((displayName) => createUser(url, { displayName })));
  t.after(async () => {
    for (const u of made) await u.client.stop();
  });
  return made;
}

/** The server's clock: real time, or held still (then moved by hand); `reads` counts how often the server looked. */
class HeldClock {
  held: number | undefined;
  reads = 0;
  now(): number {
    this.reads++;
    return this.held ?? Date.now();
  }
}

describe('scheduled channel posts (R115)', () => {
  it('R115 bad input is refused with stable codes: a time in the past, one beyond PARLEY_CHANNEL_MAX_SCHEDULE_MS, a non-admin, an unknown scheduled post', async (t) => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MAX_SCHEDULE_MS: String(60 * MIN) });
    const [amy, ben] = await users(t, server.url, 'Amy', 'Ben');
    if (!amy || !ben) throw new Error('users');
    const channel = await amy.client.channels.create({ handle: uniqueHandle('sched').slice(0, 24), title: 'Timetable' });
    const id = channel.channelId;
    await rejects(amy.client.channels.schedule(id, 'too late', Date.now() - 1000), 'channel_schedule_past');
    await rejects(amy.client.channels.schedule(id, 'too far', Date.now() + 61 * MIN), 'channel_schedule_too_far');
    await rejects(amy.client.channels.schedule(id, '   ', Date.now() + MIN), 'channel_post_invalid');
    await rejects(amy.client.channels.schedule(id, 'x'.repeat(5000), Date.now() + MIN), 'channel_post_too_large');
    // Ben is no admin: whatever he signs, the server takes no schedule from him, nor shows him the list.
    const body = { v: 1, channelId: id, postId: 'post_ben_0001', date: Date.now() + MIN, signer: 'A'.repeat(43) + '=', text: 'hi', scheduled: true };
    await rejects(raw(ben)('PUT', `/channels/${id}/scheduled/post_ben_0001`, { signed: JSON.stringify(body), signature: 'A'.repeat(86) + '==' }), 'channel_admin_only');
    await rejects(ben.client.channels.scheduled(id), 'channel_admin_only');
    await rejects(amy.client.channels.cancelScheduled(id, 'post_nope_0001'), 'not_found');
    // A body that is not a scheduled one (an ordinary signed post) is not taken as one.
    const signer = await deviceSigner(amy, id);
    const plain = signer.signed({ v: 1, channelId: id, postId: 'post_amy_0001', postSeq: 1, seq: 1, version: 1, date: Date.now() + MIN, signer: signer.publicKey, text: 'hi', pinned: false, deleted: false });
    await rejects(raw(amy)('PUT', `/channels/${id}/scheduled/post_amy_0001`, plain), 'channel_post_invalid');
    assert.deepEqual(await amy.client.channels.scheduled(id), []);
  });

  it('R115 the server publishes a scheduled post at its time with every admin device offline, signed and dated as scheduled; edits and cancels before then count', async (t) => {
    const clock = new HeldClock();
    await using server = await startTestServer({ PARLEY_CHANNEL_SCHEDULE_SWEEP_MS: '50' }, { clock });
    const [amy, ben] = await users(t, server.url, 'Amy', 'Ben');
    if (!amy || !ben) throw new Error('users');
    const channel = await amy.client.channels.create({ handle: uniqueHandle('sched').slice(0, 24), title: 'School timetable' });
    const id = channel.channelId;
    await ben.client.channels.subscribe(id);
    const notices: number[] = [];
    ben.client.on('channelPost', (n) => notices.push(n.seq));
    await waitFor(() => ben.client.connectionState === 'online', { what: 'ben online' });

    clock.held = Date.now();
    const at = clock.held + 5 * MIN;
    const first = await amy.client.channels.schedule(id, 'Monday: lessons start at 9:00', at);
    await amy.client.channels.schedule(id, 'Monday: lessons start at 9:30 (corrected)', at, { postId: first.postId });
    const later = await amy.client.channels.schedule(id, 'Tuesday: sports day', at + MIN);
    const dropped = await amy.client.channels.schedule(id, 'Wednesday: cancelled plan', at + 2 * MIN);
    await amy.client.channels.cancelScheduled(id, dropped.postId);
    assert.deepEqual((await amy.client.channels.scheduled(id)).map((s) => [s.postId, s.publishAt]), [[first.postId, at], [later.postId, at + MIN]]);
    await amy.client.stop();

    // The clock stands before the time: sweeps run and publish nothing.
    const reads = clock.reads;
    await waitFor(() => clock.reads > reads + 20, { what: 'the server swept while the clock stood still' });
    assert.equal((await ben.client.channels.log(id, 0)).posts.length, 0);

    clock.held = at + 3 * MIN;
    await waitFor(() => notices.length >= 2, { what: 'Ben hears both posts published', timeoutMs: 30_000 });
    const log = await ben.client.channels.log(id, 0);
    assert.deepEqual(shown(log.posts), ['Monday: lessons start at 9:30 (corrected)', 'Tuesday: sports day']);
    const [one, two] = log.posts;
    assert.ok(one?.verified && two?.verified);
    // Dated as scheduled (signed by Amy's device), placed by the server at seqs 1 and 2.
    assert.deepEqual([one.date, one.seq, one.postSeq, one.signedBy, one.scheduled], [at, 1, 1, amy.userId, true]);
    assert.deepEqual([two.date, two.seq], [at + MIN, 2]);
    assert.deepEqual((await ben.client.channels.subscriptions()).map((s) => s.unread), [2]);
  });

  it('R115 a server that publishes a scheduled post early is caught: served before its time, or placed before a post signed earlier', async (t) => {
    await using server = await startTestServer();
    const [amy, ben] = await users(t, server.url, 'Amy', 'Ben');
    if (!amy || !ben) throw new Error('users');
    const channel = await amy.client.channels.create({ handle: uniqueHandle('sched').slice(0, 24), title: 'Exam results' });
    const id = channel.channelId;
    await ben.client.channels.subscribe(id);

    // 1. Served long before its time: the reader's clock says so.
    const farOff = await amy.client.channels.schedule(id, 'Results: everyone passed', Date.now() + 60 * MIN);
    insertChannelPost(server.dataDir, id, { postId: farOff.postId, seq: 1, authorId: amy.userId, signed: farOff.signed, signature: farOff.signature });
    assert.deepEqual(shown((await ben.client.channels.log(id, 0)).posts), ['UNVERIFIED: a scheduled post served before its time']);

    // 2. Within the clocks' tolerance, but a post placed after it was signed long before its time.
    const soon = await amy.client.channels.schedule(id, 'Results at noon', Date.now() + 5 * MIN);
    insertChannelPost(server.dataDir, id, { postId: soon.postId, seq: 2, authorId: amy.userId, signed: soon.signed, signature: soon.signature });
    const signer = await deviceSigner(amy, id);
    const early = signer.signed({ v: 1, channelId: id, postId: 'post_early_001', postSeq: 3, seq: 3, version: 1, date: Date.now() - 9 * MIN, signer: signer.publicKey, text: 'Good morning', pinned: false, deleted: false });
    await raw(amy)('PUT', `/channels/${id}/posts/post_early_001`, early);
    const posts = shown((await ben.client.channels.log(id, 1)).posts);
    assert.equal(posts.length, 2);
    assert.match(posts[0]!, /^UNVERIFIED: a scheduled post placed before its time/);
    assert.equal(posts[1], 'Good morning');
  });
  it('R192 a scheduled post holds its photo through the sweep of unreferenced uploads and publishes it; a cancelled or replaced one lets its upload go; another\'s upload is refused', async (t) => {
    const clock = new HeldClock();
    clock.held = Date.now();
    await using server = await startTestServer({ PARLEY_CHANNEL_SCHEDULE_SWEEP_MS: '50', PARLEY_BLOB_GC_INTERVAL_MS: '0', PARLEY_BLOB_UNREFERENCED_TTL_MS: String(MIN) }, { clock });
    const [amy, ben] = await users(t, server.url, 'Amy', 'Ben');
    if (!amy || !ben) throw new Error('users');
    const channel = await amy.client.channels.create({ handle: uniqueHandle('sched').slice(0, 24), title: 'Gallery' });
    const id = channel.channelId;
    await ben.client.channels.subscribe(id);
    const notices: number[] = [];
    ben.client.on('channelPost', (n) => notices.push(n.seq));
    await waitFor(() => ben.client.connectionState === 'online', { what: 'ben online' });

    const bytes = (n: number) => new Uint8Array(64).map((_, i) => (i * 7 + n) % 256);
    const photo = await amy.client.channels.uploadFile(bytes(1), { mime: 'image/png', name: 'dawn.png', width: 4, height: 4 });
    const cancelled = await amy.client.channels.uploadFile(bytes(2), { mime: 'image/png', name: 'cancelled.png' });
    const replaced = await amy.client.channels.uploadFile(bytes(3), { mime: 'application/pdf', name: 'old.pdf' });
    const bens = await ben.client.channels.uploadFile(bytes(4), { mime: 'image/png', name: 'bens.png' });

    // Within readers' tolerance of their own clock (R115), and past the unreferenced uploads' TTL (a minute here).
    const at = clock.held + 5 * MIN;
    // Someone else's upload is refused (Ben's), as in a post (R110); nothing is stored.
    await rejects(amy.client.channels.schedule(id, 'Not mine', at, { attachments: [bens] }), 'blob_not_found');
    await rejects(amy.client.channels.schedule(id, 'Twice', at, { attachments: [photo, photo] }), 'channel_post_invalid');
    assert.deepEqual(await amy.client.channels.scheduled(id), []);

    const kept = await amy.client.channels.schedule(id, 'Dawn over the bay', at, { attachments: [photo] });
    const gone = await amy.client.channels.schedule(id, 'Cancelled', at + MIN, { attachments: [cancelled] });
    await amy.client.channels.cancelScheduled(id, gone.postId);
    const edited = await amy.client.channels.schedule(id, 'With a file', at + 2 * MIN, { attachments: [replaced] });
    await amy.client.channels.schedule(id, 'Without the file now', at + 2 * MIN, { postId: edited.postId });
    await amy.client.stop();

    // Past the TTL, the sweep of unreferenced uploads (R56) takes the cancelled, the dropped and Ben's; the scheduled photo stays.
    clock.held += 2 * MIN;
    assert.equal((await server.services.files.sweep()).deleted, 3);
    const stored = (f: { blobId: string }) => existsSync(join(server.dataDir, 'blobs', f.blobId));
    assert.deepEqual([stored(photo), stored(cancelled), stored(replaced), stored(bens)], [true, false, false, false]);

    // At its time the post goes out with its photo; the subscriber opens it as any post's.
    clock.held = at + 3 * MIN;
    await waitFor(() => notices.length >= 2, { what: 'Ben hears both posts published', timeoutMs: 30_000 });
    const [post, other] = (await ben.client.channels.log(id, 0)).posts;
    assert.ok(post?.verified && other?.verified);
    assert.deepEqual([post.postId, post.text, post.attachments, post.scheduled], [kept.postId, 'Dawn over the bay', [photo], true]);
    assert.deepEqual([other.text, other.attachments], ['Without the file now', undefined]);
    const got = await ben.client.channels.fetchFile(channel.handle, photo);
    assert.ok(got.verified);
    assert.deepEqual([...got.bytes], [...bytes(1)]);
    // Published, the photo is the post's: later sweeps keep it.
    clock.held += 3 * DAY;
    assert.equal((await server.services.files.sweep()).deleted, 0);
    assert.equal((await fetch(`${server.url}/c/${channel.handle}/media/${photo.blobId}`)).status, 200);
  });
});
