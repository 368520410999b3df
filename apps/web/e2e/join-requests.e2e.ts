import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeLog } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** Join requests in the web client (docs/PROTOCOL.md R100-R101), in Debian's Chromium. */

const GROUP_MS = 60_000; // the newcomer's devices are added to each chat's encryption group by a member's device

const chatRow = (page: Page, kind: 'announcements' | 'general') => page.locator(`[data-testid="community-chat"][data-kind="${kind}"]`);

describe('join requests in the web client', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R100 R101 an owner makes a link that needs approval; a neighbour asks with a note and sees "request sent"; the owner approves from the Join requests card and the neighbour is in; another request is declined and its asker told', async () => {
    const owner = await personPage(browser);
    const neighbour = await personPage(browser, { mobile: true });
    const olga = owner.page;
    const ben = neighbour.page;
    const { found, axe } = axeLog();
    await signUp(olga, url, 'Olga Owner', uniqueHandle('olga'));
    await olga.goto(`${url}/#/new-community`);
    await olga.getByLabel('Community name').fill('Building 7');
    await olga.getByRole('button', { name: 'Create' }).click();
    await olga.getByRole('heading', { name: 'Building 7' }).waitFor({ timeout: 30_000 });

    // R100: the invite form's "needs approval" toggle.
    const invites = olga.getByTestId('community-invites');
    await invites.getByLabel('New members need an admin’s approval').check();
    await invites.getByRole('button', { name: 'Create invite link' }).click();
    const link = (await invites.getByTestId('link').textContent()) ?? '';
    assert.match((await invites.getByTestId('community-invite-terms').textContent()) ?? '', /New members need an admin’s approval/);
    await invites.scrollIntoViewIfNeeded();
    await screenshot(olga, 'join-01-invite-needs-approval');
    await axe(olga, 'join-01-invite-needs-approval');
    const requests = olga.getByTestId('community-join-requests');
    assert.match((await requests.textContent()) ?? '', /No one is waiting/);

    // The neighbour opens the link: no Join button, a note and "Ask to join"; then "Request sent".
    await signUp(ben, url, 'Ben Neighbour', uniqueHandle('ben'));
    await ben.goto(link);
    const preview = ben.getByTestId('community-invite-preview');
    await preview.waitFor({ timeout: 20_000 });
    assert.equal(await preview.getByRole('button', { name: 'Join community' }).count(), 0);
    await preview.getByLabel('A note for the admins (optional)').fill('Flat 12, second entrance <b>hi</b>');
    await screenshot(ben, 'join-02-ask-phone');
    await axe(ben, 'join-02-ask-phone');
    await preview.getByRole('button', { name: 'Ask to join' }).click();
    await ben.getByTestId('join-request-sent').filter({ hasText: 'Request sent.' }).waitFor({ timeout: 20_000 });
    await screenshot(ben, 'join-03-request-sent-phone');
    // Still sent after a reload: the screen reads the person's own requests.
    await ben.reload();
    await ben.getByTestId('join-request-sent').waitFor({ timeout: 20_000 });

    // The owner's card shows it at once (community_join_request), the note as text, never HTML.
    const benRequest = requests.getByTestId('join-request').filter({ hasText: 'Ben Neighbour' });
    await benRequest.waitFor({ timeout: 20_000 });
    assert.equal(await benRequest.getByTestId('join-request-note').textContent(), 'Flat 12, second entrance <b>hi</b>');
    await requests.scrollIntoViewIfNeeded();
    await screenshot(olga, 'join-04-requests-card');
    await axe(olga, 'join-04-requests-card');
    await benRequest.getByRole('button', { name: 'Approve: Ben Neighbour' }).click();
    await requests.filter({ hasText: 'No one is waiting' }).waitFor({ timeout: 20_000 });

    // Approved: Ben's screen opens the community, and he is in announcements and general as after an invite join.
    await chatRow(ben, 'general').waitFor({ timeout: 30_000 });
    assert.equal(await chatRow(ben, 'general').getByRole('button', { name: /^Open/ }).count(), 1, 'in general');
    await chatRow(ben, 'announcements').getByRole('button', { name: /^Open/ }).click();
    await ben.getByRole('heading', { name: 'Building 7' }).waitFor({ timeout: GROUP_MS });
    await screenshot(ben, 'join-05-approved-in-phone');

    // The audit line in the announcements chat (R81, R101).
    await olga.getByTestId('chat-row').filter({ hasText: 'Building 7' }).click();
    await olga.getByText('You approved Ben Neighbour’s request to join').first().waitFor({ timeout: 20_000 });
    await screenshot(olga, 'join-06-audit-line');

    // Another request (Zed, through the SDK), declined from the card: Zed is told and is not a member.
    const token = decodeURIComponent(/community-join\/([^/]+)/.exec(link)?.[1] ?? '');
    const zedAsks = await zed.client.communities.joinRequests.request(token, 'Just curious');
    await olga.getByRole('button', { name: 'Community', exact: true }).click();
    const zedRequest = requests.getByTestId('join-request').filter({ hasText: 'Zed Zimmer' });
    await zedRequest.waitFor({ timeout: 20_000 });
    await zedRequest.getByRole('button', { name: 'Decline: Zed Zimmer' }).click();
    await requests.filter({ hasText: 'No one is waiting' }).waitFor({ timeout: 20_000 });
    await waitFor(async () => (await zed.client.communities.joinRequests.mine()).find((r) => r.requestId === zedAsks.requestId)?.status === 'declined', { what: 'Zed\'s request declined' });
    assert.equal((await zed.client.communities.list()).length, 0);
    await screenshot(olga, 'join-07-after-decline');
    assert.deepEqual(found, [], 'no serious or critical axe violations on the join request screens');
    await owner.context.close();
    await neighbour.context.close();
  });

  it('R101 a person who asked sees the decline on the join screen, can ask again and cancel; in Russian', async () => {
    const { page, context } = await personPage(browser, { mobile: true });
    await signUp(page, url, 'Вера', uniqueHandle('vera'));
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Language').selectOption('ru');
    await page.getByRole('heading', { name: 'Настройки' }).waitFor();
    const court = await zed.client.communities.create({ name: 'Двор' });
    const { token } = await zed.client.communities.createInvite(court.communityId, { needsApproval: true });
    await page.goto(`${url}/#/community-join/${token}/%D0%94%D0%B2%D0%BE%D1%80`);
    const preview = page.getByTestId('community-invite-preview');
    await preview.getByRole('button', { name: 'Подать заявку' }).click({ timeout: 20_000 });
    await page.getByTestId('join-request-sent').filter({ hasText: 'Заявка отправлена.' }).waitFor({ timeout: 20_000 });
    const [asked] = await zed.client.communities.joinRequests.pending(court.communityId);
    assert.ok(asked);
    await zed.client.communities.joinRequests.decline(court.communityId, asked.requestId);
    await page.getByTestId('join-request-declined').filter({ hasText: 'Вашу заявку на вступление отклонили.' }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'join-08-declined-ru-phone');
    await preview.getByRole('button', { name: 'Подать заявку' }).click();
    await page.getByRole('button', { name: 'Отозвать заявку' }).click({ timeout: 20_000 });
    await page.getByText('Заявка отозвана.').waitFor({ timeout: 20_000 });
    assert.deepEqual(await zed.client.communities.joinRequests.pending(court.communityId), []);
    await screenshot(page, 'join-09-cancelled-ru-phone');
    await context.close();
  });
});
