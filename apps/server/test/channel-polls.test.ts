import assert from 'node:assert/strict';
import { createPrivateKey, sign, type JsonWebKey } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { sessionRest, type ChannelPost } from '@parley/client';
import { API_PREFIX, CHANNEL_POST_CONTEXT, type ChannelPostBody } from '@parley/protocol';
import { createUser, rewriteChannelPost, startTestServer, uniqueHandle, type TestUser, rejectsWithCode as rejects } from '@parley/testing';

/** R198: polls in public channels' posts (docs/PROTOCOL.md), through the real server and SDK. */

async function users(t: TestContext, url: string, ...names: string[]): Promise<TestUser[]> {
  const made = await Promise.all(names.map((displayName) => createUser(url, { displayName })));
  t.after(async () => {
    for (const u of made) await u.client.stop();
  });
  return made;
}
const raw = (u: TestUser) => sessionRest(u.baseUrl, u.deviceId, u.deviceKey);
const verified = (p: ChannelPost | undefined) => {
  if (!p?.verified) throw new Error(`not verified: ${p && !p.verified ? p.problem : 'none'}`);
  return p;
};

describe('public channel polls and voice notes (R198-R199)', () => {
  it('R198 a signed poll: subscribers vote by option, one whole choice each (changed or taken back), counts per option and their own; bad options, non-subscribers and anonymous callers refused; edits keep the poll; a deletion drops the votes', async (t) => {
    await using server = await startTestServer({ PARLEY_CHANNEL_VOTES_PER_MIN: '1000' });
    const [amy, ben, cat, dan] = await users(t, server.url, 'Amy', 'Ben', 'Cat', 'Dan');
    if (!amy || !ben || !cat || !dan) throw new Error('users');
    const channel = await amy.client.channels.create({ handle: uniqueHandle('polls').slice(0, 24), title: 'City polls' });
    const id = channel.channelId;
    await ben.client.channels.subscribe(id);
    await cat.client.channels.subscribe(id);
    const lunch = await amy.client.channels.post(id, '', { poll: { question: 'Where do we meet?', options: ['Library', 'Park', 'Café'] } });
    const many = await amy.client.channels.post(id, 'Pick any', { poll: { question: 'Which days?', options: ['Mon', 'Tue', 'Wed'], multiple: true } });
    const plain = await amy.client.channels.post(id, 'No poll here');
    const [seen] = (await ben.client.channels.log(id, 0)).posts;
    assert.deepEqual(verified(seen).poll, { question: 'Where do we meet?', options: ['Library', 'Park', 'Café'] }, 'the reader verified the signed poll');
    const poll1 = { postSeq: lunch.postSeq, poll: lunch.poll! };
    const poll2 = { postSeq: many.postSeq, poll: many.poll! };

    let r = await ben.client.channels.vote(id, poll1, [1]);
    assert.deepEqual([r.votes, r.voters, r.mine], [[0, 1, 0], 1, [1]]);
    r = await cat.client.channels.vote(id, poll1, [1]);
    assert.deepEqual([r.votes, r.voters, r.mine], [[0, 2, 0], 2, [1]]);
    r = await ben.client.channels.vote(id, poll1, [2]); // a change replaces the choice
    assert.deepEqual([r.votes, r.voters, r.mine], [[0, 1, 1], 2, [2]]);
    r = await cat.client.channels.vote(id, poll1, []); // taken back
    assert.deepEqual([r.votes, r.voters, r.mine], [[0, 0, 1], 1, []]);
    r = await cat.client.channels.vote(id, poll2, [0, 2]);
    assert.deepEqual([r.votes, r.voters, r.mine], [[1, 0, 1], 1, [0, 2]]);
    // Any signed-in reader sees the counts (only their own choice marked); no names anywhere.
    const read = await dan.client.channels.pollVotes(id, [poll1, poll2]);
    assert.deepEqual(read.map((v) => [v.seq, v.votes, v.voters, v.mine]), [[poll1.postSeq, [0, 0, 1], 1, []], [poll2.postSeq, [1, 0, 1], 1, []]]);
    const wire = await raw(ben)<{ votes: unknown[] }>('GET', `/channels/${id}/votes?seqs=${poll1.postSeq}`);
    assert.deepEqual(wire.votes, [{ seq: poll1.postSeq, votes: { 2: 1 }, voters: 1, mine: [2] }]);

    // Refused: an option the poll lacks, two in a one-answer poll, a post that is no poll, a non-subscriber, no session.
    await rejects(raw(ben)('PUT', `/channels/${id}/posts/${poll1.postSeq}/vote`, { options: [3] }), 'bad_request', /3 options/);
    await rejects(raw(ben)('PUT', `/channels/${id}/posts/${poll1.postSeq}/vote`, { options: [0, 1] }), 'bad_request', /one answer/);
    await rejects(raw(ben)('PUT', `/channels/${id}/posts/${plain.postSeq}/vote`, { options: [0] }), 'not_found');
    await rejects(raw(ben)('PUT', `/channels/${id}/posts/99/vote`, { options: [0] }), 'not_found');
    await rejects(raw(dan)('PUT', `/channels/${id}/posts/${poll1.postSeq}/vote`, { options: [0] }), 'forbidden', /subscribe/);
    const anonymous = await fetch(`${server.url}${API_PREFIX}/channels/${id}/posts/${poll1.postSeq}/vote`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ options: [0] }),
    });
    assert.equal(anonymous.status, 401);
    assert.equal((await dan.client.channels.pollVotes(id, [poll1]))[0]?.voters, 1, 'nothing refused was counted');

    // An edit keeps the poll (and its votes); a version that changes it is refused.
    const edited = await amy.client.channels.edit(id, lunch.postId, 'Vote by Friday');
    assert.deepEqual([edited.text, edited.poll?.options], ['Vote by Friday', ['Library', 'Park', 'Café']]);
    assert.equal((await ben.client.channels.pollVotes(id, [poll1]))[0]?.voters, 1);

    // A deleted poll takes its votes with it; voting on it is refused.
    await amy.client.channels.delete(id, many.postId);
    assert.deepEqual(await ben.client.channels.pollVotes(id, [poll2]), [{ seq: poll2.postSeq, votes: [0, 0, 0], voters: 0, mine: [], other: 0 }]);
    await rejects(cat.client.channels.vote(id, poll2, [1]), 'not_found');
  });

  it('R198 votes are rate-limited per user (PARLEY_CHANNEL_VOTES_PER_MIN)', async (t) => {
    await using server = await startTestServer({ PARLEY_CHANNEL_VOTES_PER_MIN: '2' });
    const [amy, ben] = await users(t, server.url, 'Amy', 'Ben');
    if (!amy || !ben) throw new Error('users');
    const { channelId: id } = await amy.client.channels.create({ handle: uniqueHandle('rate').slice(0, 24), title: 'Rates' });
    await ben.client.channels.subscribe(id);
    const p = await amy.client.channels.post(id, 'Quick', { poll: { question: 'Yes?', options: ['Yes', 'No'] } });
    const poll = { postSeq: p.postSeq, poll: p.poll! };
    await ben.client.channels.vote(id, poll, [0]);
    await ben.client.channels.vote(id, poll, [1]);
    await rejects(ben.client.channels.vote(id, poll, [0]), 'rate_limited');
    assert.deepEqual((await ben.client.channels.pollVotes(id, [poll]))[0]?.mine, [1]);
  });

  it('R198 a poll the server alters fails verification; an admin\'s edit may not change it; the public page shows the poll and its counts, escaped', async (t) => {
    await using server = await startTestServer();
    const [amy, ben] = await users(t, server.url, 'Amy', 'Ben');
    if (!amy || !ben) throw new Error('users');
    const handle = uniqueHandle('page').slice(0, 24);
    const { channelId: id } = await amy.client.channels.create({ handle, title: 'Votes' });
    await ben.client.channels.subscribe(id);
    const a = await amy.client.channels.post(id, 'Choose', { poll: { question: 'Best <b>tea</b>?', options: ['Green & co', '"Black"'] } });
    const b = await amy.client.channels.post(id, 'Another', { poll: { question: 'Again?', options: ['Yes', 'No'] } });
    await ben.client.channels.vote(id, { postSeq: a.postSeq, poll: a.poll! }, [1]);

    const page = await (await fetch(`${server.url}/c/${handle}`)).text();
    assert.match(page, /<strong>Best &lt;b&gt;tea&lt;\/b&gt;\?<\/strong>/);
    assert.match(page, /<li><span>Green &amp; co<\/span><span class="count">0<\/span><\/li><li><span>&quot;Black&quot;<\/span><span class="count">1<\/span><\/li>/);
    assert.match(page, /1 voter ·/);
    assert.ok(!page.includes('<b>tea'), 'nothing of the poll is markup');

    // An admin can't swap the options under the votes: an edit signing another poll is refused.
    const signed = await amy.client.channels.edit(id, b.postId, 'Another, edited');
    assert.deepEqual(signed.poll, b.poll);
    const { publicKey, jwk } = JSON.parse((await amy.store.getMeta(`channel-key:${id}`))!) as { publicKey: string; jwk: JsonWebKey };
    const lastSeq = (await amy.client.channels.get(id)).lastSeq;
    const swap: ChannelPostBody = {
      v: 1, channelId: id, postId: b.postId, postSeq: b.postSeq, seq: lastSeq + 1, version: 3, date: Date.now(), signer: publicKey, text: 'Another',
      poll: { question: 'Again?', options: ['No', 'Yes'] }, pinned: false, deleted: false, replaces: [b.postSeq, signed.seq],
    };
    const text = JSON.stringify(swap);
    const signature = sign(null, Buffer.from(CHANNEL_POST_CONTEXT + text), createPrivateKey({ key: jwk, format: 'jwk' })).toString('base64');
    await rejects(raw(amy)('PUT', `/channels/${id}/posts/${b.postId}`, { signed: text, signature }), 'channel_post_invalid', /keeps the post's poll/);

    // The server rewrites the options: the signature no longer matches, so the reader shows none of it.
    rewriteChannelPost(server.dataDir, id, a.postId, (body) => ({ ...body, poll: { question: 'Best tea?', options: ['Green & co', 'Coffee'] } }));
    const [altered] = (await ben.client.channels.log(id, 0)).posts;
    assert.equal(altered?.verified, false);
    assert.match(altered && !altered.verified ? altered.problem : '', /signature does not match/);
  });

  it('R199 a voice note: an audio file marked voice, with its length and waveform, posted without text; readers verify it; a voice mark on a photo is refused', async (t) => {
    await using server = await startTestServer();
    const [amy, ben] = await users(t, server.url, 'Amy', 'Ben');
    if (!amy || !ben) throw new Error('users');
    const handle = uniqueHandle('voice').slice(0, 24);
    const { channelId: id } = await amy.client.channels.create({ handle, title: 'Voices' });
    const bytes = new Uint8Array(2000).map((_, i) => i % 251);
    const voice = await amy.client.channels.uploadFile(bytes, { mime: 'audio/webm', name: 'voice.webm', voice: true, durationMs: 2400.4, waveform: 'AAEC' });
    assert.deepEqual([voice.voice, voice.durationMs, voice.waveform], [true, 2400, 'AAEC']);
    const posted = await amy.client.channels.post(id, '', { attachments: [voice] });
    const [seen] = (await ben.client.channels.log(id, 0)).posts;
    assert.deepEqual(verified(seen).attachments, [voice]);
    assert.equal(posted.text, '');
    const got = await ben.client.channels.fetchFile(handle, voice);
    assert.deepEqual(got.verified && [...got.bytes.subarray(0, 3)], [0, 1, 2], 'the bytes check out against the signed hash');
    const photo = await amy.client.channels.uploadFile(new Uint8Array([1, 2, 3]), { mime: 'image/png', voice: true });
    await rejects(amy.client.channels.post(id, 'Not a voice', { attachments: [photo] }), 'channel_post_invalid', /voice note is an audio file/);
    await rejects(amy.client.channels.post(id, '  '), 'channel_post_invalid', /empty text/);
  });
});
