import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ChatExport } from '@parley/client';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** Exporting a chat from its info panel: a JSON file made in the browser (docs/EXPORT.md). */

const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
const message = (page: Page, text: string) => page.getByTestId('message').filter({ has: page.locator('.text', { hasText: exactly(text) }) });


describe('chat export in a real browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('"Export chat" downloads <title>-<date>.json with the messages as shown: edits applied, deleted ones without text, markup as plain text', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    const direct = await zed.client.openDirect(amy.userId);
    const first = await zed.client.sendText(direct.chatId, 'frist');
    await zed.client.sendText(direct.chatId, '<b>not bold</b> & "quoted"');
    const secret = await zed.client.sendText(direct.chatId, 'secret to delete');
    await waitFor(() => zed.client.timeline(direct.chatId).filter((m) => m.state !== 'sending').length >= 3, { what: 'zed sent', timeoutMs: 30_000 });
    await zed.client.edit(direct.chatId, first, 'first');
    await zed.client.deleteMessage(direct.chatId, secret);

    await page.goto(`${url}/#/u/${zed.handle}`);
    await message(page, 'first').waitFor({ timeout: 30_000 });
    await page.getByTestId('timeline').getByText('Message deleted').waitFor();

    await page.goto(`${url}/#/info/${direct.chatId}`);
    const button = page.getByRole('button', { name: 'Export chat' });
    await button.waitFor();
    await screenshot(page, 'export-chat-panel');
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const today = new Date().toISOString().slice(0, 10);
    assert.equal(download.suggestedFilename(), `Zed Zimmer-${today}.json`);
    const doc = JSON.parse(await readFile((await download.path())!, 'utf8')) as ChatExport;

    assert.equal(doc.format, 'parley-chat-export');
    assert.equal(doc.version, 1);
    assert.equal(doc.chat.id, direct.chatId);
    assert.equal(doc.chat.kind, 'direct');
    assert.deepEqual(doc.attachments, []);
    const written = doc.messages.filter((m) => m.system === null);
    assert.deepEqual(written.map((m) => [m.sender.displayName, m.text, m.edited, m.deleted]), [
      ['Zed Zimmer', 'first', true, false],
      ['Zed Zimmer', '<b>not bold</b> & "quoted"', false, false],
      ['Zed Zimmer', null, false, true],
    ]);
    assert.match(written[0]!.sentAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});
