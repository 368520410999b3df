import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startGateway } from '@parley/bot-gateway';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';
import { pngImage } from './file-fixtures.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Issue 14 in the browser (R90, R91, R93, R108, R143, R144 force_reply): a person creates a bot in Settings → Bots, gives it a
 * command menu, runs the real gateway with grammY's inline-keyboard example (unmodified but for its
 * API root) on that token, then talks to it: the bot notice, the `/` menu, the buttons, the answer.
 */
describe('bots in the web client', { timeout: 300_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => {
    ({ server, browser, url, zed } = await openWebWorld());
  });
  after(async () => closeWebWorld({ server, browser, zed }));

  it('R90 R108 R143 R91 R93 create a bot in Settings (with an avatar), its token runs a grammY bot; the chat says it is a bot, / offers its commands, buttons press and answer; force_reply opens a reply', async () => {
    const { context, page } = await personPage(browser);
    await signUp(page, url, 'Olga Owner', uniqueHandle('olga'));
    await page.goto(`${url}/#/settings`);
    const card = page.getByTestId('bots-card');
    await card.getByText('You have no bots yet.').waitFor();

    // --- Settings → Bots -----------------------------------------------------------------------
    const handle = `${uniqueHandle('pg').slice(0, 20)}_bot`;
    await card.getByLabel('Name').fill('Pager');
    await card.getByLabel('Handle (ends in "bot")').fill('pager');
    await card.getByText('A bot handle is 3-32 letters').waitFor();
    assert.equal(await card.getByRole('button', { name: 'Create bot' }).isDisabled(), true, 'a handle not ending in bot cannot be sent');
    await card.getByLabel('Handle (ends in "bot")').fill(handle);
    await card.getByLabel('Description (optional)').fill('Pages through a book');
    await card.getByRole('button', { name: 'Create bot' }).click();
    const token = (await card.getByTestId('bot-token-value').textContent()) ?? '';
    assert.match(token, /^[A-Za-z0-9_-]+:[A-Za-z0-9_-]{32,}$/, 'the token is shown');
    const row = card.getByTestId('bot-row').filter({ hasText: `@${handle}` });
    await row.getByText('Pages through a book').waitFor();
    await row.getByText('Commands (0)').click();
    await row.getByTestId('bot-commands').fill('start - Show the pages\nBad Command\n');
    await row.getByRole('button', { name: 'Save commands' }).click();
    await row.getByText('Line 2: write').waitFor();
    await row.getByTestId('bot-commands').fill('start - Show the pages\nhelp - What this bot does');
    await row.getByRole('button', { name: 'Save commands' }).click();
    await row.getByText('Commands saved').waitFor();
    // R143: an avatar from a file; the row shows it.
    await row.getByTestId('bot-avatar-file').setInputFiles({ name: 'pager.png', mimeType: 'image/png', buffer: pngImage(96, 96) });
    await row.getByTestId('bot-avatar').waitFor();
    await row.getByRole('button', { name: 'Remove avatar' }).waitFor();
    await screenshot(page, 'bots-settings');
    // The card's three buttons stand apart (they touched once: `.row` was no flex box there).
    const boxes = await Promise.all(['New token', 'Revoke token', 'Delete bot'].map(async (name) => (await row.getByRole('button', { name }).boundingBox())!));
    for (let i = 1; i < boxes.length; i++) assert.ok(boxes[i]!.x - (boxes[i - 1]!.x + boxes[i - 1]!.width) >= 4, `a gap before button ${i + 1}`);
    assert.deepEqual(await axeViolations(page), [], 'Settings → Bots with a token shown');
    await card.getByRole('button', { name: 'I have saved it' }).click();
    assert.equal(await card.getByTestId('bot-token').count(), 0, 'the token is gone once saved');

    // --- the real gateway and grammY's keyboard example on that token ----------------------------
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-gw-'));
    const gateway = await startGateway({ server: url, token, listen: { host: '127.0.0.1', port: 0 }, dataDir, log: () => undefined });
    const bot = spawn(process.execPath, [join(root, 'examples/bots/grammy-keyboard.mjs')], {
      env: { ...process.env, BOT_TOKEN: token, BOT_API_ROOT: gateway.url }, stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      // --- the chat ------------------------------------------------------------------------------
      await page.goto(`${url}/#/u/${handle}`);
      const notice = page.getByTestId('bot-notice');
      await notice.waitFor();
      assert.match((await notice.textContent()) ?? '', /This chat includes a bot \(Pager\)\. It can read what you send it\. It runs on its owner's machine\./);
      await page.locator('.chat-header').getByTestId('bot-badge').waitFor();
      await page.locator('.chat-header').getByTestId('bot-avatar').waitFor(); // R143: its avatar in the header and the chat list
      await page.getByTestId('chat-row').filter({ hasText: 'Pager' }).getByTestId('bot-avatar').waitFor();
      const box = page.getByRole('textbox', { name: 'Message' });
      await box.fill('/');
      const menu = page.getByTestId('command-menu');
      await menu.waitFor();
      assert.deepEqual(await menu.getByRole('option').allTextContents(), ['/start Show the pages', '/help What this bot does']);
      await box.fill('/st');
      assert.deepEqual(await menu.getByRole('option').allTextContents(), ['/start Show the pages'], 'typing narrows the menu');
      await box.fill('/');
      await screenshot(page, 'bots-command-menu');
      assert.deepEqual(await axeViolations(page), [], 'the command menu');
      await menu.getByRole('option', { name: /\/start/ }).click();
      await page.getByTestId('message').filter({ hasText: '/start' }).waitFor();

      const keyboard = page.getByTestId('inline-keyboard');
      await keyboard.waitFor({ timeout: 60_000 });
      const replyId = await page.getByTestId('message').filter({ has: keyboard }).getAttribute('id');
      const reply = page.locator(`[id="${replyId ?? ''}"]`);
      await reply.getByText('Choose a page').waitFor();
      assert.deepEqual(await keyboard.getByRole('button').allTextContents(), ['« 1', '‹ 3', 'Docs ↗']);
      await screenshot(page, 'bots-keyboard');
      assert.deepEqual(await axeViolations(page), [], 'a chat with a bot, its notice and keyboard');

      // A url button asks first, showing where it goes.
      await keyboard.getByRole('button', { name: /Docs/ }).click();
      const confirmLink = page.getByTestId('link-confirm');
      await confirmLink.waitFor();
      assert.equal(await confirmLink.getByTestId('link-confirm-url').textContent(), 'https://grammy.dev');
      await confirmLink.getByRole('button', { name: 'Cancel' }).click();

      // A callback button: the bot edits its message (and its keyboard).
      await keyboard.getByRole('button', { name: '‹ 3' }).click();
      await reply.getByText('Page 3 of 3').waitFor({ timeout: 30_000 });
      assert.deepEqual(await reply.getByTestId('inline-keyboard').getByRole('button').allTextContents(), ['« 1']);
      // And its answer shows as a notice under the message.
      await reply.getByRole('button', { name: '« 1' }).click();
      await page.getByTestId('bot-answer').filter({ hasText: 'Going to page 1' }).waitFor({ timeout: 30_000 });
      await reply.getByText('Page 1 of 3').waitFor({ timeout: 30_000 });
      await screenshot(page, 'bots-answer');
      assert.equal(await reply.getByTestId('inline-keyboard').count(), 0, 'an edit without a keyboard leaves none');
      assert.equal(await reply.locator('b, strong').filter({ hasText: 'Page 1' }).count(), 1, 'HTML bold became formatting');

      // --- show_alert: the answer is a dialog (the bot's calls made by hand, grammY stopped) ---------
      bot.kill('SIGTERM');
      await new Promise((r) => bot.once('exit', r));
      const tg = async (method: string, body: Record<string, unknown>) => (await (await fetch(`${gateway.url}/bot${token}/${method}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { ok: boolean; result: { message?: { chat: { id: number } }; update_id: number; callback_query?: { id: string } }[] };
      await box.fill('are you there');
      await box.press('Enter');
      let chatInt: number | undefined;
      let offset = 0;
      await waitFor(async () => {
        const got = (await tg('getUpdates', { offset, timeout: 1 })).result;
        offset = (got.at(-1)?.update_id ?? offset - 1) + 1;
        chatInt = got.find((u) => u.message)?.message?.chat.id ?? chatInt;
        return chatInt !== undefined;
      }, { what: 'the text at the gateway', timeoutMs: 30_000 });
      await tg('sendMessage', { chat_id: chatInt, text: 'Delete everything?', reply_markup: { inline_keyboard: [[{ text: 'Yes, delete', callback_data: 'wipe' }]] } });
      const wipe = page.getByTestId('message').filter({ hasText: 'Delete everything?' });
      await wipe.getByRole('button', { name: 'Yes, delete' }).click({ timeout: 30_000 });
      let queryId: string | undefined;
      await waitFor(async () => {
        queryId = (await tg('getUpdates', { offset, timeout: 1 })).result.find((u) => u.callback_query)?.callback_query?.id;
        return queryId !== undefined;
      }, { what: 'the press at the gateway', timeoutMs: 30_000 });
      await tg('answerCallbackQuery', { callback_query_id: queryId, text: 'Nothing was deleted: this is a test', show_alert: true });
      const alertBox = page.getByTestId('bot-answer-alert');
      await alertBox.getByText('Nothing was deleted: this is a test').waitFor({ timeout: 30_000 });
      await screenshot(page, 'bots-alert');
      await alertBox.getByRole('button', { name: 'OK' }).click();
      await alertBox.waitFor({ state: 'detached' });

      // --- R121 a reply keyboard above the message box: a tap sends its text, one-time hides, remove clears
      await tg('sendMessage', { chat_id: chatInt, text: 'Pick a size', reply_markup: { keyboard: [['Small', 'Large'], [{ text: 'Tell me more' }]], resize_keyboard: true, one_time_keyboard: true, input_field_placeholder: 'Choose a size' } });
      const replyKb = page.getByTestId('reply-keyboard');
      const sizes = replyKb.getByRole('group', { name: 'Choose a size' });
      await sizes.waitFor({ timeout: 30_000 });
      assert.deepEqual(await sizes.getByRole('button').allTextContents(), ['Small', 'Large', 'Tell me more']);
      await waitFor(async () => (await box.getAttribute('placeholder')) === 'Choose a size', { what: 'the keyboard\'s placeholder in the message box' });
      await screenshot(page, 'bots-reply-keyboard');
      assert.deepEqual(await axeViolations(page), [], 'a reply keyboard above the message box');
      await sizes.getByRole('button', { name: 'Large' }).click();
      await page.getByTestId('message').filter({ hasText: 'Large' }).first().waitFor();
      await sizes.waitFor({ state: 'detached' });
      await waitFor(async () => (await box.getAttribute('placeholder')) === 'Message', { what: 'the placeholder gone with the hidden keyboard' });
      let pressed: string | undefined;
      await waitFor(async () => {
        const got = (await tg('getUpdates', { offset, timeout: 1 })).result as unknown as { update_id: number; message?: { text?: string } }[];
        offset = (got.at(-1)?.update_id ?? offset - 1) + 1;
        pressed = got.find((u) => u.message?.text === 'Large')?.message?.text ?? pressed;
        return pressed !== undefined;
      }, { what: 'the pressed text at the gateway, as an ordinary message', timeoutMs: 30_000 });
      await replyKb.getByRole('button', { name: 'Show the bot\'s keyboard' }).click();
      await sizes.waitFor();
      await tg('sendMessage', { chat_id: chatInt, text: 'Noted', reply_markup: { remove_keyboard: true } });
      await replyKb.waitFor({ state: 'detached', timeout: 30_000 });

      // --- R144 force_reply: the reply to the bot's question is open, with its placeholder; sending answers it
      await tg('sendMessage', { chat_id: chatInt, text: 'What is your name?', reply_markup: { force_reply: true, input_field_placeholder: 'Your name' } });
      const context = page.locator('.composer-context');
      await context.getByText('Replying to Pager').waitFor({ timeout: 30_000 });
      await context.getByText('What is your name?').waitFor();
      await waitFor(async () => (await box.getAttribute('placeholder')) === 'Your name', { what: 'the force_reply placeholder' });
      await screenshot(page, 'bots-force-reply');
      await box.fill('Olga');
      await box.press('Enter');
      await context.waitFor({ state: 'detached' });
      let answered: { text?: string; reply_to_message?: { text?: string } } | undefined;
      await waitFor(async () => {
        const got = (await tg('getUpdates', { offset, timeout: 1 })).result as unknown as { update_id: number; message?: { text?: string; reply_to_message?: { text?: string } } }[];
        offset = (got.at(-1)?.update_id ?? offset - 1) + 1;
        answered = got.find((u) => u.message?.text === 'Olga')?.message ?? answered;
        return answered !== undefined;
      }, { what: 'the answer at the gateway, replying to the question', timeoutMs: 30_000 });
      assert.equal(answered!.reply_to_message?.text, 'What is your name?');
      await waitFor(async () => (await box.getAttribute('placeholder')) === 'Message', { what: 'the placeholder back once answered' });

      // --- revoke in Settings: the gateway is signed out ---------------------------------------
      await page.goto(`${url}/#/settings`);
      page.once('dialog', (d) => void d.accept());
      await page.getByTestId('bot-row').filter({ hasText: `@${handle}` }).getByRole('button', { name: 'Revoke token' }).click();
      await page.getByTestId('bot-row').filter({ hasText: `@${handle}` }).getByText('No token (revoked)').waitFor();
      await waitFor(async () => (await fetch(`${gateway.url}/bot${token}/getMe`)).status === 401, { what: 'the gateway signed out (401)', timeoutMs: 30_000 });
    } finally {
      bot.kill('SIGTERM');
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
      await context.close();
    }
  });
});
