import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { seedLargeGroup, uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** Names of the member rows drawn now, top to bottom. */
async function drawnNames(page: Page): Promise<string[]> {
  return page.getByTestId('members-list').getByTestId('member').evaluateAll((rows) =>
    rows.map((r) => ({ top: (r.parentElement as HTMLElement).offsetTop, name: ((r.querySelector('.grow') as HTMLElement | null)?.innerText ?? '').split('\n')[0]?.trim() ?? '' }))
      .sort((a, b) => a.top - b.top).map((r) => r.name));
}

/** Scrolls the members box to `row` (0-based) and waits until that row is drawn. */
async function scrollTo(page: Page, row: number, name: string): Promise<void> {
  await page.getByTestId('members-list').evaluate((el, y) => { el.scrollTop = y; }, row * 56);
  await page.getByTestId('members-list').getByTestId('member').filter({ hasText: name }).waitFor({ timeout: 15_000 });
}

/** Issue 12: a 5,000-member chat's members panel in Debian's Chromium (frame times: bench/community-scale-web.ts). */
describe('a 5,000-member chat in the browser', { timeout: 300_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(async () => closeWebWorld({ server, browser, zed }));

  it('the members panel shows the right members while scrolling, draws only the rows in view, and finds one by name', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    const chatId = await seedLargeGroup(server, { size: 5000, people: [zed.userId, amy.userId], name: 'Building 12' });
    await page.goto(`${url}/#/info/${chatId}`);
    await page.reload(); // the chat list is read at sign-in
    await page.getByRole('heading', { name: 'Members (5000)' }).waitFor({ timeout: 60_000 });

    // Sorted: the owner, then members by name. 5,000 members, about a screenful of rows drawn.
    const top = await drawnNames(page);
    assert.deepEqual(top.slice(0, 3), ['Zed Zimmer', 'Amy Adams (you)', 'Resident 0001']);
    assert.ok(top.length < 40, `rows drawn: ${top.length}`);
    await screenshot(page, 'large-chat-members-top');
    assert.deepEqual(await axeViolations(page), []);

    // Row n (0-based) is Resident n-1 from the third row on: the middle and the end, drawn where they belong.
    await scrollTo(page, 2500, 'Resident 2499');
    const middle = await drawnNames(page);
    assert.ok(middle.includes('Resident 2499') && middle.includes('Resident 2505'), middle.join(', '));
    assert.ok(!middle.includes('Resident 0001') && middle.length < 40, `rows drawn: ${middle.length}`);
    for (let i = 1; i < middle.length; i++) assert.ok(middle[i - 1]! < middle[i]!, `in order: ${middle[i - 1]} before ${middle[i]}`);
    const box = await page.getByTestId('members-list').boundingBox();
    const row = await page.getByTestId('member').filter({ hasText: 'Resident 2499' }).boundingBox();
    assert.ok(box && row && row.y >= box.y - 1 && row.y + row.height <= box.y + box.height + 1, 'the row scrolled to is in view');
    await screenshot(page, 'large-chat-members-middle');
    await scrollTo(page, 4999, 'Resident 4998');
    assert.equal((await drawnNames(page)).at(-1), 'Resident 4998');

    // Search: one member of 5,000 by name, and nothing for a name no one has.
    await page.getByLabel('Find a member').fill('Resident 4321');
    await page.getByTestId('member').filter({ hasText: 'Resident 4321' }).waitFor();
    assert.deepEqual(await drawnNames(page), ['Resident 4321']);
    await screenshot(page, 'large-chat-members-find');
    await page.getByLabel('Find a member').fill('Nobody');
    await page.getByText('No member matches “Nobody”').waitFor();
  });

  it('a chat of 1,000 lines draws only the rows near the view, with the day in view floating at the top; the quote of a reply brings its far-away message back; a sent message shows at the bottom; reopened with unread, a "3 new messages" line is in view', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    const chatId = await seedLargeGroup(server, { size: 120, people: [zed.userId, amy.userId], name: 'Entrance 2' });
    await page.goto(`${url}/#/chat/${chatId}`);
    await page.reload();
    const timeline = page.getByTestId('timeline');
    const message = (text: string) => timeline.getByTestId('message').filter({ has: page.locator('.text', { hasText: new RegExp(`^${text.replace(/[?.]/g, '\\$&')}$`) }) });
    await page.getByLabel('Message', { exact: true }).fill('Where is the bike room?');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await message('Where is the bike room?').and(page.locator('[data-state=sent], [data-state=delivered], [data-state=read]')).waitFor();
    // A thousand lines after it (written into the log; the app reads them on reload), dated three days ago.
    const zedDevice = (await server.services.storage.listDevices(zed.userId))[0]?.deviceId ?? '';
    const linesAt = Date.now() - 3 * 86_400_000;
    await server.services.storage.appendMessages(Array.from({ length: 1000 }, (_, i) => ({
      chatId, clientMsgId: `sys_line_${i}`, senderUserId: zed.userId, senderDeviceId: zedDevice, sentAt: linesAt + i, envelope: null, system: { kind: 'member_joined' as const, userId: zed.userId },
    })));
    await page.reload();
    await timeline.getByTestId('system').first().waitFor();
    // Up to the top: older pages load on the way (R9).
    await waitFor(async () => {
      await timeline.evaluate((el) => { el.scrollTop = 0; });
      return (await message('Where is the bike room?').count()) > 0 && (await page.locator('.load-older').count()) === 0;
    }, { what: 'the whole chat loaded', timeoutMs: 60_000 });
    // All of it loaded, a few dozen rows drawn.
    const drawn = () => timeline.locator('[data-testid=system], [data-testid=message]').count();
    assert.ok(await drawn() < 150, `rows drawn at the top: ${await drawn()}`);
    // Halfway down, the day of the rows in view floats at the top of the list.
    await timeline.evaluate((el) => { el.scrollTop = el.scrollHeight / 2; });
    const linesDay = new Intl.DateTimeFormat('en', { day: 'numeric', month: 'long' }).format(linesAt);
    await page.getByTestId('day-float').getByText(linesDay, { exact: true }).waitFor();
    await screenshot(page, 'large-chat-timeline-day-label');
    await timeline.evaluate((el) => { el.scrollTop = 0; });
    const anchor = message('Where is the bike room?');
    await anchor.hover();
    await anchor.getByRole('button', { name: 'Reply', exact: true }).click();
    await page.getByLabel('Message', { exact: true }).fill('Ground floor, left');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    // The reply shows at the bottom, and the question is no longer drawn at all.
    await message('Ground floor, left').waitFor();
    const inView = async (text: string) => {
      const box = await timeline.boundingBox();
      const row = await message(text).boundingBox();
      return !!box && !!row && row.y >= box.y - 1 && row.y + row.height <= box.y + box.height + 1;
    };
    await waitFor(() => inView('Ground floor, left'), { what: 'the reply in view', timeoutMs: 10_000 });
    assert.equal(await anchor.count(), 0, 'a message 1,000 lines up is not drawn');
    assert.ok(await drawn() < 150, `rows drawn at the bottom: ${await drawn()}`);
    await screenshot(page, 'large-chat-timeline-bottom');
    // The quote jumps back up to it.
    await message('Ground floor, left').locator('.quote').click();
    await waitFor(() => inView('Where is the bike room?'), { what: 'the quoted message in view', timeoutMs: 10_000 });
    await screenshot(page, 'large-chat-timeline-jump');
    assert.deepEqual(await axeViolations(page), []);
    // Away from the chat, three messages come in (Zed writes to Amy directly); opening it shows where they start.
    await page.goto(`${url}/#/`);
    await timeline.waitFor({ state: 'detached' });
    await waitFor(async () => (await zed.client.keys.log(amy.userId, 0)).length > 0, { what: 'Amy\'s browser publishes its key', timeoutMs: 30_000 });
    const direct = await zed.client.openDirect(amy.userId);
    for (const text of ['Boiler check on Friday', 'Please leave the basement open', 'Thanks all']) await zed.client.sendText(direct.chatId, text);
    await page.locator('.chat-item').filter({ hasText: 'Thanks all' }).waitFor({ timeout: 30_000 });
    await page.goto(`${url}/#/chat/${direct.chatId}`);
    const line = timeline.getByTestId('unread-line');
    await line.getByText('3 new messages', { exact: true }).waitFor();
    await waitFor(() => inView('Boiler check on Friday'), { what: 'the first unread message in view', timeoutMs: 10_000 });
    const next = await timeline.locator('[data-vid]').filter({ has: page.getByTestId('unread-line') }).getByTestId('message').locator('.text').innerText();
    assert.equal(next, 'Boiler check on Friday', 'the line sits above the first unread message');
    await screenshot(page, 'large-chat-timeline-unread');
  });
});
