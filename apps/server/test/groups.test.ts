import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUser, startTestServer, waitFor, rejectsWithCode as rejects } from '@parley/testing';

describe('groups', () => {
  it('a group of three chats; members are added, removed, renamed, and leave', async () => {
    await using server = await startTestServer();
    const [ann, ben, cat, dan] = await Promise.all([1, 2, 3, 4].map(() => createUser(server.url)));
    if (!ann || !ben || !cat || !dan) throw new Error('users');
    const group = await ann.client.createGroup({ name: 'Building 7', memberIds: [ben.userId, cat.userId] });
    assert.equal(group.members.find((m) => m.userId === ann.userId)?.role, 'owner');
    await waitFor(() => ben.client.chat(group.chatId) !== undefined && cat.client.chat(group.chatId) !== undefined, { what: 'members see the group' });

    await ben.client.sendText(group.chatId, 'Water is off tomorrow 9-12');
    await waitFor(() => [ann, cat].every((u) => u.client.timeline(group.chatId).some((i) => i.text.startsWith('Water'))), { what: 'fan-out' });

    await ann.client.renameChat(group.chatId, 'Building 7, entrance 2');
    await waitFor(() => cat.client.chat(group.chatId)?.title === 'Building 7, entrance 2', { what: 'rename seen' });

    await ann.client.addMember(group.chatId, dan.userId);
    await waitFor(() => dan.client.chat(group.chatId) !== undefined, { what: 'dan added' });
    // End-to-end encrypted: what was sent before Dan joined is not readable on his device (no history
    // was shared with him); what is sent after is.
    await waitFor(() => dan.client.chat(group.chatId)?.encryption === 'on', { what: 'dan in the encryption group', timeoutMs: 20_000 });
    assert.ok(!dan.client.timeline(group.chatId).some((i) => i.text.startsWith('Water')));
    await cat.client.sendText(group.chatId, 'Welcome, Dan');
    await waitFor(() => dan.client.timeline(group.chatId).some((i) => i.text === 'Welcome, Dan'), { what: 'dan reads what comes after' });

    // Members can't remove others; admins can remove members; nobody removes the owner.
    await rejects(cat.client.removeMember(group.chatId, dan.userId), 'forbidden');
    await ann.client.setRole(group.chatId, ben.userId, 'admin');
    await rejects(ben.client.removeMember(group.chatId, ann.userId), 'forbidden');
    await ben.client.removeMember(group.chatId, dan.userId);
    await waitFor(() => dan.client.chat(group.chatId) === undefined, { what: 'dan removed' });
    await rejects(dan.client.sendText(group.chatId, 'still here?'), 'not_member');

    await cat.client.leaveChat(group.chatId);
    await waitFor(() => ann.client.chat(group.chatId)?.members.length === 2, { what: 'cat left' });
    const kinds = () => ann.client.timeline(group.chatId).flatMap((i) => (i.system ? [i.system.kind] : []));
    await waitFor(() => kinds().includes('member_left'), { what: 'the leave in the log' });
    // 'renamed' is the end-to-end encrypted rename (a chat_info content), in the log where Ann sent it.
    assert.deepEqual(kinds(), ['created', 'renamed', 'member_added', 'role_changed', 'member_removed', 'member_left']);

    // The owner leaves: the group passes to the admin.
    await ann.client.leaveChat(group.chatId);
    await waitFor(() => ben.client.chat(group.chatId)?.members.find((m) => m.userId === ben.userId)?.role === 'owner', { what: 'ownership passed' });
    for (const u of [ann, ben, cat, dan]) await u.client.stop();
  });

  it('invite links let people join; an unknown token is invite_invalid', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const guest = await createUser(server.url);
    const group = await owner.client.createGroup({ name: 'School 5B parents', memberIds: [] });
    const { token } = await owner.client.createInvite(group.chatId);
    const preview = await guest.client.previewInvite(token);
    // The name is end-to-end encrypted: the server, and so a preview for someone not yet in, doesn't have it.
    assert.deepEqual([preview.name, preview.memberCount], ['', 1]);
    await guest.client.joinInvite(token);
    await waitFor(() => guest.client.chat(group.chatId) !== undefined);
    await waitFor(() => owner.client.chat(group.chatId)?.members.length === 2);
    await rejects(guest.client.joinInvite('nonexistent_token_123'), 'invite_invalid');
    await owner.client.stop();
    await guest.client.stop();
  });

  it('group size is limited by config', async () => {
    await using server = await startTestServer({ PARLEY_MAX_GROUP_MEMBERS: '3' });
    const users = await Promise.all([1, 2, 3, 4].map(() => createUser(server.url, { start: false })));
    const [a, b, c, d] = users;
    if (!a || !b || !c || !d) throw new Error('users');
    await a.client.start();
    await rejects(a.client.createGroup({ name: 'big', memberIds: [b.userId, c.userId, d.userId] }), 'group_full');
    const g = await a.client.createGroup({ name: 'ok', memberIds: [b.userId, c.userId] });
    await rejects(a.client.addMember(g.chatId, d.userId), 'group_full');
    await a.client.stop();
  });
});
