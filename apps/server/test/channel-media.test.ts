import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { createUser, startTestServer, uniqueHandle, type TestUser, rejectsWithCode as rejects } from '@parley/testing';
import { parseAtom } from './atom.ts';

/** Photos and files in public posts (R110) and channel search (R111), through the real server and SDK. */

async function users(t: TestContext, url: string, ...names: string[]): Promise<TestUser[]> {
  const made = await Promise.all(names.map((displayName) => createUser(url, { displayName })));
  t.after(async () => {
    for (const u of made) await u.client.stop();
  });
  return made;
}

/** A tiny PNG's bytes (what they are does not matter to the server: it never decodes them). */
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8]);

describe('R110 photos and files in public posts', () => {
  it('a post names its photo by hash; anyone downloads it from the channel (no account); the reader checks the bytes; a file that is not an image is only ever a download', async (t) => {
    await using server = await startTestServer();
    const [amy, ben] = await users(t, server.url, 'Amy Author', 'Ben Reader');
    const channel = await amy!.client.channels.create({ handle: uniqueHandle('pics').slice(0, 24), title: 'City <photos>' });
    const photo = await amy!.client.channels.uploadFile(PNG, { mime: 'image/png', name: 'bridge.png', width: 640, height: 480 });
    assert.equal(photo.size, PNG.length);
    assert.match(photo.sha256, /^[0-9a-f]{64}$/);
    const page = new TextEncoder().encode('<script>alert(1)</script>');
    const html = await amy!.client.channels.uploadFile(page, { mime: 'text/html', name: 'notes.html' });
    const posted = await amy!.client.channels.post(channel.channelId, 'The new bridge', { attachments: [photo, html] });
    assert.deepEqual(posted.attachments, [photo, html]);

    // Any signed-in reader sees the signed list and gets the bytes checked.
    const [read] = (await ben!.client.channels.posts(channel.channelId)).posts;
    assert.ok(read?.verified);
    assert.deepEqual(read.attachments, [photo, html]);
    const got = await ben!.client.channels.fetchFile(channel.handle, photo);
    assert.ok(got.verified);
    assert.deepEqual([...got.bytes], [...PNG]);

    // Without an account: the image as an image; the other file as a download, never rendered.
    const res = await fetch(`${server.url}/c/${channel.handle}/media/${photo.blobId}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'; sandbox/);
    assert.deepEqual([...new Uint8Array(await res.arrayBuffer())], [...PNG]);
    const other = await fetch(`${server.url}/c/${channel.handle}/media/${html.blobId}`);
    assert.equal(other.headers.get('content-type'), 'application/octet-stream');
    assert.equal(other.headers.get('content-disposition'), 'attachment');
    await other.arrayBuffer();

    // The public page shows the photo (its CSP allows this server's images) and links the file.
    const pageRes = await fetch(`${server.url}/c/${channel.handle}`);
    assert.match(pageRes.headers.get('content-security-policy') ?? '', /img-src 'self'/);
    const body = await pageRes.text();
    assert.ok(body.includes(`<img src="/c/${channel.handle}/media/${photo.blobId}" alt="bridge.png" width="640" height="480" loading="lazy">`), body);
    assert.ok(body.includes(`<a href="/c/${channel.handle}/media/${html.blobId}" download="notes.html">notes.html (${page.length} bytes)</a>`));
    // R202: a link to the channel previews with its newest photo: an absolute public URL that anyone can load, the large card.
    const ogImage = new RegExp(`<meta property="og:image" content="(http[^"]+)/c/${channel.handle}/media/${photo.blobId}">\n<meta property="og:image:type" content="image/png">\n`
      + '<meta property="og:image:width" content="640">\n<meta property="og:image:height" content="480">\n<meta property="og:image:alt" content="bridge.png">\n<meta name="twitter:card" content="summary_large_image">\n').exec(body);
    assert.ok(ogImage, body);
    const preview = await fetch(`${server.url}/c/${channel.handle}/media/${photo.blobId}`);
    assert.deepEqual([preview.status, preview.headers.get('content-type'), (await preview.arrayBuffer()).byteLength], [200, 'image/png', PNG.length]);

    // R126: a video seeks: one Range gives 206 with its bytes; If-Range on another validator gives the whole file; past the end: 416.
    const clip = new Uint8Array(64).map((_, i) => i);
    const video = await amy!.client.channels.uploadFile(clip, { mime: 'video/mp4', name: 'tour.mp4', width: 320, height: 240 });
    await amy!.client.channels.post(channel.channelId, 'The tour', { attachments: [video] });
    const mediaUrl = `${server.url}/c/${channel.handle}/media/${video.blobId}`;
    const whole = await fetch(mediaUrl);
    assert.deepEqual([whole.status, whole.headers.get('content-type'), whole.headers.get('accept-ranges'), whole.headers.get('content-disposition')], [200, 'video/mp4', 'bytes', null]);
    const etag = whole.headers.get('etag');
    assert.equal((await whole.arrayBuffer()).byteLength, 64);
    const part = await fetch(mediaUrl, { headers: { range: 'bytes=10-19' } });
    assert.deepEqual([part.status, part.headers.get('content-range'), part.headers.get('content-length')], [206, 'bytes 10-19/64', '10']);
    assert.deepEqual([...new Uint8Array(await part.arrayBuffer())], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    const tail = await fetch(mediaUrl, { headers: { range: 'bytes=-4', 'if-range': etag ?? '' } });
    assert.deepEqual([tail.status, [...new Uint8Array(await tail.arrayBuffer())]], [206, [60, 61, 62, 63]]);
    const stale = await fetch(mediaUrl, { headers: { range: 'bytes=0-0', 'if-range': '"another"' } });
    assert.deepEqual([stale.status, (await stale.arrayBuffer()).byteLength], [200, 64]);
    const past = await fetch(mediaUrl, { headers: { range: 'bytes=64-' } });
    assert.deepEqual([past.status, past.headers.get('content-range'), ((await past.json()) as { error: { code: string } }).error.code], [416, 'bytes */64', 'range_not_satisfiable']);
    // R126: the feed names each file as an enclosure; the page plays the video in place.
    const feed = parseAtom(await (await fetch(`${server.url}/c/${channel.handle}/feed.atom`)).text());
    const base = `${ogImage[1]}/c/${channel.handle}`;
    assert.deepEqual(feed.entries.map((e) => [e.title, e.links.filter((l) => l.rel === 'enclosure')]), [
      ['The tour', [{ rel: 'enclosure', type: 'video/mp4', length: '64', href: `${base}/media/${video.blobId}`, title: 'tour.mp4' }]],
      ['The new bridge', [
        { rel: 'enclosure', type: 'image/png', length: String(PNG.length), href: `${base}/media/${photo.blobId}`, title: 'bridge.png' },
        { rel: 'enclosure', type: 'text/html', length: String(page.length), href: `${base}/media/${html.blobId}`, title: 'notes.html' },
      ]],
    ]);
    assert.ok((await (await fetch(`${server.url}/c/${channel.handle}`)).text()).includes(`<video controls preload="metadata" src="/c/${channel.handle}/media/${video.blobId}" width="320" height="240"></video>`));

    // A server that swaps the bytes (same length) is caught by the reader.
    writeFileSync(join(server.dataDir, 'blobs', photo.blobId), PNG.map((b) => b ^ 1));
    const swapped = await ben!.client.channels.fetchFile(channel.handle, photo);
    assert.deepEqual(swapped, { verified: false, problem: 'the bytes do not hash to what the post signed (altered)' });

    // A blob no post of this channel names, an unknown one, a bad id: 404 / 400, the standard body.
    const bens = await ben!.client.channels.uploadFile(PNG, { mime: 'image/png' });
    for (const [path, status, code] of [[bens.blobId, 404, 'blob_not_found'], ['AAAAAAAAAAAAAAAAAAAAAA', 404, 'blob_not_found'], ['x', 400, 'bad_request']] as const) {
      const r = await fetch(`${server.url}/c/${channel.handle}/media/${path}`);
      assert.equal(r.status, status, path);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, code);
    }

    // Deleting the post stops serving its files.
    await amy!.client.channels.delete(channel.channelId, posted.postId);
    assert.equal((await fetch(`${server.url}/c/${channel.handle}/media/${photo.blobId}`)).status, 404);
  });

  it('refused: someone else\'s upload, a size that is not the upload\'s, more files than allowed, a file over the limit, an unfinished upload', async (t) => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MAX_ATTACHMENTS: '2', PARLEY_CHANNEL_MAX_ATTACHMENT_BYTES: '100' });
    const [amy, ben] = await users(t, server.url, 'Amy Author', 'Ben Other');
    const channel = await amy!.client.channels.create({ handle: uniqueHandle('pics').slice(0, 24), title: 'Pics' });
    const mine = await amy!.client.channels.uploadFile(PNG, { mime: 'image/png' });
    const bens = await ben!.client.channels.uploadFile(PNG, { mime: 'image/png' });
    await rejects(amy!.client.channels.post(channel.channelId, 'x', { attachments: [bens] }), 'blob_not_found');
    await rejects(amy!.client.channels.post(channel.channelId, 'x', { attachments: [{ ...mine, size: mine.size + 1 }] }), 'channel_post_invalid', /signed as 17 bytes, the upload has 16/);
    const two = await amy!.client.channels.uploadFile(PNG, { mime: 'image/png' });
    const three = await amy!.client.channels.uploadFile(PNG, { mime: 'image/png' });
    await rejects(amy!.client.channels.post(channel.channelId, 'x', { attachments: [mine, two, three] }), 'channel_post_too_large', /at most 2/);
    await rejects(amy!.client.channels.post(channel.channelId, 'x', { attachments: [mine, mine] }), 'channel_post_invalid', /named twice/);
    const big = await amy!.client.channels.uploadFile(new Uint8Array(101), { mime: 'image/png' });
    await rejects(amy!.client.channels.post(channel.channelId, 'x', { attachments: [big] }), 'channel_post_too_large', /at most 100 bytes/);
    assert.equal((await amy!.client.channels.get(channel.channelId)).lastSeq, 0, 'nothing was posted');
    // An edit keeps the photos; another admin's edit may keep them too (they are this post's already).
    const ok = await amy!.client.channels.post(channel.channelId, 'two photos', { attachments: [mine, two] });
    const edited = await amy!.client.channels.edit(channel.channelId, ok.postId, 'two photos, edited');
    assert.deepEqual(edited.attachments, [mine, two]);
  });
});

