import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { parseMarkdown } from '@parley/client';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

const message = (page: Page, text: string) => page.getByTestId('message').filter({ has: page.locator('.text', { hasText: text }) });

const row = (page: Page, title: string) => page.getByTestId('chat-row').filter({ has: page.locator('.chat-title', { hasText: new RegExp(`^${title}$`) }) });

/** Hover shows a message's action buttons; the timeline may re-render under the pointer, so hover again then. */
async function act(page: Page, text: string, action: string): Promise<void> {
  const msg = message(page, text).last();
  for (let attempt = 1; ; attempt++) {
    await msg.hover();
    try {
      await msg.getByRole('button', { name: action, exact: true }).click({ timeout: 5000 });
      return;
    } catch (err) {
      if (attempt >= 4) throw err;
    }
  }
}

/** R49 forward and R50 pin in Debian's Chromium, against Zed driven through the SDK. */
describe('forward and pin in the browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R49 R50 forward through the picker, pin and unpin from the menu and the bar, and the privacy switch', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    await waitFor(async () => (await zed.client.keys.log(amy.userId, 0)).length > 0, { what: "amy's browser publishes its key", timeoutMs: 30_000 });
    const direct = await zed.client.openDirect(amy.userId);
    const noon = parseMarkdown('**Meet** at noon by the fountain');
    await zed.client.sendText(direct.chatId, noon.text, { entities: noon.entities });
    await row(page, 'Zed Zimmer').getByText('Meet at noon').waitFor({ timeout: 30_000 });
    const group = await zed.client.createGroup({ name: 'Book club', memberIds: [amy.userId] });
    await row(page, 'Book club').waitFor({ timeout: 30_000 });
    await waitFor(() => zed.client.chat(group.chatId)?.encryption === 'on', { what: 'the group is encrypted', timeoutMs: 30_000 });

    // Forward: the menu, the picker's search, one target; the new message opens in the group.
    await row(page, 'Zed Zimmer').click();
    await message(page, 'Meet at noon').waitFor();
    await act(page, 'Meet at noon', 'Forward');
    const picker = page.getByTestId('forward-picker');
    await picker.waitFor();
    await picker.getByTestId('forward-search').fill('book');
    assert.deepEqual(await picker.getByTestId('forward-target').locator('.chat-title').allTextContents(), ['Book club']);
    await picker.getByRole('checkbox').check();
    await screenshot(page, '59-forward-picker');
    assert.deepEqual(await axeViolations(page), []);
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, '59-forward-picker-dark');
    assert.deepEqual(await axeViolations(page), []);
    await page.emulateMedia({ colorScheme: 'light' });
    await picker.getByRole('button', { name: 'Forward to 1 chat' }).click();
    await picker.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: 'Book club' }).waitFor();
    const forwarded = message(page, 'Meet at noon');
    await forwarded.getByTestId('forwarded').getByText('Forwarded from Zed Zimmer').waitFor();
    assert.equal(await forwarded.locator('strong, b').first().textContent(), 'Meet', 'the formatting came along');
    await waitFor(() => zed.client.timeline(group.chatId).some((i) => i.forwarded?.from?.userId === zed.userId && i.text === noon.text && i.senderUserId === amy.userId),
      { what: 'zed reads the forward', timeoutMs: 30_000 });
    // A member of a group may not pin (R50): no Pin in the menu there.
    await message(page, 'Meet at noon').hover();
    assert.equal(await forwarded.getByRole('button', { name: 'Pin', exact: true }).count(), 0);

    // Pin in the direct chat (both people may): the menu, the line, the bar; Zed pins another.
    await row(page, 'Zed Zimmer').click();
    await act(page, 'Meet at noon', 'Pin');
    const bar = page.getByTestId('pinned-bar');
    await bar.getByText('Meet at noon by the fountain').waitFor();
    await page.getByTestId('system').getByText('You pinned “Meet at noon by the fountain”').waitFor();
    await waitFor(() => zed.client.pinned(direct.chatId)[0]?.text === noon.text, { what: 'zed sees the pin', timeoutMs: 30_000 });
    const later = await zed.client.sendText(direct.chatId, 'Tickets are in the drawer');
    await message(page, 'Tickets are in the drawer').waitFor({ timeout: 30_000 });
    await zed.client.pin(direct.chatId, later, true);
    await bar.getByText('Pinned message 1 of 2').waitFor({ timeout: 30_000 });
    await bar.getByText('Tickets are in the drawer').waitFor();
    await page.getByTestId('system').getByText('Zed Zimmer pinned “Tickets are in the drawer”').waitFor();
    await page.getByTestId('pinned-show').click();
    await bar.getByText('Pinned message 2 of 2').waitFor();
    await screenshot(page, '60-pinned-bar');
    assert.deepEqual(await axeViolations(page), []);
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, '61-pinned-bar-dark');
    assert.deepEqual(await axeViolations(page), []);

    // Unpin from the bar (the one it shows), then the other from the message menu.
    await page.getByTestId('pinned-unpin').click();
    await bar.getByText('Pinned message', { exact: true }).waitFor();
    await bar.getByText('Tickets are in the drawer').waitFor();
    await act(page, 'Tickets are in the drawer', 'Unpin');
    await bar.waitFor({ state: 'detached' });
    await waitFor(() => zed.client.pinned(direct.chatId).length === 0, { what: 'zed sees both unpinned', timeoutMs: 30_000 });

    // Privacy: off in Settings, Amy's next message asks forwarders to leave her name out.
    await page.goto(`${url}/#/settings`);
    await page.getByTestId('forward-name-setting').uncheck();
    await page.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(await axeViolations(page), []);
    await page.goto(`${url}/#/chat/${direct.chatId}`);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Only between us');
    await box.press('Enter');
    let quietId = '';
    await waitFor(() => (quietId = zed.client.timeline(direct.chatId).find((i) => i.text === 'Only between us')?.id ?? '') !== '', { what: 'zed reads it', timeoutMs: 30_000 });
    assert.equal(zed.client.timeline(direct.chatId).find((i) => i.id === quietId)?.noForwardName, true);
    await zed.client.forward([group.chatId], direct.chatId, quietId);
    await row(page, 'Book club').click();
    const quiet = message(page, 'Only between us');
    await quiet.getByTestId('forwarded').waitFor({ timeout: 30_000 });
    assert.equal(await quiet.getByTestId('forwarded').textContent(), 'Forwarded');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, '62-forwarded-dark');
    assert.deepEqual(await axeViolations(page), []);
  });
});
