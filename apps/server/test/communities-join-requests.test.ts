import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type CommunityEvent, type ParleyClient } from '@parley/client';
import { createUser, startTestServer, waitFor, type TestUser, rejectsWithCode as rejects } from '@parley/testing';

/** Join requests (docs/PROTOCOL.md R100-R101) through the real server and SDK, end-to-end encrypted. */

const GROUP_FORMED = 30_000;
const texts = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system).map((i) => i.text);
const auditLines = (client: ParleyClient, chatId: string) => client.timeline(chatId)
  .flatMap((i) => (i.system?.kind === 'moderation' && i.system.action.startsWith('join_') ? [[i.system.action, i.senderUserId, i.system.userId]] : []));
function events(user: TestUser): CommunityEvent[] {
  const seen: CommunityEvent[] = [];
  user.client.on('community', (e) => seen.push(e));
  return seen;
}
const started: TestUser[] = [];
async function users(url: string, ...names: string[]): Promise<TestUser[]> {
  const made = await Promise.all(names.map((displayName) => createUser(url, { displayName })));
  started.push(...made);
  return made;
}
// Each test's clients stop with it (before its server closes), so none keeps retrying.
afterEach(async () => {
  for (const u of started.splice(0)) await u.client.stop();
});

describe('community join requests (R100-R101)', () => {
  it('R100 R101 a request with a note waits for an admin; approved, the person is in as by invite, reads and writes in general end to end, and the audit line says who approved', async () => {
    await using server = await startTestServer();
    const [ann, ben] = await users(server.url, 'Ann', 'Ben');
    if (!ann || !ben) throw new Error('users');
    const annHears = events(ann);
    const benHears = events(ben);
    const community = await ann.client.communities.create({ name: 'Lenina 12' });
    const invite = await ann.client.communities.createInvite(community.communityId, { needsApproval: true, maxUses: 3 });
    assert.equal(invite.needsApproval, true);
    assert.equal((await ben.client.communities.previewInvite(invite.token)).needsApproval, true);
    await rejects(ben.client.communities.joinInvite(invite.token), 'join_approval_required');

    const asked = await ben.client.communities.joinRequests.request(invite.token, '  Flat 12, second entrance  ');
    assert.deepEqual([asked.status, asked.note, asked.userId, asked.displayName], ['pending', 'Flat 12, second entrance', ben.userId, 'Ben']);
    assert.equal((await ben.client.communities.joinRequests.request(invite.token, 'again')).requestId, asked.requestId, 'asking twice is asking once');
    await waitFor(() => annHears.some((e) => e.joinRequest?.requestId === asked.requestId && e.joinRequest.status === 'pending'), { what: 'Ann hears of the request' });
    const waiting = await ann.client.communities.joinRequests.pending(community.communityId);
    assert.deepEqual(waiting.map((r) => [r.displayName, r.handle, r.note]), [['Ben', ben.handle, 'Flat 12, second entrance']]);
    await rejects(ben.client.communities.get(community.communityId), 'not_found');
    assert.equal(ben.client.chat(community.announcementsChatId), undefined);

    const approved = await ann.client.communities.joinRequests.approve(community.communityId, asked.requestId);
    assert.deepEqual([approved.status, approved.decidedBy], ['approved', ann.userId]);
    await waitFor(() => benHears.some((e) => e.joinRequest?.status === 'approved'), { what: 'Ben is told' });
    assert.deepEqual((await ben.client.communities.joinRequests.mine()).map((r) => r.status), ['approved']);
    const mine = await ben.client.communities.get(community.communityId);
    assert.deepEqual([mine.me.role, mine.memberCount], ['member', 2]);
    const general = (await ben.client.communities.chats(community.communityId)).find((c) => c.kind === 'general');
    assert.ok(general?.joined, 'Ben is in the general chat');
    // As for an invite join: Ann's device adds Ben's to the chats' MLS groups; the SDK took the chats in itself.
    await waitFor(() => ben.client.chat(general.chatId)?.title === 'General', { what: 'Ben reads the general chat\'s encrypted name', timeoutMs: GROUP_FORMED });
    await ben.client.sendText(general.chatId, 'Hello neighbours');
    await waitFor(() => texts(ann.client, general.chatId).includes('Hello neighbours'), { what: "Ann reads Ben's message", timeoutMs: GROUP_FORMED });
    await ann.client.sendText(general.chatId, 'Welcome, Ben');
    await waitFor(() => texts(ben.client, general.chatId).includes('Welcome, Ben'), { what: "Ben reads Ann's message", timeoutMs: GROUP_FORMED });
    await waitFor(() => auditLines(ann.client, community.announcementsChatId).length > 0, { what: 'the audit line' });
    assert.deepEqual(auditLines(ann.client, community.announcementsChatId), [['join_approved', ann.userId, ben.userId]]);

    await rejects(ann.client.communities.joinRequests.approve(community.communityId, asked.requestId), 'join_request_closed');
    await rejects(ann.client.communities.joinRequests.decline(community.communityId, asked.requestId), 'join_request_closed');
    assert.deepEqual(await ann.client.communities.joinRequests.pending(community.communityId), []);
    await rejects(ben.client.communities.joinRequests.request(invite.token), 'bad_request');
  });

  it('R101 declined: not a member, told, an audit line; cancelled: gone from the list; only holders of invite see or decide', async () => {
    await using server = await startTestServer();
    const [ann, ben, cat, dan, eve] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan', 'Eve');
    if (!ann || !ben || !cat || !dan || !eve) throw new Error('users');
    const benHears = events(ben);
    const community = await ann.client.communities.create({ name: 'School 5' });
    const { token: open } = await ann.client.communities.createInvite(community.communityId);
    await dan.client.communities.joinInvite(open);
    await eve.client.communities.joinInvite(open);
    await ann.client.communities.setMember(community.communityId, eve.userId, { role: 'admin', rights: ['pin', 'ban'] });
    const { token } = await ann.client.communities.createInvite(community.communityId, { needsApproval: true });
    const benAsks = await ben.client.communities.joinRequests.request(token);
    assert.equal(benAsks.note, '');

    // Who may see and decide: the invite right, nothing less (a member, an admin without it); a non-member learns nothing.
    for (const [who, code] of [[dan, 'forbidden'], [eve, 'forbidden'], [cat, 'not_found']] as const) {
      await rejects(who.client.communities.joinRequests.pending(community.communityId), code);
      await rejects(who.client.communities.joinRequests.approve(community.communityId, benAsks.requestId), code);
      await rejects(who.client.communities.joinRequests.decline(community.communityId, benAsks.requestId), code);
    }
    await ann.client.communities.setMember(community.communityId, eve.userId, { rights: ['pin', 'ban', 'invite'] });
    assert.equal((await eve.client.communities.joinRequests.pending(community.communityId)).length, 1, 'given the right, Eve sees it');

    const declined = await eve.client.communities.joinRequests.decline(community.communityId, benAsks.requestId);
    assert.deepEqual([declined.status, declined.decidedBy], ['declined', eve.userId]);
    await waitFor(() => benHears.some((e) => e.joinRequest?.status === 'declined'), { what: 'Ben is told' });
    assert.deepEqual((await ben.client.communities.joinRequests.mine()).map((r) => r.status), ['declined']);
    await rejects(ben.client.communities.get(community.communityId), 'not_found');
    assert.equal((await ann.client.communities.get(community.communityId)).memberCount, 3);
    await waitFor(() => auditLines(ann.client, community.announcementsChatId).length > 0, { what: 'the audit line' });
    assert.deepEqual(auditLines(ann.client, community.announcementsChatId), [['join_declined', eve.userId, ben.userId]]);

    const catAsks = await cat.client.communities.joinRequests.request(token, 'Parent of Masha, 3B');
    await rejects(ben.client.communities.joinRequests.cancel(catAsks.requestId), 'not_found');
    await cat.client.communities.joinRequests.cancel(catAsks.requestId);
    assert.deepEqual(await ann.client.communities.joinRequests.pending(community.communityId), []);
    await rejects(cat.client.communities.joinRequests.cancel(catAsks.requestId), 'join_request_closed');
    await rejects(ann.client.communities.joinRequests.approve(community.communityId, catAsks.requestId), 'join_request_closed');
    await rejects(ann.client.communities.joinRequests.approve(community.communityId, 'jr_no_such_request'), 'not_found');
    // Declined once, Ben may ask again; a ban ends that.
    const again = await ben.client.communities.joinRequests.request(token, 'Sorry, I am the new tenant of flat 4');
    await ann.client.communities.ban(community.communityId, ben.userId);
    await rejects(ann.client.communities.joinRequests.approve(community.communityId, again.requestId), 'community_banned');
    await rejects(ben.client.communities.joinRequests.request(token), 'community_banned');
  });

  it('R100 limits and bad input: note length, pending per community, links that need no approval, dead links', async () => {
    await using server = await startTestServer({ PARLEY_MAX_PENDING_JOIN_REQUESTS: '2', PARLEY_MAX_JOIN_NOTE_CHARS: '20' });
    const [ann, ben, cat, dan] = await users(server.url, 'Ann', 'Ben', 'Cat', 'Dan');
    if (!ann || !ben || !cat || !dan) throw new Error('users');
    const community = await ann.client.communities.create({ name: 'Team' });
    const { token } = await ann.client.communities.createInvite(community.communityId, { needsApproval: true, maxUses: 1 });
    await rejects(ben.client.communities.joinRequests.request(token, 'x'.repeat(21)), 'bad_request');
    await rejects(ben.client.communities.joinRequests.request(token, 'x'.repeat(1001)), 'bad_request');
    await rejects(ben.client.communities.joinRequests.request('no_such_token_1'), 'invite_invalid');
    const { token: open } = await ann.client.communities.createInvite(community.communityId);
    await rejects(ben.client.communities.joinRequests.request(open), 'bad_request');
    await rejects(ann.client.communities.joinRequests.request(token), 'bad_request');

    const benAsks = await ben.client.communities.joinRequests.request(token, 'x'.repeat(20));
    await cat.client.communities.joinRequests.request(token);
    await rejects(dan.client.communities.joinRequests.request(token), 'join_requests_full');
    // The link admits one person: approving Ben spends it; Cat's request, made before, may still be approved.
    await ann.client.communities.joinRequests.approve(community.communityId, benAsks.requestId);
    await rejects(dan.client.communities.joinRequests.request(token), 'invite_invalid');
    const [catAsks] = await ann.client.communities.joinRequests.pending(community.communityId);
    assert.ok(catAsks);
    assert.equal((await ann.client.communities.joinRequests.approve(community.communityId, catAsks.requestId)).status, 'approved');
    assert.equal((await ann.client.communities.get(community.communityId)).memberCount, 3);
  });
});
