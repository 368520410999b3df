import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { zipSync } from 'fflate';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';
import { pngImage } from './file-fixtures.ts';

/** R104: importing a WhatsApp .zip (with a photo) into a group in Debian's Chromium; Zed sees it through the SDK. */

const row = (page: Page, title: string) => page.getByTestId('chat-row').filter({ has: page.locator('.chat-title', { hasText: new RegExp(`^${title}$`) }) });
const CHAT = [
  '[12/31/23, 9:40:05 PM] Parents 3B: \u200eMessages and calls are end-to-end encrypted.',
  '[12/31/23, 9:41:10 PM] Ms Smith: Homework for Monday:',
  'page 42, exercises 1-3',
  '[12/31/23, 9:42:00 PM] Ms Smith: \u200e<attached: 00000012-PHOTO-2023-12-31-21-42-00.png>',
  '[1/13/24, 9:05:00 AM] Tom\'s dad: \u200eimage omitted',
  '[1/13/24, 9:06:00 AM] Tom\'s dad: <b>not bold</b> & "quoted"',
].join('\n');

describe('importing chat history in the browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R104 a WhatsApp zip: preview (name, count, dates, authors), an author linked to a member, progress, then the chat shows the messages marked imported with their names and dates; Zed sees them in order', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    await waitFor(async () => (await zed.client.keys.log(amy.userId, 0)).length > 0, { what: "amy's browser publishes its key", timeoutMs: 30_000 });
    const group = await zed.client.createGroup({ name: 'Class 3B', memberIds: [amy.userId] });
    await waitFor(() => zed.client.chat(group.chatId)?.encryption === 'on', { what: 'the group is encrypted', timeoutMs: 30_000 });
    await row(page, 'Class 3B').click();
    await page.getByRole('heading', { name: 'Class 3B' }).waitFor({ timeout: 30_000 });

    // From the chat's info panel to the import screen.
    await page.getByRole('button', { name: 'Group info' }).click();
    await page.getByRole('button', { name: 'Import history' }).click();
    const screen = page.getByTestId('import-screen');
    await screen.waitFor();
    const photo = pngImage(320, 200);
    const zip = zipSync({ '_chat.txt': new TextEncoder().encode(CHAT), '00000012-PHOTO-2023-12-31-21-42-00.png': [photo, { level: 0 }] });
    // Issue 12: the export's times have no zone; the phone that made it was in New York (UTC−05:00).
    await screen.getByLabel(/^Time zone of the phone/).selectOption({ label: 'UTC−05:00' });
    await screen.getByTestId('import-file').setInputFiles({ name: 'WhatsApp Chat - Parents 3B.zip', mimeType: 'application/zip', buffer: Buffer.from(zip) });
    const preview = screen.getByTestId('import-preview');
    await preview.waitFor({ timeout: 30_000 });
    assert.equal(await preview.getByTestId('import-chat-name').innerText(), 'Parents 3B');
    assert.equal(await preview.getByTestId('import-count').innerText(), '5');
    assert.match(await preview.innerText(), /Ms Smith \(2\)/);
    assert.match(await preview.innerText(), /Tom's dad \(2\)/);
    assert.match(await preview.innerText(), /1 file is not in the export and will be noted as missing/);
    // Tom's dad is Zed here: his messages carry Zed's name as a label.
    await preview.getByRole('combobox').nth(1).selectOption({ label: 'Zed Zimmer' });
    await screenshot(page, 'import-preview');
    assert.deepEqual(await axeViolations(page), []);
    await preview.getByRole('button', { name: 'Import 5 messages' }).click();
    await screen.getByTestId('import-done').waitFor({ timeout: 60_000 });
    assert.match(await screen.getByTestId('import-progress').innerText(), /Imported 5 of 5/);
    assert.match(await screen.getByTestId('import-done').innerText(), /5 messages imported \(0 were here already\)/);
    await screenshot(page, 'import-done');

    await screen.getByRole('button', { name: 'Open the chat' }).click();
    const imported = page.getByTestId('imported');
    await waitFor(async () => (await imported.count()) === 5, { what: 'five imported messages in the chat', timeoutMs: 30_000 });
    const lines = (await imported.allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
    assert.match(lines[0]!, /^imported From the original chat, /i);
    assert.match(lines[1]!, /^imported Ms Smith, .*(2023|2024)/i); // 9:41 PM on 12/31/23 in New York: Jan 1 in UTC
    assert.match(lines[3]!, /^imported Tom's dad, .*2024.* · linked to Zed Zimmer · 1 file not in the export$/i);
    await page.getByTestId('message').filter({ hasText: 'Homework for Monday' }).waitFor();
    await page.getByTestId('message').filter({ hasText: '<b>not bold</b> & "quoted"' }).waitFor(); // shown as text
    await page.locator('.msg img').first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'import-chat');

    // Zed's device: in order, each from Amy (the importer), marked imported with the original names.
    await waitFor(() => zed.client.timeline(group.chatId).filter((i) => i.imported).length === 5, { what: 'zed sees them', timeoutMs: 30_000 });
    const seen = zed.client.timeline(group.chatId).filter((i) => i.imported);
    assert.deepEqual(seen.map((i) => [i.senderUserId === amy.userId, i.imported!.from, i.imported!.userId === zed.userId]), [
      [true, '', false], [true, 'Ms Smith', false], [true, 'Ms Smith', false], [true, 'Tom\'s dad', true], [true, 'Tom\'s dad', true],
    ]);
    assert.ok(seen.every((i, k) => k === 0 || i.imported!.at >= seen[k - 1]!.imported!.at), 'in the original order');
    assert.equal(seen[0]!.imported!.at, Date.UTC(2024, 0, 1, 2, 40, 5), '9:40:05 PM in New York on 12/31/23');
    assert.equal(seen[2]!.attachments?.[0]?.name, '00000012-PHOTO-2023-12-31-21-42-00.png');
  });

  it('R104 in Russian: a Telegram export folder (result.json and photos/) from the new-chat panel into a new group', async () => {
    const { page } = await personPage(browser);
    await signUp(page, url, 'Ира Петрова', uniqueHandle('ira'));
    await page.evaluate(() => localStorage.setItem('parley.locale', 'ru'));
    await page.goto(`${url}/#/new`);
    await page.reload(); // the language is read at start
    await page.getByRole('button', { name: 'Импорт истории' }).click();
    const screen = page.getByTestId('import-screen');
    await screen.waitFor({ timeout: 30_000 });
    const dir = join(mkdtempSync(join(tmpdir(), 'parley-tg-')), 'ChatExport_2024-01-01');
    mkdirSync(join(dir, 'photos'), { recursive: true });
    copyFileSync(join(import.meta.dirname, '../../../packages/client/src/import/fixtures/telegram-chat.json'), join(dir, 'result.json'));
    writeFileSync(join(dir, 'photos/photo_1@31-12-2023_21-45-00.jpg'), pngImage(320, 240));
    await screen.getByTestId('import-folder').setInputFiles(dir);
    const preview = screen.getByTestId('import-preview');
    await preview.waitFor({ timeout: 30_000 });
    assert.equal(await preview.getByTestId('import-chat-name').innerText(), 'Дом 5, подъезд 2');
    assert.equal(await preview.getByTestId('import-count').innerText(), '6');
    assert.match(await preview.innerText(), /2 файла нет в экспорте/);
    await screenshot(page, 'import-preview-ru');
    await preview.getByRole('button', { name: 'Импортировать 6 сообщений' }).click();
    await screen.getByTestId('import-done').waitFor({ timeout: 60_000 });
    await screen.getByRole('button', { name: 'Открыть чат' }).click();
    await page.getByRole('heading', { name: 'Дом 5, подъезд 2' }).waitFor({ timeout: 30_000 });
    const imported = page.getByTestId('imported');
    await waitFor(async () => (await imported.count()) === 6, { what: 'six imported messages', timeoutMs: 30_000 });
    const lines = (await imported.allInnerTexts()).map((x) => x.replace(/\s+/g, ' ').trim());
    assert.match(lines[0]!, /^импорт Из исходного чата, /i);
    assert.match(lines[2]!, /^импорт Кв\. 14, .* · изменено /i);
    assert.match(lines[1]!, /Переслано от Совет дома$/, 'forwarded in the export: shown as such');
    assert.doesNotMatch(lines[3]!, /изменено|Переслано/);
    await page.locator('.msg img').first().waitFor({ timeout: 30_000 });
    await page.getByTestId('message').filter({ hasText: 'Вот "объявление" у лифта' }).locator('.quote').waitFor(); // the reply is a reply
    await screenshot(page, 'import-chat-ru');
  });
});
