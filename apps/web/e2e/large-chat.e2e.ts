import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { seedLargeGroup, uniqueHandle, type TestServer, type TestUser } from '@parley/testing';
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
});
