import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Api, InputFile, InputMediaBuilder } from 'grammy';
import type { Update } from 'grammy/types';
import type { Browser } from 'playwright-core';
import { startGateway } from '@parley/bot-gateway';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

const tram = new Uint8Array(readFileSync(fileURLToPath(new URL('../../../examples/bots/assets/tram.png', import.meta.url))));

/**
 * Issue 14 in the browser, R150 and R151: a bot (the real gateway, called through grammY's Api) sends a
 * photo asking for a reply, replaces it with a document (editMessageMedia), and asks a quiz; the
 * person sees each where a person would.
 */
describe('bot media edits, force_reply on files and quizzes in the web client', { timeout: 300_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => {
    ({ server, browser, url, zed } = await openWebWorld());
  });
  after(async () => closeWebWorld({ server, browser, zed }));

  it('R150 a photo with force_reply opens a reply; editMessageMedia shows the new file in place; R151 a quiz shows right or wrong and why after answering; a venue is a card with a link out; R157 a live location moves, stops and ends; R158 a sticker shows without a bubble', async () => {
    const handle = `${uniqueHandle('qz').slice(0, 20)}_bot`;
    const created = await zed.client.bots.create({ handle, displayName: 'Tram Quiz' });
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-gw-'));
    const gateway = await startGateway({ server: url, token: created.token, listen: { host: '127.0.0.1', port: 0 }, dataDir, log: () => undefined });
    const api = new Api(created.token, { apiRoot: gateway.url });
    const { context, page } = await personPage(browser);
    try {
      await signUp(page, url, 'Petra Person', uniqueHandle('petra'));
      await page.goto(`${url}/#/u/${handle}`);
      await page.getByTestId('bot-notice').waitFor();
      const box = page.getByRole('textbox', { name: 'Message' });
      await box.fill('hello');
      await box.press('Enter');
      let offset = 0;
      const take = async (): Promise<Update[]> => { const u = await api.getUpdates({ offset, timeout: 1 }); if (u.length) offset = u.at(-1)!.update_id + 1; return u; };
      let chat = 0;
      await waitFor(async () => { chat = (await take()).find((u) => u.message?.text === 'hello')?.message?.chat.id ?? chat; return chat !== 0; }, { what: 'the person\'s message at the gateway', timeoutMs: 40_000 });

      // --- R150 force_reply on a photo: the reply to it is open, with the placeholder -----------------
      const photo = await api.sendPhoto(chat, new InputFile(tram, 'tram.png'), { caption: 'Which line is this?', reply_markup: { force_reply: true, input_field_placeholder: 'A line number' } });
      const message = page.getByTestId('message').filter({ hasText: 'Which line is this?' });
      await message.getByTestId('media-tile').waitFor({ timeout: 30_000 });
      const messageId = await message.getAttribute('id');
      const same = page.locator(`[id="${messageId ?? ''}"]`);
      const composerContext = page.locator('.composer-context');
      await composerContext.getByText('Replying to Tram Quiz').waitFor({ timeout: 30_000 });
      await waitFor(async () => (await box.getAttribute('placeholder')) === 'A line number', { what: 'the force_reply placeholder' });
      await same.getByTestId('media-full').waitFor({ timeout: 30_000 });
      await screenshot(page, 'bots-photo-force-reply');
      await box.fill('7');
      await box.press('Enter');
      await composerContext.waitFor({ state: 'detached' });
      let answer: Update['message'];
      await waitFor(async () => { answer = (await take()).find((u) => u.message?.text === '7')?.message ?? answer; return answer !== undefined; }, { what: 'the answer at the gateway', timeoutMs: 30_000 });
      assert.equal(answer!.reply_to_message?.message_id, photo.message_id, 'the answer replies to the photo');

      // --- R150 editMessageMedia: the photo becomes a document, with a new caption and a button -----
      await api.editMessageMedia(chat, photo.message_id, InputMediaBuilder.document(new InputFile(new TextEncoder().encode('07:10 07:40 08:10\n'), 'timetable-7.txt'), { caption: 'Line 7 timetable' }), {
        reply_markup: { inline_keyboard: [[{ text: 'Refresh', callback_data: 'refresh' }]] },
      });
      await same.getByTestId('file-name').filter({ hasText: 'timetable-7.txt' }).waitFor({ timeout: 30_000 });
      await same.getByText('Line 7 timetable').waitFor();
      assert.equal(await same.getByTestId('media-tile').count(), 0, 'the photo is gone from the message');
      assert.equal(await same.getByText('Which line is this?').count(), 0, 'the old caption is gone');
      await same.getByTestId('inline-keyboard').getByRole('button', { name: 'Refresh' }).waitFor();
      await same.getByText('edited').first().waitFor();
      await screenshot(page, 'bots-edit-media');
      assert.deepEqual(await axeViolations(page), [], 'a bot message whose file was replaced');

      // --- R151 a quiz: one answer; then right or wrong, the right option and why -------------------
      await api.sendPoll(chat, 'Which tram runs to the depot?', [{ text: 'Line 3' }, { text: 'Line 7' }, { text: 'Line 9' }], {
        type: 'quiz', correct_option_ids: [1], is_anonymous: false, explanation: '<b>Line 7</b> ends at the depot since 1998', explanation_parse_mode: 'HTML',
      });
      const quiz = page.getByTestId('poll').filter({ hasText: 'Which tram runs to the depot?' });
      await quiz.waitFor({ timeout: 30_000 });
      await quiz.getByText('Quiz · One answer, final').waitFor();
      assert.equal(await quiz.getByTestId('quiz-verdict').count(), 0, 'no answer shown before answering');
      await quiz.getByRole('radio', { name: 'Line 3' }).click();
      await quiz.getByTestId('quiz-verdict').filter({ hasText: 'Wrong: the answer is “Line 7”' }).waitFor({ timeout: 30_000 });
      await quiz.getByTestId('quiz-explanation').filter({ hasText: 'Line 7 ends at the depot since 1998' }).waitFor();
      assert.equal(await quiz.getByTestId('quiz-explanation').locator('strong').textContent(), 'Line 7', 'the explanation keeps its formatting');
      assert.equal(await quiz.getByRole('button', { name: 'Change vote' }).count(), 0, 'a quiz answer is final');
      assert.equal(await quiz.getByRole('button', { name: 'Take back vote' }).count(), 0);
      assert.deepEqual(await quiz.locator('.poll-option.correct .poll-text').allTextContents(), ['Line 7 (right answer)']);
      assert.deepEqual(await quiz.locator('.poll-option.wrong .poll-text').allTextContents(), ['Line 3 (your answer, wrong)']);
      await quiz.scrollIntoViewIfNeeded();
      await screenshot(page, 'bots-quiz');
      assert.deepEqual(await axeViolations(page), [], 'an answered quiz');
      let voted: Update['poll_answer'];
      await waitFor(async () => { voted = (await take()).find((u) => u.poll_answer)?.poll_answer ?? voted; return voted !== undefined; }, { what: 'the poll_answer at the gateway', timeoutMs: 30_000 });
      assert.deepEqual(voted!.option_ids, [0]);

      // --- R151 a venue: a card with its name, address, coordinates and a link out (no map tiles) ------
      const tiles: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith(url)) tiles.push(r.url()); });
      await api.sendVenue(chat, 48.8584, 2.2945, 'Tram depot', '1 Rue du Dépôt, Paris');
      const place = page.getByTestId('place-card').filter({ hasText: 'Tram depot' });
      await place.waitFor({ timeout: 30_000 });
      await place.getByText('1 Rue du Dépôt, Paris').waitFor();
      assert.equal(await place.getByTestId('place-coords').textContent(), '48.85840, 2.29450');
      assert.equal(await place.getByTestId('place-link').getAttribute('href'), 'https://www.openstreetmap.org/?mlat=48.8584&mlon=2.2945#map=16/48.8584/2.2945');
      await page.getByTestId('chat-row').filter({ hasText: '📍 Tram depot' }).waitFor();
      await place.scrollIntoViewIfNeeded();
      await screenshot(page, 'bots-venue');
      assert.deepEqual(await axeViolations(page), [], 'a venue card');
      assert.deepEqual(tiles, [], 'showing a place fetches nothing from elsewhere');

      // --- R158 a sticker: the picture alone, no bubble around it, named by its emoji ------------------
      await api.sendSticker(chat, new InputFile(tram, 'tram.png'), { emoji: '🚋' });
      const sticker = page.getByRole('img', { name: 'Sticker 🚋' });
      await sticker.locator('img').waitFor({ timeout: 30_000 });
      const look = await sticker.evaluate((el) => { const b = getComputedStyle(el.closest('.bubble')!); const r = el.getBoundingClientRect(); return [b.backgroundColor, b.boxShadow, Math.max(r.width, r.height)]; });
      assert.deepEqual(look, ['rgba(0, 0, 0, 0)', 'none', 160], 'a sticker has no bubble and is at most 160 px a side');
      await page.getByTestId('chat-row').filter({ hasText: '🚋 Sticker' }).waitFor();
      await sticker.scrollIntoViewIfNeeded();
      await screenshot(page, 'bots-sticker');
      assert.deepEqual(await axeViolations(page), [], 'a sticker');
      // --- R157 a live location moves in place, then shows it stopped; another ends by itself ----------
      const sent = await api.sendLocation(chat, 59.9343, 30.3351, { live_period: 900 });
      const live = page.getByTestId('place-card').filter({ hasText: 'Live location' });
      await live.getByTestId('place-live').filter({ hasText: /^Live until .+, moved / }).waitFor({ timeout: 30_000 });
      await api.editMessageLiveLocation(chat, sent.message_id, 59.9398, 30.3146);
      await live.getByTestId('place-coords').filter({ hasText: '59.93980, 30.31460' }).waitFor({ timeout: 30_000 });
      assert.equal(await page.getByTestId('place-card').count(), 2, 'the move is the same card, not a new one');
      await page.getByTestId('chat-row').filter({ hasText: '📍 Live location' }).waitFor();
      await live.scrollIntoViewIfNeeded();
      await screenshot(page, 'bots-live-location');
      assert.deepEqual(await axeViolations(page), [], 'a live location');
      await api.stopMessageLiveLocation(chat, sent.message_id);
      await live.locator('[data-testid="place-live"][data-live="off"]').filter({ hasText: /^Live location stopped, last at / }).waitFor({ timeout: 30_000 });
      await page.clock.install();
      await api.sendLocation(chat, 1, 2, { live_period: 60 });
      const short = page.getByTestId('place-card').filter({ hasText: '1.00000, 2.00000' });
      await short.locator('[data-live="on"]').waitFor({ timeout: 30_000 });
      await page.clock.fastForward('01:05');
      await short.locator('[data-live="off"]').filter({ hasText: /^Live location ended, last at / }).waitFor({ timeout: 10_000 });
      await short.scrollIntoViewIfNeeded();
      await screenshot(page, 'bots-live-location-ended');
    } finally {
      await context.close();
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
