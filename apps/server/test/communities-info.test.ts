import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/client';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { leaks, serverBytes } from './server-bytes.ts';

/** R79: a community's description travels end-to-end encrypted with its name, newcomers included. */

const GROUP_FORMED = 60_000; // R152: a join holds the chats until the joiner's proof arrives

describe('community description and directory (R79)', () => {
  it('R79 the description goes encrypted into the announcements chat; a newcomer reads it once added; a change reaches members without a rename line; the server never has it', async () => {
    await using server = await startTestServer();
    const [ann, ben] = await Promise.all(['Ann', 'Ben'].map((displayName) => createUser(server.url, { displayName })));
    if (!ann || !ben) throw new Error('users');
    const community = await ann.client.communities.create({ name: 'Lenina 12', description: '  Residents of Lenina 12, entrances 1-4  ' });
    assert.equal(ann.client.communities.description(community), 'Residents of Lenina 12, entrances 1-4');

    const { token } = await ann.client.communities.createInvite(community.communityId);
    await ben.client.communities.joinInvite(token);
    // Ben can't read what was sent before his devices were in the group: Ann's device announces name and description again after the add.
    await waitFor(() => ben.client.communities.description(community) === 'Residents of Lenina 12, entrances 1-4',
      { what: 'Ben reads the description', timeoutMs: GROUP_FORMED });
    assert.equal((await ben.client.communities.get(community.communityId)).name, 'Lenina 12');

    await ann.client.communities.update(community.communityId, { description: 'Entrances 1-4; the board meets on Mondays' });
    await waitFor(() => ben.client.communities.description(community) === 'Entrances 1-4; the board meets on Mondays',
      { what: 'Ben reads the new description', timeoutMs: GROUP_FORMED });
    assert.equal((await ben.client.communities.get(community.communityId)).name, 'Lenina 12', 'the name is kept');
    const lines = ben.client.timeline(community.announcementsChatId).filter((i) => i.system?.kind === 'renamed');
    assert.deepEqual(lines, [], 'a description change is not a rename');

    // A rename without a description keeps it; '' clears it.
    await ann.client.communities.update(community.communityId, { name: 'Lenina 12 residents' });
    await waitFor(() => ben.client.chat(community.announcementsChatId)?.title === 'Lenina 12 residents', { what: 'Ben reads the new name', timeoutMs: GROUP_FORMED });
    assert.equal(ben.client.communities.description(community), 'Entrances 1-4; the board meets on Mondays');
    await ann.client.communities.update(community.communityId, { description: '' });
    await waitFor(() => ben.client.communities.description(community) === undefined, { what: 'the description cleared', timeoutMs: GROUP_FORMED });

    // The server keeps '' for the name (R66) and has no description: neither is anywhere in what it wrote.
    assert.equal((await ann.client.getChat(community.announcementsChatId)).name, '');
    const everything = serverBytes(server.dataDir);
    assert.ok(leaks(everything, new TextEncoder().encode(community.communityId)), 'the scan finds what is there');
    for (const s of ['Residents of Lenina 12', 'the board meets on Mondays']) assert.ok(!leaks(everything, new TextEncoder().encode(s)), `plaintext on the server: ${s}`);
    for (const u of [ann, ben]) await u.client.stop();
  });

  it('R79 a description longer than 500 characters is refused on this device (bad_request), before anything is sent', async () => {
    await using server = await startTestServer();
    const ann = await createUser(server.url, { displayName: 'Ann' });
    const community = await ann.client.communities.create({ name: 'Lenina 12' });
    await assert.rejects(ann.client.communities.update(community.communityId, { description: 'x'.repeat(501) }), (e: unknown) => e instanceof ParleyError && e.code === 'bad_request');
    assert.equal(ann.client.communities.description(community), undefined);
    await ann.client.stop();
  });
  it('R79 members read the names of open chats they are not in from the directory in announcements; a closed chat is not named there', async () => {
    await using server = await startTestServer();
    const [ann, ben, cat] = await Promise.all(['Ann', 'Ben', 'Cat'].map((displayName) => createUser(server.url, { displayName })));
    if (!ann || !ben || !cat) throw new Error('users');
    const community = await ann.client.communities.create({ name: 'Lenina 12' });
    const c = community.communityId;
    const { token } = await ann.client.communities.createInvite(c);
    for (const u of [ben, cat]) await u.client.communities.joinInvite(token);
    await ann.client.communities.setMember(c, cat.userId, { role: 'admin', rights: ['manageChats'] });
    const entrance = await ann.client.communities.createChat(c, { name: 'Entrance 2', open: true });
    const board = await ann.client.communities.createChat(c, { name: 'Board', open: false });
    const nameFor = async (u: typeof ben, chatId: string) => (await u.client.communities.chats(c)).find((x) => x.chatId === chatId)?.name;

    await waitFor(async () => (await nameFor(ben, entrance.chatId)) === 'Entrance 2', { what: 'Ben reads the name of a topic he is not in', timeoutMs: GROUP_FORMED });
    assert.equal((await ben.client.communities.chats(c)).find((x) => x.chatId === entrance.chatId)?.joined, false);
    // Cat manages chats, so the server lists Board to her; its name was never put where she could read it.
    await waitFor(async () => (await nameFor(cat, entrance.chatId)) === 'Entrance 2', { what: 'Cat reads the directory', timeoutMs: GROUP_FORMED });
    assert.equal(await nameFor(cat, board.chatId), '');

    // Renamed and opened: the directory follows.
    await ann.client.communities.renameChat(c, entrance.chatId, 'Entrance 2 (east)');
    await ann.client.communities.setChatOpen(c, board.chatId, true);
    await waitFor(async () => (await nameFor(ben, entrance.chatId)) === 'Entrance 2 (east)' && (await nameFor(ben, board.chatId)) === 'Board',
      { what: 'Ben reads the new names', timeoutMs: GROUP_FORMED });
    for (const u of [ann, ben, cat]) await u.client.stop();
  });
});
