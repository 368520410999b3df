import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** R48 in Debian's Chromium: a chat's menu in the list archives, mutes and marks it unread. */
describe('chat settings in the browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R48 mark unread, mute, archive and back from the chat list\'s menu; the settings reach the SDK side of the account', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    await waitFor(async () => (await zed.client.keys.log(amy.userId, 0)).length > 0, { what: "amy's browser publishes its key", timeoutMs: 30_000 });
    const { chatId } = await zed.client.openDirect(amy.userId);
    await zed.client.sendText(chatId, 'The lift is fixed');
    const row = page.locator('.chat-item').filter({ hasText: 'Zed Zimmer' });
    await row.getByText('The lift is fixed').waitFor({ timeout: 30_000 });
    await page.getByTestId('chat-row').filter({ hasText: 'Zed Zimmer' }).click();
    await page.getByTestId('timeline').getByText('The lift is fixed').waitFor();

    const menu = async () => {
      await row.hover();
      await row.getByRole('button', { name: 'More for Zed Zimmer' }).click();
      return page.getByTestId('chat-menu');
    };
    await (await menu()).getByRole('menuitem', { name: 'Mark as unread' }).click();
    await row.getByTestId('marked-unread').waitFor();
    await (await menu()).getByRole('menuitem', { name: 'Mute for 1 hour' }).click();
    await row.getByTitle('Muted').waitFor();
    const open = await menu();
    assert.deepEqual(await open.getByRole('menuitem').allTextContents(), ['Archive', 'Unmute', 'Mark as read']);
    await screenshot(page, '57-chat-menu');
    assert.deepEqual(await axeViolations(page), []);
    await page.keyboard.press('Escape');
    await open.waitFor({ state: 'detached' });

    await (await menu()).getByRole('menuitem', { name: 'Archive' }).click();
    await row.waitFor({ state: 'detached' });
    const archived = page.getByTestId('archive-row');
    assert.match((await archived.textContent()) ?? '', /Archived chats\s*1/);
    await waitFor(() => {
      const prefs = zed.client.chat(chatId)?.prefs;
      return prefs === undefined;
    }, { what: 'nothing of it on Zed\'s side' });
    await archived.click();
    await row.waitFor();
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, '58-archived-dark');
    assert.deepEqual(await axeViolations(page), []);
    await (await menu()).getByRole('menuitem', { name: 'Unarchive' }).click();
    await page.getByTestId('archive-back').click();
    await row.waitFor();
    assert.equal(await page.getByTestId('archive-row').count(), 0);

    // R51: the unsent text is kept across a reload.
    await page.getByTestId('chat-row').filter({ hasText: 'Zed Zimmer' }).click();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Half a thought about the bins');
    await new Promise((r) => setTimeout(r, 500)); // the store write
    await page.reload();
    await page.getByRole('textbox', { name: 'Message' }).waitFor({ timeout: 20_000 });
    await waitFor(async () => (await page.getByRole('textbox', { name: 'Message' }).inputValue()) === 'Half a thought about the bins', { what: 'the draft after a reload', timeoutMs: 20_000 });
  });
});
