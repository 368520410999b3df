import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ParleyClient } from '@parley/client';
import { createUser, uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/**
 * Accessibility is checked, not guessed: axe-core on every main screen, in the light and the dark
 * theme, with no serious or critical violations; every screen has one `main` landmark.
 */

type Theme = 'light' | 'dark';
const THEMES: Theme[] = ['light', 'dark'];

async function setTheme(page: Page, theme: Theme): Promise<void> {
  await page.evaluate((t) => localStorage.setItem('parley.theme', t), theme);
  await page.reload();
}

/** Checks what the page shows now; the screenshot is for a person to look at. */
async function check(page: Page, name: string, found: string[], opts: { main?: boolean } = {}): Promise<void> {
  await page.waitForTimeout(300); // transitions and focus settle
  await screenshot(page, name);
  found.push(...(await axeViolations(page)).map((v) => `${name}: ${v}`));
  if (opts.main !== false) {
    if (await page.locator('main').count() !== 1) found.push(`${name}: no single main landmark`);
  }
}

describe('accessibility of every main screen (axe-core, both themes)', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  const clients: ParleyClient[] = [];
  before(async () => ({ server, browser, url, zed } = await openWebWorld({ PARLEY_CONSENT_REQUIRED: 'true' })));
  after(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await closeWebWorld({ server, browser, zed });
  });

  it('welcome, sign-up, recovery code, chat list (empty and full), a chat, settings, new chat and group, requests, group info, Saved messages: no serious or critical axe violations', async () => {
    const found: string[] = [];
    const { page } = await personPage(browser);
    await page.goto(url);
    for (const theme of THEMES) {
      await setTheme(page, theme);
      await page.getByRole('button', { name: 'Create account' }).waitFor();
      await check(page, `a11y-welcome-${theme}`, found);
    }

    // Creating the account (in the dark theme, the last one set): the form, then the recovery code.
    const handle = uniqueHandle('amy');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByLabel('Your name').fill('Amy Adams');
    await page.getByLabel('Handle').fill(handle);
    await check(page, 'a11y-sign-up-dark', found);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByTestId('recovery-code').waitFor();
    await check(page, 'a11y-recovery-code-dark', found);
    await page.getByRole('button', { name: 'I saved it' }).click();
    await page.getByRole('heading', { name: 'Chats' }).waitFor();
    for (const theme of THEMES) {
      await setTheme(page, theme);
      await page.getByRole('button', { name: 'Start a chat' }).waitFor();
      await check(page, `a11y-chats-empty-${theme}`, found);
    }

    // A group Amy accepts and talks in, and a stranger's chat left as a request.
    const amy = await zed.client.findUser(handle);
    const dave = await createUser(url, { displayName: 'Dave Dunn', handle: uniqueHandle('dave') });
    clients.push(dave.client);
    await waitFor(async () => (await dave.client.keys.log(amy.userId, 0)).length > 0, { what: "amy's browser publishes its key", timeoutMs: 30_000 });
    const group = await dave.client.createGroup({ name: 'Entrance 2', memberIds: [amy.userId] });
    await zed.client.openDirect(amy.userId);
    await page.getByTestId('requests-row').filter({ hasText: '2' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('requests-row').click();
    await page.getByTestId('request').filter({ hasText: 'Dave Dunn' }).getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL(new RegExp(`#/chat/${group.chatId}`));
    await waitFor(async () => (await dave.client.encryptionMembers(group.chatId)).some((m) => m.userId === amy.userId), { what: "amy's browser in the group", timeoutMs: 30_000 });
    await dave.client.sendText(group.chatId, 'Water is off tomorrow 9-12');
    await page.getByTestId('timeline').getByText('Water is off tomorrow 9-12').waitFor({ timeout: 20_000 });
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill('Thanks, noted');
    await composer.press('Enter');
    await page.getByTestId('message').filter({ hasText: 'Thanks, noted' }).and(page.locator(':not([data-state="sending"])')).waitFor({ timeout: 20_000 });

    for (const theme of THEMES) {
      await page.goto(`${url}/#/`);
      await setTheme(page, theme);
      await page.getByTestId('chat-row').filter({ hasText: 'Entrance 2' }).waitFor();
      await check(page, `a11y-chats-${theme}`, found);

      await page.goto(`${url}/#/chat/${group.chatId}`);
      await page.getByTestId('timeline').getByText('Thanks, noted').waitFor();
      await check(page, `a11y-chat-${theme}`, found);

      await page.goto(`${url}/#/settings`);
      await page.getByTestId('device').first().waitFor();
      await check(page, `a11y-settings-${theme}`, found);
      // The two switches sit before their labels, on one line (they once stood centred above them).
      for (const [id, name] of [['link-previews-setting', 'Link previews'], ['forward-name-setting', 'Link my name']] as const) {
        const box = (await page.getByTestId(id).boundingBox())!;
        const label = (await page.locator('main label', { has: page.getByTestId(id) }).getByText(name).boundingBox())!;
        assert.ok(box.x + box.width <= label.x, `${id}: the checkbox is left of "${name}"`);
        assert.ok(Math.abs((box.y + box.height / 2) - (label.y + label.height / 2)) < label.height, `${id}: on the line of "${name}"`);
      }
      await page.getByTestId('forward-name-setting').scrollIntoViewIfNeeded();
      await check(page, `a11y-settings-privacy-${theme}`, found);

      await page.goto(`${url}/#/new`);
      await page.getByLabel('Group name').waitFor();
      // Colours are named, not "#7986cb".
      assert.equal(await page.getByRole('radio', { name: 'Indigo' }).isChecked(), true);
      assert.equal(await page.getByRole('radio', { name: /^#/ }).count(), 0);
      await check(page, `a11y-new-chat-${theme}`, found);

      await page.goto(`${url}/#/requests`);
      await page.getByTestId('request').first().waitFor();
      await check(page, `a11y-requests-${theme}`, found);

      await page.goto(`${url}/#/info/${group.chatId}`);
      await page.locator('main').getByText('Dave Dunn').first().waitFor();
      await check(page, `a11y-group-info-${theme}`, found);

      await page.goto(`${url}/#/new`);
      await page.locator('main').getByRole('button', { name: 'Saved messages', exact: true }).click();
      await page.getByRole('heading', { name: 'Saved messages' }).waitFor();
      await check(page, `a11y-saved-messages-${theme}`, found);
    }

    // Larger text (Settings → Text size): everything grows from the root; the chat still passes.
    await page.goto(`${url}/#/settings`);
    await page.getByLabel('Text size').selectOption('larger');
    assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).fontSize), '21px');
    await page.goto(`${url}/#/chat/${group.chatId}`);
    await page.getByTestId('timeline').getByText('Thanks, noted').waitFor();
    assert.equal(await page.getByTestId('timeline').getByText('Thanks, noted').evaluate((el) => getComputedStyle(el).fontSize), '21px');
    await check(page, 'a11y-chat-larger-text-dark', found);
    await page.reload();
    await page.getByTestId('timeline').getByText('Thanks, noted').waitFor();
    assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).fontSize), '21px', 'kept across a reload');

    // Phone size: the list and a chat are separate screens.
    const phone = await personPage(browser, { mobile: true });
    await phone.page.goto(url);
    await signUp(phone.page, url, 'Pat Phone', uniqueHandle('pat'));
    for (const theme of THEMES) {
      await setTheme(phone.page, theme);
      await phone.page.getByRole('button', { name: 'Start a chat' }).waitFor();
      await check(phone.page, `a11y-phone-chats-empty-${theme}`, found);
    }
    // The empty list's button starts a chat.
    await phone.page.getByRole('button', { name: 'Start a chat' }).click();
    await phone.page.getByRole('heading', { name: 'New chat' }).waitFor();

    assert.deepEqual(found, [], `axe found:\n${found.join('\n')}`);
  });
});
