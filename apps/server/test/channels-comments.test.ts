import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { commentCounts, commentsOn, type ParleyClient } from '@parley/client';
import { MAX_THREAD_QUOTE_CHARS, wrappedPostRoot } from '@parley/protocol';
import { startTestServer, uniqueHandle, waitFor, rejectsWithCode as rejects } from '@parley/testing';
import { RawPeer } from './raw.ts';
import { leaks, serverBytes } from './server-bytes.ts';
import { GROUP_FORMED, inGroup, userPool } from './private-channel.ts';

/** Comments on channel posts (docs/PROTOCOL.md R114): thread replies in a linked community chat, end-to-end encrypted. */

const count = (client: ParleyClient, chatId: string, postId: string) => commentCounts(client.timeline(chatId), [postId]).get(postId);
const { started, users, stopAll } = userPool();
afterEach(stopAll);

describe('channel comments (R114)', () => {
  it('R114 a public channel\'s discussion chat: subscribers join it, comment on a post in its thread, everyone sees "N comments"; a banned person can\'t comment or come back; the server holds no comment text', async () => {
    await using server = await startTestServer();
    const [amy, ben, cat] = await users(server.url, 'Amy', 'Ben', 'Cat');
    if (!amy || !ben || !cat) throw new Error('users');
    const channel = await amy.client.channels.create({ handle: uniqueHandle('talk').slice(0, 24), title: 'City news' });
    const talk = await amy.client.communities.create({ name: 'City news: comments' });
    const general = (await amy.client.communities.chats(talk.communityId)).find((c) => c.kind === 'general');
    assert.ok(general);
    // Only an open chat of a community where the linker holds manageChats; only the channel's owner links.
    await rejects(amy.client.channels.linkDiscussion(channel.channelId, talk.announcementsChatId), 'bad_request');
    await rejects(ben.client.channels.linkDiscussion(channel.channelId, general.chatId), 'channel_admin_only');
    // R154: with where Amy's device stated `open` in the announcements chat, for joiners to name.
    const linked = await amy.client.channels.linkDiscussion(channel.channelId, general.chatId);
    const openSeq = amy.client.log(talk.announcementsChatId).find((m) => m.seq === linked?.openSeq)?.seq;
    assert.deepEqual(linked, { chatId: general.chatId, communityId: talk.communityId, openSeq });
    assert.deepEqual(await ben.client.channels.discussion(channel.channelId), linked);

    const post = await amy.client.channels.post(channel.channelId, 'Road works on Lenina street from Monday');
    for (const u of [ben, cat]) {
      await u.client.channels.subscribe(channel.channelId);
      await u.client.channels.joinDiscussion(channel.channelId);
    }
    const chatId = general.chatId;
    await waitFor(async () => (await inGroup(amy.client, chatId)).length === 3, { what: 'the discussion group of three', timeoutMs: GROUP_FORMED });
    await waitFor(async () => (await inGroup(ben.client, chatId)).length === 3 && (await inGroup(cat.client, chatId)).length === 3, { what: 'every device sees the group', timeoutMs: GROUP_FORMED });

    // A comment quotes the post briefly (so the discussion chat names the post it is on), cut at a whole character.
    await ben.client.sendText(chatId, 'For how long?', { thread: post.postId, threadQuote: 'Road works on Lenina' });
    await cat.client.sendText(chatId, 'The bus stop moves too', { thread: post.postId, threadQuote: '🚧'.repeat(200) });
    await ben.client.sendText(chatId, 'Unrelated chatter');
    await waitFor(() => [amy, ben, cat].every((u) => count(u.client, chatId, post.postId) === 2), { what: 'everyone sees 2 comments', timeoutMs: GROUP_FORMED });
    // R154: Ben's device joined after Amy's `open`, which it can't read; Cat names it, so Ben's takes her in (and sent).
    for (const id of [talk.announcementsChatId, chatId]) assert.deepEqual(ben.client.communities.notAdmitted(id), [], `Ben's device admits Cat in ${id}`);
    // Ben's and Cat's devices send at once: the log may hold them in either order.
    assert.deepEqual(commentsOn(amy.client.timeline(chatId), post.postId).map((i) => [i.text, i.threadQuote]).sort(),
      [['For how long?', 'Road works on Lenina'], ['The bus stop moves too', `${'🚧'.repeat(MAX_THREAD_QUOTE_CHARS - 1)}…`]]);

    // Moderation is the community's: Amy bans Cat; her device is out of the chat and can't comment or come back.
    await amy.client.communities.ban(talk.communityId, cat.userId);
    await waitFor(() => cat.client.chat(chatId) === undefined, { what: 'Cat is out of the discussion chat', timeoutMs: GROUP_FORMED });
    await rejects(cat.client.sendText(chatId, 'Spam spam', { thread: post.postId }), 'not_member');
    // Nor does the server take a comment from her device sent by hand.
    const peer = await RawPeer.authed(server.url, cat.deviceId, (d) => cat.deviceKey.sign(d));
    const refused = await peer.request({ type: 'send', rid: 'spam', chatId, clientMsgId: 'raw_spam_001', envelope: { contentType: 'mls', payload: 'AAAA' } });
    assert.deepEqual([refused['type'], refused['code']], ['error', 'not_member']);
    peer.ws.close();
    await rejects(cat.client.channels.joinDiscussion(channel.channelId), 'community_banned');
    await waitFor(async () => !(await inGroup(amy.client, chatId)).includes(cat.userId), { what: "Cat's device removed from the group", timeoutMs: GROUP_FORMED });
    await ben.client.sendText(chatId, 'Thanks for the news', { thread: post.postId });
    await waitFor(() => count(amy.client, chatId, post.postId) === 3, { what: 'Amy sees the third comment', timeoutMs: GROUP_FORMED });
    assert.ok(!amy.client.timeline(chatId).some((i) => i.text === 'Spam spam'));

    await Promise.all(started.map((u) => u.client.stop()));
    const everything = serverBytes(server.dataDir);
    assert.ok(leaks(everything, new TextEncoder().encode('Road works on Lenina')), 'the scan finds what is there (the public post)');
    for (const s of ['For how long?', 'The bus stop moves', 'Thanks for the news']) assert.ok(!leaks(everything, new TextEncoder().encode(s)), `comment text on the server: ${s}`);
  });

  it('R154 a discussion linked before R154 (no openSeq): the owner\'s device links it again when it opens the channel, so a joiner names where `open` was stated and is not left waiting for an admin', async () => {
    await using server = await startTestServer();
    const [amy, ben] = await users(server.url, 'Amy', 'Ben');
    if (!amy || !ben) throw new Error('users');
    const channel = await amy.client.channels.create({ handle: uniqueHandle('old').slice(0, 24), title: 'Old news' });
    const talk = await amy.client.communities.create({ name: 'Old news: comments' });
    const general = (await amy.client.communities.chats(talk.communityId)).find((c) => c.kind === 'general');
    assert.ok(general);
    // As an SDK from before R154 linked it: the link, then `open` stated (R152), its position not kept.
    const rest = (amy.client as unknown as { rest: (method: string, path: string, body?: unknown) => Promise<unknown> }).rest;
    await rest('PUT', `/channels/${channel.channelId}/discussion`, { chatId: general.chatId });
    await amy.client.communities.open(talk.communityId);
    assert.equal((await ben.client.channels.discussion(channel.channelId))?.openSeq, undefined);

    assert.equal(await ben.client.channels.healDiscussion(channel.channelId), false, 'not the owner: nothing stated, nothing linked');
    assert.equal(await amy.client.channels.healDiscussion(channel.channelId), true);
    const linked = await ben.client.channels.discussion(channel.channelId);
    assert.ok(linked?.openSeq !== undefined && amy.client.log(talk.announcementsChatId).some((m) => m.seq === linked.openSeq && m.senderUserId === amy.userId));
    assert.equal(await amy.client.channels.healDiscussion(channel.channelId), false, 'once');

    await ben.client.channels.subscribe(channel.channelId);
    await ben.client.channels.joinDiscussion(channel.channelId);
    const ann = talk.announcementsChatId;
    await waitFor(() => ben.client.outbox().length === 0 && ben.client.timeline(ann).length > 0, { what: "Ben's admission in the log", timeoutMs: GROUP_FORMED });
    assert.equal(ben.client.communities.awaitingAdmission(ann), false, 'Ben is not told to wait for an admin');
    await waitFor(() => amy.client.communities.notAdmitted(ann).length === 0 && amy.client.communities.notAdmitted(general.chatId).length === 0, { what: "Amy's device admits Ben", timeoutMs: GROUP_FORMED });
  });

  it('R112 R114 a private channel\'s discussion is an open chat of its own community: linked by a manager, found by subscribers, comments counted on the post', async () => {
    await using server = await startTestServer();
    const [amy, ben] = await users(server.url, 'Amy', 'Ben');
    if (!amy || !ben) throw new Error('users');
    const channel = await amy.client.communities.create({ name: 'Class 3B parents', settings: { channel: true } });
    const topic = await amy.client.communities.createChat(channel.communityId, { name: 'Comments', open: true });
    const { token } = await amy.client.communities.createInvite(channel.communityId);
    await ben.client.communities.joinInvite(token);
    await rejects(ben.client.channels.linkDiscussion({ communityId: channel.communityId }, topic.chatId), 'forbidden');
    await amy.client.channels.linkDiscussion({ communityId: channel.communityId }, topic.chatId);
    const found = await ben.client.channels.discussion({ communityId: channel.communityId });
    assert.deepEqual(found, { chatId: topic.chatId, communityId: channel.communityId });
    await ben.client.communities.joinChat(channel.communityId, topic.chatId);

    const ann = channel.announcementsChatId;
    await waitFor(async () => (await inGroup(amy.client, ann)).length === 2, { what: 'the channel group of two', timeoutMs: GROUP_FORMED });
    const postId = await amy.client.sendText(ann, 'Trip to the museum on Friday');
    await waitFor(() => ben.client.timeline(ann).some((i) => i.id === postId), { what: 'Ben reads the post', timeoutMs: GROUP_FORMED });
    await waitFor(async () => (await inGroup(ben.client, topic.chatId)).length === 2, { what: "Ben's device in the comments group", timeoutMs: GROUP_FORMED });
    await ben.client.sendText(topic.chatId, 'Do they need lunch boxes?', { thread: postId });
    await waitFor(() => count(amy.client, topic.chatId, postId) === 1, { what: 'Amy sees 1 comment on the post', timeoutMs: GROUP_FORMED });
  });

  it('R177 a wrapped channel\'s comments: discussion members comment on a post and mark it; a subscriber outside the discussion sees the right count after two comments and a deletion; outsiders, subscribers outside the discussion and removed members add no mark; marks are limited per minute', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_CHANNEL_WRAPPED_COMMENTS_PER_MIN: '6' });
    const [amy, ben, cat, dan, eve] = await users(server.url, 'Amy', 'Ben', 'Cat', 'Dan', 'Eve');
    if (!amy || !ben || !cat || !dan || !eve) throw new Error('users');
    const { communityId: id } = await amy.client.communities.create({ name: 'Harbour notices', settings: { channel: true } });
    const topic = await amy.client.communities.createChat(id, { name: 'Comments', open: true });
    await amy.client.channels.linkDiscussion({ communityId: id }, topic.chatId);
    const { token } = await amy.client.communities.createInvite(id);
    for (const u of [ben, cat, dan]) assert.equal((await u.client.communities.joinInvite(token)).settings.wrapped, true);
    const p1 = await amy.client.wrappedChannels.post(id, 'Ferry at 7:40 cancelled');
    const post = { seq: p1.seq, epoch: p1.epoch };
    // Ben and Cat join the discussion with one tap; Dan stays a subscriber outside it.
    for (const u of [ben, cat]) await u.client.communities.joinChat(id, topic.chatId);
    await waitFor(async () => (await inGroup(amy.client, topic.chatId)).length === 3, { what: 'the discussion group of three', timeoutMs: GROUP_FORMED });
    await waitFor(async () => (await inGroup(ben.client, topic.chatId)).length === 3 && (await inGroup(cat.client, topic.chatId)).length === 3, { what: 'Ben and Cat in the group', timeoutMs: GROUP_FORMED });

    // A comment is a thread reply whose root names the post, and its writer's device marks it.
    const root = wrappedPostRoot(p1.seq);
    const c1 = await ben.client.sendText(topic.chatId, 'Is the 9:10 running?', { thread: root });
    assert.equal(await ben.client.wrappedChannels.markComment(id, post, c1), 1);
    assert.equal(await ben.client.wrappedChannels.markComment(id, post, c1), 1, 'a mark sent again counts once');
    const c2 = await cat.client.sendText(topic.chatId, 'It is, I checked.', { thread: root });
    assert.equal(await cat.client.wrappedChannels.markComment(id, post, c2), 2);
    assert.deepEqual([...(await dan.client.wrappedChannels.commentCounts(id, [p1.seq]))], [[p1.seq, 2]]);
    // Readers in the discussion read the comments themselves (end to end encrypted there).
    await waitFor(() => commentsOn(amy.client.timeline(topic.chatId), root).length === 2, { what: 'Amy reads both comments', timeoutMs: GROUP_FORMED });

    // Ben deletes his comment (as the discussion chat's menu does): the deleting device takes its mark back at once (no channel view open); Dan, outside the discussion, sees 1.
    await ben.client.deleteMessage(topic.chatId, c1);
    assert.deepEqual([...(await dan.client.wrappedChannels.commentCounts(id, [p1.seq]))], [[p1.seq, 1]], 'the mark went with the deletion');
    assert.equal(await ben.client.wrappedChannels.commentDeleted(id, 'AbCdEfGhIjKlMnOpQrStUv', c1), false, 'not a wrapped post\'s comment: nothing to take back');
    assert.deepEqual([...(await dan.client.wrappedChannels.commentCounts(id, [p1.seq]))], [[p1.seq, 1]]);
    await waitFor(() => commentsOn(amy.client.timeline(topic.chatId), root).map((i) => i.text).join() === 'It is, I checked.', { what: 'Amy sees one comment left', timeoutMs: GROUP_FORMED });
    // Someone else's mark stays (only its sender, or a holder of deleteMessages, takes it back).
    await rejects(ben.client.wrappedChannels.unmarkComment(id, post, c2), 'not_found');

    // Dan is no member of the discussion: no mark; Eve, an outsider, gets R141's not_found; so does Cat once removed.
    await rejects(dan.client.wrappedChannels.markComment(id, post, 'dan-comment-1'), 'not_member');
    await rejects(eve.client.wrappedChannels.commentCounts(id, [p1.seq]), 'not_found');
    const catKeys = cat.client.wrappedChannels; // holds the epoch key from before the removal
    await amy.client.communities.remove(id, cat.userId);
    await rejects(catKeys.markComment(id, post, 'cat-comment-2'), 'not_found');
    await rejects(catKeys.commentCounts(id, [p1.seq]), 'not_found');
    // No mark on what is no post.
    await rejects(ben.client.wrappedChannels.markComment(id, { seq: 999, epoch: p1.epoch }, 'ben-comment-9'), 'not_found');

    // PARLEY_CHANNEL_WRAPPED_COMMENTS_PER_MIN (6): Ben has sent 5 (two marks, two unmarks, one on no post); the next is his sixth, the one after is refused.
    const p2 = await amy.client.wrappedChannels.post(id, 'Tides table for May');
    const post2 = { seq: p2.seq, epoch: p2.epoch };
    assert.equal(await ben.client.wrappedChannels.markComment(id, post2, 'ben-comment-a'), 1);
    await rejects(ben.client.wrappedChannels.markComment(id, post2, 'ben-comment-b'), 'rate_limited');
    assert.deepEqual([...(await amy.client.wrappedChannels.commentCounts(id, [p1.seq, p2.seq]))], [[p1.seq, 1], [p2.seq, 1]]);
    // A moderator (Amy holds deleteMessages) deletes Cat's comment: her device takes its mark back with the deletion.
    await amy.client.deleteMessage(topic.chatId, c2);
    assert.deepEqual([...(await dan.client.wrappedChannels.commentCounts(id, [p1.seq]))], [[p1.seq, 0]]);
  });
});
