import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

const composer = (page: Page) => page.getByLabel('Message', { exact: true });
const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
/** The message whose own text is exactly `text` (not one quoting it, not "history 150" for "history 1"). */
const message = (page: Page, text: string) => page.getByTestId('message').filter({ has: page.locator('.text', { hasText: exactly(text) }) });


async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** Hover shows a message's action buttons (a tap/focus does the same on touch screens). */
async function act(page: Page, text: string, action: string): Promise<void> {
  const msg = message(page, text).last();
  // The timeline may re-render or scroll under the pointer (a message arriving): hover again then.
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

describe('web client features in a real browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('the whole encrypted history is there on scroll; reply, edit, delete, react, typing; #/u and #/join links; offline reload from the service worker', async () => {
    const { context, page: first } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(first, url, 'Amy Adams', handle);
    await first.close();

    // While Amy's tab is closed Zed opens a chat with her and writes 150 messages. Her device was added
    // to the chat's encryption group when it was created, so it decrypts the whole log in order from
    // there (MLS keys are used once, oldest first) and she can scroll up to the first message.
    const me = await zed.client.findUser(handle);
    const direct = await zed.client.openDirect(me.userId);
    for (let i = 1; i <= 150; i += 1) await zed.client.sendText(direct.chatId, `history ${i}`);
    await waitFor(() => zed.client.timeline(direct.chatId).filter((m) => m.state !== 'sending').length >= 150, { what: 'zed sent', timeoutMs: 30_000 });
    const page = await context.newPage();

    // #/u/<handle> opens the direct chat.
    await page.goto(`${url}/#/u/${zed.handle}`);
    await message(page, 'history 150').waitFor();
    assert.match(page.url(), new RegExp(`#/chat/${direct.chatId}$`));
    const timeline = page.getByTestId('timeline');
    for (let i = 0; i < 20 && (await message(page, 'history 1').count()) === 0; i += 1) {
      await timeline.evaluate((el) => { el.scrollTop = 0; });
      await page.waitForTimeout(150);
    }
    await message(page, 'history 1').waitFor();
    await timeline.evaluate((el) => { el.scrollTop = el.scrollHeight; });

    // Reply, react, edit, delete — and Zed's device folds them the same way.
    await act(page, 'history 150', 'Reply');
    await page.getByText('Replying to Zed Zimmer').waitFor();
    await send(page, 'answering the last one');
    await message(page, 'answering the last one').locator('.quote').filter({ hasText: 'history 150' }).waitFor();
    await message(page, 'answering the last one').and(page.locator('[data-state="read"], [data-state="delivered"]')).waitFor();
    await act(page, 'history 150', 'React 👍');
    await message(page, 'history 150').getByRole('button', { name: /👍 1/ }).waitFor();

    await send(page, 'tpyo here');
    await message(page, 'tpyo here').and(page.locator(':not([data-state="sending"])')).waitFor();
    await act(page, 'tpyo here', 'Edit');
    await page.getByText('Editing').waitFor();
    await composer(page).press('Escape');
    assert.equal(await page.getByText('Editing').count(), 0, 'Escape cancels the edit');
    await act(page, 'tpyo here', 'Edit');
    await composer(page).fill('typo fixed');
    await composer(page).press('Enter');
    await message(page, 'typo fixed').getByText('edited').waitFor();

    await send(page, 'to be deleted');
    await message(page, 'to be deleted').and(page.locator(':not([data-state="sending"])')).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await act(page, 'to be deleted', 'Delete');
    await page.getByTestId('timeline').getByText('Message deleted').waitFor();

    await waitFor(() => {
      const items = zed.client.timeline(direct.chatId);
      const reply = items.find((m) => m.text === 'answering the last one');
      const edited = items.find((m) => m.text === 'typo fixed');
      const target = items.find((m) => m.text === 'history 150');
      return !!reply?.replyTo && !!edited?.edited && items.some((m) => m.deleted) && !!target?.reactions.some((r) => r.emoji === '👍');
    }, { what: 'zed sees reply, edit, delete and reaction', timeoutMs: 10_000 });

    zed.client.typing(direct.chatId);
    await page.getByTestId('chat-subtitle').filter({ hasText: 'Zed Zimmer is typing…' }).waitFor();
    await screenshot(page, '10-features-chat');

    // An invite link: preview, then join.
    const group = await zed.client.createGroup({ name: 'Night shift', color: '#4db6ac', memberIds: [] });
    const { token } = await zed.client.createInvite(group.chatId);
    await page.goto(`${url}/#/join/${token}`);
    // The group's name is end-to-end encrypted: the preview (from the server) can't show it...
    await page.getByTestId('invite-preview').getByText('its name is end-to-end encrypted').waitFor();
    assert.equal(await page.getByTestId('invite-preview').getByText('Night shift').count(), 0);
    await screenshot(page, '11-invite-preview');
    await page.getByRole('button', { name: 'Join' }).click();
    await page.getByTestId('system').filter({ hasText: 'You joined' }).waitFor();
    // ...but once Amy's device is in the group, Zed's device names it for her.
    await page.getByRole('heading', { name: 'Night shift' }).waitFor({ timeout: 30_000 });
    await waitFor(() => zed.client.chat(group.chatId)?.members.some((m) => m.userId === me.userId) ?? false, { what: 'amy in the group' });

    // Offline: the shell comes from the service worker, the chats from IndexedDB.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await page.reload();
    await page.getByTestId('chat-row').first().waitFor();
    await context.setOffline(true);
    await page.reload();
    await page.getByTestId('chat-row').filter({ hasText: 'Night shift' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
    await screenshot(page, '12-offline-reload');
    await context.setOffline(false);
    await context.close();
  });

  it('recovery code sign-in on a second browser; the first one revokes it from the devices list', async () => {
    const first = await personPage(browser);
    const handle = uniqueHandle('rex');
    const code = await signUp(first.page, url, 'Rex Reed', handle);

    const second = await personPage(browser, { mobile: true });
    await second.page.goto(url);
    await second.page.getByRole('button', { name: 'Use a recovery code' }).click();
    await second.page.getByLabel('Handle').fill(handle);
    await second.page.getByLabel('Recovery code').fill(code.toLowerCase());
    await second.page.getByRole('button', { name: 'Sign in' }).click();
    const fresh = (await second.page.getByTestId('recovery-code').textContent()) ?? '';
    assert.notEqual(fresh, code, 'a recovery sign-in issues a new code');
    await second.page.getByRole('button', { name: 'I saved it' }).click();
    await second.page.getByRole('heading', { name: 'Chats' }).waitFor();

    await first.page.getByRole('button', { name: 'Settings' }).click();
    await first.page.getByTestId('device').nth(1).waitFor();
    assert.equal(await first.page.getByTestId('device').count(), 2);
    await screenshot(first.page, '13-devices');
    first.page.once('dialog', (dialog) => void dialog.accept());
    await first.page.getByRole('button', { name: /^Sign out: / }).click();
    await waitFor(async () => (await first.page.getByTestId('device').count()) === 1, { what: 'one device left' });
    await second.page.getByText('This device was signed out.').waitFor({ timeout: 15_000 });
    await first.context.close();
    await second.context.close();
  });
});
