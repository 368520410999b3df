import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUser, startTestServer, tappedWebSocket, waitFor } from '@parley/testing';

/** Which frames one client heard, by type ('chat' summaries, 'members' deltas), of `chatId` when given. */
function frameLog() {
  const heard: { type: string; chatId?: string | undefined }[] = [];
  const WebSocket = tappedWebSocket({
    heard(data) {
      const f = JSON.parse(data) as { type: string; chatId?: string; chat?: { chatId: string } };
      heard.push({ type: f.type, chatId: f.chatId ?? f.chat?.chatId });
    },
  });
  return { WebSocket, count: (type: string, chatId?: string) => heard.filter((f) => f.type === type && (chatId === undefined || f.chatId === chatId)).length };
}

describe('large chats (issue 12)', () => {
  it('R117 in a large group joins and leaves come as members frames; member lists and the encryption group follow', async () => {
    await using server = await startTestServer({ PARLEY_LARGE_CHAT_MEMBERS: '2', PARLEY_MEMBERS_SETTLE_MS: '0' }); // counts frames: no R137 repeats
    const cats = frameLog();
    const [ann, ben, dan] = await Promise.all([1, 2, 3].map(() => createUser(server.url)));
    const cat = await createUser(server.url, { client: { WebSocket: cats.WebSocket } });
    if (!ann || !ben || !dan) throw new Error('users');
    const group = await ann.client.createGroup({ name: 'Building 7', memberIds: [ben.userId, cat.userId] });
    await waitFor(() => cat.client.chat(group.chatId)?.encryption === 'on', { what: 'cat in the group', timeoutMs: 20_000 });
    const summariesBefore = cats.count('chat', group.chatId);

    await ann.client.addMember(group.chatId, dan.userId);
    await waitFor(() => cat.client.chat(group.chatId)?.members.some((m) => m.userId === dan.userId) === true, { what: 'cat sees dan join' });
    assert.equal(cats.count('members', group.chatId), 1, 'the join came as one members frame');
    assert.equal(cats.count('chat', group.chatId), summariesBefore, 'and no summary of everyone');
    const danSeen = cat.client.chat(group.chatId)?.members.find((m) => m.userId === dan.userId);
    assert.equal(danSeen?.handle, dan.handle);
    assert.equal(danSeen?.role, 'member');

    // Dan's device is added to the group by a member's device (R18) as before, and reads what comes after.
    await waitFor(async () => (await cat.client.encryptionMembers(group.chatId)).some((m) => m.userId === dan.userId), { what: 'dan in cat\'s encryption group', timeoutMs: 30_000 });
    await cat.client.sendText(group.chatId, 'Welcome, Dan');
    await waitFor(() => dan.client.timeline(group.chatId).some((i) => i.text === 'Welcome, Dan'), { what: 'dan reads it', timeoutMs: 20_000 });

    // A removal and a leave: gone from the list, from the encryption group, and still no summaries.
    await ann.client.removeMember(group.chatId, ben.userId);
    await dan.client.leaveChat(group.chatId);
    await waitFor(() => cat.client.chat(group.chatId)?.members.map((m) => m.userId).sort().join() === [ann.userId, cat.userId].sort().join(), { what: 'cat sees ben and dan gone' });
    assert.equal(cats.count('members', group.chatId), 3);
    assert.equal(cats.count('chat', group.chatId), summariesBefore);
    await waitFor(async () => (await cat.client.encryptionMembers(group.chatId)).every((m) => m.userId === ann.userId || m.userId === cat.userId), { what: 'the group holds ann and cat only', timeoutMs: 30_000 });
    const kinds = cat.client.timeline(group.chatId).flatMap((i) => (i.system ? [i.system.kind] : []));
    assert.deepEqual(kinds.filter((k) => k.startsWith('member_')), ['member_added', 'member_removed', 'member_left']);

    for (const u of [ann, ben, cat, dan]) await u.client.stop();
  });

  it('R131 a device that lost a members frame notices at the next one (its digest) and reads the chat again, without signing in again', async () => {
    await using server = await startTestServer({ PARLEY_LARGE_CHAT_MEMBERS: '2', PARLEY_MEMBERS_SETTLE_MS: '0' }); // R131's path alone: no R137 repeat
    let dropped = 0;
    let signIns = 0;
    const WebSocket = tappedWebSocket({
      heard(data) { if ((JSON.parse(data) as { type: string }).type === 'auth_ok') signIns++; },
      // The first members frame (Dan's join) never reaches Cat's device.
      drop: (data) => (JSON.parse(data) as { type: string }).type === 'members' && dropped++ === 0,
    });
    const [ann, ben, dan, eve] = await Promise.all([1, 2, 3, 4].map(() => createUser(server.url)));
    const cat = await createUser(server.url, { client: { WebSocket } });
    if (!ann || !ben || !dan || !eve) throw new Error('users');
    const group = await ann.client.createGroup({ name: 'Building 9', memberIds: [ben.userId, cat.userId] });
    await waitFor(() => cat.client.chat(group.chatId)?.encryption === 'on', { what: 'cat in the group', timeoutMs: 20_000 });
    const names = () => (cat.client.chat(group.chatId)?.members ?? []).map((m) => m.userId).sort().join();

    await ann.client.addMember(group.chatId, dan.userId);
    await waitFor(() => cat.client.timeline(group.chatId).some((i) => i.system?.kind === 'member_added'), { what: 'cat reads the join line' });
    assert.equal(dropped, 1, 'the members frame was dropped');
    assert.ok(!names().includes(dan.userId), 'so cat\'s list lacks dan');

    // The next join's frame carries a digest cat's patched list does not match: cat reads the chat.
    await ann.client.addMember(group.chatId, eve.userId);
    await waitFor(() => names() === [ann.userId, ben.userId, cat.userId, dan.userId, eve.userId].sort().join(), { what: 'cat\'s list has dan and eve' });
    assert.equal(signIns, 1, 'without a new sign-in');
    for (const u of [ann, ben, cat, dan, eve]) await u.client.stop();
  });

  it('R137 a device that lost the last members frame of a burst notices when the digest comes again after it, with no further change', async () => {
    await using server = await startTestServer({ PARLEY_LARGE_CHAT_MEMBERS: '2', PARLEY_MEMBERS_SETTLE_MS: '500' });
    let membersFrames = 0;
    let signIns = 0;
    let settles = 0;
    const WebSocket = tappedWebSocket({
      heard(data) {
        const f = JSON.parse(data) as { type: string; added?: unknown[]; removed?: unknown[] };
        if (f.type === 'auth_ok') signIns++;
        if (f.type === 'members' && f.added?.length === 0 && f.removed?.length === 0) settles++;
      },
      // Dan's join is the burst's last (only) change, and its frame never reaches Cat's device.
      drop: (data) => (JSON.parse(data) as { type: string }).type === 'members' && membersFrames++ === 0,
    });
    const [ann, ben, dan] = await Promise.all([1, 2, 3].map(() => createUser(server.url)));
    const cat = await createUser(server.url, { client: { WebSocket } });
    if (!ann || !ben || !dan) throw new Error('users');
    const group = await ann.client.createGroup({ name: 'Building 11', memberIds: [ben.userId, cat.userId] });
    await waitFor(() => cat.client.chat(group.chatId)?.encryption === 'on', { what: 'cat in the group', timeoutMs: 20_000 });
    const names = () => (cat.client.chat(group.chatId)?.members ?? []).map((m) => m.userId).sort().join();

    await ann.client.addMember(group.chatId, dan.userId);
    await waitFor(() => names() === [ann.userId, ben.userId, cat.userId, dan.userId].sort().join(), { what: 'cat\'s list has dan, with no other change after his join' });
    assert.ok(membersFrames >= 2, 'the join\'s members frame was dropped, a later one came');
    assert.ok(settles >= 1, 'the digest came again in a frame that changes nothing');
    assert.equal(signIns, 1, 'without a new sign-in');
    for (const u of [ann, ben, cat, dan]) await u.client.stop();
  });

  it('R117 a group of at most PARLEY_LARGE_CHAT_MEMBERS hears a join as the whole summary, as before', async () => {
    await using server = await startTestServer({ PARLEY_LARGE_CHAT_MEMBERS: '3' });
    const cats = frameLog();
    const [ann, dan] = await Promise.all([1, 2].map(() => createUser(server.url)));
    const cat = await createUser(server.url, { client: { WebSocket: cats.WebSocket } });
    if (!ann || !dan) throw new Error('users');
    const group = await ann.client.createGroup({ name: 'Entrance 2', memberIds: [cat.userId] });
    await waitFor(() => cat.client.chat(group.chatId) !== undefined, { what: 'cat sees the group' });
    const summariesBefore = cats.count('chat', group.chatId);
    await ann.client.addMember(group.chatId, dan.userId);
    await waitFor(() => cat.client.chat(group.chatId)?.members.some((m) => m.userId === dan.userId) === true, { what: 'cat sees dan join' });
    assert.equal(cats.count('members', group.chatId), 0);
    assert.ok(cats.count('chat', group.chatId) > summariesBefore);
    for (const u of [ann, cat, dan]) await u.client.stop();
  });

  it('R117 a large community tells no one of a join or leave; its chats\' members frames say who', async () => {
    await using server = await startTestServer({ PARLEY_LARGE_CHAT_MEMBERS: '2', PARLEY_MEMBERS_SETTLE_MS: '0' }); // counts frames: no R137 repeats
    const cats = frameLog();
    const [ann, ben, dan] = await Promise.all([1, 2, 3].map(() => createUser(server.url)));
    const cat = await createUser(server.url, { client: { WebSocket: cats.WebSocket } });
    if (!ann || !ben || !dan) throw new Error('users');
    const community = await ann.client.communities.create({ name: 'Lenina 12' });
    const { token } = await ann.client.communities.createInvite(community.communityId);
    for (const u of [ben, cat]) await u.client.communities.joinInvite(token);
    const announcements = community.announcementsChatId;
    await waitFor(() => cat.client.chat(announcements)?.members.length === 3, { what: 'cat sees three in the announcements chat' });
    const changedBefore = cats.count('community_changed');
    await dan.client.communities.joinInvite(token);
    await waitFor(() => cat.client.chat(announcements)?.members.some((m) => m.userId === dan.userId) === true, { what: 'cat sees dan join' });
    await dan.client.communities.leave(community.communityId);
    await waitFor(() => cat.client.chat(announcements)?.members.every((m) => m.userId !== dan.userId) === true, { what: 'cat sees dan leave' });
    assert.equal(cats.count('members', announcements), 2);
    assert.equal(cats.count('community_changed'), changedBefore, 'no community_changed for a join or leave');
    assert.equal((await cat.client.communities.get(community.communityId)).memberCount, 3, 'the count is right when read');
    for (const u of [ann, ben, cat, dan]) await u.client.stop();
  });
});
