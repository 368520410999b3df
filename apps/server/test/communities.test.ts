import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ParleyClient } from '@parley/client';
import { createUser, newClient, startTestServer, waitFor, type TestUser, rejectsWithCode as rejects } from '@parley/testing';

/** Communities (docs/PROTOCOL.md R66-R75) through the real server and SDK, end-to-end encrypted. */

const inGroup = (client: ParleyClient, chatId: string) => client.encryptionMembers(chatId).then((ms) => ms.map((m) => m.userId));
const texts = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system).map((i) => i.text);
const GROUP_FORMED = 30_000;

/** A community of `owner` that the others joined through an invite. */
async function communityWith(owner: TestUser, others: TestUser[], name = 'Lenina 12') {
  const community = await owner.client.communities.create({ name });
  const { token } = await owner.client.communities.createInvite(community.communityId);
  for (const u of others) await u.client.communities.joinInvite(token);
  return community;
}

describe('communities (R66-R75)', () => {
  it('R66 R68 the owner gets announcements and general; a newcomer joins by invite, sees open chats only, joins a topic with one tap and talks there end to end', async () => {
    await using server = await startTestServer();
    const [ann, ben] = await Promise.all(['Ann', 'Ben'].map((displayName) => createUser(server.url, { displayName })));
    if (!ann || !ben) throw new Error('users');
    const community = await ann.client.communities.create({ name: 'Lenina 12' });
    assert.equal(community.me.role, 'owner');
    assert.equal(community.name, 'Lenina 12');
    const own = await ann.client.communities.chats(community.communityId);
    assert.deepEqual(own.map((c) => [c.kind, c.joined, c.name]), [['announcements', true, 'Lenina 12'], ['general', true, 'General']]);
    // The server never had the names: they went into the chats encrypted.
    assert.equal((await ann.client.getChat(community.announcementsChatId)).name, '');
    assert.equal((await ann.client.communities.get(community.communityId)).name, 'Lenina 12');

    const entrance = await ann.client.communities.createChat(community.communityId, { name: 'Entrance 2', open: true });
    const board = await ann.client.communities.createChat(community.communityId, { name: 'Board', open: false });
    const { token } = await ann.client.communities.createInvite(community.communityId, { maxUses: 5 });
    assert.equal((await ben.client.communities.previewInvite(token)).memberCount, 1);
    const joined = await ben.client.communities.joinInvite(token);
    assert.deepEqual([joined.me.role, joined.memberCount], ['member', 2]);

    const seen = await ben.client.communities.chats(community.communityId);
    assert.deepEqual(seen.map((c) => [c.kind, c.joined]), [['announcements', true], ['general', true], ['topic', false]]);
    assert.ok(!seen.some((c) => c.chatId === board.chatId), 'a closed chat is not even listed');
    await rejects(ben.client.communities.joinChat(community.communityId, board.chatId), 'not_found');

    // One tap: a member's device (Ann's) adds Ben's devices to the chat's group, as for an invite-link join.
    await ben.client.communities.joinChat(community.communityId, entrance.chatId);
    await waitFor(async () => (await inGroup(ann.client, entrance.chatId)).includes(ben.userId), { what: "Ben's device added to the topic's group", timeoutMs: GROUP_FORMED });
    await waitFor(() => ben.client.chat(entrance.chatId)?.title === 'Entrance 2', { what: 'Ben reads the topic name', timeoutMs: GROUP_FORMED });
    await ben.client.sendText(entrance.chatId, 'The lift is broken again');
    await waitFor(() => texts(ann.client, entrance.chatId).includes('The lift is broken again'), { what: "Ann reads Ben's message", timeoutMs: GROUP_FORMED });
    await ann.client.sendText(entrance.chatId, 'Called the service');
    await waitFor(() => texts(ben.client, entrance.chatId).includes('Called the service'), { what: "Ben reads Ann's reply", timeoutMs: GROUP_FORMED });
    // Ben also reads the community's name from the announcements chat, never from the server.
    await waitFor(async () => (await ben.client.communities.get(community.communityId)).name === 'Lenina 12', { what: 'Ben reads the community name', timeoutMs: GROUP_FORMED });
    for (const u of [ann, ben]) await u.client.stop();
  });

  it('R68 a one-tap join while no member is online: the joiner\'s device starts the chat\'s group again itself, and the members read what it wrote when they come back', async () => {
    await using server = await startTestServer();
    const tweaks = { mls: { enabled: true, restartAfterWaitingMs: 2000 } };
    const [ann, ben] = await Promise.all(['Ann', 'Ben'].map((displayName) => createUser(server.url, { displayName, client: tweaks })));
    if (!ann || !ben) throw new Error('users');
    const community = await communityWith(ann, [ben]);
    const topic = await ann.client.communities.createChat(community.communityId, { name: 'Garden', open: true });
    await waitFor(() => ann.client.outbox().length === 0, { what: "Ann's chat names sent", timeoutMs: GROUP_FORMED });
    await ann.client.stop();

    await ben.client.communities.joinChat(community.communityId, topic.chatId);
    await ben.client.sendText(topic.chatId, 'Who has the key to the shed?');
    // Nobody can add Ben: after asking (R29) and waiting, his device starts the group again (R36).
    await waitFor(async () => (await ben.client.encryptionMembers(topic.chatId)).length > 0 && ben.client.outbox().length === 0,
      { what: "Ben's device restarted the group and sent", timeoutMs: 60_000 });
    const back = newClient(server.url, ann.userId, ann.deviceId, ann.deviceKey, ann.store, undefined, tweaks);
    await back.start();
    await waitFor(() => texts(back, topic.chatId).includes('Who has the key to the shed?'), { what: "Ann reads Ben's message after coming back", timeoutMs: GROUP_FORMED });
    await back.stop();
    await ben.client.stop();
  });

  it('R69 a member without postAnnouncements cannot post in announcements (announcements_only); an admin given the right can, and everyone reads it', async () => {
    await using server = await startTestServer();
    const [ann, ben, cat] = await Promise.all(['Ann', 'Ben', 'Cat'].map((displayName) => createUser(server.url, { displayName })));
    if (!ann || !ben || !cat) throw new Error('users');
    const community = await communityWith(ann, [ben, cat]);
    const ann_ = community.announcementsChatId;
    await waitFor(async () => (await inGroup(ann.client, ann_)).length === 3, { what: 'announcements group of three', timeoutMs: GROUP_FORMED });
    assert.equal(cat.client.chat(ann_)?.community?.mayPost, false);

    const id = await cat.client.sendText(ann_, 'Party on the roof!');
    await waitFor(() => cat.client.outbox().some((o) => o.clientMsgId === id && o.failedCode === 'announcements_only'), { what: "Cat's post refused", timeoutMs: GROUP_FORMED });
    assert.equal(cat.client.timeline(ann_).find((i) => i.id === id)?.state, 'failed');

    await ann.client.communities.setMember(community.communityId, ben.userId, { role: 'admin', rights: ['postAnnouncements'] });
    await waitFor(() => ben.client.chat(ann_)?.community?.mayPost === true, { what: "Ben's summary says he may post", timeoutMs: 10_000 });
    await ben.client.sendText(ann_, 'Water off on Monday 10-14');
    await waitFor(() => texts(cat.client, ann_).includes('Water off on Monday 10-14'), { what: 'Cat reads the announcement', timeoutMs: GROUP_FORMED });
    assert.ok(!texts(ann.client, ann_).includes('Party on the roof!'));
    // Nothing of Cat's device's own (key-log heads, resend asks) stays queued for a chat she can't post in
    // (R152: her proof of the invite link goes out, as a vote does).
    await waitFor(() => cat.client.outbox().length === 1, { what: 'only the refused post left in Cat\'s outbox', timeoutMs: GROUP_FORMED });
    assert.deepEqual(cat.client.outbox().map((o) => o.clientMsgId), [id]);
    // Cat can still talk in general.
    await cat.client.sendText((await cat.client.communities.chats(community.communityId))[1]!.chatId, 'Thanks!');
    for (const u of [ann, ben, cat]) await u.client.stop();
  });

  it('R70 rights are the owner\'s to give: an admin raises neither themselves nor others; R67 community chats are not changed through the chat routes', async () => {
    await using server = await startTestServer();
    // Ann and Ben make invite links: their devices state each link's key in the chat (R152), so they are online.
    const [ann, ben, cat] = await Promise.all([1, 2, 3].map((n) => createUser(server.url, { start: n < 3 })));
    if (!ann || !ben || !cat) throw new Error('users');
    const community = await communityWith(ann, [ben, cat]);
    const c = community.communityId;
    await ann.client.communities.setMember(c, ben.userId, { role: 'admin', rights: ['invite'] });
    await rejects(ben.client.communities.setMember(c, ben.userId, { rights: ['invite', 'ban', 'manageChats'] }), 'forbidden');
    await rejects(ben.client.communities.setMember(c, cat.userId, { role: 'admin' }), 'forbidden');
    await rejects(ben.client.communities.transfer(c, ben.userId, 'member'), 'forbidden');
    await rejects(ben.client.communities.createChat(c, { name: 'x', open: true }), 'forbidden');
    await rejects(ben.client.communities.ban(c, cat.userId), 'forbidden');
    assert.deepEqual((await ben.client.communities.get(c)).me.rights, ['invite']);
    // He can do what his right allows.
    await ben.client.communities.createInvite(c);
    // The chat-level routes (R10, R42) are closed for community chats, whatever the chat role.
    await rejects(ann.client.addMember(community.announcementsChatId, cat.userId), 'forbidden');
    await rejects(ann.client.createInvite(community.announcementsChatId), 'forbidden');
    await rejects(ben.client.leaveChat(community.announcementsChatId), 'forbidden');
    // A label needs school role labels.
    await rejects(ann.client.communities.setMember(c, cat.userId, { label: 'student' }), 'bad_request');
    for (const u of [ann, ben]) await u.client.stop();
  });

  it('R70 a handover ends the old owner\'s rights at once and every member sees it in the announcements chat; R138 the new owner\'s signed word counts', async () => {
    await using server = await startTestServer();
    const [ann, ben, cat] = await Promise.all(['Ann', 'Ben', 'Cat'].map((displayName) => createUser(server.url, { displayName })));
    if (!ann || !ben || !cat) throw new Error('users');
    const community = await communityWith(ann, [ben, cat]);
    const c = community.communityId;
    const heard: string[] = [];
    cat.client.on('community', (e) => heard.push(e.communityId));

    const after = await ann.client.communities.transfer(c, ben.userId, 'member');
    assert.deepEqual([after.owner, after.me.role, after.me.rights], [ben.userId, 'member', []]);
    await rejects(ann.client.communities.createChat(c, { name: 'mine', open: true }), 'forbidden');
    await rejects(ann.client.communities.createInvite(c), 'forbidden');
    await rejects(ann.client.communities.transfer(c, ann.userId, 'member'), 'forbidden');
    assert.equal((await ben.client.communities.get(c)).me.role, 'owner');
    await ben.client.communities.createChat(c, { name: 'Management', open: false });

    const roles = (client: ParleyClient) => client.timeline(community.announcementsChatId).flatMap((i) => i.system?.kind === 'role_changed' ? [`${i.system.userId}:${i.system.role}`] : []);
    await waitFor(() => [ann, ben, cat].every((u) => roles(u.client).includes(`${ben.userId}:owner`) && roles(u.client).includes(`${ann.userId}:member`)),
      { what: 'everyone sees the handover in announcements', timeoutMs: 10_000 });
    await waitFor(() => heard.includes(c), { what: 'Cat heard the community change' });
    const members = await cat.client.communities.members(c);
    assert.deepEqual(members.map((m) => [m.userId, m.role]), [[ann.userId, 'member'], [ben.userId, 'owner'], [cat.userId, 'member']]);
    await waitFor(() => ann.client.chat(community.announcementsChatId)?.community?.mayPost === false, { what: "Ann's summary: she may no longer post", timeoutMs: 10_000 });
    // R138: Ann's device signed the handover before she lost the right to post there, so Ben's own
    // statement (making Cat an admin) counts on every device and the server's standing agrees with it.
    await ben.client.communities.setMember(c, cat.userId, { role: 'admin', rights: ['pin'] });
    const ann2 = community.announcementsChatId;
    for (const u of [ann, cat]) {
      await waitFor(() => u.client.timeline(ann2).some((i) => i.system?.kind === 'moderation' && i.system.userId === cat.userId && i.unconfirmed === undefined)
        && u.client.chat(ann2)?.community?.moderators?.some((m) => m.userId === cat.userId) === true && u.client.communities.rightsDisputes(ann2).length === 0,
      { what: `${u.displayName}'s device follows Ben's signed word`, timeoutMs: 30_000 });
      const refused: string[] = u.client.timeline(ann2).filter((i) => i.notice === 'rights_not_signed').map((i) => `${i.senderUserId === ann.userId ? 'ann' : i.senderUserId === ben.userId ? 'ben' : 'other'}@${i.seq}`);
      assert.deepEqual(refused, [], `${u.displayName}: no statement refused (log: ${u.client.timeline(ann2).map((i) => `${i.seq}:${i.system?.kind ?? i.notice ?? 'x'}`).join(' ')})`);
    }
    for (const u of [ann, ben, cat]) await u.client.stop();
  });

  it('R71 a ban takes the member out of every chat of the community and keeps them out; R75 they see nothing of it any more', async () => {
    await using server = await startTestServer();
    const [ann, ben, cat] = await Promise.all(['Ann', 'Ben', 'Cat'].map((displayName) => createUser(server.url, { displayName })));
    if (!ann || !ben || !cat) throw new Error('users');
    const community = await communityWith(ann, [ben, cat]);
    const c = community.communityId;
    const topic = await ann.client.communities.createChat(c, { name: 'Parking', open: true });
    await cat.client.communities.joinChat(c, topic.chatId);
    const catsChats = (await cat.client.communities.chats(c)).filter((x) => x.joined).map((x) => x.chatId);
    assert.equal(catsChats.length, 3);
    await ann.client.communities.setMember(c, ben.userId, { role: 'admin', rights: ['ban'] });
    const removed: string[] = [];
    cat.client.on('community', (e) => { if (e.removed) removed.push(e.communityId); });

    await ben.client.communities.ban(c, cat.userId);
    for (const chatId of catsChats) {
      assert.ok(!(await ann.client.getChat(chatId)).members.some((m) => m.userId === cat.userId), `Cat is out of ${chatId}`);
      await waitFor(async () => !(await inGroup(ann.client, chatId)).includes(cat.userId), { what: "Cat's leaves removed", timeoutMs: GROUP_FORMED });
    }
    await waitFor(() => removed.includes(c) && catsChats.every((id) => cat.client.chat(id) === undefined), { what: 'Cat told and her chats gone' });
    const { token } = await ann.client.communities.createInvite(c);
    await rejects(cat.client.communities.joinInvite(token), 'community_banned');
    await rejects(cat.client.communities.get(c), 'not_found');
    // An admin can't ban someone of equal rank, and Ben can't ban the owner.
    await rejects(ben.client.communities.ban(c, ann.userId), 'forbidden');
    await ann.client.communities.unban(c, cat.userId);
    await cat.client.communities.joinInvite(token);
    assert.equal((await cat.client.communities.get(c)).memberCount, 3);
    for (const u of [ann, ben, cat]) await u.client.stop();
  });

  it('R75 a non-member gets not_found from every community route, as for an id that does not exist', async () => {
    await using server = await startTestServer();
    const [ann, eve] = await Promise.all([1, 2].map(() => createUser(server.url, { start: false })));
    if (!ann || !eve) throw new Error('users');
    const community = await ann.client.communities.create({ name: 'Secret club' });
    const c = community.communityId;
    const [chat] = await ann.client.communities.chats(c);
    if (!chat) throw new Error('chats');
    const e = eve.client.communities;
    for (const id of [c, 'comm_does_not_exist']) {
      for (const attempt of [
        () => e.get(id), () => e.update(id, { settings: { studentsMayDm: true } }), () => e.chats(id), () => e.createChat(id, { name: 'x', open: true }),
        () => e.joinChat(id, chat.chatId), () => e.addToChat(id, chat.chatId, eve.userId), () => e.setChatOpen(id, chat.chatId, true),
        () => e.deleteChat(id, chat.chatId), () => e.members(id), () => e.setMember(id, ann.userId, { role: 'member' }),
        () => e.transfer(id, eve.userId, 'member'), () => e.leave(id), () => e.remove(id, ann.userId), () => e.ban(id, ann.userId),
        () => e.unban(id, ann.userId), () => e.createInvite(id),
      ]) await rejects(attempt(), 'not_found');
    }
    assert.deepEqual(await e.list(), []);
    await rejects(eve.client.getChat(chat.chatId), 'not_member');
  });

  it('R72 school labels: a student starts no direct chat with an adult of the community and sees no adult\'s handle, unless the community allows it', async () => {
    await using server = await startTestServer();
    const [ann, tom, sue] = await Promise.all(['Ann', 'Tom', 'Sue'].map((displayName) => createUser(server.url, { displayName, start: displayName === 'Ann' }))); // Ann's device states her link's key (R152)
    if (!ann || !tom || !sue) throw new Error('users');
    const community = await ann.client.communities.create({ name: '7B', settings: { roleLabels: 'school' } });
    const c = community.communityId;
    const { token } = await ann.client.communities.createInvite(c);
    await tom.client.communities.joinInvite(token);
    await sue.client.communities.joinInvite(token);
    await ann.client.communities.setMember(c, tom.userId, { label: 'teacher' });
    await ann.client.communities.setMember(c, sue.userId, { label: 'student' });

    await rejects(sue.client.openDirect(tom.userId), 'dm_not_allowed');
    await rejects(sue.client.openDirect(ann.userId), 'dm_not_allowed');
    const seenBySue = await sue.client.communities.members(c);
    assert.deepEqual(seenBySue.map((m) => [m.displayName, m.handle !== undefined, m.label ?? null]), [['Ann', false, null], ['Tom', false, 'teacher'], ['Sue', true, 'student']]);
    assert.ok((await tom.client.communities.members(c)).every((m) => m.handle !== undefined), 'adults see every handle');
    // Nor in the community's chats they share: the summaries Sue gets leave the adults' handles out.
    const handlesIn = async (who: typeof sue, chatId: string) => (await who.client.getChat(chatId)).members.map((m) => [m.displayName, m.handle !== undefined]).sort();
    const shared = [community.announcementsChatId, (await ann.client.communities.chats(c)).find((x) => x.kind === 'general')?.chatId ?? ''];
    for (const chatId of shared) {
      assert.deepEqual(await handlesIn(sue, chatId), [['Ann', false], ['Sue', true], ['Tom', false]]);
      assert.deepEqual(await handlesIn(tom, chatId), [['Ann', true], ['Sue', true], ['Tom', true]]);
    }
    // The teacher may write to the student (the rule is about students reaching adults).
    await tom.client.openDirect(sue.userId);

    await ann.client.communities.update(c, { settings: { studentsMayDm: true } });
    await sue.client.openDirect(ann.userId);
    assert.ok((await sue.client.communities.members(c)).every((m) => m.handle !== undefined));
    assert.deepEqual(await handlesIn(sue, shared[0] ?? ''), [['Ann', true], ['Sue', true], ['Tom', true]]);
    await ann.client.stop();
  });
  it('R181 a member who joins an open chat named before they joined sees its name: a wrapped channel\'s discussion (its subscribers are in no announcements chat), and a slow-mode topic whose only online member may not re-announce it', async () => {
    await using server = await startTestServer({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1' });
    const [ann, ben, cat, dan, zed] = await Promise.all(['Ann', 'Ben', 'Cat', 'Dan', 'Zed'].map((displayName) => createUser(server.url, { displayName })));
    if (!ann || !ben || !cat || !dan || !zed) throw new Error('users');
    // A private channel in wrapped mode (Zed's join takes it past the MLS size) with a comments chat made and named before Ben subscribed.
    const { communityId: id } = await ann.client.communities.create({ name: 'Pier talk', settings: { channel: true } });
    const comments = await ann.client.communities.createChat(id, { name: 'Comments', open: true });
    await ann.client.channels.linkDiscussion({ communityId: id }, comments.chatId);
    const { token } = await ann.client.communities.createInvite(id);
    for (const u of [zed, ben]) assert.equal((await u.client.communities.joinInvite(token)).settings.wrapped, true);
    await ben.client.communities.joinChat(id, comments.chatId);
    await waitFor(() => ben.client.chat(comments.chatId)?.title === 'Comments', { what: 'Ben reads the discussion chat\'s name, not its members\' names', timeoutMs: GROUP_FORMED });
    // Ann's device sends there again (it held everything while it counted Ben as let in by no admin).
    await ann.client.sendText(comments.chatId, 'Welcome, Ben');
    await waitFor(() => texts(ben.client, comments.chatId).includes('Welcome, Ben'), { what: "Ben reads Ann's message", timeoutMs: GROUP_FORMED });
    assert.deepEqual(ann.client.communities.notAdmitted(comments.chatId), []);

    // An ordinary community: a slow-mode topic (R82) whose only online member, Cat, adds Dan's device and may not post its name again for him.
    const community = await communityWith(ann, [cat, dan], 'Lenina 12');
    const topic = await ann.client.communities.createChat(community.communityId, { name: 'Parking', open: true });
    await cat.client.communities.joinChat(community.communityId, topic.chatId);
    await waitFor(async () => (await inGroup(ann.client, topic.chatId)).includes(cat.userId), { what: "Cat's device in the topic's group", timeoutMs: GROUP_FORMED });
    await ann.client.communities.setSlowMode(community.communityId, topic.chatId, 60_000);
    await waitFor(() => ann.client.outbox().length === 0 && cat.client.chat(topic.chatId)?.community?.slowModeMs === 60_000, { what: 'slow mode on; the directory sent', timeoutMs: GROUP_FORMED });
    await waitFor(() => dan.client.communities.directory(community).some((e) => e.name === 'Parking'), { what: 'Dan reads the directory', timeoutMs: GROUP_FORMED });
    await ann.client.stop();
    await dan.client.communities.joinChat(community.communityId, topic.chatId);
    await waitFor(async () => (await inGroup(cat.client, topic.chatId)).includes(dan.userId), { what: "Cat's device adds Dan's", timeoutMs: GROUP_FORMED });
    await waitFor(() => dan.client.chat(topic.chatId)?.title === 'Parking', { what: 'Dan reads the topic\'s name', timeoutMs: GROUP_FORMED });
    for (const u of [ben, cat, dan, zed]) await u.client.stop();
  });
});
