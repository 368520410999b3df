import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeLog } from './axe.ts';
import { addAuthenticator, closeWebWorld, openWebWorld, personPage, phoneShot, screenshot, signUp } from './browser.ts';

/** Communities in the web client (docs/PROTOCOL.md R66-R75), in Debian's Chromium. */

const GROUP_MS = 60_000; // a newcomer's devices are added to each chat's encryption group by a member's device

const message = (page: Page, text: string) => page.getByTestId('message').filter({ hasText: text });
const chatRow = (page: Page, kind: 'announcements' | 'general' | 'topic') => page.locator(`[data-testid="community-chat"][data-kind="${kind}"]`);

async function send(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

describe('communities in the web client', { timeout: 300_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R66-R70 an owner makes "Building 12" with a topic and an invite; a neighbour joins by the link, reads announcements, talks in general, joins the topic with one tap, and posts once made an admin with postAnnouncements', async () => {
    const owner = await personPage(browser);
    const neighbour = await personPage(browser, { mobile: true });
    const olga = owner.page;
    const ben = neighbour.page;
    const { found, axe } = axeLog();
    await signUp(olga, url, 'Olga Owner', uniqueHandle('olga'));

    // R66: create; the name goes end-to-end encrypted as the announcements chat's chat_info.
    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New community' }).click();
    await olga.getByLabel('Community name').fill('Building 12');
    await olga.getByLabel('Description (optional)').fill('Residents of Lenina 12, entrances 1-4. <b>Be kind</b>');
    await screenshot(olga, 'community-01-new');
    await olga.getByRole('button', { name: 'Create' }).click();
    await olga.getByRole('heading', { name: 'Building 12' }).waitFor({ timeout: 30_000 });
    await olga.getByTestId('community-row').filter({ hasText: 'Building 12' }).waitFor();
    // R79: the description, as text (never HTML).
    assert.equal(await olga.getByTestId('community-description').textContent(), 'Residents of Lenina 12, entrances 1-4. <b>Be kind</b>');

    // R67: a topic chat, open to every member.
    await olga.getByLabel('New topic chat').fill('Entrance 2');
    await olga.getByTestId('new-topic').getByRole('button', { name: 'Create' }).click();
    await olga.getByRole('button', { name: 'Open Entrance 2' }).waitFor({ timeout: 30_000 });

    // R68: an invite link (one day, at most 30 uses) with its QR code.
    const invites = olga.getByTestId('community-invites');
    await invites.getByLabel('Link works for').selectOption({ label: '1 day' });
    await invites.getByLabel('Uses (empty: no limit)').fill('30');
    await invites.getByRole('button', { name: 'Create invite link' }).click();
    const link = (await invites.getByTestId('link').textContent()) ?? '';
    assert.match(link, /\/#\/community-join\/[^/]+\/Building%2012$/);
    await invites.getByTestId('qr').waitFor();
    assert.match((await invites.getByTestId('community-invite-terms').textContent()) ?? '', /at most 30 uses/);
    await screenshot(olga, 'community-02-owner-panel');
    await axe(olga, 'community-02-owner-panel');
    await invites.scrollIntoViewIfNeeded();
    await screenshot(olga, 'community-03-invite-qr');
    await phoneShot(olga, 'community-04-owner-panel-phone');

    // The neighbour opens the link: a preview (name, member count), then Join.
    await signUp(ben, url, 'Ben Neighbour', uniqueHandle('ben'));
    await ben.goto(link);
    const preview = ben.getByTestId('community-invite-preview');
    await preview.waitFor({ timeout: 20_000 });
    assert.match((await preview.textContent()) ?? '', /Building 12.*1 member/);
    await screenshot(ben, 'community-05-invite-preview-phone');
    await axe(ben, 'community-05-invite-preview-phone');
    await preview.getByRole('button', { name: 'Join community' }).click();
    await chatRow(ben, 'general').waitFor({ timeout: 30_000 });
    assert.equal(await chatRow(ben, 'announcements').getByRole('button', { name: /^Open/ }).count(), 1, 'in announcements');
    assert.equal(await chatRow(ben, 'general').getByRole('button', { name: /^Open/ }).count(), 1, 'in general');
    // R79: the topic's name comes from the directory in announcements, once Ben's device is in that group.
    const topicJoin = chatRow(ben, 'topic').getByRole('button', { name: 'Join Entrance 2' });
    await topicJoin.waitFor({ timeout: GROUP_MS });
    assert.match((await chatRow(ben, 'topic').textContent()) ?? '', /Entrance 2.*Topic · 1 member/);
    await screenshot(ben, 'community-06-member-panel-phone');
    await axe(ben, 'community-06-member-panel-phone');

    // R69: announcements are read-only for a member: no composer, a line saying why.
    await chatRow(ben, 'announcements').getByRole('button', { name: /^Open/ }).click();
    await ben.getByTestId('read-only').waitFor();
    assert.equal(await ben.getByTestId('read-only').textContent(), 'Only admins can post here');
    assert.equal(await ben.getByLabel('Message', { exact: true }).count(), 0);
    // Olga's device adds Ben's to the group and announces the name again: the chat shows as "Building 12".
    await ben.getByRole('heading', { name: 'Building 12' }).waitFor({ timeout: GROUP_MS });
    await screenshot(ben, 'community-07-announcements-read-only-phone');
    await axe(ben, 'community-07-announcements-read-only-phone');

    // General: Ben writes, Olga reads. The community's description reached Ben with its name (R79).
    await ben.getByRole('button', { name: 'Community', exact: true }).click();
    await ben.getByTestId('community-description').filter({ hasText: 'Residents of Lenina 12, entrances 1-4.' }).waitFor({ timeout: GROUP_MS });
    await chatRow(ben, 'general').getByRole('button', { name: /^Open/ }).click();
    await send(ben, 'Hello neighbours, flat 14 here');
    await olga.getByTestId('chat-row').filter({ hasText: 'General' }).click();
    await message(olga, 'Hello neighbours, flat 14 here').waitFor({ timeout: GROUP_MS });
    await screenshot(olga, 'community-08-general-owner');
    await screenshot(ben, 'community-09-general-phone');

    // R68 one tap: Ben joins the topic and is in it.
    await ben.getByRole('button', { name: 'Community', exact: true }).click();
    await chatRow(ben, 'topic').getByRole('button', { name: 'Join Entrance 2' }).click();
    await ben.getByLabel('Message', { exact: true }).waitFor({ timeout: 30_000 });
    await ben.getByRole('heading', { name: 'Entrance 2' }).waitFor({ timeout: GROUP_MS });
    await olga.getByRole('button', { name: 'Community', exact: true }).click();
    await olga.waitForFunction(() => /2 members/.test(document.querySelector('[data-kind="topic"]')?.textContent ?? ''), undefined, { timeout: 30_000 });

    // R70: the owner makes Ben an admin with postAnnouncements.
    await olga.getByRole('button', { name: 'Members and roles' }).click();
    const benRow = olga.getByTestId('community-member').filter({ hasText: 'Ben Neighbour' });
    await benRow.getByRole('button', { name: 'Change role of Ben Neighbour' }).click();
    await benRow.getByRole('combobox', { name: 'Role' }).selectOption('admin');
    await benRow.getByLabel('Post in announcements').check();
    await screenshot(olga, 'community-10-member-editor');
    await axe(olga, 'community-10-member-editor');
    await benRow.getByRole('button', { name: 'Save' }).click();
    await benRow.filter({ hasText: 'admin · Post in announcements' }).waitFor({ timeout: 20_000 });
    assert.match((await olga.getByTestId('community-member').filter({ hasText: 'Olga Owner' }).textContent()) ?? '', /owner/);
    await screenshot(olga, 'community-11-members');
    await axe(olga, 'community-11-members');
    await phoneShot(olga, 'community-12-members-phone');

    // Ben may now post in announcements, and Olga reads it there.
    await ben.getByRole('button', { name: 'Community', exact: true }).click();
    await chatRow(ben, 'announcements').getByRole('button', { name: /^Open/ }).click();
    await ben.getByLabel('Message', { exact: true }).waitFor({ timeout: 30_000 });
    assert.equal(await ben.getByTestId('read-only').count(), 0);
    await send(ben, 'Water off on Monday 10-14');
    await olga.getByTestId('chat-row').filter({ hasText: 'Building 12' }).click();
    await message(olga, 'Water off on Monday 10-14').waitFor({ timeout: GROUP_MS });
    await screenshot(ben, 'community-13-announcements-admin-phone');
    await screenshot(olga, 'community-14-announcements-owner');

    // Issue 12: Olga's chat list groups the community's chats under it; a message in General adds to
    // the community's badge, which stays when its chats are folded away.
    const group = olga.getByTestId('community-group').filter({ hasText: 'Building 12' });
    await group.getByTestId('chat-row').filter({ hasText: 'General' }).waitFor();
    await group.getByTestId('chat-row').filter({ hasText: 'Entrance 2' }).waitFor();
    await ben.getByRole('button', { name: 'Community', exact: true }).click();
    await chatRow(ben, 'general').getByRole('button', { name: /^Open/ }).click();
    await send(ben, 'Lift repaired');
    await group.getByTestId('community-unread').filter({ hasText: /^1$/ }).waitFor({ timeout: GROUP_MS });
    await screenshot(olga, 'community-18-chat-list-grouped');
    await group.getByRole('button', { name: 'Chats of Building 12' }).click();
    assert.equal(await group.getByTestId('chat-row').count(), 0, 'folded: no chat rows under the community');
    assert.equal(await group.getByTestId('community-unread').textContent(), '1');
    assert.equal(await group.getByRole('button', { name: 'Chats of Building 12' }).getAttribute('aria-expanded'), 'false');
    await screenshot(olga, 'community-19-chat-list-folded');
    await axe(olga, 'community-19-chat-list-folded');
    await group.getByRole('button', { name: 'Chats of Building 12' }).click();
    await group.getByTestId('chat-row').filter({ hasText: 'General' }).waitFor();

    // R152/R155: Zed joins by the link's server part alone (its key cut off): no admin's word for him.
    // Olga's members page lists him with Admit; her signed admission ends his wait on his device too.
    const zedsCommunity = await zed.client.communities.joinInvite(decodeURIComponent(/community-join\/([^/]+)/.exec(link)?.[1] ?? '').split('.')[0] ?? '');
    assert.equal(zed.client.communities.awaitingAdmission(zedsCommunity.announcementsChatId), true, 'Zed\'s device knows he waits');
    await group.getByTestId('chat-row').filter({ hasText: 'General' }).click();
    await olga.getByRole('button', { name: 'Community', exact: true }).click();
    await olga.getByRole('button', { name: 'Members and roles' }).click();
    const waiting = olga.getByTestId('not-admitted');
    await waiting.getByTestId('not-admitted-member').filter({ hasText: 'Zed Zimmer' }).waitFor({ timeout: GROUP_MS });
    await screenshot(olga, 'community-20-not-admitted');
    await axe(olga, 'community-20-not-admitted');
    await waiting.getByRole('button', { name: 'Admit Zed Zimmer' }).click();
    await waiting.waitFor({ state: 'detached', timeout: 30_000 });
    await waitFor(() => !zed.client.communities.awaitingAdmission(zedsCommunity.announcementsChatId), { what: 'Zed\'s device reads Olga\'s admission', timeoutMs: GROUP_MS });
    assert.deepEqual(found, [], 'no serious or critical axe violations on the community screens');
    await owner.context.close();
    await neighbour.context.close();
  });
  it('R155 a member no admin admitted sees that they wait for one, until an admin admits them', async () => {
    const { page, context } = await personPage(browser, { mobile: true });
    const handle = uniqueHandle('rita');
    await signUp(page, url, 'Rita Waiting', handle);
    const rita = await zed.client.findUser(handle);
    const court = await zed.client.communities.create({ name: 'Wait Court' });
    const { token } = await zed.client.communities.createInvite(court.communityId);
    // The link cut short: its server part opens it, but nothing proves an admin gave it.
    await page.goto(`${url}/#/community-join/${token.split('.')[0] ?? ''}/Wait%20Court`);
    await page.getByRole('button', { name: 'Join community' }).click();
    const banner = page.getByTestId('awaiting-admission');
    await banner.waitFor({ timeout: 30_000 });
    assert.equal(await banner.textContent(), 'You are waiting for an admin to admit you. Until then members’ apps hold their messages to this community’s chats.');
    await screenshot(page, 'community-21-awaiting-admission-phone');
    await waitFor(() => zed.client.communities.notAdmitted(court.announcementsChatId).includes(rita.userId), { what: 'Zed\'s device finds no admin\'s word for Rita', timeoutMs: 30_000 });
    await zed.client.communities.admit(court.communityId, rita.userId);
    await banner.waitFor({ state: 'detached', timeout: GROUP_MS });
    assert.deepEqual(zed.client.communities.notAdmitted(court.announcementsChatId), []);
    await context.close();
  });
  it('R68 R71 a community link that does not work says why: a made-up token is invalid, and a banned person is told they were banned', async () => {
    const { page, context } = await personPage(browser, { mobile: true });
    const handle = uniqueHandle('cleo');
    await signUp(page, url, 'Cleo Banned', handle);
    const cleo = await zed.client.findUser(handle);
    const court = await zed.client.communities.create({ name: 'Quiet Court' });
    const { token } = await zed.client.communities.createInvite(court.communityId);
    await zed.client.communities.ban(court.communityId, cleo.userId);

    await page.goto(`${url}/#/community-join/${token}/Quiet%20Court`);
    await page.getByRole('alert').filter({ hasText: 'You were banned from this community.' }).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByRole('button', { name: 'Join community' }).count(), 0);
    await screenshot(page, 'community-15-banned-phone');

    await page.goto(`${url}/#/community-join/${'A'.repeat(24)}`);
    await page.getByRole('alert').filter({ hasText: 'This invite link is invalid or has expired.' }).waitFor({ timeout: 20_000 });
    await context.close();
  });
  it('R70 the owner hands the community over after a confirmation: the old owner becomes an admin with every right and can no longer act on the new owner', async () => {
    const { page, context } = await personPage(browser);
    await signUp(page, url, 'Hana Handover', uniqueHandle('hana'));
    await page.goto(`${url}/#/new-community`);
    await page.getByLabel('Community name').fill('Hand Street 3');
    await page.getByRole('button', { name: 'Create' }).click();
    const invites = page.getByTestId('community-invites');
    await invites.getByRole('button', { name: 'Create invite link' }).click();
    const link = (await invites.getByTestId('link').textContent()) ?? '';
    const token = decodeURIComponent(/community-join\/([^/]+)/.exec(link)?.[1] ?? '');
    const joined = await zed.client.communities.joinInvite(token);

    await page.getByRole('button', { name: 'Members and roles' }).click();
    const zedRow = page.getByTestId('community-member').filter({ hasText: 'Zed Zimmer' });
    await zedRow.getByRole('button', { name: 'Change role of Zed Zimmer' }).click();
    let asked = '';
    page.once('dialog', (d) => { asked = d.message(); void d.accept(); });
    await zedRow.getByRole('button', { name: 'Make owner…' }).click();
    await zedRow.filter({ hasText: 'owner' }).waitFor({ timeout: 20_000 });
    assert.match(asked, /Hand the community over to Zed Zimmer\?/);
    const hanaRow = page.getByTestId('community-member').filter({ hasText: 'Hana Handover' });
    await hanaRow.filter({ hasText: 'admin · Post in announcements, Delete messages, Remove and ban, Invite, Manage chats, Pin messages' }).waitFor();
    // No owner controls any more, and nothing to do to the new owner.
    assert.equal(await page.getByRole('button', { name: /^Change role of/ }).count(), 0);
    assert.equal(await zedRow.getByRole('button', { name: /^(Remove|Ban)/ }).count(), 0);
    assert.equal((await zed.client.communities.get(joined.communityId)).me.role, 'owner');
    await screenshot(page, 'community-16-after-handover');
    await context.close();
  });
  it('a join that takes a while does not pull Quin back: she opened Settings meanwhile and stays there, and the community\'s chats come into her list', async () => {
    // No service worker: the test holds the join's request on its way (page.route).
    const context = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1200, height: 760 }, locale: 'en-US' });
    const page = await context.newPage();
    await addAuthenticator(page);
    await signUp(page, url, 'Quin Quick', uniqueHandle('quin'));
    const lane = await zed.client.communities.create({ name: 'Slow Lane' });
    const { token } = await zed.client.communities.createInvite(lane.communityId);
    // A loaded server or a slow link: the join is answered only once Quin has moved on.
    let asked = (): void => undefined;
    let release = (): void => undefined;
    const joinAsked = new Promise<void>((resolve) => { asked = resolve; });
    const released = new Promise<void>((resolve) => { release = resolve; });
    await page.route('**/community-invites/*/join', async (route) => { asked(); await released; await route.continue(); });
    await page.goto(`${url}/#/community-join/${token}/Slow%20Lane`);
    await page.getByRole('button', { name: 'Join community' }).click();
    await joinAsked;
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    release();

    // Zed writes in both chats once her device is in their groups; her list shows both: her client
    // took the chats in (the join's last step, before it would go to the community's page).
    const chats = await zed.client.communities.chats(lane.communityId);
    assert.equal(chats.length, 2);
    await waitFor(async () => (await Promise.all(chats.map((c) => zed.client.encryptionMembers(c.chatId)))).every((m) => m.length === 2), { what: 'Quin\'s device in both groups', timeoutMs: GROUP_MS });
    for (const c of chats) await zed.client.sendText(c.chatId, `Hello from ${c.kind}`);
    for (const c of chats) await page.getByTestId('chat-row').filter({ hasText: `Hello from ${c.kind}` }).waitFor({ timeout: 30_000 });
    assert.match(page.url(), /#\/settings$/);
    await page.getByRole('heading', { name: 'Settings' }).waitFor({ timeout: 1000 });
    await screenshot(page, 'community-18-join-stays-put');
    await context.close();
  });
  it('R69 a post the server refuses (the right taken while it waited offline) says so, and the composer gives way to the read-only line', async () => {
    const { page, context } = await personPage(browser, { mobile: true });
    const handle = uniqueHandle('pia');
    await signUp(page, url, 'Pia Poster', handle);
    const pia = await zed.client.findUser(handle);
    const court = await zed.client.communities.create({ name: 'Late Court' });
    const { token } = await zed.client.communities.createInvite(court.communityId);
    await page.goto(`${url}/#/community-join/${token}/Late%20Court`);
    await page.getByRole('button', { name: 'Join community' }).click();
    // The click's join request may still be on its way: the owner acts once she is a member.
    await waitFor(async () => (await zed.client.communities.members(court.communityId)).some((m) => m.userId === pia.userId), { what: 'Pia joined', timeoutMs: 30_000 });
    await zed.client.communities.setMember(court.communityId, pia.userId, { role: 'admin', rights: ['postAnnouncements'] });
    await chatRow(page, 'announcements').getByRole('button', { name: /^Open/ }).click();
    await page.getByLabel('Message', { exact: true }).waitFor({ timeout: 30_000 });
    await page.getByRole('heading', { name: 'Late Court' }).waitFor({ timeout: GROUP_MS }); // her device is in the group

    await context.setOffline(true);
    await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor({ timeout: 5000 }); // at the browser's offline event, not at the next ping
    await send(page, 'Late notice');
    await zed.client.communities.setMember(court.communityId, pia.userId, { rights: [] });
    await context.setOffline(false);
    await page.getByTestId('announcements-refused').waitFor({ timeout: 30_000 });
    const refused = page.getByTestId('announcements-refused');
    assert.equal(await refused.textContent(), 'Only admins with the right can post in this announcements chat: your message was not sent.Try againDiscard');
    await page.getByTestId('read-only').waitFor({ timeout: 30_000 });
    assert.equal(await message(page, 'Late notice').getAttribute('data-state'), 'failed');
    await screenshot(page, 'community-17-post-refused-phone');
    // R176: Pia discards the refused post: it leaves her chat, and the error with it.
    await refused.getByRole('button', { name: 'Discard' }).click();
    await message(page, 'Late notice').waitFor({ state: 'detached', timeout: 15_000 });
    await refused.waitFor({ state: 'detached', timeout: 15_000 });
    await context.close();
  });
});

