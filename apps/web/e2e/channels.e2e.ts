import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { rewriteChannelPost, uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** Public channels in the web client (docs/PROTOCOL.md R95-R99, R110, R111), in Debian's Chromium. */

const PHONE = { width: 390, height: 780 };
const KIND = 'Public channel — posts are not encrypted; anyone can read them; signed by the channel’s admins';

const post = (page: Page, text: string) => page.getByTestId('channel-post').filter({ hasText: text });

async function write(page: Page, text: string): Promise<void> {
  await page.getByLabel('Write a post').fill(text);
  await page.getByRole('button', { name: 'Post', exact: true }).click();
}

/** The phone-width look of whatever `page` shows now, then back to its own size. */
async function phoneShot(page: Page, name: string): Promise<void> {
  const size = page.viewportSize();
  await page.setViewportSize(PHONE);
  await screenshot(page, name);
  if (size) await page.setViewportSize(size);
}

describe('public channels in the web client', { timeout: 300_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R95-R98 an author makes a public channel (handle checks shown), posts; a reader opens its /c/ link, subscribes, sees the post verified, an unread count, reacts and sees counts; the page without an account shows it', async () => {
    const author = await personPage(browser);
    const reader = await personPage(browser, { mobile: true });
    const olga = author.page;
    const ben = reader.page;
    const found: string[] = [];
    const axe = async (page: Page, name: string) => found.push(...(await axeViolations(page)).map((v) => `${name}: ${v}`));
    await signUp(olga, url, 'Olga Owner', uniqueHandle('olga'));
    await signUp(ben, url, 'Ben Reader', uniqueHandle('ben'));

    // R95: the handle checks, in words, before anything is sent; a taken one after.
    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New channel' }).click();
    await olga.getByLabel('Channel name').fill('City <b>News</b>');
    const handle = olga.getByLabel('Handle (the link: /c/handle)');
    const check = olga.getByTestId('handle-check');
    await handle.fill('support');
    assert.match(await check.textContent() ?? '', /^Reserved/);
    await handle.fill('supp0rt');
    assert.match(await check.textContent() ?? '', /^Look-alike: this handle reads like a reserved one/);
    await handle.fill('pаrley_news'); // a Cyrillic а
    assert.match(await check.textContent() ?? '', /^Look-alike: this handle mixes latin letters/);
    await screenshot(olga, 'channels-01-handle-look-alike');
    assert.equal(await olga.getByRole('button', { name: 'Create public channel' }).isDisabled(), true);
    await handle.fill(zed.handle);
    await olga.getByRole('button', { name: 'Create public channel' }).click();
    await check.filter({ hasText: 'Taken: another channel or a person already has this handle.' }).waitFor();
    const channelHandle = uniqueHandle('news');
    await handle.fill(channelHandle);
    assert.match(await check.textContent() ?? '', new RegExp(`The link will be ${url}/c/${channelHandle}`));
    await olga.getByLabel('Description (optional)').fill('What the city council decided, daily.');
    await olga.getByRole('button', { name: 'Create public channel' }).click();

    // The channel view: the kind said plainly, the composer for its admin.
    await olga.getByRole('heading', { name: 'City <b>News</b>' }).waitFor({ timeout: 30_000 });
    await olga.getByTestId('channel-row').filter({ hasText: 'City <b>News</b>' }).waitFor();
    assert.equal(await olga.getByTestId('channel-kind').textContent(), ` ${KIND}`);
    await write(olga, 'Roads on Lenina closed <i>Monday</i>.');
    await post(olga, 'Roads on Lenina closed <i>Monday</i>.').getByTestId('post-verified').waitFor({ timeout: 30_000 });
    await screenshot(olga, 'channels-02-author');
    await axe(olga, 'channel view (admin)');

    // The reader opens the link inside the app (#/c/<handle>), subscribes.
    await ben.goto(`${url}/#/c/${channelHandle}`);
    await ben.getByRole('heading', { name: 'City <b>News</b>' }).waitFor({ timeout: 30_000 });
    await post(ben, 'Roads on Lenina closed').getByTestId('post-verified').waitFor();
    assert.equal(await ben.getByLabel('Write a post').count(), 0, 'no composer for a reader');
    await ben.getByRole('button', { name: 'Subscribe' }).click();
    await ben.getByRole('button', { name: 'Unsubscribe' }).waitFor();
    await ben.getByRole('button', { name: 'Mute' }).click();
    await ben.getByRole('button', { name: 'Unmute' }).waitFor();
    await ben.goto(`${url}/#/`);
    const row = ben.getByTestId('channel-row').filter({ hasText: 'City <b>News</b>' });
    await row.getByTestId('channel-muted').waitFor();
    await write(olga, 'Water off in block 12 from 10:00.');
    await post(olga, 'Water off in block 12').getByTestId('post-verified').waitFor({ timeout: 30_000 });
    // R97: the notice reaches the reader's list, which counts the new post.
    await row.getByTestId('channel-unread').filter({ hasText: '1' }).waitFor({ timeout: 30_000 });
    await phoneShot(ben, 'channels-03-reader-list-phone');
    await row.click();
    await post(ben, 'Water off in block 12').getByTestId('post-verified').waitFor();
    await ben.getByRole('button', { name: 'Unmute' }).click();
    await ben.getByRole('button', { name: 'Mute' }).waitFor();

    // R98: a reaction and its count; the views counter counted both devices, once each.
    await post(ben, 'Water off in block 12').getByRole('button', { name: 'React with 👍' }).click();
    await post(ben, 'Water off in block 12').getByRole('button', { name: 'React with 👍', pressed: true }).filter({ hasText: '1' }).waitFor();
    await post(ben, 'Water off in block 12').getByTestId('post-views').filter({ hasText: /^2 views$/ }).waitFor();
    await screenshot(ben, 'channels-04-reader-phone');
    await axe(ben, 'channel view (reader, phone)');
    await olga.reload();
    await post(olga, 'Water off in block 12').getByRole('button', { name: 'React with 👍', pressed: false }).filter({ hasText: '1' }).waitFor({ timeout: 30_000 });
    await row.waitFor({ state: 'detached' }).catch(() => {});
    await ben.goto(`${url}/#/`);
    await ben.getByTestId('channel-row').filter({ hasText: 'City <b>News</b>' }).waitFor();
    assert.equal(await ben.getByTestId('channel-row').getByTestId('channel-unread').count(), 0, 'read once opened');

    // R99: the page for people without an account.
    const anonymous = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const page = await anonymous.newPage();
    await page.goto(`${url}/c/${channelHandle}`);
    await page.getByText('Water off in block 12 from 10:00.').waitFor();
    assert.equal(await page.locator('h1').textContent(), 'City <b>News</b>');
    await screenshot(page, 'channels-05-public-page');
    await anonymous.close();

    assert.deepEqual(found, [], 'no axe violations');
    await author.context.close();
    await reader.context.close();
  });

  it('R96 a post the server altered is shown as not verified, without its altered text', async () => {
    const { context, page } = await personPage(browser);
    await signUp(page, url, 'Tara Tamper', uniqueHandle('tara'));
    const channel = await zed.client.channels.create({ handle: uniqueHandle('zeds'), title: 'Zed Daily' });
    const genuine = await zed.client.channels.post(channel.channelId, 'The meeting is at 18:00.');
    await page.goto(`${url}/#/c/${channel.handle}`);
    await post(page, 'The meeting is at 18:00.').getByTestId('post-verified').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('button', { name: 'Unsubscribe' }).waitFor();

    // The server rewrites the stored post and keeps the admin's signature.
    rewriteChannelPost(server.dataDir, channel.channelId, genuine.postId, (body) => ({ ...body, text: 'The meeting is cancelled.' }));
    await page.reload();
    const alert = page.getByTestId('channel-post-unverified');
    await alert.waitFor({ timeout: 30_000 });
    assert.match(await alert.textContent() ?? '', /Not verified — the server may have altered this post\. It is not shown\./);
    assert.match(await alert.textContent() ?? '', /the signature does not match/);
    assert.equal(await page.getByText('The meeting is cancelled.').count(), 0, 'the altered text is not shown');
    assert.equal(await page.getByTestId('channel-post').count(), 0);
    await screenshot(page, 'channels-06-not-verified');
    await waitFor(async () => (await page.getByTestId('channel-post-unverified').count()) === 1);
    await context.close();
  });
});
