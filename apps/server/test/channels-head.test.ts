import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { Channels, sessionRest, type ChannelPost, type RestFn } from '@parley/client';
import { CHANNEL_HEAD_CONTEXT, CHANNEL_POST_CONTEXT, type ChannelHeadBody } from '@parley/protocol';
import {
  channelHead, channelPostRow, createUser, dropChannelPost, outsideChannelKey, putChannelPostRow, setChannelHead, startTestServer,
  uniqueHandle, waitFor, type TestUser, rejectsWithCode as rejects,
} from '@parley/testing';

/** R125: the admins sign the log's head; a reader finds withheld, dropped and rolled-back posts (docs/PROTOCOL.md). */

async function users(t: TestContext, url: string, ...names: string[]): Promise<TestUser[]> {
  const made = await Promise.all(names.map((displayName) => createUser(url, { displayName })));
  t.after(async () => {
    for (const u of made) await u.client.stop();
  });
  return made;
}

const shown = (posts: ChannelPost[]) => posts.map((p) => (p.verified ? p.text : `UNVERIFIED: ${p.problem}`));

/** A channel with three posts, the first edited (its second version at seq 4, naming seq 1 as replaced). */
async function channelWithEdit(amy: TestUser, dataDir: string) {
  const channel = await amy.client.channels.create({ handle: uniqueHandle('head').slice(0, 24), title: 'Independent voice' });
  const id = channel.channelId;
  const a = await amy.client.channels.post(id, 'Turnout was 31%');
  const b = await amy.client.channels.post(id, 'The mayor resigned');
  await amy.client.channels.post(id, 'More tomorrow');
  const firstVersion = channelPostRow(dataDir, id, a.postId);
  const edited = await amy.client.channels.edit(id, a.postId, 'Turnout was 13% (corrected)');
  assert.deepEqual([edited.seq, edited.replaces], [4, [1]]);
  return { id, a, b, firstVersion };
}

/** Signs a head with the channel key `user`'s device keeps (what the SDK does), for refusal tests. */
async function signHeadAs(user: TestUser, body: ChannelHeadBody): Promise<{ signed: string; signature: string }> {
  const { jwk } = JSON.parse((await user.store.getMeta(`channel-key:${body.channelId}`))!) as { jwk: JsonWebKey };
  const key = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  const signed = JSON.stringify(body);
  return { signed, signature: sign(null, Buffer.from(CHANNEL_HEAD_CONTEXT + signed), key).toString('base64') };
}

