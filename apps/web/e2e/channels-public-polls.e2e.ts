import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, phoneShot, screenshot, signUp } from './browser.ts';

/** R198 polls and R199 voice notes in public channels, in Debian's Chromium. */

const post = (page: Page, text: string) => page.getByTestId('channel-post').filter({ hasText: text });

describe('public channel polls and voice posts in the web client', { timeout: 300_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  // R199: a fake microphone (a tone), and audio that plays without a gesture.
  before(async () => ({ server, browser, url, zed } = await openWebWorld({},
    ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'])));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R198 R199 the admin posts a poll (the chats\' form) and a voice note; a subscriber votes with a tap, sees the counts with their choice marked, takes it back, and plays the voice note; the page without an account shows the poll and its counts', async () => {
    const olga = (await personPage(browser)).page;
    const ben = (await personPage(browser, { mobile: true })).page;
    await Promise.all([signUp(olga, url, 'Olga Owner', uniqueHandle('olga')), signUp(ben, url, 'Ben Reader', uniqueHandle('ben'))]);
    const handle = uniqueHandle('polls').slice(0, 24);
    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New channel' }).click();
    await olga.getByLabel('Channel name').fill('Harbour votes');
    await olga.getByLabel('Handle (the link: /c/handle)').fill(handle);
    await olga.getByRole('button', { name: 'Create public channel' }).click();
    await olga.getByRole('heading', { name: 'Harbour votes' }).waitFor({ timeout: 30_000 });

    // R198: the chats' poll form from the composer, with the public note; the text typed goes with it.
    await olga.getByLabel('Write a post').fill('Ferry timetable for Sunday');
    await olga.getByTestId('poll-new').click();
    const dialog = olga.getByTestId('poll-dialog');
    await dialog.getByText('anyone can read the poll and its counts').waitFor();
    await dialog.getByTestId('poll-question').fill('Which pier <b>first</b>?');
    await dialog.getByTestId('poll-option').nth(0).fill('Pier 1');
    await dialog.getByTestId('poll-option').nth(1).fill('Pier 2');
    await dialog.getByTestId('poll-add-option').click();
    await dialog.getByTestId('poll-option').nth(2).fill('Either');
    await screenshot(olga, 'channels-p01-public-poll-form');
    await dialog.getByTestId('poll-send').click();
    const olgaPoll = post(olga, 'Ferry timetable for Sunday');
    await olgaPoll.getByTestId('post-verified').waitFor({ timeout: 30_000 });
    await olgaPoll.getByTestId('wrapped-poll-voters').filter({ hasText: '0 voters' }).waitFor({ timeout: 30_000 });
    assert.equal(await olga.getByTestId('poll-dialog').count(), 0, 'the form closed');

    // R199: the empty composer offers the microphone; Olga records (tap, tap to send): a voice post.
    const pressed = Date.now();
    await olga.getByTestId('voice-record').click();
    await olga.getByTestId('voice-recording').waitFor();
    await olga.waitForTimeout(2500);
    await olga.getByTestId('voice-send').click();
    const heldS = Math.ceil((Date.now() - pressed) / 1000);
    await olga.getByTestId('channel-post').getByTestId('voice-player').waitFor({ timeout: 60_000 });
    await screenshot(olga, 'channels-p02-public-poll-and-voice-admin');

    // Ben opens the channel by its link and subscribes; he taps "Pier 2": his choice, 1 vote, 100%.
    await ben.goto(`${url}/#/c/${handle}`);
    await ben.getByRole('heading', { name: 'Harbour votes' }).waitFor({ timeout: 30_000 });
    await ben.getByRole('button', { name: 'Subscribe' }).click();
    await ben.getByRole('button', { name: 'Unsubscribe' }).waitFor();
    const benPoll = post(ben, 'Ferry timetable for Sunday');
    await benPoll.getByText('Which pier <b>first</b>?').waitFor({ timeout: 30_000 });
    const pier2 = benPoll.getByRole('button', { name: 'Vote for Pier 2' });
    await pier2.click();
    await benPoll.getByTestId('wrapped-poll-voters').filter({ hasText: /^1 voter$/ }).waitFor({ timeout: 30_000 });
    assert.equal(await pier2.getAttribute('aria-pressed'), 'true');
    assert.equal(await pier2.getByTestId('wrapped-poll-count').textContent(), '1');
    assert.equal(await pier2.getByTestId('wrapped-poll-pct').textContent(), '100%');
    await phoneShot(ben, 'channels-p03-public-poll-voted-phone');

    // R199: the voice post plays for Ben, its length shown.
    const player = ben.getByTestId('channel-post').getByTestId('voice-player');
    await player.waitFor({ timeout: 30_000 });
    const length = (await player.getByTestId('voice-time').textContent()) ?? '';
    const [, min, sec] = /^(\d+):(\d\d)$/.exec(length) ?? [];
    const shownS = Number(min) * 60 + Number(sec);
    assert.ok(shownS >= 2 && shownS <= heldS, `its duration: ${length}, recorded for at most ${heldS} s`);
    await player.getByTestId('voice-play').click();
    const audio = player.getByTestId('voice-audio');
    await audio.waitFor({ state: 'attached', timeout: 30_000 });
    await waitFor(() => audio.evaluate((a) => (a as HTMLAudioElement).currentTime > 0.3), { what: 'the voice post plays', timeoutMs: 20_000 });
    await phoneShot(ben, 'channels-p04-public-voice-playing-phone');

    // The page for people without an account: the poll's question and options, escaped, with the count.
    const visitor = await browser.newPage();
    await visitor.goto(`${url}/c/${handle}`);
    const card = visitor.locator('.poll');
    await card.getByText('Which pier <b>first</b>?').waitFor();
    assert.equal(await card.locator('li').filter({ hasText: 'Pier 2' }).locator('.count').textContent(), '1');
    assert.equal(await card.locator('li').filter({ hasText: 'Pier 1' }).locator('.count').textContent(), '0');
    assert.equal(await visitor.locator('audio').count(), 1, 'the voice note plays on the page too');
    await screenshot(visitor, 'channels-p05-public-page-poll');
    await visitor.close();

    // Olga sees Ben's vote when she comes back to the channel; Ben taps his choice again: taken back.
    await olga.reload();
    await post(olga, 'Ferry timetable for Sunday').getByTestId('wrapped-poll-voters').filter({ hasText: /^1 voter$/ }).waitFor({ timeout: 30_000 });
    await pier2.click();
    await benPoll.getByTestId('wrapped-poll-voters').filter({ hasText: '0 voters' }).waitFor({ timeout: 30_000 });
    assert.equal(await pier2.getAttribute('aria-pressed'), 'false');
  });
});
