import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { sessionRest, type ChannelPost } from '@parley/client';
import { CHANNEL_POST_CONTEXT, type ChannelKeyList, type ChannelPostBody } from '@parley/protocol';
import {
  channelKeyList, createUser, insertChannelPost, outsideChannelKey, replaceChannelKeyList, rewriteChannelPost, startTestServer, swapChannelPosts,
  uniqueHandle, waitFor, type TestUser, rejectsWithCode as rejects,
} from '@parley/testing';
import { parseAtom } from './atom.ts';

/** Public channels (docs/PROTOCOL.md R95-R99) through the real server and SDK. */

const shown = (posts: ChannelPost[]) => posts.map((p) => (p.verified ? p.text : `UNVERIFIED: ${p.problem}`));
const raw = (u: TestUser) => sessionRest(u.baseUrl, u.deviceId, u.deviceKey);
const channelHandle = () => uniqueHandle('news').slice(0, 24);

/** Signs a post body with the channel key `user`'s device keeps (what a colluding admin could do by hand). */
async function deviceSigner(user: TestUser, channelId: string): Promise<{ publicKey: string; signed(body: ChannelPostBody): { signed: string; signature: string } }> {
  const { publicKey, jwk } = JSON.parse((await user.store.getMeta(`channel-key:${channelId}`))!) as { publicKey: string; jwk: JsonWebKey };
  const key = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  return { publicKey, signed: (body) => ({ signed: JSON.stringify(body), signature: sign(null, Buffer.from(CHANNEL_POST_CONTEXT + JSON.stringify(body)), key).toString('base64') }) };
}

/** People signed in for one test; their clients stop when it ends. */
async function users(t: TestContext, url: string, ...names: string[]): Promise<TestUser[]> {
  const made = await Promise.all(names.map((displayName) => createUser(url, { displayName })));
  t.after(async () => {
    for (const u of made) await u.client.stop();
  });
  return made;
}

