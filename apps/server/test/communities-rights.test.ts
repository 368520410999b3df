import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUser, startTestServer, waitFor } from '@parley/testing';

/** R69/R70: a change of an admin's rights alone reaches their devices' chat summaries (what the web client's composer follows). */

describe('community rights and the announcements summary (R69)', () => {
  it('R69 taking postAnnouncements from an admin (role unchanged) turns their mayPost off at once, and giving it back on', async () => {
    await using server = await startTestServer();
    const [ann, ben] = await Promise.all(['Ann', 'Ben'].map((displayName) => createUser(server.url, { displayName })));
    if (!ann || !ben) throw new Error('users');
    const community = await ann.client.communities.create({ name: 'Lenina 12' });
    const c = community.communityId;
    const { token } = await ann.client.communities.createInvite(c);
    await ben.client.communities.joinInvite(token);
    const mayPost = () => ben.client.chat(community.announcementsChatId)?.community?.mayPost;
    assert.equal(mayPost(), false);

    await ann.client.communities.setMember(c, ben.userId, { role: 'admin', rights: ['postAnnouncements', 'pin'] });
    await waitFor(() => mayPost() === true, { what: 'made an admin who may post', timeoutMs: 10_000 });
    await ann.client.communities.setMember(c, ben.userId, { rights: ['pin'] });
    await waitFor(() => mayPost() === false, { what: 'the right taken, the role kept', timeoutMs: 10_000 });
    assert.equal((await ben.client.communities.get(c)).me.role, 'admin');
    await ann.client.communities.setMember(c, ben.userId, { rights: ['pin', 'postAnnouncements'] });
    await waitFor(() => mayPost() === true, { what: 'the right given back', timeoutMs: 10_000 });
    for (const u of [ann, ben]) await u.client.stop();
  });
});
