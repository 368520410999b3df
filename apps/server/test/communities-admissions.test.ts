import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ParleyClient } from '@parley/client';
import { createUser, startTestServer, waitFor, type TestUser } from '@parley/testing';

/** R152-R153: who may be added to a community's chats, checked by members' devices (docs/PROTOCOL.md). */

const GROUP_FORMED = 60_000;
const seen = (client: ParleyClient, chatId: string, text: string) => client.timeline(chatId).some((i) => i.text === text);
const inGroup = async (client: ParleyClient, chatId: string, userId: string) => (await client.encryptionMembers(chatId)).some((m) => m.userId === userId);

async function sendAndSee(from: TestUser, to: TestUser[], chatId: string, text: string): Promise<void> {
  await from.client.sendText(chatId, text);
  for (const u of to) await waitFor(() => seen(u.client, chatId, text), { what: `${u.displayName} reads "${text}"`, timeoutMs: GROUP_FORMED });
}

describe('community admissions (R152-R153)', () => {
  it('R152 joins by an admin\'s invite link and by an approved request are admitted on every device; R153 a member the server adds on its own is refused: members\' devices say so and send nothing to the chat while they are in it', { timeout: 300_000 }, async () => {
    await using server = await startTestServer();
    const [ann, ben, cat, max] = await Promise.all(['Ann', 'Ben', 'Cat', 'Max'].map((displayName) => createUser(server.url, { displayName }))) as [TestUser, TestUser, TestUser, TestUser];
    const c = await ann.client.communities.create({ name: 'Lenina 12' });
    const general = (await ann.client.communities.chats(c.communityId)).find((x) => x.kind === 'general')?.chatId ?? '';

    // An invite link: the token carries the link's own key, which the server never sees.
    const link = await ann.client.communities.createInvite(c.communityId);
    assert.match(link.token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}\.\d+$/);
    await ben.client.communities.joinInvite(link.token);
    // A link that needs approval: Ann approves Cat's request.
    const asking = await ann.client.communities.createInvite(c.communityId, { needsApproval: true });
    const request = await cat.client.communities.joinRequests.request(asking.token);
    await ann.client.communities.joinRequests.approve(c.communityId, request.requestId);
    for (const chatId of [c.announcementsChatId, general]) {
      for (const u of [ann, ben, cat]) await waitFor(async () => (await u.client.encryptionMembers(chatId)).length === 3, { what: `${u.displayName}'s device has all three in ${chatId}`, timeoutMs: GROUP_FORMED });
    }
    await sendAndSee(ann, [ben, cat], c.announcementsChatId, 'Water is off on Monday');
    await sendAndSee(ben, [ann, cat], general, 'Thanks for the heads-up');
    for (const u of [ann, ben, cat]) {
      for (const chatId of [c.announcementsChatId, general]) {
        assert.deepEqual(u.client.communities.notAdmitted(chatId), [], `${u.displayName} admits everyone in ${chatId}`);
        assert.equal(u.client.timeline(chatId).some((i) => i.notice === 'member_not_admitted'), false);
      }
    }

    // R153: a malicious server makes Max a member with no link and no approval (its own domain call,
    // as if Ann had admitted him). Members' devices follow the membership and commit his add (R68)...
    await server.services.communityInvites.admit({ userId: ann.userId, deviceId: ann.deviceId }, c.communityId, max.userId);
    await max.client.communities.adoptJoined(c.communityId);
    for (const chatId of [c.announcementsChatId, general]) {
      for (const u of [ann, ben, cat]) await waitFor(() => inGroup(u.client, chatId, max.userId), { what: `Max's device in ${u.displayName}'s group of ${chatId}`, timeoutMs: GROUP_FORMED });
    }
    // ...but every member's device finds no admin's word for him, says so where he entered, and holds what it would send.
    for (const u of [ann, ben, cat]) {
      for (const chatId of [c.announcementsChatId, general]) {
        await waitFor(() => u.client.communities.notAdmitted(chatId).includes(max.userId), { what: `${u.displayName} refuses Max in ${chatId}`, timeoutMs: GROUP_FORMED });
        const line = u.client.timeline(chatId).find((i) => i.notice === 'member_not_admitted');
        assert.equal(line?.notAdmitted, max.userId, `${u.displayName} is told who entered without an admin's word`);
      }
    }
    // R155: Max's own device says he waits for an admin; those let in by a link or an approval don't.
    assert.equal(max.client.communities.awaitingAdmission(c.announcementsChatId), true);
    for (const u of [ben, cat]) assert.equal(u.client.communities.awaitingAdmission(c.announcementsChatId), false, u.displayName);
    const held = await ben.client.sendText(general, 'Who is Max?');
    // Max's own device, welcomed into the group, sends; Ben's reads it after his message was first tried.
    await sendAndSee(max, [ben], general, 'Hello, I am Max');
    // Held, not lost: it stays in Ben's outbox as sending while Max is in the chat.
    assert.ok(ben.client.outbox().some((o) => o.clientMsgId === held && !o.failedCode), 'Ben\'s message waits in his outbox');
    assert.equal(seen(max.client, general, 'Who is Max?'), false, 'Max never reads it');
    assert.equal(ben.client.log(general).some((m) => m.clientMsgId === held), false, 'the server never got it');

    // An admin removes him: the hold ends and the message goes to those who belong.
    await ann.client.communities.remove(c.communityId, max.userId);
    await waitFor(() => seen(cat.client, general, 'Who is Max?'), { what: 'Cat reads Ben\'s held message once Max is out', timeoutMs: GROUP_FORMED });
    assert.deepEqual(ben.client.communities.notAdmitted(general), []);
    for (const u of [ann, ben, cat, max]) await u.client.stop();
  });
});