describe('channels (R95-R99)', () => {
  it('R95 R97 R98 an author posts; a subscriber gets a notice (not the post), an unread count, reads verified posts, reacts; counts only, views bucketed', async (t) => {
    await using server = await startTestServer();
    const [amy, ben, cat] = await users(t, server.url, 'Amy', 'Ben', 'Cat');
    if (!amy || !ben || !cat) throw new Error('users');
    const handle = channelHandle();
    const channel = await amy.client.channels.create({ handle, title: 'City news', description: 'From the city hall' });
    assert.equal(channel.handle, handle);
    assert.equal((await ben.client.channels.byHandle(handle)).channelId, channel.channelId);

    const sub = await ben.client.channels.subscribe(channel.channelId);
    assert.deepEqual([sub.unread, sub.muted, sub.channel.subscribers], [0, false, 1]);
    const notices: Array<{ channelId: string; seq: number }> = [];
    ben.client.on('channelPost', (n) => notices.push(n));
    await waitFor(() => ben.client.connectionState === 'online', { what: 'ben online' });

    const first = await amy.client.channels.post(channel.channelId, 'Water is off on Lenina street until 18:00');
    const second = await amy.client.channels.post(channel.channelId, 'Bus 12 runs every 10 minutes today');
    assert.deepEqual([first.seq, second.seq, first.verified, second.signedBy], [1, 2, true, amy.userId]);
    await waitFor(() => notices.length >= 2, { what: 'two notices' });
    assert.deepEqual(notices, [{ channelId: channel.channelId, seq: 1 }, { channelId: channel.channelId, seq: 2 }]);

    let [mine] = await ben.client.channels.subscriptions();
    assert.deepEqual([mine?.channel.channelId, mine?.unread, mine?.channel.lastSeq], [channel.channelId, 2, 2]);
    const log = await ben.client.channels.log(channel.channelId, 0);
    assert.deepEqual(shown(log.posts), ['Water is off on Lenina street until 18:00', 'Bus 12 runs every 10 minutes today']);
    assert.ok(log.posts.every((p) => p.verified && p.signedBy === amy.userId));
    await ben.client.channels.markRead(channel.channelId, 1);
    [mine] = await ben.client.channels.subscriptions();
    assert.equal(mine?.unread, 1);
    await ben.client.channels.markRead(channel.channelId, 99);
    [mine] = await ben.client.channels.subscriptions();
    assert.deepEqual([mine?.unread, mine?.readSeq], [0, 2], 'read up to the end, never past it');

    // Edit, pin, delete: each a new signed version at the next seq; the subscriber catches up from its last seq.
    await amy.client.channels.edit(channel.channelId, first.postId, 'Water is off on Lenina street until 20:00');
    await amy.client.channels.pin(channel.channelId, first.postId);
    // A pin is a new version too, but no edit: readers say "edited" only for a changed text or file.
    const pinnedOnly = await amy.client.channels.pin(channel.channelId, second.postId);
    assert.deepEqual([pinnedOnly.version, pinnedOnly.pinned, pinnedOnly.edited], [2, true, undefined]);
    await amy.client.channels.delete(channel.channelId, second.postId);
    const changes = await ben.client.channels.log(channel.channelId, 2);
    assert.deepEqual(changes.posts.map((p) => p.verified && [p.postId, p.version, p.pinned, p.deleted, p.edited, p.text]), [
      [first.postId, 3, true, false, true, 'Water is off on Lenina street until 20:00'], [second.postId, 3, false, true, undefined, ''],
    ]);
    assert.equal(changes.lastSeq, 6);
    [mine] = await ben.client.channels.subscriptions();
    assert.equal(mine?.unread, 0, 'changes to old posts are not unread posts');

    // R98: one reaction per person per post; counts only; views counted per device once, by bucket.
    await ben.client.channels.react(channel.channelId, first.postId, '👍');
    await ben.client.channels.react(channel.channelId, first.postId, '🔥');
    const counts = await cat.client.channels.react(channel.channelId, first.postId, '🔥');
    assert.deepEqual(counts, { postId: first.postId, views: 0, reactions: { '🔥': 2 }, mine: '🔥' });
    // Twice at once too (a view that renders again before the first report is answered): still once.
    await Promise.all([ben.client.channels.markViewed(channel.channelId, [first.postId]), ben.client.channels.markViewed(channel.channelId, [first.postId])]);
    await ben.client.channels.markViewed(channel.channelId, [first.postId]);
    await cat.client.channels.markViewed(channel.channelId, [first.postId]);
    const [seen] = await amy.client.channels.counts(channel.channelId, [first.postId]);
    assert.deepEqual(seen, { postId: first.postId, views: 2, reactions: { '🔥': 2 } });
    await rejects(ben.client.channels.react(channel.channelId, second.postId, '👍'), 'not_found');

    // Mute stays the subscriber's own; unsubscribe stops the notices.
    assert.equal((await ben.client.channels.mute(channel.channelId, true)).muted, true);
    await ben.client.channels.unsubscribe(channel.channelId);
    assert.deepEqual(await ben.client.channels.subscriptions(), []);
    await amy.client.channels.post(channel.channelId, 'After Ben left');
    await cat.client.channels.subscribe(channel.channelId);
    const catNotices: number[] = [];
    cat.client.on('channelPost', (n) => catNotices.push(n.seq));
    await waitFor(() => cat.client.connectionState === 'online');
    // Cat's connection joins the channel's notices when the subscription lands (R97).
    await waitFor(async () => {
      await amy.client.channels.post(channel.channelId, `tick ${Date.now()}`);
      return catNotices.length > 0;
    }, { what: 'cat hears a notice', intervalMs: 300 });
    assert.equal(notices.length, 6, 'ben heard the six entries while subscribed and none after');
  });

  it('R96 a server that alters, re-dates, reorders or forges a post is caught: the post shows as not verified, never as the channel\'s', async (t) => {
    await using server = await startTestServer();
    const [amy, ben] = await users(t, server.url, 'Amy', 'Ben');
    if (!amy || !ben) throw new Error('users');
    const channel = await amy.client.channels.create({ handle: channelHandle(), title: 'Independent voice' });
    await ben.client.channels.subscribe(channel.channelId);
    const a = await amy.client.channels.post(channel.channelId, 'The vote count was 1,204');
    const b = await amy.client.channels.post(channel.channelId, 'Polls close at 20:00');
    const c = await amy.client.channels.post(channel.channelId, 'Thank you for reading');
    assert.deepEqual(shown((await ben.client.channels.log(channel.channelId, 0)).posts), ['The vote count was 1,204', 'Polls close at 20:00', 'Thank you for reading']);

    rewriteChannelPost(server.dataDir, channel.channelId, a.postId, (body) => ({ ...body, text: 'The vote count was 12,040' }));
    rewriteChannelPost(server.dataDir, channel.channelId, b.postId, (body) => ({ ...body, date: body.date - 86_400_000 }));
    let posts = (await ben.client.channels.log(channel.channelId, 0)).posts;
    assert.deepEqual(posts.map((p) => p.verified), [false, false, true]);
    assert.ok(posts.every((p) => !p.verified ? !('text' in p) : true), 'nothing of an unverified post is handed out');
    assert.match(shown(posts)[0]!, /signature does not match/);

    swapChannelPosts(server.dataDir, channel.channelId, a.postId, c.postId);
    posts = (await ben.client.channels.posts(channel.channelId)).posts;
    assert.deepEqual(posts.map((p) => p.verified), [false, false, false], 'a moved post (and the altered ones) fail');
    assert.match(shown(posts)[0]!, /served at seq 3 but signed for seq 1/);

    // A post of the server's own making, signed by a key not in the owner's list.
    const outsider = outsideChannelKey();
    const body: ChannelPostBody = { v: 1, channelId: channel.channelId, postId: 'forged_post_1', postSeq: 4, seq: 4, version: 1, date: Date.now(), signer: outsider.publicKey, text: 'Official: the vote is cancelled', pinned: true, deleted: false };
    insertChannelPost(server.dataDir, channel.channelId, { ...outsider.signPost(body), postId: 'forged_post_1', seq: 4, authorId: amy.userId });
    const forged = (await ben.client.channels.log(channel.channelId, 3)).posts;
    assert.deepEqual(shown(forged), ['UNVERIFIED: signed by a key the channel\'s key list does not name']);

    // …and adding its key to the list itself: the list no longer verifies (or names another owner), so nothing does.
    const list = JSON.parse(channelKeyList(server.dataDir, channel.channelId).signed) as { admins: unknown[] };
    const added = { ...list, version: 2, admins: [...list.admins, { userId: amy.userId, key: outsider.publicKey }] };
    replaceChannelKeyList(server.dataDir, channel.channelId, { signed: JSON.stringify(added), signature: channelKeyList(server.dataDir, channel.channelId).signature }, 2);
    const page = await ben.client.channels.log(channel.channelId, 3);
    assert.equal(page.keyListProblem, 'the key list is not signed by the owner key');
    assert.deepEqual(page.posts.map((p) => p.verified), [false]);
    replaceChannelKeyList(server.dataDir, channel.channelId, outsider.signKeyList({ v: 1, channelId: channel.channelId, version: 3, owner: outsider.publicKey, admins: [{ userId: amy.userId, key: outsider.publicKey }] }), 3);
    assert.equal((await ben.client.channels.log(channel.channelId, 3)).keyListProblem, 'the owner key changed', 'Ben pinned the owner key when he subscribed');
  });

  it('R95b R96 only admins post; a named admin posts once the owner signs their key in; non-admins can\'t edit or delete; a removed admin is refused', async (t) => {
    await using server = await startTestServer();
    const [amy, ben, cat] = await users(t, server.url, 'Amy', 'Ben', 'Cat');
    if (!amy || !ben || !cat) throw new Error('users');
    const channel = await amy.client.channels.create({ handle: channelHandle(), title: 'School news' });
    const post = await amy.client.channels.post(channel.channelId, 'Classes start at 9');

    // Cat is no admin: the server refuses her signed post, edit and delete, whatever key signs them.
    const outsider = outsideChannelKey();
    const fake = (over: Partial<ChannelPostBody>): ChannelPostBody => ({
      v: 1, channelId: channel.channelId, postId: post.postId, postSeq: 1, seq: 2, version: 2, date: Date.now(), signer: outsider.publicKey, text: 'Classes are cancelled', pinned: false, deleted: false, ...over,
    });
    await rejects(raw(cat)('PUT', `/channels/${channel.channelId}/posts/${post.postId}`, outsider.signPost(fake({}))), 'channel_admin_only');
    await rejects(raw(cat)('PUT', `/channels/${channel.channelId}/posts/${post.postId}`, outsider.signPost(fake({ text: '', deleted: true }))), 'channel_admin_only');
    await rejects(raw(cat)('PUT', `/channels/${channel.channelId}/posts/cat_post_01`, outsider.signPost(fake({ postId: 'cat_post_01', postSeq: 2, version: 1 }))), 'channel_admin_only');
    await rejects(cat.client.channels.acceptAdmin(channel.channelId), 'channel_admin_only');
    await rejects(raw(cat)('PUT', `/channels/${channel.channelId}/admins/${cat.userId}`), 'channel_admin_only');
    await rejects(raw(cat)('GET', `/channels/${channel.channelId}/admins`), 'channel_admin_only');

    // Ben is named, registers his key, but posts only once Amy's device signs a list with it.
    await amy.client.channels.addAdmin(channel.channelId, ben.userId);
    await ben.client.channels.acceptAdmin(channel.channelId);
    await rejects(ben.client.channels.post(channel.channelId, 'Ben here'), 'channel_admin_only', /key list/);
    await rejects(ben.client.channels.publishKeyList(channel.channelId), 'channel_admin_only');
    await amy.client.channels.publishKeyList(channel.channelId);
    const bens = await ben.client.channels.post(channel.channelId, 'Ben here');
    assert.equal(bens.signedBy, ben.userId);
    // Ben signs with his own key only: a post naming Amy's key (which he doesn't hold) is refused.
    const amyKey = JSON.parse((await amy.client.channels.get(channel.channelId)).keyList.signed).owner as string;
    await rejects(raw(ben)('PUT', `/channels/${channel.channelId}/posts/ben_post_02`, outsider.signPost(fake({ postId: 'ben_post_02', postSeq: 4, seq: 4, version: 1, signer: amyKey }))), 'channel_signature_invalid');

    await amy.client.channels.removeAdmin(channel.channelId, ben.userId);
    await rejects(raw(ben)('PUT', `/channels/${channel.channelId}/posts/${bens.postId}`, outsider.signPost(fake({ postId: bens.postId, postSeq: bens.postSeq, seq: 4, version: 2, text: '', deleted: true }))), 'channel_admin_only');
    assert.deepEqual(shown((await cat.client.channels.log(channel.channelId, 0)).posts), ['Classes start at 9', 'Ben here'],
      'his posts from before stay genuine: the new list retires his key at the log\'s end');
    // A post signed with Ben's retired key after it was retired (Ben and the server colluding) is not verified.
    const benKey = await deviceSigner(ben, channel.channelId);
    const seq = (await amy.client.channels.get(channel.channelId)).lastSeq + 1;
    const { signed: late, signature } = benKey.signed(fake({ postId: 'ben_late_01', postSeq: seq, seq, version: 1, signer: benKey.publicKey, text: 'Classes are cancelled' }));
    insertChannelPost(server.dataDir, channel.channelId, { signed: late, signature, postId: 'ben_late_01', seq, authorId: ben.userId });
    assert.deepEqual(shown((await cat.client.channels.log(channel.channelId, seq - 1)).posts), [`UNVERIFIED: signed by a retired key after it was retired (at seq ${seq - 1})`]);
  });

  it('R95 R96 bad input: bad and squatting handles, oversized posts, wrong seq, far dates, mismatched ids get clear errors and store nothing', async (t) => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MAX_POST_CHARS: '100' });
    const [amy] = await users(t, server.url, 'Amy');
    if (!amy) throw new Error('users');
    for (const [handle, why] of [
      ['pаrley_news', /mixes latin letters with another script/], // Cyrillic а
      ['новости', /only a-z/], ['News', /3-32 of a-z/], ['ab', /3-32/], ['support', /reserved/], ['supp0rt', /looks like a reserved one/],
      ['adm1n', /looks like a reserved one/], ['x'.repeat(40), /3-32/], ['café_news', /mixes latin|only a-z/],
    ] as const) {
      await rejects(amy.client.channels.create({ handle, title: 'T' }), 'invalid_handle', why);
    }
    await rejects(amy.client.channels.create({ handle: amy.handle, title: 'T' }), 'handle_taken');
    const channel = await amy.client.channels.create({ handle: channelHandle(), title: 'T' });
    await rejects(amy.client.channels.create({ handle: channel.handle, title: 'T' }), 'handle_taken');

    await rejects(amy.client.channels.post(channel.channelId, 'x'.repeat(101)), 'channel_post_too_large');
    const key = outsideChannelKey();
    await amy.client.channels.post(channel.channelId, 'fine');
    // Raw requests with Amy's session but bodies the route does not accept (the signer check comes after these).
    const put = (body: Partial<ChannelPostBody>, postId = 'raw_post_01') => raw(amy)('PUT', `/channels/${channel.channelId}/posts/${postId}`,
      key.signPost({ v: 1, channelId: channel.channelId, postId, postSeq: 2, seq: 2, version: 1, date: Date.now(), signer: key.publicKey, text: 'x', pinned: false, deleted: false, ...body }));
    await rejects(put({ date: Date.now() + 86_400_000 }), 'channel_post_invalid', /date/);
    await rejects(put({ postId: 'another_01' }), 'channel_post_invalid', /another channel or post/);
    await rejects(put({ postSeq: 1 }), 'channel_post_invalid', /postSeq equal to seq/);
    await rejects(raw(amy)('PUT', `/channels/${channel.channelId}/posts/raw_post_01`, { signed: '{"v":1', signature: 'A'.repeat(86) + '==' }), 'channel_post_invalid');
    await rejects(raw(amy)('PUT', `/channels/${channel.channelId}/posts/raw_post_01`, { signed: 'x' }), 'bad_request');
    await rejects(raw(amy)('GET', '/channels/no_such_chan'), 'channel_not_found');
    // Signed right, by Amy's own key, but for a seq another post holds: the SDK would sign again; a raw request is told where the log is.
    const amyKey = await deviceSigner(amy, channel.channelId);
    const body: ChannelPostBody = { v: 1, channelId: channel.channelId, postId: 'raw_post_02', postSeq: 1, seq: 1, version: 1, date: Date.now(), signer: amyKey.publicKey, text: 'late', pinned: false, deleted: false };
    await rejects(raw(amy)('PUT', `/channels/${channel.channelId}/posts/raw_post_02`, amyKey.signed(body)), 'channel_seq_conflict', /sign again with seq 2/);
    await rejects(raw(amy)('PUT', `/channels/${channel.channelId}/posts/raw_post_02`, { ...amyKey.signed({ ...body, seq: 2, postSeq: 2 }), signature: amyKey.signed(body).signature }), 'channel_signature_invalid');
    assert.equal((await amy.client.channels.get(channel.channelId)).lastSeq, 1, 'nothing was stored');
  });

  it('R96 a channel holds at most PARLEY_CHANNEL_MAX_PINS pinned posts: one more is channel_pin_limit; an edit of a pinned post, an unpin and a deletion pass and make room', async (t) => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MAX_PINS: '2' });
    const [amy] = await users(t, server.url, 'Amy');
    if (!amy) throw new Error('users');
    const { channelId: id } = await amy.client.channels.create({ handle: channelHandle(), title: 'Harbour notices' });
    const [a, b, c] = [await amy.client.channels.post(id, 'Tide at 6:10'), await amy.client.channels.post(id, 'Crane out of order'), await amy.client.channels.post(id, 'Fuel dock open')];
    if (!a || !b || !c) throw new Error('posts');
    await amy.client.channels.pin(id, a.postId);
    await amy.client.channels.pin(id, b.postId);
    await rejects(amy.client.channels.pin(id, c.postId), 'channel_pin_limit');
    await amy.client.channels.edit(id, a.postId, 'Tide at 6:20'); // a pinned post's edit keeps it pinned, not one more
    assert.equal((await amy.client.channels.pin(id, a.postId)).pinned, true, 'pinning a pinned post again is no new pin');
    await amy.client.channels.pin(id, a.postId, false);
    assert.equal((await amy.client.channels.pin(id, c.postId)).pinned, true);
    await amy.client.channels.delete(id, b.postId);
    assert.equal((await amy.client.channels.pin(id, a.postId)).pinned, true);
    const pinned = (await amy.client.channels.log(id, 0)).posts.flatMap((p) => (p.verified && p.pinned ? [p.text] : []));
    assert.deepEqual(pinned.sort(), ['Fuel dock open', 'Tide at 6:20']);
  });
  it('R96 two admins posting at once both land, in distinct seqs, without gaps', async (t) => {
    await using server = await startTestServer();
    const [amy, ben] = await users(t, server.url, 'Amy', 'Ben');
    if (!amy || !ben) throw new Error('users');
    const channel = await amy.client.channels.create({ handle: channelHandle(), title: 'Two voices' });
    await amy.client.channels.addAdmin(channel.channelId, ben.userId);
    await ben.client.channels.acceptAdmin(channel.channelId);
    await amy.client.channels.publishKeyList(channel.channelId);
    const all = await Promise.all([
      ...[1, 2, 3].map((i) => amy.client.channels.post(channel.channelId, `amy ${i}`)),
      ...[1, 2, 3].map((i) => ben.client.channels.post(channel.channelId, `ben ${i}`)),
    ]);
    assert.deepEqual(all.map((p) => p.seq).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6]);
    const log = await amy.client.channels.log(channel.channelId, 0);
    assert.ok(log.posts.every((p) => p.verified));
  });
});