describe('R111 channel search', () => {
  it('finds public channels by the start of a handle or title, case-folded, a page at a time; rate-limited per person', async (t) => {
    await using server = await startTestServer({ PARLEY_CHANNEL_SEARCH_PAGE_MAX: '2', PARLEY_CHANNEL_SEARCH_PER_MIN: '4' });
    const [amy, ben] = await users(t, server.url, 'Amy Author', 'Ben Reader');
    const stem = `zq${Date.now().toString(36)}`;
    for (const [suffix, title] of [['a', 'Alpha news'], ['b', 'Beta news'], ['c', `Gamma ${stem.toUpperCase()}`]]) {
      await amy!.client.channels.create({ handle: `${stem}_${suffix}`, title: title! });
    }
    await amy!.client.channels.create({ handle: uniqueHandle('other').slice(0, 24), title: `${stem.toUpperCase()} in a title` });
    const first = await ben!.client.channels.search(`@${stem.toUpperCase()}`);
    assert.equal(first.channels.length, 2);
    assert.equal(first.nextOffset, 2);
    const second = await ben!.client.channels.search(stem, first.nextOffset);
    assert.equal(second.nextOffset, undefined);
    const titles = [...first.channels, ...second.channels].map((c) => c.title).sort();
    assert.deepEqual(titles, ['Alpha news', 'Beta news', `Gamma ${stem.toUpperCase()}`, `${stem.toUpperCase()} in a title`].sort());
    assert.deepEqual((await ben!.client.channels.search('alpha news')).channels.map((c) => c.handle), [`${stem}_a`]);
    await rejects(ben!.client.channels.search('x'.repeat(65)), 'bad_request');
    await ben!.client.channels.search(stem);
    await rejects(ben!.client.channels.search(stem), 'rate_limited');
  });
});
