import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { foldWrappedEdits, foldWrappedPins, sessionRest } from '@parley/client';
import type { WrappedPost } from '@parley/protocol';
import { newClient, startTestServer, waitFor, type TestUser, rejectsWithCode as rejects } from '@parley/testing';
import { leaks, serverBytes } from './server-bytes.ts';
import { userPool } from './private-channel.ts';

/** Wrapped private channels (docs/PROTOCOL.md R182-R188): unread and mute, views, pins, polls, forwards and voice posts, scheduled posts. Split from channels-wrapped.test.ts. */

const { users, stopAll } = userPool();
afterEach(stopAll);


describe('wrapped private channels: what the other channel kinds have (R182-R187)', () => {
  it('R183 a wrapped post\'s views: each device run that shows it counts once, per time bucket, with no one named; the counts answer sums the buckets; info, edits and deleted posts don\'t count and a deleted post\'s counters go; outsiders, removed members and unwrapped channels are refused; a device\'s reports are limited', async () => {
    let offset = 0; // moves the server's clock into the next bucket
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_CHANNEL_VIEW_BUCKET_MS: '1000', PARLEY_CHANNEL_VIEW_REPORTS_PER_MIN: '3' },
      { clock: { now: () => Date.now() + offset } });
    const [ann, ben, cat, dan, eve] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan', 'Eve');
    if (!ann || !ben || !cat || !dan || !eve) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'Ferry times', settings: { channel: true } });
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [ben, cat, eve]) await u.client.communities.joinInvite(token);
    const p1 = await ann.client.wrappedChannels.post(id, 'Ferry at 7:40 runs');
    const p2 = await ann.client.wrappedChannels.post(id, 'Ferry at 9:10 late');
    const edit = await ann.client.wrappedChannels.edit(id, p2.seq, 'Ferry at 9:10 late, 20 min');
    const posts = [{ seq: p1.seq, epoch: p1.epoch }, { seq: p2.seq, epoch: p2.epoch }];
    const views = async () => (await ann.client.wrappedChannels.counts(id, posts, [])).map((c) => c.views);
    assert.deepEqual(await views(), [0, 0]);

    // Ben's device shows both posts (twice at once, and again): once per device run. The info entry
    // (seq 1, R161) and the edit are passed over, not refused.
    await Promise.all([ben.client.wrappedChannels.markViewed(id, [p1.seq, p2.seq]), ben.client.wrappedChannels.markViewed(id, [p1.seq, p2.seq])]);
    await ben.client.wrappedChannels.markViewed(id, [p1.seq, p2.seq, 1, edit.seq]);
    assert.deepEqual(await views(), [1, 1]);
    // The next bucket: Cat's device and a new run of Ben's device count again; the counts sum the buckets.
    offset += 1000;
    await cat.client.wrappedChannels.markViewed(id, [p1.seq]);
    const benAgain = newClient(server.url, ben.userId, ben.deviceId, ben.deviceKey, ben.store);
    try {
      await benAgain.wrappedChannels.markViewed(id, [p1.seq]);
    } finally {
      await benAgain.stop();
    }
    assert.deepEqual(await views(), [3, 1]);
    // What the server keeps: a number per (post, bucket), no column naming who viewed.
    const db = (server.services.storage as unknown as { db: { prepare(sql: string): { all(...a: unknown[]): Record<string, unknown>[] } } }).db;
    assert.deepEqual(db.prepare('SELECT name FROM pragma_table_info(\'channel_wrapped_views\')').all().map((r) => r['name']), ['community_id', 'seq', 'bucket', 'views']);
    const rows = db.prepare('SELECT seq, COUNT(*) AS buckets, SUM(views) AS n FROM channel_wrapped_views WHERE community_id = ? GROUP BY seq ORDER BY seq').all(id);
    assert.deepEqual(rows.map((r) => [r['seq'], Number(r['buckets']) > 1, r['n']]), [[p1.seq, true, 3], [p2.seq, false, 1]]);
    // The reaction answer carries the post's views too.
    assert.equal((await cat.client.wrappedChannels.react(id, posts[0]!, '👍', ['👍'])).views, 3);

    // Members only: an outsider, a removed member (R141's not_found); a channel not wrapped: channel_not_wrapped.
    const rest = (u: TestUser) => sessionRest(u.baseUrl, u.deviceId, u.deviceKey);
    await rejects(dan.client.wrappedChannels.markViewed(id, [p1.seq]), 'not_found');
    await ann.client.communities.remove(id, cat.userId);
    await rejects(rest(cat)('POST', `/communities/${id}/wrapped-posts/views`, { seqs: [p2.seq] }), 'not_found');
    const mls = await ann.client.communities.create({ name: 'Small one', settings: { channel: true } });
    await rejects(ann.client.wrappedChannels.markViewed(mls.communityId, [1]), 'channel_not_wrapped');
    await rejects(rest(ben)('POST', `/communities/${id}/wrapped-posts/views`, { seqs: [] }), 'bad_request');
    await rejects(rest(ben)('POST', `/communities/${id}/wrapped-posts/views`, { seqs: Array.from({ length: 101 }, (_, i) => i + 1) }), 'bad_request');
    assert.deepEqual(await views(), [3, 1]);

    // A deleted post (R167): its counters go, a report of it counts nothing.
    await ann.client.wrappedChannels.delete(id, p1.seq);
    await rest(eve)('POST', `/communities/${id}/wrapped-posts/views`, { seqs: [p1.seq, p2.seq] });
    assert.deepEqual(await views(), [0, 2]);
    assert.deepEqual(db.prepare('SELECT seq FROM channel_wrapped_views WHERE community_id = ? AND seq = ?').all(id, p1.seq), []);
    // PARLEY_CHANNEL_VIEW_REPORTS_PER_MIN reports a minute per device (Eve's device sent one).
    await rest(eve)('POST', `/communities/${id}/wrapped-posts/views`, { seqs: [p2.seq] });
    await rest(eve)('POST', `/communities/${id}/wrapped-posts/views`, { seqs: [p2.seq] });
    await rejects(rest(eve)('POST', `/communities/${id}/wrapped-posts/views`, { seqs: [p2.seq] }), 'rate_limited');
  });

  it('R185 a wrapped poll: an admin posts it signed and sealed; members vote with tokens the server counts without the options, one choice per member (replaced or taken back); readers map the counts back; outsiders, removed and bad tokens are refused; a leaver\'s votes and a deleted poll\'s go', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_CHANNEL_WRAPPED_VOTES_PER_MIN: '1000' });
    const [ann, ben, cat, dan, eve] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan', 'Eve');
    if (!ann || !ben || !cat || !dan || !eve) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'Tram club', settings: { channel: true, wrapped: true } });
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [ben, cat, eve]) await u.client.communities.joinInvite(token);
    const p1 = await ann.client.wrappedChannels.postPoll(id, { question: 'Which depot for the open day?', options: ['Kelvin Hall', 'Pier Yard', 'Old Mill'] });
    const p2 = await ann.client.wrappedChannels.postPoll(id, { question: 'Which lines do you ride?', options: ['Line 4', 'Line 7', 'Line 9'], multiple: true });
    // A reader opens the poll like any post: signed by Ann's device, its question and options inside.
    const read = await ben.client.wrappedChannels.read(id);
    const opened = read.find((p) => p.seq === p1.seq);
    assert.ok(opened?.verified && opened.poll);
    assert.deepEqual(opened.poll, { question: 'Which depot for the open day?', options: ['Kelvin Hall', 'Pier Yard', 'Old Mill'] });
    const poll1 = { seq: p1.seq, epoch: p1.epoch, poll: opened.poll };
    const opened2 = read.find((p) => p.seq === p2.seq);
    assert.ok(opened2?.verified && opened2.poll?.multiple);
    const poll2 = { seq: p2.seq, epoch: p2.epoch, poll: opened2.poll };

    // One choice per member: Cat's second vote replaces her first; each reader maps the tokens back to options.
    assert.deepEqual(await ben.client.wrappedChannels.vote(id, poll1, [1]), { seq: p1.seq, votes: [0, 1, 0], voters: 1, mine: [1], other: 0 });
    await cat.client.wrappedChannels.vote(id, poll1, [1]);
    await cat.client.wrappedChannels.vote(id, poll1, [2]);
    await eve.client.wrappedChannels.vote(id, poll1, [0]);
    await rejects(ben.client.wrappedChannels.vote(id, poll1, [0, 1]), 'bad_request'); // one answer in this poll
    await cat.client.wrappedChannels.vote(id, poll2, [0, 2]);
    await ben.client.wrappedChannels.vote(id, poll2, [0]);
    assert.deepEqual(await ann.client.wrappedChannels.pollVotes(id, [poll1, poll2]), [
      { seq: p1.seq, votes: [1, 1, 1], voters: 3, mine: [], other: 0 },
      { seq: p2.seq, votes: [2, 0, 1], voters: 2, mine: [], other: 0 },
    ]);
    assert.deepEqual((await cat.client.wrappedChannels.pollVotes(id, [poll2]))[0]?.mine, [0, 2]);
    // Taken back: Eve's vote no longer counts.
    assert.deepEqual((await eve.client.wrappedChannels.vote(id, poll1, []))?.votes, [0, 1, 1]);

    // The server holds tokens, not options: the same option of two polls gives unrelated tokens; no option's text is there.
    const benRest = sessionRest(ben.baseUrl, ben.deviceId, ben.deviceKey);
    const raw = await benRest<{ votes: { seq: number; votes: Record<string, number>; voters: number; mine?: string[] }[] }>('GET', `/communities/${id}/wrapped-posts/votes?seqs=${p1.seq},${p2.seq}`);
    assert.deepEqual(raw.votes.map((v) => [v.voters, Object.values(v.votes).sort()]), [[2, [1, 1]], [2, [1, 2]]]);
    assert.equal(raw.votes[0]?.mine?.length, 1);
    assert.ok(!Object.keys(raw.votes[0]?.votes ?? {}).some((t) => t in (raw.votes[1]?.votes ?? {})));
    const everything = serverBytes(server.dataDir);
    for (const text of ['Which depot for the open day?', 'Kelvin Hall', 'Pier Yard', 'Line 9']) assert.ok(!leaks(everything, new TextEncoder().encode(text)), `plaintext on the server: ${text}`);
    // Bad tokens, too many, a post that is none, bad seqs: refused.
    await rejects(benRest('PUT', `/communities/${id}/wrapped-posts/${p1.seq}/vote`, { tokens: ['Kelvin Hall'] }), 'bad_request');
    await rejects(benRest('PUT', `/communities/${id}/wrapped-posts/${p1.seq}/vote`, { tokens: [] }), 'bad_request');
    await rejects(benRest('PUT', `/communities/${id}/wrapped-posts/${p1.seq}/vote`, { tokens: Array.from({ length: 13 }, (_, i) => i.toString(16).padStart(32, '0')) }), 'bad_request');
    await rejects(benRest('PUT', `/communities/${id}/wrapped-posts/999/vote`, { tokens: ['a'.repeat(32)] }), 'not_found');
    await rejects(benRest('GET', `/communities/${id}/wrapped-posts/votes?seqs=x`), 'bad_request');
    // An outsider, a removed member: R75's not_found.
    await rejects(dan.client.wrappedChannels.vote(id, poll1, [0]), 'not_found');
    const danRest = sessionRest(dan.baseUrl, dan.deviceId, dan.deviceKey);
    await rejects(danRest('GET', `/communities/${id}/wrapped-posts/votes?seqs=${p1.seq}`), 'not_found');
    const eveRest = sessionRest(eve.baseUrl, eve.deviceId, eve.deviceKey);
    await ann.client.communities.remove(id, eve.userId);
    await rejects(eveRest('PUT', `/communities/${id}/wrapped-posts/${p1.seq}/vote`, { tokens: ['a'.repeat(32)] }), 'not_found');

    // R178(d) for votes: Cat leaves, her votes stop counting in both polls.
    await cat.client.communities.leave(id);
    assert.deepEqual((await ann.client.wrappedChannels.pollVotes(id, [poll1, poll2])).map((v) => [v.votes, v.voters]), [[[0, 1, 0], 1], [[1, 0, 0], 1]]);
    // A deleted poll's votes go, and it takes no more.
    await ann.client.wrappedChannels.delete(id, p1.seq);
    const after = await benRest<{ votes: { votes: Record<string, number>; voters: number }[] }>('GET', `/communities/${id}/wrapped-posts/votes?seqs=${p1.seq}`);
    assert.deepEqual(after.votes.map((v) => [v.votes, v.voters]), [[{}, 0]]);
    await rejects(ben.client.wrappedChannels.vote(id, poll1, [0]), 'not_found');
  });

  it('R185 live counts: members\' online devices hear that a poll\'s votes changed (no voter named), one notice at once and the votes after it together at the end of PARLEY_CHANNEL_WRAPPED_VOTE_NOTICE_MS, not one per vote', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_CHANNEL_WRAPPED_VOTES_PER_MIN: '1000', PARLEY_CHANNEL_WRAPPED_VOTE_NOTICE_MS: '4000' });
    const [ann, ben, cat] = await users(server.url, 'Ann', 'Ben', 'Cat');
    if (!ann || !ben || !cat) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'Rowing club', settings: { channel: true, wrapped: true } });
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [ben, cat]) await u.client.communities.joinInvite(token);
    const p = await ann.client.wrappedChannels.postPoll(id, { question: 'Regatta day?', options: ['Saturday', 'Sunday'] });
    const opened = (await ben.client.wrappedChannels.read(id)).find((x) => x.seq === p.seq);
    assert.ok(opened?.verified && opened.poll);
    const poll = { seq: p.seq, epoch: p.epoch, poll: opened.poll };
    const heard: unknown[] = [];
    ann.client.on('wrappedVotes', (e) => heard.push(e));
    await waitFor(() => ann.client.connectionState === 'online', { what: 'Ann online' });
    await ben.client.wrappedChannels.vote(id, poll, [0]);
    await waitFor(() => heard.length === 1, { what: 'the first vote told at once' });
    assert.deepEqual(heard[0], { communityId: id, seq: p.seq }, 'the poll only: no voter, no count');
    // Four more votes within the window: nothing now, one notice when it ends.
    await cat.client.wrappedChannels.vote(id, poll, [1]);
    await ben.client.wrappedChannels.vote(id, poll, [1]);
    await cat.client.wrappedChannels.vote(id, poll, [0]);
    await ben.client.wrappedChannels.vote(id, poll, []);
    assert.equal(heard.length, 1, 'the votes within the window wait');
    await waitFor(() => heard.length === 2, { what: 'one notice for the four', timeoutMs: 15_000 });
    assert.deepEqual((await ann.client.wrappedChannels.pollVotes(id, [poll]))[0], { seq: p.seq, votes: [1, 0], voters: 1, mine: [], other: 0 });
  });
  it('R184 an admin pins wrapped posts (several, the latest first) and unpins them; readers go by the signed entry, not the server\'s mark; a pin is no post (not the last post, not reacted to); a subscriber can\'t pin; a pin of no post, of a pin or of a deleted post is refused, and a deleted post is unpinned', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1' });
    const [ann, ben] = await users(server.url, 'Ann', 'Ben');
    if (!ann || !ben) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'School trips', settings: { channel: true, wrapped: true } });
    const { token } = await ann.client.communities.createInvite(id);
    await ben.client.communities.joinInvite(token);
    const p1 = await ann.client.wrappedChannels.post(id, 'Museum trip on Friday: bring a packed lunch');
    const p2 = await ann.client.wrappedChannels.post(id, 'Bus leaves at 8:15');
    const pins = async () => foldWrappedPins(await ben.client.wrappedChannels.read(id)).map((p) => p.seq);

    const pin1 = await ann.client.wrappedChannels.pin(id, p1.seq, true);
    assert.equal(pin1.pins, p1.seq);
    assert.deepEqual(await pins(), [p1.seq]);
    // The pin entry is no post: not shown, not the channel's last post; it names the channel as every newest entry does (R161).
    assert.deepEqual(foldWrappedEdits(await ben.client.wrappedChannels.read(id)).map((p) => p.verified && p.text), ['Museum trip on Friday: bring a packed lunch', 'Bus leaves at 8:15']);
    const latest = await ben.client.wrappedChannels.latest(id);
    assert.deepEqual([latest.post?.seq, latest.info?.name], [p2.seq, 'School trips']);
    const benRest = sessionRest(ben.baseUrl, ben.deviceId, ben.deviceKey);
    await rejects(benRest('PUT', `/communities/${id}/wrapped-posts/${pin1.seq}/reaction`, { token: 'a'.repeat(32) }), 'not_found');
    await rejects(ann.client.wrappedChannels.delete(id, pin1.seq), 'not_found');
    await rejects(ann.client.wrappedChannels.edit(id, pin1.seq, 'an edit of a pin'), 'not_found');

    // Several pins: the latest pinned first; a subscriber can't pin; no pin of no post, of a pin, nor a pin that also edits.
    await ann.client.wrappedChannels.pin(id, p2.seq, true);
    assert.deepEqual(await pins(), [p2.seq, p1.seq]);
    await rejects(benRest('POST', `/communities/${id}/wrapped-posts`, { epoch: pin1.epoch, body: 'A'.repeat(64), pins: p1.seq }), 'channel_admin_only');
    await rejects(ann.client.wrappedChannels.pin(id, 999, true), 'not_found');
    await rejects(ann.client.wrappedChannels.pin(id, pin1.seq, true), 'not_found');
    const annRest = sessionRest(ann.baseUrl, ann.deviceId, ann.deviceKey);
    await rejects(annRest('POST', `/communities/${id}/wrapped-posts`, { epoch: pin1.epoch, body: 'A'.repeat(64), pins: p1.seq, edits: p1.seq }), 'bad_request');

    // A server that lies about the marks (calls post 2 a pin of post 1, and Ann's pin of post 1 a pin of post 2) changes nothing a reader shows.
    const channelWraps = server.services.channelWraps;
    const honest = channelWraps.posts.bind(channelWraps);
    channelWraps.posts = async (...args) => (await honest(...args)).map((p): WrappedPost => {
      if (p.seq === p2.seq) return { ...p, pins: p1.seq };
      return p.seq === pin1.seq ? { ...p, pins: p2.seq } : p;
    });
    await ann.client.wrappedChannels.pin(id, p2.seq, false);
    assert.deepEqual(await pins(), [p1.seq]);
    assert.ok(foldWrappedEdits(await ben.client.wrappedChannels.read(id)).some((p) => p.seq === p2.seq), 'post 2 is still a post');
    channelWraps.posts = honest;

    // Unpinned, and a pinned post deleted is unpinned (its pin entry stays, pointing at nothing); it can't be pinned again.
    await ann.client.wrappedChannels.pin(id, p1.seq, false);
    assert.deepEqual(await pins(), []);
    await ann.client.wrappedChannels.pin(id, p2.seq, true);
    await ann.client.wrappedChannels.delete(id, p2.seq);
    assert.deepEqual(await pins(), []);
    await rejects(ann.client.wrappedChannels.pin(id, p2.seq, true), 'not_found');
  });
  it('R184 a wrapped channel holds at most PARLEY_CHANNEL_MAX_PINS pinned posts: one more is channel_pin_limit; pinning a pinned post again, unpins and a deleted pinned post make room', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_CHANNEL_MAX_PINS: '2' });
    const [ann, ben] = await users(server.url, 'Ann', 'Ben');
    if (!ann || !ben) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'Allotment notes', settings: { channel: true, wrapped: true } });
    const { token } = await ann.client.communities.createInvite(id);
    await ben.client.communities.joinInvite(token);
    const [p1, p2, p3] = [await ann.client.wrappedChannels.post(id, 'Water butts are full'), await ann.client.wrappedChannels.post(id, 'Shed key moved'), await ann.client.wrappedChannels.post(id, 'Seed swap Sunday')];
    if (!p1 || !p2 || !p3) throw new Error('posts');
    const pins = async () => foldWrappedPins(await ben.client.wrappedChannels.read(id)).map((p) => p.seq);
    await ann.client.wrappedChannels.pin(id, p1.seq, true);
    await ann.client.wrappedChannels.pin(id, p2.seq, true);
    await rejects(ann.client.wrappedChannels.pin(id, p3.seq, true), 'channel_pin_limit');
    await ann.client.wrappedChannels.pin(id, p1.seq, true); // again: it becomes the latest, still two pinned
    assert.deepEqual(await pins(), [p1.seq, p2.seq]);
    await ann.client.wrappedChannels.pin(id, p1.seq, false);
    await ann.client.wrappedChannels.pin(id, p3.seq, true);
    assert.deepEqual(await pins(), [p3.seq, p2.seq]);
    await rejects(ann.client.wrappedChannels.pin(id, p1.seq, true), 'channel_pin_limit');
    await ann.client.wrappedChannels.delete(id, p2.seq); // a deleted post is unpinned
    await ann.client.wrappedChannels.pin(id, p1.seq, true);
    assert.deepEqual(await pins(), [p1.seq, p3.seq]);
    // `unpin` goes with `pins` only.
    const annRest = sessionRest(ann.baseUrl, ann.deviceId, ann.deviceKey);
    await rejects(annRest('POST', `/communities/${id}/wrapped-posts`, { epoch: p1.epoch, body: 'A'.repeat(64), unpin: true }), 'bad_request');
  });
  it('R182 a wrapped channel counts each member\'s unread posts from their read position (not info alone, edits, deleted posts or their own); the position moves forward only; mute is theirs; members only', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1' });
    const [ann, ben, cat, dan] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan');
    if (!ann || !ben || !cat || !dan) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'Library news', settings: { channel: true } });
    const { communityId: small } = await ann.client.communities.create({ name: 'Book club' }); // a community, no channel: not wrapped
    const { token } = await ann.client.communities.createInvite(id);
    await ben.client.communities.joinInvite(token);
    await ben.client.communities.joinInvite((await ann.client.communities.createInvite(small)).token);
    const state = async (u: TestUser) => (await u.client.wrappedChannels.reads()).find((r) => r.communityId === id);
    const unread = async (u: TestUser) => (await state(u))?.unread;
    const heard: { seq?: number; edit?: true }[] = [];
    ben.client.on('wrappedPost', (e) => { if (e.communityId === id) heard.push(e); });

    const p1 = await ann.client.wrappedChannels.post(id, 'Open late on Thursday'); // after the epoch's info entry (R161): not counted
    assert.equal(await unread(ben), 1);
    // Cat comes in after it: nothing unread for her on joining (her position is the log's end).
    await cat.client.communities.joinInvite(token);
    assert.deepEqual(await state(cat), { communityId: id, readSeq: p1.seq, lastSeq: p1.seq, unread: 0, muted: false });
    const p2 = await ann.client.wrappedChannels.post(id, 'New graphic novels shelf');
    const p3 = await ann.client.wrappedChannels.post(id, 'Closed on Monday');
    assert.deepEqual([await unread(ben), await unread(cat)], [3, 2]);
    assert.equal(await unread(ann), 0, 'the author\'s own posts are not unread');
    // An edit is no new post (its notice says so: a chat list adds nothing); a deleted post is not unread any more.
    await ann.client.wrappedChannels.edit(id, p2.seq, 'New graphic novels shelf, 2nd floor');
    await waitFor(() => heard.some((e) => e.edit === true), { what: 'Ben hears of the edit, marked' });
    assert.deepEqual(heard.filter((e) => e.seq !== undefined && e.seq > p3.seq), [{ communityId: id, seq: p3.seq + 1, edit: true }]);
    assert.deepEqual([await unread(ben), await unread(cat)], [3, 2]);
    await ann.client.wrappedChannels.delete(id, p3.seq);
    assert.deepEqual([await unread(ben), await unread(cat)], [2, 1]);
    // Only Ben's wrapped channel is listed: the book club has no wrapped log.
    assert.deepEqual((await ben.client.wrappedChannels.reads()).map((r) => r.communityId), [id]);

    // Reading moves forward only, never past the log's end.
    assert.deepEqual(await ben.client.wrappedChannels.markRead(id, p2.seq), { communityId: id, readSeq: p2.seq, lastSeq: p3.seq + 1, unread: 0, muted: false });
    assert.equal((await ben.client.wrappedChannels.markRead(id, p1.seq)).readSeq, p2.seq);
    assert.equal((await ben.client.wrappedChannels.markRead(id, 9999)).readSeq, p3.seq + 1);
    const p4 = await ann.client.wrappedChannels.post(id, 'Book sale Saturday');
    assert.deepEqual([await unread(ben), await unread(cat)], [1, 2]);
    // Mute is the member's own flag.
    assert.equal((await ben.client.wrappedChannels.setMuted(id, true)).muted, true);
    assert.deepEqual([(await state(ben))?.muted, (await state(cat))?.muted], [true, false]);
    assert.deepEqual(await ben.client.wrappedChannels.readState(id), { communityId: id, readSeq: p3.seq + 1, lastSeq: p4.seq, unread: 1, muted: true });

    // Members only: an outsider gets R141's not_found; a community not wrapped: channel_not_wrapped; bad input: bad_request.
    const danRest = sessionRest(dan.baseUrl, dan.deviceId, dan.deviceKey);
    await rejects(danRest('GET', `/communities/${id}/wrapped-read`), 'not_found');
    await rejects(danRest('POST', `/communities/${id}/wrapped-read`, { upToSeq: 1 }), 'not_found');
    await rejects(danRest('PUT', `/communities/${id}/wrapped-mute`, { muted: true }), 'not_found');
    assert.deepEqual(await dan.client.wrappedChannels.reads(), []);
    await rejects(ben.client.wrappedChannels.markRead(small, 1), 'channel_not_wrapped');
    const benRest = sessionRest(ben.baseUrl, ben.deviceId, ben.deviceKey);
    await rejects(benRest('POST', `/communities/${id}/wrapped-read`, { upToSeq: -1 }), 'bad_request');
    await rejects(benRest('PUT', `/communities/${id}/wrapped-mute`, { muted: 'yes' }), 'bad_request');
    // A removed member's state goes: refused while out; coming back, nothing unread and not muted.
    await ann.client.communities.remove(id, ben.userId);
    await rejects(benRest('GET', `/communities/${id}/wrapped-read`), 'not_found');
    assert.deepEqual(await ben.client.wrappedChannels.reads(), []);
    await ann.client.wrappedChannels.post(id, 'Reading club moved to room 3');
    await ben.client.communities.joinInvite(token);
    const back = await state(ben);
    assert.deepEqual(back && [back.unread, back.muted, back.readSeq === back.lastSeq], [0, false, true]);
  });

  it('R186-R187 a subscriber forwards a wrapped post with a photo to a direct chat: the other person, not in the channel, sees it named after the channel and opens the photo; a removed subscriber can\'t attach the channel\'s file to a chat; a voice post keeps its length and waveform', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1' });
    const [ann, ben, cat, dan] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan');
    if (!ann || !ben || !cat || !dan) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'Night trains', settings: { channel: true } });
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [ben, cat]) await u.client.communities.joinInvite(token);
    const photo = new TextEncoder().encode('PHOTO-BYTES: platform 4 map');
    await ann.client.wrappedChannels.post(id, 'Platform change', { files: [{ source: new Blob([photo]), name: 'platform.jpg', mime: 'image/jpeg', size: photo.length, width: 640, height: 480 }] });
    const [post] = await ben.client.wrappedChannels.read(id);
    assert.ok(post?.verified && post.attachments?.[0]);
    const att = post.attachments[0];
    // Dan is in no chat of the channel: the blob is not his to read before the forward.
    await rejects(dan.client.downloadAttachment(att), 'blob_not_found');

    const direct = await ben.client.openDirect(dan.userId);
    await waitFor(() => ben.client.chat(direct.chatId)?.encryption === 'on' && dan.client.chat(direct.chatId)?.encryption === 'on', { what: 'direct chat encrypted', timeoutMs: 30_000 });
    const [fwdId] = await ben.client.wrappedChannels.forward([direct.chatId], id, post);
    const got = () => dan.client.timeline(direct.chatId).find((i) => i.id === fwdId && i.attachments?.length);
    await waitFor(() => got() !== undefined, { what: 'Dan gets the forward', timeoutMs: 30_000 });
    const fwd = got()!;
    assert.deepEqual([fwd.text, fwd.forwarded, fwd.attachments![0]!.blobId], ['Platform change', { channel: { name: 'Night trains' }, sentAt: post.date }, att.blobId],
      'the text and the same blob, forwarded from the channel by its name, at the post\'s signed time');
    assert.equal((await ben.client.storageUsage()).blobs, 0, 'Ben uploaded nothing');
    const bytes = async (b: Blob) => new Uint8Array(await b.arrayBuffer());
    assert.deepEqual(await bytes(await dan.client.downloadAttachment(fwd.attachments![0]!)), photo, 'the direct chat references the blob now (R54)');
    // Only a post that opened and verified is forwarded; a chat this device is not in is `not_member`.
    await rejects(ben.client.wrappedChannels.forward([direct.chatId], id, { seq: 99, epoch: 1, verified: false, problem: 'x' }), 'bad_request');
    await rejects(ben.client.wrappedChannels.forward(['nosuchchat1'], id, post), 'not_member');

    // Cat, removed from the channel, still holds the post she read: the server refuses her reference to its blob (she may not read it).
    const [catsPost] = await cat.client.wrappedChannels.read(id);
    assert.ok(catsPost?.verified);
    await ann.client.communities.remove(id, cat.userId);
    const catDan = await cat.client.openDirect(dan.userId);
    await waitFor(() => cat.client.chat(catDan.chatId)?.encryption === 'on', { what: 'Cat\'s direct chat encrypted', timeoutMs: 30_000 });
    const [refused] = await cat.client.wrappedChannels.forward([catDan.chatId], id, catsPost);
    await waitFor(() => cat.client.outbox().find((o) => o.clientMsgId === refused)?.failedCode === 'blob_not_found', { what: 'Cat\'s forward refused', timeoutMs: 30_000 });
    assert.equal(dan.client.timeline(catDan.chatId).some((i) => i.id === refused), false, 'nothing reached Dan');

    // The admin deletes the post: its own references go (R178), the direct chat's stays with it (as a chat forward's, R54).
    await ann.client.wrappedChannels.delete(id, post.seq);
    assert.deepEqual(await bytes(await dan.client.downloadAttachment(fwd.attachments![0]!)), photo);

    // R187: a voice post carries its voice metadata sealed in the post; a subscriber reads it as a voice message.
    const voice = new TextEncoder().encode('OGG-BYTES: announcement');
    await ann.client.wrappedChannels.post(id, '', { files: [{ source: new Blob([voice]), name: 'voice.webm', mime: 'audio/webm', size: voice.length, kind: 'voice', durationMs: 4200, waveform: 'AAECAwQ=' }] });
    const voicePost = (await ben.client.wrappedChannels.read(id)).find((p) => p.verified && p.attachments?.[0]?.kind === 'voice');
    assert.ok(voicePost?.verified && voicePost.attachments?.[0]);
    assert.deepEqual([voicePost.text, voicePost.attachments[0].mime, voicePost.attachments[0].durationMs, voicePost.attachments[0].waveform], ['', 'audio/webm', 4200, 'AAECAwQ=']);
    assert.deepEqual(await bytes(await ben.client.downloadAttachment(voicePost.attachments[0])), voice);
  });
});

