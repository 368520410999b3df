import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';
import { focused, pressUntil } from './focus.ts';

describe('the web client by keyboard only', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('open a chat, send, reply, react and open settings without a pointer; typing stops when the message arrives', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('kim');
    await signUp(page, url, 'Kim Key', handle);
    const kim = await zed.client.findUser(handle);
    const direct = await zed.client.openDirect(kim.userId);
    await waitFor(async () => (await zed.client.encryptionMembers(direct.chatId)).some((m) => m.userId === kim.userId), { what: "kim's browser in the chat", timeoutMs: 30_000 });
    await zed.client.sendText(direct.chatId, 'Lunch at noon?');
    await page.getByTestId('chat-row').filter({ hasText: 'Lunch at noon?' }).waitFor({ timeout: 20_000 });

    // Open the chat from the list.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await pressUntil(page, 'Tab', (f) => f.name.includes('Zed Zimmer'));
    await screenshot(page, 'keyboard-focus-chat-row');
    await page.keyboard.press('Enter');
    const composer = page.getByLabel('Message', { exact: true });
    await composer.waitFor();

    // Send: the composer has the focus when the chat opens.
    await pressUntil(page, 'Tab', (f) => f.tag === 'textarea', 60);
    await page.keyboard.type('Yes, see you there');
    await page.keyboard.press('Enter');
    await waitFor(() => zed.client.timeline(direct.chatId).some((i) => i.text === 'Yes, see you there'), { what: 'zed receives', timeoutMs: 20_000 });

    // Reply: back to Zed's message, Tab into its actions, Reply, type, Enter.
    await pressUntil(page, 'Shift+Tab', (f) => f.tag === 'div' && f.inMessage === 'Lunch at noon?');
    await pressUntil(page, 'Tab', (f) => f.name === 'Reply' && f.inMessage === 'Lunch at noon?', 3);
    await page.keyboard.press('Enter');
    assert.equal((await focused(page)).tag, 'textarea', 'Reply puts the focus in the composer');
    await page.keyboard.type('I will bring the salad');
    await page.keyboard.press('Enter');
    await waitFor(() => zed.client.timeline(direct.chatId).some((i) => i.text === 'I will bring the salad' && i.replyTo?.text === 'Lunch at noon?'), { what: 'zed receives the reply', timeoutMs: 20_000 });

    // React: to Zed's message, with 👍.
    await pressUntil(page, 'Shift+Tab', (f) => f.tag === 'div' && f.inMessage === 'Lunch at noon?');
    await pressUntil(page, 'Tab', (f) => f.name === 'React 👍' && f.inMessage === 'Lunch at noon?', 4);
    await screenshot(page, 'keyboard-focus-reaction');
    await page.keyboard.press('Enter');
    await waitFor(() => zed.client.timeline(direct.chatId).find((i) => i.text === 'Lunch at noon?')?.reactions.some((r) => r.emoji === '👍') ?? false, { what: 'zed sees the reaction', timeoutMs: 20_000 });
    // The reaction says what it is and who gave it, not only "👍 1".
    await page.getByTestId('message').filter({ hasText: 'Lunch at noon?' }).first().getByRole('button', { name: '👍 1: Kim Key', exact: true }).waitFor();
    await screenshot(page, 'keyboard-chat');

    // Typing: shown while Zed types, gone as soon as his message is here (not seconds later).
    const subtitle = page.getByTestId('chat-subtitle');
    // Zed keeps typing (his client signals at most every 3 s, as while a person types): one signal is
    // shown for 6 s at most, and a busy machine may take that long to bring it.
    const typist = subtitle.filter({ hasText: 'Zed Zimmer is typing…' });
    await waitFor(async () => {
      zed.client.typing(direct.chatId);
      return typist.waitFor({ timeout: 4000 }).then(() => true, () => false);
    }, { what: 'Zed typing shown', timeoutMs: 40_000 });
    await zed.client.sendText(direct.chatId, 'Great, thanks');
    await page.getByTestId('message').filter({ hasText: 'Great, thanks' }).waitFor();
    assert.doesNotMatch((await subtitle.textContent()) ?? '', /typing/);
    // New messages are read out by the live region.
    assert.match((await page.getByTestId('announcer').textContent()) ?? '', /New message from Zed Zimmer: Great, thanks/);

    // Settings: from the list's header.
    await pressUntil(page, 'Shift+Tab', (f) => f.name === 'Settings', 60);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await pressUntil(page, 'Tab', (f) => f.tag === 'select', 30);
    await screenshot(page, 'keyboard-settings');
  });
});