describe('channel log head (R125)', () => {
  it('R125 a server that drops a middle post, serves an old version of an edited post, or withholds the newest is caught: "posts may be missing"', async (t) => {
    await using server = await startTestServer();
    const [amy, ben, dan] = await users(t, server.url, 'Amy', 'Ben', 'Dan');
    if (!amy || !ben || !dan) throw new Error('users');

    // Honest: every position is served or named as replaced, up to the head Amy's device signed.
    const one = await channelWithEdit(amy, server.dataDir);
    let page = await ben.client.channels.log(one.id, 0);
    assert.deepEqual(shown(page.posts), ['The mayor resigned', 'More tomorrow', 'Turnout was 13% (corrected)']);
    assert.deepEqual([page.integrity.problem, page.integrity.missing, page.integrity.head?.seq, page.integrity.head?.signedBy], [undefined, [], 4, amy.userId]);
    assert.equal((await ben.client.channels.posts(one.id)).integrity.problem, undefined);

    // Dropped in the middle: position 2 is neither served nor replaced; found when paging one entry at a time too.
    dropChannelPost(server.dataDir, one.id, one.b.postId);
    page = await ben.client.channels.log(one.id, 0);
    assert.deepEqual(shown(page.posts), ['More tomorrow', 'Turnout was 13% (corrected)']);
    assert.deepEqual(page.integrity.missing, [2]);
    assert.equal(page.integrity.problem, 'position 2 of the log is not served: posts may be missing');
    for (let after = 0; ;) {
      page = await ben.client.channels.log(one.id, after, 1);
      if (!page.hasMore) break;
      assert.deepEqual(page.integrity.missing, [], 'a page with more to come decides nothing yet');
      after = page.posts.at(-1)!.seq;
    }
    assert.deepEqual(page.integrity.missing, [2], 'carried from page to page');
    // checkLog (what the web reads): one entry a call here, resumed from the device's store, finds the same gap.
    let check = await ben.client.channels.checkLog(one.id, { maxPages: 1, pageSize: 1 });
    assert.deepEqual([check.complete, check.checkedThrough, check.integrity.missing], [false, 3, []]);
    check = await ben.client.channels.checkLog(one.id, { maxPages: 1, pageSize: 1 });
    assert.deepEqual([check.complete, check.integrity.missing, check.integrity.problem], [true, [2], 'position 2 of the log is not served: posts may be missing']);
    check = await ben.client.channels.checkLog(one.id);
    assert.deepEqual([check.complete, check.integrity.missing], [true, [2]], 'a gap found stays found');

    // Rolled back: the first version of the edited post, served in its old place. Its signature holds; position 4 is gone.
    const two = await channelWithEdit(amy, server.dataDir);
    putChannelPostRow(server.dataDir, two.id, two.a.postId, two.firstVersion);
    page = await ben.client.channels.log(two.id, 0);
    assert.deepEqual(shown(page.posts), ['Turnout was 31%', 'The mayor resigned', 'More tomorrow']);
    assert.deepEqual(page.integrity.missing, [4]);
    assert.match(page.integrity.problem ?? '', /posts may be missing/);

    // Withholding the newest. Ben has read up to the head at 5; the server hides post 5 and says the log ends at 4.
    const three = await channelWithEdit(amy, server.dataDir);
    const headAt4 = channelHead(server.dataDir, three.id);
    const newest = await amy.client.channels.post(three.id, 'Results are disputed');
    assert.equal((await ben.client.channels.log(three.id, 0)).integrity.head?.seq, 5);
    dropChannelPost(server.dataDir, three.id, newest.postId, 4);
    // Keeping the newest head gives it away to anyone, even a first-time reader.
    assert.equal((await dan.client.channels.log(three.id, 0)).integrity.problem, 'the admins signed the log up to seq 5 but the server serves it up to 4: newest posts withheld');
    assert.match((await dan.client.channels.posts(three.id)).integrity.problem ?? '', /newest posts withheld/);
    // Serving the older head instead: Ben saw 5, so he is told; and position 5 is missing for him.
    setChannelHead(server.dataDir, three.id, headAt4);
    page = await ben.client.channels.log(three.id, 0);
    assert.equal(page.integrity.problem, 'the server serves an older log head (seq 4) than this device saw (seq 5): posts may be missing');
    assert.deepEqual(page.integrity.missing, [5]);
    // Dan never accepted head 5 (it did not hold), so to him the log checks up to 4, signed at its date: R125's stated limit.
    page = await dan.client.channels.log(three.id, 0);
    assert.deepEqual([page.integrity.problem, page.integrity.head?.seq], [undefined, 4]);
    // No head at all: for Ben it was taken away; a channel with posts and no head is "not verified" to anyone.
    setChannelHead(server.dataDir, three.id, undefined);
    assert.match((await ben.client.channels.log(three.id, 0)).integrity.problem ?? '', /no longer serves the log head \(this device saw seq 5\)/);
    assert.match((await dan.client.channels.log(three.id, 0)).integrity.problem ?? '', /no longer serves the log head/);
    const [cat] = await users(t, server.url, 'Cat');
    assert.equal((await cat!.client.channels.posts(three.id)).integrity.problem, 'no admin has signed the log\'s head yet: it is not verified that no post is missing');
  });

  it('R125 only an admin\'s listed key signs a head, at a seq the log reached and not back; an edit names its earlier positions', async (t) => {
    await using server = await startTestServer();
    const [amy, ben] = await users(t, server.url, 'Amy', 'Ben');
    if (!amy || !ben) throw new Error('users');
    const { id, a } = await channelWithEdit(amy, server.dataDir);
    const rest = (u: TestUser) => sessionRest(u.baseUrl, u.deviceId, u.deviceKey);
    const signer = JSON.parse((await amy.store.getMeta(`channel-key:${id}`))!).publicKey as string;
    const head = (over: Partial<ChannelHeadBody>): ChannelHeadBody => ({ v: 1, channelId: id, seq: 4, date: Date.now(), signer, ...over });

    await rejects(rest(ben)('PUT', `/channels/${id}/head`, await signHeadAs(amy, head({}))), 'channel_admin_only');
    await rejects(rest(amy)('PUT', `/channels/${id}/head`, await signHeadAs(amy, head({ seq: 5 }))), 'channel_post_invalid', /past the log's end/);
    await rejects(rest(amy)('PUT', `/channels/${id}/head`, await signHeadAs(amy, head({ seq: 3 }))), 'channel_post_invalid', /behind the stored head/);
    await rejects(rest(amy)('PUT', `/channels/${id}/head`, await signHeadAs(amy, head({ date: Date.now() - 86_400_000 }))), 'channel_post_invalid', /date/);
    const forged = await signHeadAs(amy, head({}));
    await rejects(rest(amy)('PUT', `/channels/${id}/head`, { signed: forged.signed.replace('"seq":4', '"seq":3'), signature: forged.signature }), 'channel_signature_invalid');
    const outsider = outsideChannelKey();
    await rejects(rest(amy)('PUT', `/channels/${id}/head`, outsider.signPost(head({ signer: outsider.publicKey }) as never)), 'channel_signature_invalid');
    const stored = await rest(amy)<{ channel: { head?: unknown } }>('PUT', `/channels/${id}/head`, await signHeadAs(amy, head({})));
    assert.ok(stored.channel.head, 'the same seq signed again, later');

    // An edit that does not name its earlier versions' positions is refused; the SDK's third version names both.
    const { jwk } = JSON.parse((await amy.store.getMeta(`channel-key:${id}`))!) as { jwk: JsonWebKey };
    const key = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    const body = { v: 1, channelId: id, postId: a.postId, postSeq: 1, seq: 5, version: 3, date: Date.now(), signer, text: 'x', pinned: false, deleted: false, replaces: [4] };
    const signed = JSON.stringify(body);
    await rejects(rest(amy)('PUT', `/channels/${id}/posts/${a.postId}`, { signed, signature: sign(null, Buffer.from(CHANNEL_POST_CONTEXT + signed), key).toString('base64') }),
      'channel_post_invalid', /replaces must name the earlier versions' positions \[1, 4\]/);
    const third = await amy.client.channels.pin(id, a.postId);
    assert.deepEqual([third.seq, third.replaces], [5, [1, 4]]);
    const page = await ben.client.channels.log(id, 0);
    assert.deepEqual([page.integrity.missing, page.integrity.head?.seq], [[], 5]);

    // refreshHead: an admin's device signs the log's end again once every entry since the head checks; never over a gap.
    setChannelHead(server.dataDir, id, undefined);
    const refreshed = await amy.client.channels.refreshHead(id);
    assert.equal(JSON.parse(refreshed.head!.signed).seq, 5);
    assert.equal((await ben.client.channels.log(id, 0)).integrity.problem, undefined);
    setChannelHead(server.dataDir, id, undefined);
    dropChannelPost(server.dataDir, id, a.postId);
    await rejects(amy.client.channels.refreshHead(id), 'channel_signature_invalid', /positions 1, 4, 5 are missing/);

    // A channel with posts and no head (made before R125): its admin's device signs one when it opens it (healHead).
    const old = await channelWithEdit(amy, server.dataDir);
    setChannelHead(server.dataDir, old.id, undefined);
    const [cat] = await users(t, server.url, 'Cat');
    assert.match((await cat!.client.channels.checkLog(old.id)).integrity.problem ?? '', /no admin has signed the log's head yet/);
    assert.equal(await ben.client.channels.healHead(old.id), false, 'not an admin');
    assert.equal(await amy.client.channels.healHead(old.id), true);
    assert.equal(await amy.client.channels.healHead(old.id), false, 'the head is current');
    assert.deepEqual((await cat!.client.channels.checkLog(old.id)).integrity, { head: { seq: 4, date: JSON.parse((await amy.client.channels.get(old.id)).head!.signed).date, signedBy: amy.userId }, missing: [] });

    // The server refuses a head PUT (a spoiled signature, once): the post is stored and the SDK says so; the head follows by a retry.
    const base = rest(amy);
    let spoil = 0;
    const flaky: RestFn = (method, url, body) => (method === 'PUT' && url.endsWith('/head') && spoil-- > 0
      ? base(method, url, { ...(body as object), signature: Buffer.alloc(64).toString('base64') }) : base(method, url, body));
    const retries: Array<() => void> = [];
    const amys = new Channels({
      rest: flaky, userId: amy.userId, now: () => Date.now(), emit: () => undefined, baseUrl: amy.baseUrl, token: async () => '',
      meta: { get: (k) => amy.store.getMeta(k), set: (k, v) => amy.store.setMeta(k, v) }, later: (fn) => { retries.push(fn); },
    });
    const headSeq = async () => JSON.parse((await amy.client.channels.get(old.id)).head!.signed).seq as number;
    spoil = 1;
    const five = await amys.post(old.id, 'Polls close at eight');
    assert.deepEqual([five.verified, five.seq, await headSeq(), retries.length], [true, 5, 4, 1]);
    retries.shift()!();
    await waitFor(async () => (await headSeq()) === 5, { what: 'the head signed again at 5' });
    assert.equal((await cat!.client.channels.checkLog(old.id)).integrity.problem, undefined);
    // Refused again: the next post signs a head past it, and the retry then has nothing to do.
    spoil = 1;
    await amys.post(old.id, 'Turnout so far: 40%');
    assert.equal(await headSeq(), 5);
    await amys.post(old.id, 'Turnout so far: 52%');
    assert.equal(await headSeq(), 7);
    retries.shift()!();
    assert.deepEqual([await headSeq(), (await cat!.client.channels.checkLog(old.id)).integrity.problem], [7, undefined]);
  });
});