describe('public channel pages (R99)', () => {
  it('R99 the page is plain HTML with Open Graph tags, everything escaped, no script; the Atom feed parses; bad requests get a 4xx', async (t) => {
    await using server = await startTestServer();
    const [amy] = await users(t, server.url, 'Amy');
    if (!amy) throw new Error('users');
    const handle = channelHandle();
    const channel = await amy.client.channels.create({ handle, title: 'Tom & Jerry <script>alert(1)</script>', description: '"quoted" \'single\' <b>bold</b>' });
    await amy.client.channels.post(channel.channelId, 'First <img src=x onerror=alert(1)> & more\nsecond line');
    const hidden = await amy.client.channels.post(channel.channelId, 'To be deleted');
    await amy.client.channels.delete(channel.channelId, hidden.postId);

    const page = await fetch(`${server.url}/c/${handle}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const html = await page.text();
    assert.ok(!/<script/i.test(html), 'no script element at all');
    assert.ok(!html.includes('<img'), 'post text is text');
    assert.ok(!html.includes('<b>'));
    assert.ok(html.includes('First &lt;img src=x onerror=alert(1)&gt; &amp; more\nsecond line'));
    assert.ok(html.includes('<meta property="og:title" content="Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt;">'));
    assert.ok(html.includes('<meta property="og:description" content="&quot;quoted&quot; &#39;single&#39; &lt;b&gt;bold&lt;/b&gt;">'));
    assert.match(html, /<meta property="og:url" content="[^"]+\/c\/news/);
    const origin = /<meta property="og:url" content="([^"]+)\/c\//.exec(html)?.[1] ?? '';
    // R202: no photo in any post: a small card, no og:image.
    assert.ok(html.includes('<meta name="twitter:card" content="summary">') && !html.includes('og:image'));
    assert.ok(!html.includes('To be deleted'), 'deleted posts are gone from the page');
    assert.match(html, /Public channel: anyone can read it/);

    const feed = await fetch(`${server.url}/c/${handle}/feed.atom`);
    assert.equal(feed.status, 200);
    assert.match(feed.headers.get('content-type') ?? '', /^application\/atom\+xml/);
    const xml = await feed.text();
    assert.ok(xml.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'));
    // Parsed as XML, as a reader does: the markup in the title and text comes back as the text it was.
    const atom = parseAtom(xml);
    assert.equal(atom.title, 'Tom & Jerry <script>alert(1)</script>');
    assert.deepEqual(atom.links.map((l) => [l.rel, l.href]), [['alternate', `${origin}/c/${handle}`], ['self', `${origin}/c/${handle}/feed.atom`]]);
    assert.deepEqual(atom.entries.map((e) => [e.title, e.content]), [['First <img src=x onerror=alert(1)> & more second line', 'First <img src=x onerror=alert(1)> & more\nsecond line']]);
    assert.deepEqual(atom.entries[0]?.links, [{ rel: 'alternate', type: 'text/html', href: `${origin}/c/${handle}#post-1` }]);
    assert.ok(xml.includes('<title>Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt;</title>'));
    assert.ok(!/<(?!\/?(feed|id|title|subtitle|link|updated|author|name|entry|content|\?xml)\b)/.test(xml), 'no element but Atom\'s');

    for (const [path, status, code] of [
      [`/c/${handle}/feed.atom?limit=abc`, 400, 'bad_request'], [`/c/${handle}?x=1`, 400, 'bad_request'],
      ['/c/no_such_channel/feed.atom', 404, 'channel_not_found'], ['/c/%D0%BF%D0%B0rley/feed.atom', 400, 'invalid_handle'],
      ['/c/support', 400, 'invalid_handle'], [`/c/${handle}/feed.rss2`, 404, 'not_found'], ['/c/%ZZ/feed.atom', 400, 'bad_request'],
    ] as const) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, status, path);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, code, path);
    }
  });

  it('R200 R95b the named admin sees the invitation and accepts; with names signed, readers see each post\'s author; a server that flips it or renames an author is caught', async (t) => {
    await using server = await startTestServer();
    const [amy, ben, cat] = await users(t, server.url, 'Amy', 'Ben <b>& Co</b>', 'Cat');
    if (!amy || !ben || !cat) throw new Error('users');
    const handle = channelHandle();
    const channel = await amy.client.channels.create({ handle, title: 'Club news' });
    const id = channel.channelId;
    await cat.client.channels.subscribe(id);
    assert.deepEqual(await ben.client.channels.adminInvites(), []);
    // R201: notices of admin changes, to whom they concern only.
    const heard = new Map<string, string[]>([[amy.userId, []], [ben.userId, []], [cat.userId, []]]);
    for (const u of [amy, ben, cat]) u.client.on('channelAdmin', (e) => heard.get(u.userId)!.push(e.channelId));
    await waitFor(() => [amy, ben, cat].every((u) => u.client.connectionState === 'online'), { what: 'online' });
    await amy.client.channels.addAdmin(id, ben.userId);
    await waitFor(() => heard.get(ben.userId)!.length === 1, { what: 'ben hears he is invited' });
    // The invitee's app learns it is invited; nobody else (the owner included) sees an invitation.
    assert.deepEqual((await ben.client.channels.adminInvites()).map((c) => c.handle), [handle]);
    assert.deepEqual(await amy.client.channels.adminInvites(), []);
    assert.deepEqual(await cat.client.channels.adminInvites(), []);
    assert.deepEqual((await amy.client.channels.admins(id)).map((a) => [a.displayName, a.role, a.key !== undefined]), [['Amy', 'owner', true], ['Ben <b>& Co</b>', 'admin', false]]);
    await ben.client.channels.acceptAdmin(id);
    assert.deepEqual(await ben.client.channels.adminInvites(), [], 'accepted: no longer an invitation');
    await waitFor(() => heard.get(amy.userId)!.length === 1, { what: 'the owner hears ben accepted' });
    assert.equal(await ben.client.channels.signInAccepted(id), false, 'only the owner\'s device signs');
    assert.equal(await amy.client.channels.signInAccepted(id), true, 'the owner\'s device signs the accepted key in');
    assert.equal(await amy.client.channels.signInAccepted(id), false, 'nothing left to sign');
    await waitFor(() => heard.get(ben.userId)!.length === 2, { what: 'ben hears the new list' });
    assert.deepEqual(heard.get(cat.userId), [], 'a subscriber hears nothing of it');
    await amy.client.channels.post(id, 'From the owner');
    await ben.client.channels.post(id, 'From Ben');

    // Off (the default): verified, signed by an admin, no name.
    let page = await cat.client.channels.log(id, 0);
    assert.deepEqual(page.posts.map((p) => (p.verified ? [p.text, p.author ?? 'the channel\'s admin'] : p.problem)), [['From the owner', 'the channel\'s admin'], ['From Ben', 'the channel\'s admin']]);
    assert.ok(!(await (await fetch(`${server.url}/c/${handle}`)).text()).includes('class="author"'));

    // On: the owner's device signs a list with names on; every reader shows the signed names.
    await amy.client.channels.setSignNames(id, true);
    page = await cat.client.channels.log(id, 0);
    assert.deepEqual(page.posts.map((p) => (p.verified ? [p.text, p.author] : p.problem)), [['From the owner', 'Amy'], ['From Ben', 'Ben <b>& Co</b>']]);
    const html = await (await fetch(`${server.url}/c/${handle}`)).text();
    assert.ok(html.includes('<span class="author">— Ben &lt;b&gt;&amp; Co&lt;/b&gt;</span>'), 'the page names the author, escaped');
    const xml = await (await fetch(`${server.url}/c/${handle}/feed.atom`)).text();
    assert.ok(xml.includes('<author><name>Ben &lt;b&gt;&amp; Co&lt;/b&gt;</name></author>'), 'the feed entry names its author, escaped');
    assert.ok(!xml.includes('<b>'));
    // Only the owner's device turns it on or off.
    await rejects(ben.client.channels.setSignNames(id, false), 'channel_admin_only');

    // A removed admin's earlier posts keep his signed name (the retired entry keeps it).
    await amy.client.channels.removeAdmin(id, ben.userId);
    page = await cat.client.channels.log(id, 0);
    assert.deepEqual(page.posts.map((p) => (p.verified ? p.author : p.problem)), ['Amy', 'Ben <b>& Co</b>']);

    // The server flips the setting off, or names another author, in the stored list: the owner's signature no longer holds.
    const stored = channelKeyList(server.dataDir, id);
    type Editable = { signNames?: boolean; admins: Array<{ name?: string }> };
    const forge = (change: (list: Editable) => void) => {
      const list = JSON.parse(stored.signed) as Editable;
      change(list);
      replaceChannelKeyList(server.dataDir, id, { signed: JSON.stringify(list), signature: stored.signature }, stored.version);
    };
    for (const change of [(l: Editable) => { delete l.signNames; }, (l: Editable) => { l.admins[1]!.name = 'Amy'; }]) {
      forge(change);
      const forged = await cat.client.channels.log(id, 0);
      assert.equal(forged.keyListProblem, 'the key list is not signed by the owner key');
      assert.ok(forged.posts.every((p) => !p.verified), 'no post is shown as the channel\'s, with or without a name');
    }
    // Or it signs a list of its own (another owner key): the pinned owner key catches it.
    const outsider = outsideChannelKey();
    const own = JSON.parse(stored.signed) as ChannelKeyList;
    replaceChannelKeyList(server.dataDir, id, outsider.signKeyList({ ...own, owner: outsider.publicKey, signNames: false }), stored.version);
    assert.equal((await cat.client.channels.log(id, 0)).keyListProblem, 'the owner key changed');
    replaceChannelKeyList(server.dataDir, id, stored, stored.version);
    assert.deepEqual((await cat.client.channels.log(id, 0)).posts.map((p) => (p.verified ? p.author : p.problem)), ['Amy', 'Ben <b>& Co</b>']);
  });
});
