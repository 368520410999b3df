import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError, type ParleyClient } from '@parley/client';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { leaks, serverBytes } from './server-bytes.ts';
import { RawPeer } from './raw.ts';

const pollOf = (client: ParleyClient, chatId: string, id: string) => client.timeline(chatId).find((i) => i.id === id)?.poll;
const refused = (code: string) => (e: unknown) => e instanceof ParleyError && e.code === code;

describe('R87 polls, end-to-end encrypted', () => {
  it('three people vote; every device folds the same tally; an anonymous poll names nobody; a closed poll counts nothing more; the server stores no question, option or vote', async () => {
    await using server = await startTestServer();
    const [ann, ben, cat] = await Promise.all(['Ann', 'Ben', 'Cat'].map((displayName) => createUser(server.url, { displayName })));
    if (!ann || !ben || !cat) throw new Error('users');
    const people = [ann, ben, cat];
    const { chatId } = await ann.client.createGroup({ name: 'House meeting', memberIds: [ben.userId, cat.userId] });
    await waitFor(() => people.every((u) => u.client.chat(chatId)?.encryption === 'on'), { what: 'encryption on', timeoutMs: 30_000 });

    const pollId = await ann.client.polls.create(chatId, { question: 'Which evening for the residents meeting?', options: ['Monday 19:00', 'Wednesday 19:00', 'Saturday noon'] });
    await waitFor(() => people.every((u) => pollOf(u.client, chatId, pollId) !== undefined), { what: 'everyone sees the poll', timeoutMs: 30_000 });
    await ben.client.polls.vote(chatId, pollId, [1]);
    await cat.client.polls.vote(chatId, pollId, [0]);
    await cat.client.polls.vote(chatId, pollId, [1]); // changes her mind
    await ann.client.polls.vote(chatId, pollId, [2]);
    const settled = (c: ParleyClient) => pollOf(c, chatId, pollId)?.options.map((o) => o.voters?.slice().sort());
    const expected = [[], [ben.userId, cat.userId].sort(), [ann.userId]];
    await waitFor(() => people.every((u) => JSON.stringify(settled(u.client)) === JSON.stringify(expected)), { what: 'every device folds the same tally', timeoutMs: 30_000 });
    assert.deepEqual(people.map((u) => pollOf(u.client, chatId, pollId)?.myChoices), [[2], [1], [1]]);
    assert.equal(pollOf(ben.client, chatId, pollId)?.voters, 3);

    // Bad input is refused on the device, nothing queued.
    await assert.rejects(ben.client.polls.vote(chatId, pollId, [0, 1]), refused('bad_request'));
    await assert.rejects(ben.client.polls.vote(chatId, pollId, [5]), refused('bad_request'));
    await assert.rejects(ben.client.polls.vote(chatId, 'nosuchpoll', [0]), refused('not_found'));
    await assert.rejects(ann.client.polls.create(chatId, { question: 'One option?', options: ['only'] }), refused('bad_request'));
    await assert.rejects(ann.client.polls.create(chatId, { question: 'Twice?', options: ['Yes', 'yes'] }), refused('bad_request'));
    await assert.rejects(ann.client.polls.create(chatId, { question: 'Past?', options: ['a', 'b'], closesAt: Date.now() - 1000 }), refused('bad_request'));
    await assert.rejects(ann.client.polls.create(chatId, { question: 'Far?', options: ['a', 'b'], closesAt: Date.now() + 400 * 24 * 3600 * 1000 }), refused('bad_request'));

    // Anonymous and multiple choice: counts only.
    const anonId = await ben.client.polls.create(chatId, { question: 'Which repairs first?', options: ['Lift', 'Roof', 'Doors'], multiple: true, anonymous: true });
    await waitFor(() => people.every((u) => pollOf(u.client, chatId, anonId) !== undefined), { what: 'everyone sees the anonymous poll', timeoutMs: 30_000 });
    await ann.client.polls.vote(chatId, anonId, [0, 1]);
    await cat.client.polls.vote(chatId, anonId, [1]);
    await waitFor(() => people.every((u) => pollOf(u.client, chatId, anonId)?.voters === 2), { what: 'two voters counted', timeoutMs: 30_000 });
    assert.deepEqual(pollOf(ben.client, chatId, anonId)?.options, [{ text: 'Lift', votes: 1 }, { text: 'Roof', votes: 2 }, { text: 'Doors', votes: 0 }]);

    // Only its sender closes it; then votes no longer count.
    await assert.rejects(ann.client.polls.close(chatId, anonId), refused('forbidden'));
    await ben.client.polls.close(chatId, anonId);
    await waitFor(() => people.every((u) => pollOf(u.client, chatId, anonId)?.closedAt !== undefined), { what: 'everyone sees it closed', timeoutMs: 30_000 });
    await assert.rejects(cat.client.polls.vote(chatId, anonId, [2]), refused('bad_request'));
    await ben.client.sendText(chatId, 'thanks for voting');
    await waitFor(() => people.every((u) => u.client.timeline(chatId).some((i) => i.text === 'thanks for voting')), { what: 'the last message arrives', timeoutMs: 30_000 });
    assert.deepEqual(pollOf(ann.client, chatId, anonId)?.options.map((o) => o.votes), [1, 2, 0]);

    await Promise.all(people.map((u) => u.client.stop()));
    const everything = serverBytes(server.dataDir);
    assert.ok(leaks(everything, new TextEncoder().encode(chatId)), 'the scan finds what is there (chat ids)');
    for (const s of ['residents meeting', 'Wednesday 19:00', 'Which repairs first', '"choices"', '"poll_close"']) {
      assert.ok(!leaks(everything, new TextEncoder().encode(s)), `plaintext found on the server: ${s}`);
    }
  });

  it('R87 in a community\'s announcements chat members vote although only admins post; what a member marks as a vote but is not one shows to nobody', async () => {
    await using server = await startTestServer();
    const [ann, ben, cat] = await Promise.all(['Ann', 'Ben', 'Cat'].map((displayName) => createUser(server.url, { displayName })));
    if (!ann || !ben || !cat) throw new Error('users');
    const people = [ann, ben, cat];
    const community = await ann.client.communities.create({ name: 'Lenina 12' });
    const { token } = await ann.client.communities.createInvite(community.communityId);
    for (const u of [ben, cat]) await u.client.communities.joinInvite(token);
    const chatId = community.announcementsChatId;
    await waitFor(async () => (await ann.client.encryptionMembers(chatId)).length === 3 && people.every((u) => u.client.chat(chatId)?.encryption === 'on'), { what: 'announcements group of three', timeoutMs: 30_000 });
    assert.equal(cat.client.chat(chatId)?.community?.mayPost, false);

    const pollId = await ann.client.polls.create(chatId, { question: 'Replace the entrance door this year?', options: ['Yes', 'No'] });
    await waitFor(() => people.every((u) => pollOf(u.client, chatId, pollId) !== undefined), { what: 'everyone sees the poll', timeoutMs: 30_000 });
    await ben.client.polls.vote(chatId, pollId, [0]);
    await cat.client.polls.vote(chatId, pollId, [1]);
    await waitFor(() => people.every((u) => JSON.stringify(pollOf(u.client, chatId, pollId)?.options.map((o) => o.votes)) === '[1,1]'), { what: 'both votes counted everywhere', timeoutMs: 30_000 });
    // Nothing refused: the outboxes empty (an ack may come just after the others see the vote: wait for it, a refusal stays).
    await waitFor(() => people.every((u) => u.client.outbox().length === 0), { what: 'every outbox empty, nothing refused', timeoutMs: 30_000 });

    // A member's own text there is still refused (R69); one sent as a "vote" passes the server, but no device shows it.
    const text = await cat.client.sendText(chatId, 'not a vote');
    await waitFor(() => cat.client.outbox().some((o) => o.clientMsgId === text && o.failedCode === 'announcements_only'), { what: 'the text refused', timeoutMs: 30_000 });
    const peer = await RawPeer.authed(server.url, cat.deviceId, (d) => cat.deviceKey.sign(d));
    const ack = await peer.request({ type: 'send', rid: 'fake_vote', chatId, clientMsgId: 'raw_fake_vote1', vote: true, envelope: { contentType: 'parley/plain+json', payload: Buffer.from(JSON.stringify({ kind: 'text', text: 'FREE MONEY' })).toString('base64') } });
    assert.equal(ack['type'], 'ack', 'the server cannot tell a vote from anything else');
    peer.ws.close();
    await ann.client.sendText(chatId, 'Results on Friday');
    await waitFor(() => people.every((u) => u.client.timeline(chatId).some((i) => i.text === 'Results on Friday')), { what: 'the next announcement arrives', timeoutMs: 30_000 });
    for (const u of [ann, ben]) {
      const shown = u.client.timeline(chatId).filter((i) => !i.system && !i.notice);
      assert.ok(!shown.some((i) => i.senderUserId === cat.userId), `${u.displayName} shows nothing Cat sent there but her vote`);
    }
    await Promise.all(people.map((u) => u.client.stop()));
  });
});