/** The server's clock: real time, or held still and moved by hand (R188's sweep reads it). */
class HeldClock {
  held: number | undefined;
  now(): number {
    return this.held ?? Date.now();
  }
}
const MIN = 60_000;

describe('a wrapped post kept for sending again (R162, R178)', () => {
  it('R162 R178 a post with a file the server accepted just before the app closed, its kept record not yet dropped, then deleted by another admin, does not come back when the next start sends it again: it stays, failed (blob_not_found), until discarded', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1' });
    const [ann, ben, cat] = await users(server.url, 'Ann', 'Ben', 'Cat');
    if (!ann || !ben || !cat) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'Lake ferry', settings: { channel: true, wrapped: true } });
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [ben, cat]) await u.client.communities.joinInvite(token);
    await ann.client.communities.setMember(id, ben.userId, { role: 'admin', rights: ['postAnnouncements', 'deleteMessages'] });
    await ann.client.stop();
    // The app dies between the server's answer and dropping the record: its store never hears of the drop.
    const store = ann.store;
    const dying = new Proxy(store, { get: (target, key) => {
      if (key === 'deletePendingUpload') return async () => {};
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    } });
    const firstRun = newClient(server.url, ann.userId, ann.deviceId, ann.deviceKey, dying);
    await firstRun.start();
    const photo = new TextEncoder().encode('PHOTO-BYTES: the old pier');
    const post = await firstRun.wrappedChannels.post(id, 'The old pier closes', { files: [{ source: new Blob([photo]), name: 'pier.jpg', mime: 'image/jpeg', size: photo.length }] });
    await firstRun.stop();
    assert.equal((await store.listPendingUploads()).length, 1, 'the record outlived the post');
    // Meanwhile Ben, an admin, deletes it for everyone.
    await ben.client.wrappedChannels.delete(id, post.seq);
    const shown = async () => (await cat.client.wrappedChannels.read(id)).filter((p) => p.verified).map((p) => (p.verified ? p.text : ''));
    assert.deepEqual(await shown(), []);
    const lastSeq = async () => (await cat.client.wrappedChannels.readPage(id)).last;
    const before = await lastSeq();

    const secondRun = newClient(server.url, ann.userId, ann.deviceId, ann.deviceKey, store);
    await using _second = { [Symbol.asyncDispose]: () => secondRun.stop() };
    await secondRun.start();
    await waitFor(() => secondRun.wrappedPending(id)[0]?.progress.state === 'failed', { what: 'the post sent again refused', timeoutMs: 30_000 });
    const [failed] = secondRun.wrappedPending(id);
    assert.deepEqual([failed?.text, failed?.progress.error], ['The old pier closes', 'blob_not_found'], 'its file went with the deleted post: nothing to post again');
    assert.deepEqual(await shown(), [], 'the deleted post did not come back');
    assert.equal(await lastSeq(), before, 'nothing appended');
    await secondRun.cancelUpload(failed!.clientMsgId);
    assert.deepEqual([secondRun.wrappedPending(id), await store.listPendingUploads()], [[], []]);
  });
});

