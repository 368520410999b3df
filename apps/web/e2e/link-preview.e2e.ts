import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createUser, freePort, startTestServer, uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { defaultWebDist } from '@parley/server';
import { launchBrowser, personPage, screenshot, signUp } from './browser.ts';

/** A 2×2 PNG, so the browser has an image to shrink into the message's thumbnail. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');

/** R45 in Debian's Chromium: a link's preview made through the server's fetcher, sent encrypted, shown as a card. */
describe('link previews in the browser', { timeout: 240_000 }, () => {
  let site: Server;
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => {
    site = createServer((req, res) => {
      if (req.url === '/minutes') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><head><title>x</title>
<meta property="og:title" content="Minutes of the residents' meeting &lt;b&gt;bold?&lt;/b&gt;">
<meta property="og:description" content="Lift repair, the bins and the new intercom: what we agreed on 3 December.">
<meta property="og:site_name" content="Building 7"><meta property="og:image" content="/plan.png"></head><body></body></html>`);
      } else if (req.url === '/plan.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    const port = await freePort();
    url = `http://localhost:${port}`;
    const hostResolver = { resolve: async (name: string) => (name === 'building7.test' ? [{ address: '127.0.0.1', family: 4 as const }] : Promise.reject(new Error('NXDOMAIN'))) };
    server = await startTestServer({ PORT: String(port), PARLEY_ORIGIN: url, PARLEY_WEB_DIST: defaultWebDist(), PARLEY_PREVIEW_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8' }, { hostResolver });
    browser = await launchBrowser();
    zed = await createUser(url, { displayName: 'Zed Zimmer', handle: uniqueHandle('zed') });
  });
  after(async () => {
    await zed?.client.stop();
    await browser?.close();
    await server?.close();
    site?.close();
  });

  it('R45 the sender\'s browser shows the preview while typing, sends it inside the message (removable), the other side sees the card; the setting turns it off', async () => {
    const page = (await personPage(browser)).page;
    const link = `http://building7.test:${(site.address() as AddressInfo).port}/minutes`;
    await signUp(page, url, 'Amy Adams', uniqueHandle('amy'));
    await page.goto(`${url}/#/u/${zed.handle}`);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill(`Here are the minutes: ${link}.`);
    const draft = page.getByTestId('draft-preview');
    await draft.waitFor({ timeout: 20_000 });
    assert.match((await draft.textContent()) ?? '', /Building 7.*Minutes of the residents' meeting <b>bold\?<\/b>.*Lift repair/s);
    assert.equal(await draft.locator('img').count(), 1);
    await screenshot(page, '55-link-preview-draft');
    await box.press('Enter');
    await draft.waitFor({ state: 'detached' });
    const chatId = await waitForDirect(zed, 'Here are the minutes');
    const sent = zed.client.timeline(chatId).find((i) => i.text.startsWith('Here are the minutes'));
    assert.equal(sent?.preview?.title, "Minutes of the residents' meeting <b>bold?</b>");
    assert.equal(sent?.preview?.url, link);
    assert.equal(sent?.preview?.image?.mediaType, 'image/jpeg', 'a thumbnail the browser made');

    // Shown to the sender as a card that opens the page in a new tab without an opener; the title is text, not markup.
    const card = page.getByTestId('timeline').getByTestId('link-preview').first();
    await card.waitFor();
    const anchor = card.locator('a');
    assert.equal(await anchor.getAttribute('href'), link);
    assert.equal(await anchor.getAttribute('target'), '_blank');
    assert.equal(await anchor.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await card.locator('b').count(), 0);
    assert.deepEqual(await axeViolations(page), []);

    // Zed's preview (made by his SDK through the same fetcher) shows on Amy's screen.
    const fetched = await zed.client.fetchLinkPreview(link);
    await zed.client.sendText(chatId, 'And the plan', { preview: { url: fetched.url, title: 'Floor plan', description: 'Entrance 2' } });
    await page.getByTestId('timeline').getByTestId('link-preview').filter({ hasText: 'Floor plan' }).waitFor({ timeout: 20_000 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, '56-link-preview-dark');
    assert.deepEqual(await axeViolations(page), []);

    // Removed from the draft: the message goes without it.
    await box.fill(`Without a card ${link}`);
    await draft.waitFor({ timeout: 20_000 });
    await draft.getByRole('button', { name: 'Send without the preview' }).click();
    await draft.waitFor({ state: 'detached' });
    await box.press('Enter');
    await waitForDirect(zed, 'Without a card');
    assert.equal(zed.client.timeline(chatId).find((i) => i.text.startsWith('Without a card'))?.preview, undefined);

    // Off in Settings: no preview is asked for.
    await page.goto(`${url}/#/settings`);
    await page.getByTestId('link-previews-setting').uncheck();
    await page.goto(`${url}/#/u/${zed.handle}`);
    await box.fill(`Setting off ${link}`);
    await new Promise((r) => setTimeout(r, 1500)); // longer than the draft's debounce
    assert.equal(await draft.count(), 0);
  });
});

async function waitForDirect(user: TestUser, prefix: string): Promise<string> {
  let chatId = '';
  await waitFor(() => {
    for (const chat of user.client.chats()) {
      if (user.client.timeline(chat.chatId).some((i) => i.text.startsWith(prefix))) chatId = chat.chatId;
    }
    return chatId !== '';
  }, { what: `${user.displayName} reads "${prefix}"`, timeoutMs: 30_000 });
  return chatId;
}
