import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { sessionRest, type ParleyClient } from '@parley/client';
import { newClient, startTestServer, waitFor, type TestUser, rejectsWithCode as rejects } from '@parley/testing';
import { RawPeer } from './raw.ts';
import { leaks, serverBytes } from './server-bytes.ts';
import { GROUP_FORMED, inGroup, userPool, follow } from './private-channel.ts';

/** Private channels (docs/PROTOCOL.md R112-R113): a community whose announcements chat is the channel, end-to-end encrypted. */

const texts = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system && !i.notice).map((i) => i.text);
const { started, users, stopAll } = userPool();
afterEach(stopAll);


describe('private channels (R112-R113)', () => {
  it('R112 a private channel: subscribers come in by link and by approved request, read the admin\'s posts end to end and react; only admins post; the server holds no plaintext', async () => {
    await using server = await startTestServer();
    const [ann, ben, cat, dan] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan');
    if (!ann || !ben || !cat || !dan) throw new Error('users');
    const channel = await ann.client.communities.create({ name: 'School 5 parents', settings: { channel: true } });
    assert.equal(channel.settings.channel, true);
    const chatId = channel.announcementsChatId;
    // A private channel is its announcements chat alone: no general chat to talk in.
    assert.deepEqual((await ann.client.communities.chats(channel.communityId)).map((c) => c.kind), ['announcements']);
    // R112: chosen at creation, never changed afterwards.
    await rejects(ann.client.communities.update(channel.communityId, { settings: { channel: false } }), 'bad_request');

    const link = await ann.client.communities.createInvite(channel.communityId);
    await ben.client.communities.joinInvite(link.token);
    const asking = await ann.client.communities.createInvite(channel.communityId, { needsApproval: true });
    const request = await cat.client.communities.joinRequests.request(asking.token, 'Mother of Vera, 3B');
    await ann.client.communities.joinRequests.approve(channel.communityId, request.requestId);
    await waitFor(async () => (await inGroup(ann.client, chatId)).length === 3, { what: 'the channel\'s group holds Ann, Ben and Cat', timeoutMs: GROUP_FORMED });
    assert.equal(ben.client.chat(chatId)?.community?.channel, true);
    assert.equal(ben.client.chat(chatId)?.community?.mayPost, false);

    const post = await ann.client.sendText(chatId, 'Parents meeting Thursday 18:30, room 12');
    await waitFor(() => [ben, cat].every((u) => texts(u.client, chatId).includes('Parents meeting Thursday 18:30, room 12')), { what: 'subscribers read the post', timeoutMs: GROUP_FORMED });

    // Only admins post (R69): a subscriber's text is refused and stored nowhere.
    const id = await ben.client.sendText(chatId, 'Buy my car');
    await waitFor(() => ben.client.outbox().some((o) => o.clientMsgId === id && o.failedCode === 'announcements_only'), { what: "Ben's post refused", timeoutMs: GROUP_FORMED });
    // Subscribers react: the reaction goes as a response (the vote flag) and every device shows it.
    await cat.client.react(chatId, post, '👍', true);
    await waitFor(() => [ann, ben].every((u) => u.client.timeline(chatId).find((i) => i.id === post)?.reactions.some((r) => r.emoji === '👍' && r.userIds.includes(cat.userId))),
      { what: "Cat's reaction shown on Ann's and Ben's devices", timeoutMs: GROUP_FORMED });
    assert.ok(!texts(ann.client, chatId).includes('Buy my car'));

    // A non-subscriber reads nothing: the log is refused to him and the community does not exist for him.
    const peer = await RawPeer.authed(server.url, dan.deviceId, (d) => dan.deviceKey.sign(d));
    const history = await peer.request({ type: 'history', rid: 'h1', chatId, afterSeq: 0 });
    assert.deepEqual([history['type'], history['code']], ['error', 'not_member']);
    peer.ws.close();
    await rejects(dan.client.communities.get(channel.communityId), 'not_found');

    await Promise.all(started.map((u) => u.client.stop()));
    const everything = serverBytes(server.dataDir);
    assert.ok(leaks(everything, new TextEncoder().encode(chatId)), 'the scan finds what is there');
    for (const s of ['Parents meeting Thursday', 'School 5 parents', '👍']) assert.ok(!leaks(everything, new TextEncoder().encode(s)), `plaintext on the server: ${s}`);
  });

  it('R50 R112 a private channel\'s devices hold it to the server\'s PARLEY_CHANNEL_MAX_PINS (the server can\'t see pins there): one more is channel_pin_limit; an unpin makes room', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MAX_PINS: '2' });
    const [ann] = await users(server.url, 'Ann');
    if (!ann) throw new Error('users');
    const { announcementsChatId: chatId } = await ann.client.communities.create({ name: 'Choir rota', settings: { channel: true } });
    const ids = [await ann.client.sendText(chatId, 'Altos: Tuesday'), await ann.client.sendText(chatId, 'Tenors: Wednesday'), await ann.client.sendText(chatId, 'Basses: Thursday')];
    const pinned = () => ann.client.pinned(chatId).map((i) => i.text);
    await waitFor(() => ids.every((id) => ann.client.timeline(chatId).some((i) => i.id === id && i.seq !== null)), { what: 'posts sent', timeoutMs: GROUP_FORMED });
    await ann.client.pin(chatId, ids[0]!, true);
    await ann.client.pin(chatId, ids[1]!, true);
    await waitFor(() => pinned().length === 2, { what: 'two pinned', timeoutMs: GROUP_FORMED });
    await rejects(ann.client.pin(chatId, ids[2]!, true), 'channel_pin_limit');
    await ann.client.pin(chatId, ids[0]!, true); // again: it becomes the latest, not one more
    await ann.client.pin(chatId, ids[1]!, false);
    await waitFor(() => pinned().length === 1, { what: 'one unpinned', timeoutMs: GROUP_FORMED });
    await ann.client.pin(chatId, ids[2]!, true);
    await waitFor(() => pinned().join() === 'Basses: Thursday,Altos: Tuesday', { what: 'the third pinned', timeoutMs: GROUP_FORMED });
  });
  it('R112 a removed (banned) subscriber\'s device, keeping its state and following the log, reads nothing posted after the removal', async () => {
    await using server = await startTestServer();
    const [ann, ben, cat] = await users(server.url, 'Ann', 'Ben', 'Cat');
    if (!ann || !ben || !cat) throw new Error('users');
    const channel = await ann.client.communities.create({ name: 'Night shift news', settings: { channel: true } });
    const chatId = channel.announcementsChatId;
    const { token } = await ann.client.communities.createInvite(channel.communityId);
    for (const u of [ben, cat]) await u.client.communities.joinInvite(token);
    await waitFor(async () => (await inGroup(ann.client, chatId)).length === 3, { what: 'the group of three', timeoutMs: GROUP_FORMED });
    await ann.client.sendText(chatId, 'before the ban');
    await waitFor(() => texts(ben.client, chatId).includes('before the ban'), { what: 'Ben reads the first post', timeoutMs: GROUP_FORMED });

    // Ben's device goes offline keeping its group state; Ann bans him; her device commits his removal.
    await ben.client.stop();
    await ann.client.communities.ban(channel.communityId, ben.userId);
    await waitFor(async () => !(await inGroup(ann.client, chatId)).includes(ben.userId), { what: "Ben's device out of the channel's group", timeoutMs: GROUP_FORMED });
    await ann.client.sendText(chatId, 'after the ban: new shift plan');
    await waitFor(() => texts(cat.client, chatId).includes('after the ban: new shift plan'), { what: 'Cat reads the new post', timeoutMs: GROUP_FORMED });

    const after = ann.client.log(chatId).find((m) => ann.client.timeline(chatId).some((i) => i.id === m.clientMsgId && i.text === 'after the ban: new shift plan'));
    assert.ok(after, "Ann's log holds the post");
    const ben_ = await follow(ben, chatId, ann.client.log(chatId));
    assert.ok(!ben_.read.includes('after the ban: new shift plan'), 'the removed subscriber read a post made after the removal');
    assert.ok((ben_.epochOf(after) ?? 0) > (ben_.epoch ?? Infinity), 'the post is in an epoch after the one Ben\'s device holds');
    await rejects(ben.client.communities.joinInvite(token), 'community_banned');
  });

  it('R112 a private channel\'s post carries a photo and a file, end to end encrypted like a chat\'s: subscribers download and open them; a subscriber can\'t post one; outsiders get nothing', async () => {
    await using server = await startTestServer();
    const [ann, ben, dan] = await users(server.url, 'Ann', 'Ben', 'Dan');
    if (!ann || !ben || !dan) throw new Error('users');
    const channel = await ann.client.communities.create({ name: 'Orchestra members', settings: { channel: true } });
    const chatId = channel.announcementsChatId;
    await ben.client.communities.joinInvite((await ann.client.communities.createInvite(channel.communityId)).token);
    await waitFor(async () => (await inGroup(ann.client, chatId)).length === 2, { what: 'the group of two', timeoutMs: GROUP_FORMED });

    const photo = new TextEncoder().encode('PHOTO-BYTES: rehearsal seating plan');
    const score = new TextEncoder().encode('SCORE-BYTES: second violin part, bars 1-120');
    const postId = await ann.client.sendFiles(chatId, [
      { source: new Blob([photo]), name: 'seating.jpg', mime: 'image/jpeg', size: photo.length, width: 800, height: 600 },
      { source: new Blob([score]), name: 'violin2.pdf', mime: 'application/pdf', size: score.length },
    ], { text: 'Seating and parts for Saturday' });
    const find = () => ben.client.timeline(chatId).find((i) => i.id === postId && (i.attachments?.length ?? 0) === 2 && !i.upload);
    await waitFor(() => find() !== undefined, { what: 'Ben reads the post with its files', timeoutMs: GROUP_FORMED });
    const atBen = find()!;
    assert.equal(atBen.text, 'Seating and parts for Saturday');
    assert.deepEqual(atBen.attachments!.map((a) => [a.kind, a.name]), [['image', 'seating.jpg'], ['file', 'violin2.pdf']]);
    const bytes = async (b: Blob) => new Uint8Array(await b.arrayBuffer());
    assert.deepEqual(await bytes(await ben.client.downloadAttachment(atBen.attachments![0]!)), photo);
    assert.deepEqual(await bytes(await ben.client.downloadAttachment(atBen.attachments![1]!)), score);

    // A subscriber's file post is refused like his text (R69); Ann never sees it.
    const mine = await ben.client.sendFiles(chatId, [{ source: new Blob([photo]), name: 'spam.jpg', mime: 'image/jpeg', size: photo.length }]);
    await waitFor(() => ben.client.outbox().some((o) => o.clientMsgId === mine && o.failedCode === 'announcements_only'), { what: "Ben's file post refused", timeoutMs: GROUP_FORMED });
    assert.ok(!ann.client.timeline(chatId).some((i) => i.id === mine));

    // Someone outside the channel can't fetch the encrypted bytes at all.
    const blobId = atBen.attachments![0]!.blobId;
    await rejects(sessionRest(dan.baseUrl, dan.deviceId, dan.deviceKey)('GET', `/blobs/${blobId}`), 'blob_not_found');

    await Promise.all(started.map((u) => u.client.stop()));
    const everything = serverBytes(server.dataDir);
    for (const s of ['PHOTO-BYTES', 'SCORE-BYTES', 'seating.jpg', 'violin2.pdf', 'Seating and parts']) assert.ok(!leaks(everything, new TextEncoder().encode(s)), `plaintext on the server: ${s}`);
  });

  it('R190 a private channel\'s post views (MLS mode): each device run that shows it counts once, per time bucket, with no one named; system rows and missing seqs are passed over; members only; not for a wrapped or non-channel community; bad input and a device\'s reports are refused', async () => {
    let offset = 0; // moves the server's clock into the next bucket
    await using server = await startTestServer({ PARLEY_CHANNEL_VIEW_BUCKET_MS: '1000', PARLEY_CHANNEL_VIEW_REPORTS_PER_MIN: '3' }, { clock: { now: () => Date.now() + offset } });
    const [ann, ben, cat, dan] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan');
    if (!ann || !ben || !cat || !dan) throw new Error('users');
    const { communityId: id, announcementsChatId: chatId } = await ann.client.communities.create({ name: 'Choir news', settings: { channel: true } });
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [ben, cat]) await u.client.communities.joinInvite(token);
    await waitFor(async () => (await inGroup(ann.client, chatId)).length === 3, { what: 'the channel\'s group holds Ann, Ben and Cat', timeoutMs: GROUP_FORMED });
    const post = await ann.client.sendText(chatId, 'Rehearsal moved to Friday');
    await waitFor(() => ann.client.timeline(chatId).find((i) => i.id === post)?.seq != null, { what: 'the post is in the log', timeoutMs: GROUP_FORMED });
    const seq = ann.client.timeline(chatId).find((i) => i.id === post)?.seq ?? 0;
    const views = async () => (await ann.client.channelViews.counts(id, [seq, 1, 999]));
    assert.deepEqual([...(await views())], [[seq, 0], [1, 0], [999, 0]]);

    // Ben's device shows the post (twice at once, and again): once per device run. Seq 1 (the chat's
    // creation, a system row) and a seq of no message are passed over, not refused.
    await Promise.all([ben.client.channelViews.markViewed(id, [seq]), ben.client.channelViews.markViewed(id, [seq])]);
    await ben.client.channelViews.markViewed(id, [seq, 1, 999]);
    assert.deepEqual([...(await views())], [[seq, 1], [1, 0], [999, 0]]);
    // The next bucket: Cat's device and a new run of Ben's device count again; the answer sums the buckets.
    offset += 1000;
    await cat.client.channelViews.markViewed(id, [seq]);
    const benAgain = newClient(server.url, ben.userId, ben.deviceId, ben.deviceKey, ben.store);
    try {
      await benAgain.channelViews.markViewed(id, [seq]);
    } finally {
      await benAgain.stop();
    }
    assert.equal((await ben.client.channelViews.counts(id, [seq])).get(seq), 3, 'a subscriber reads the count too');
    // What the server keeps: a number per (seq, bucket), no column naming who viewed.
    const db = (server.services.storage as unknown as { db: { prepare(sql: string): { all(...a: unknown[]): Record<string, unknown>[] } } }).db;
    assert.deepEqual(db.prepare('SELECT name FROM pragma_table_info(\'channel_mls_views\')').all().map((r) => r['name']), ['community_id', 'seq', 'bucket', 'views']);
    assert.deepEqual(db.prepare('SELECT seq, COUNT(*) AS buckets, SUM(views) AS n FROM channel_mls_views WHERE community_id = ? GROUP BY seq').all(id).map((r) => [r['seq'], r['buckets'], r['n']]), [[seq, 2, 3]]);

    // Members only (R141-style not_found); a community that is no channel, or a wrapped one: bad_request; bad input: bad_request.
    const rest = (u: TestUser) => sessionRest(u.baseUrl, u.deviceId, u.deviceKey);
    await rejects(dan.client.channelViews.markViewed(id, [seq]), 'not_found');
    await rejects(dan.client.channelViews.counts(id, [seq]), 'not_found');
    const plain = await ann.client.communities.create({ name: 'Not a channel' });
    await rejects(ann.client.channelViews.markViewed(plain.communityId, [1]), 'bad_request');
    const wrapped = await ann.client.communities.create({ name: 'Big one', settings: { channel: true, wrapped: true } });
    await rejects(ann.client.channelViews.counts(wrapped.communityId, [1]), 'bad_request');
    await rejects(rest(cat)('POST', `/communities/${id}/channel-views`, { seqs: [] }), 'bad_request');
    await rejects(rest(cat)('POST', `/communities/${id}/channel-views`, { seqs: Array.from({ length: 101 }, (_, i) => i + 1) }), 'bad_request');
    await rejects(rest(cat)('GET', `/communities/${id}/channel-views?seqs=0`), 'bad_request');
    // A removed subscriber is an outsider again.
    await ann.client.communities.remove(id, ben.userId);
    await rejects(rest(ben)('POST', `/communities/${id}/channel-views`, { seqs: [seq] }), 'not_found');
    // PARLEY_CHANNEL_VIEW_REPORTS_PER_MIN reports a minute per device (Cat's device sent one).
    await rest(cat)('POST', `/communities/${id}/channel-views`, { seqs: [seq] });
    await rest(cat)('POST', `/communities/${id}/channel-views`, { seqs: [seq] });
    await rejects(rest(cat)('POST', `/communities/${id}/channel-views`, { seqs: [seq] }), 'rate_limited');
    assert.equal((await views()).get(seq), 5);
  });

});