describe('scheduled wrapped posts (R188)', () => {
  it('R188 only admins schedule, list and cancel; a time past or too far, one post too many, one too long are refused with stable codes; outsiders get not_found', async () => {
    await using server = await startTestServer({
      PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_CHANNEL_MAX_SCHEDULE_MS: String(60 * MIN), PARLEY_CHANNEL_MAX_SCHEDULED: '2', PARLEY_CHANNEL_WRAPPED_POST_MAX_CHARS: '4096',
    });
    const [ann, ben, dan] = await users(server.url, 'Ann', 'Ben', 'Dan');
    if (!ann || !ben || !dan) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'Ferry timetable', settings: { channel: true, wrapped: true } });
    const { token } = await ann.client.communities.createInvite(id);
    await ben.client.communities.joinInvite(token);
    await rejects(ann.client.wrappedChannels.schedule(id, 'too late', Date.now() - 1000), 'channel_schedule_past');
    await rejects(ann.client.wrappedChannels.schedule(id, 'too far', Date.now() + 61 * MIN), 'channel_schedule_too_far');
    await rejects(ann.client.wrappedChannels.schedule(id, 'x'.repeat(5000), Date.now() + MIN), 'channel_post_too_large');
    const first = await ann.client.wrappedChannels.schedule(id, 'Ferry at 7:40 tomorrow', Date.now() + 30 * MIN);
    await ann.client.wrappedChannels.schedule(id, 'Ferry at 9:10 tomorrow', Date.now() + 20 * MIN);
    await rejects(ann.client.wrappedChannels.schedule(id, 'one too many', Date.now() + 10 * MIN), 'channel_limit');
    // Replacing one (same id) is an edit, not one more.
    await ann.client.wrappedChannels.schedule(id, 'Ferry at 7:45 tomorrow', first.publishAt, { id: first.id });
    assert.deepEqual((await ann.client.wrappedChannels.scheduled(id)).map((s) => [s.text, s.stale]), [['Ferry at 9:10 tomorrow', false], ['Ferry at 7:45 tomorrow', false]]);
    // Ben is a subscriber, no admin: the server takes no schedule from him, nor shows him the list, nor lets him cancel.
    const { epoch } = await ann.client.wrappedChannels.current(id);
    const put = { epoch: epoch?.epoch, body: 'A'.repeat(64), publishAt: Date.now() + MIN };
    const benRest = sessionRest(ben.baseUrl, ben.deviceId, ben.deviceKey);
    await rejects(benRest('PUT', `/communities/${id}/wrapped-scheduled/sched_ben_0001`, put), 'channel_admin_only');
    // R192: a scheduled post naming files that are not the caller's uploads is refused, not stored without them.
    const annRest = sessionRest(ann.baseUrl, ann.deviceId, ann.deviceKey);
    await rejects(annRest('PUT', `/communities/${id}/wrapped-scheduled/sched_ann_0001`, { ...put, blobs: ['A'.repeat(22)] }), 'blob_not_found');
    await rejects(ben.client.wrappedChannels.scheduled(id), 'channel_admin_only');
    await rejects(ben.client.wrappedChannels.cancelScheduled(id, first.id), 'channel_admin_only');
    // Dan is no member: nothing of the channel exists for him.
    await rejects(sessionRest(dan.baseUrl, dan.deviceId, dan.deviceKey)('GET', `/communities/${id}/wrapped-scheduled`), 'not_found');
    await rejects(ann.client.wrappedChannels.cancelScheduled(id, 'sched_nope_0001'), 'not_found');
    await ann.client.wrappedChannels.cancelScheduled(id, first.id);
    assert.deepEqual((await ann.client.wrappedChannels.scheduled(id)).map((s) => s.text), ['Ferry at 9:10 tomorrow']);
    // Nothing was published meanwhile.
    assert.deepEqual(await ben.client.wrappedChannels.read(id), []);
  });

  it('R188 the sweep publishes a scheduled post at its time with the admin\'s devices offline: subscribers hear the notice and read it signed, dated as scheduled, marked scheduled', async () => {
    const clock = new HeldClock();
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_CHANNEL_SCHEDULE_SWEEP_MS: '50' }, { clock });
    const [ann, ben] = await users(server.url, 'Ann', 'Ben');
    if (!ann || !ben) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'Ferry timetable', settings: { channel: true, wrapped: true } });
    const { token } = await ann.client.communities.createInvite(id);
    await ben.client.communities.joinInvite(token);
    const heard: number[] = [];
    ben.client.on('wrappedPost', (e) => { if (e.communityId === id && e.seq !== undefined && !e.info) heard.push(e.seq); }); // not the epoch's info entry (R161)
    clock.held = Date.now();
    const at = clock.held + 5 * MIN;
    await ann.client.wrappedChannels.schedule(id, 'Monday: the 7:40 ferry runs at 7:55', at);
    const later = await ann.client.wrappedChannels.schedule(id, 'Tuesday: no ferries', at + MIN);
    await ann.client.stop(); // every admin device offline from here
    const text = async () => (await ben.client.wrappedChannels.read(id)).map((p) => (p.verified ? [p.text, p.date, p.scheduled === true] : p.problem));
    assert.deepEqual(await text(), []);

    clock.held = at; // its time: the next sweep publishes the first only
    await waitFor(() => heard.length > 0, { what: 'Ben hears of the scheduled post' });
    assert.deepEqual(await text(), [['Monday: the 7:40 ferry runs at 7:55', at, true]]);
    assert.deepEqual((await server.services.wrappedSchedule.list(ann, id)).map((s) => s.id), [later.id]);
  });

  it('R188 a post scheduled before a removal is not published under the removed subscriber\'s key: it stays stale; re-sealed by its author\'s device under the next epoch (on a post, or on listing), it is published, once across two sweeps', async () => {
    const clock = new HeldClock();
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_CHANNEL_SCHEDULE_SWEEP_MS: '0' }, { clock });
    const [ann, ben, cat, dan] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan');
    if (!ann || !ben || !cat || !dan) throw new Error('users');
    const { communityId: id } = await ann.client.communities.create({ name: 'Harbour notices', settings: { channel: true, wrapped: true } });
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [ben, cat, dan]) await u.client.communities.joinInvite(token);
    const sweep = server.services.wrappedSchedule;
    clock.held = Date.now();
    const at = clock.held + 5 * MIN;
    const a = await ann.client.wrappedChannels.schedule(id, 'Harbour office closed on Monday', at);
    assert.equal(a.epoch, 1);
    const text = async (u: TestUser) => (await u.client.wrappedChannels.read(id)).map((p) => (p.verified ? p.text : p.problem));

    // Cat is removed: epoch 1's key is hers too. At its time the sweep leaves the post, listed stale.
    clock.held += 1000; // (the server's clock is held: the removal comes after the epoch began)
    await ann.client.communities.remove(id, cat.userId);
    clock.held = at + MIN;
    assert.deepEqual(await sweep.sweep(), { published: 0, stale: 1, dropped: 0 });
    const annRest = sessionRest(ann.baseUrl, ann.deviceId, ann.deviceKey);
    const listed = async () => (await annRest<{ scheduled: { id: string; epoch: number; stale?: true }[] }>('GET', `/communities/${id}/wrapped-scheduled`)).scheduled.map((s) => [s.id, s.epoch, s.stale === true]);
    assert.deepEqual(await listed(), [[a.id, 1, true]]);
    assert.deepEqual(await text(ben), []);

    // Ann's next post opens epoch 2 (the removal) and her device re-seals the overdue post under it, keeping its time.
    await ann.client.wrappedChannels.post(id, 'Harbour open as usual today');
    assert.deepEqual(await listed(), [[a.id, 2, false]]);
    // Two nodes' sweeps at once: one publishes it.
    const [s1, s2] = await Promise.all([sweep.sweep(), sweep.sweep()]);
    assert.equal((s1?.published ?? 0) + (s2?.published ?? 0), 1);
    assert.deepEqual(await text(ben), ['Harbour open as usual today', 'Harbour office closed on Monday']);
    const [, published] = await ben.client.wrappedChannels.read(id);
    assert.equal(published?.verified && published.epoch, 2);
    assert.equal(published?.verified && published.date, at, 'shown at its signed (scheduled) time, late as it is');
    await rejects(cat.client.wrappedChannels.read(id), 'not_found');

    // Another one, then Dan is removed: listing on Ann's device opens epoch 3 and re-seals it; the sweep then publishes it.
    // (Within R188's 10 minutes of the readers' real clocks: further, the readers would call it published early.)
    const b = await ann.client.wrappedChannels.schedule(id, 'Ferry strike on Friday', clock.held + 4 * MIN);
    clock.held += 1000;
    await ann.client.communities.remove(id, dan.userId);
    assert.deepEqual(await listed(), [[b.id, 2, true]]);
    assert.deepEqual((await ann.client.wrappedChannels.scheduled(id)).map((s) => [s.text, s.epoch, s.stale]), [['Ferry strike on Friday', 3, false]]);
    clock.held += 4 * MIN;
    assert.deepEqual(await sweep.sweep(), { published: 1, stale: 0, dropped: 0 });
    assert.deepEqual((await text(ben)).at(-1), 'Ferry strike on Friday');
  });
});
