import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { pngImage } from './file-fixtures.ts';
import { axeLog } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/**
 * Scheduled posts with photos and polls in the web client (docs/PROTOCOL.md R192, on R110, R115 and R188), in Debian's Chromium.
 * PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS=1: a private channel's first subscriber switches it to wrapped mode.
 */

const post = (page: Page, text: string) => page.getByTestId('channel-post').filter({ hasText: text });

/** A `datetime-local` value `ms` from now in the page's own clock and time zone, to the second. */
function inPage(page: Page, ms: number): Promise<string> {
  return page.evaluate((ahead) => {
    const at = Date.now() + ahead;
    return new Date(at - new Date(at).getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  }, ms);
}

describe('scheduled posts with photos in the web client', { timeout: 300_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld({ PARLEY_CHANNEL_SCHEDULE_SWEEP_MS: '1000', PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1' })));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R192 an admin schedules a post with a photo in a public channel: the list says "Photo"; the subscriber sees the post and its photo after the time, not before', async () => {
    const author = await personPage(browser);
    const reader = await personPage(browser, { mobile: true });
    const olga = author.page;
    const ben = reader.page;
    const { found, axe } = axeLog();
    await Promise.all([signUp(olga, url, 'Olga Owner', uniqueHandle('olga')), signUp(ben, url, 'Ben Reader', uniqueHandle('ben'))]);

    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New channel' }).click();
    await olga.getByLabel('Channel name').fill('Harbour Photos');
    const handle = uniqueHandle('harbour');
    await olga.getByLabel('Handle (the link: /c/handle)').fill(handle);
    await olga.getByRole('button', { name: 'Create public channel' }).click();
    await olga.getByRole('heading', { name: 'Harbour Photos' }).waitFor({ timeout: 30_000 });

    // A first post (its head signed with it, R125), so the log's check has a head to go by.
    await olga.getByLabel('Write a post').fill('Welcome to the harbour channel.');
    await olga.getByRole('button', { name: 'Post', exact: true }).click();
    await post(olga, 'Welcome to the harbour channel.').getByTestId('post-verified').waitFor({ timeout: 30_000 });

    await ben.goto(`${url}/#/c/${handle}`);
    await ben.getByRole('button', { name: 'Subscribe' }).click();
    await ben.getByRole('button', { name: 'Unsubscribe' }).waitFor();

    // The photo is picked, then "Schedule": a time 20 s ahead, a caption; the list shows it with "Photo".
    await olga.getByTestId('channel-file-input').setInputFiles({ name: 'dawn.png', mimeType: 'image/png', buffer: pngImage(320, 200) });
    await olga.getByRole('list', { name: 'Add photos or files' }).getByText('dawn.png').waitFor();
    await olga.getByRole('button', { name: 'Schedule', exact: true }).click();
    await olga.getByTestId('schedule-at').fill(await inPage(olga, 20_000));
    await olga.getByLabel('Write a post').fill('Dawn over the harbour.');
    await screenshot(olga, 'channels-s01-schedule-photo-composer');
    await olga.getByLabel('Write a post').press('Control+Enter');
    const scheduled = olga.getByTestId('scheduled-post').filter({ hasText: 'Dawn over the harbour.' });
    await scheduled.getByTestId('scheduled-file').filter({ hasText: 'Photo' }).waitFor({ timeout: 30_000 });
    assert.equal(await olga.getByRole('list', { name: 'Add photos or files' }).count(), 0, 'the composer is empty again');
    await screenshot(olga, 'channels-s02-scheduled-with-photo');
    await axe(olga, 'scheduled post with a photo');
    assert.equal(await post(ben, 'Dawn over the harbour.').count(), 0, 'not before its time');

    // At its time the server publishes it: the subscriber sees it verified, with the photo (its bytes checked against the signed hash).
    await post(ben, 'Dawn over the harbour.').getByTestId('post-verified').waitFor({ timeout: 90_000 });
    const photoWidth = () => post(ben, 'Dawn over the harbour.').getByTestId('channel-photo').first().evaluate((img: HTMLImageElement) => img.complete ? img.naturalWidth : 0);
    await waitFor(async () => (await photoWidth()) === 320, { what: 'the photo shows for the subscriber', timeoutMs: 30_000 });
    await scheduled.waitFor({ state: 'detached', timeout: 30_000 });
    await screenshot(ben, 'channels-s03-scheduled-photo-published-phone');
    await axe(ben, 'published scheduled photo (phone)');

    assert.deepEqual(found, [], 'no axe violations');
    await author.context.close();
    await reader.context.close();
  });

  it('R192 in a wrapped channel the admin schedules a photo post and a poll from the composer: the list says "Photo" and "Poll: …"; the poll is published at its time', async () => {
    const author = await personPage(browser);
    const olga = author.page;
    const { found, axe } = axeLog();
    await signUp(olga, url, 'Olga Owner', uniqueHandle('olga'));
    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New channel' }).click();
    await olga.getByRole('radio', { name: /^Private:/ }).check();
    await olga.getByLabel('Channel name').fill('Pier notices');
    await olga.getByRole('button', { name: 'Create private channel' }).click();
    await olga.getByRole('heading', { name: 'Pier notices' }).waitFor({ timeout: 30_000 });
    await olga.getByRole('button', { name: 'Channel settings' }).click();
    const invites = olga.getByTestId('community-invites');
    await invites.getByRole('button', { name: 'Create invite link' }).click();
    const link = (await invites.getByTestId('link').textContent()) ?? '';
    const token = /\/#\/community-join\/([^/?#\s]+)/.exec(link)?.[1];
    assert.ok(token, link);
    const joined = await zed.client.communities.joinInvite(token); // past PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: wrapped mode
    assert.equal(joined.settings.wrapped, true);
    await olga.goto(`${url}/#/private/${joined.communityId}`);
    await olga.getByTestId('wrapped-channel').waitFor({ timeout: 30_000 });

    // A photo post an hour ahead: encrypted and uploaded now (R162), held by the scheduled post on the server.
    await olga.getByTestId('channel-file-input').setInputFiles({ name: 'pier.png', mimeType: 'image/png', buffer: pngImage(200, 120) });
    await olga.getByRole('button', { name: 'Schedule', exact: true }).click();
    await olga.getByTestId('schedule-at').fill(await inPage(olga, 3_600_000));
    await olga.getByLabel('Write a post').fill('Pier 2 at dusk.');
    const submit = olga.getByRole('button', { name: 'Schedule', exact: true });
    await waitFor(async () => !(await submit.isDisabled()), { what: 'the photo is prepared' });
    await submit.click();
    const list = olga.getByTestId('scheduled-post');
    await list.filter({ hasText: 'Pier 2 at dusk.' }).getByTestId('scheduled-file').filter({ hasText: 'Photo' }).waitFor({ timeout: 60_000 });

    // A poll 20 s ahead: "Schedule", then the poll form.
    await olga.getByRole('button', { name: 'Schedule', exact: true }).click();
    await olga.getByTestId('schedule-at').fill(await inPage(olga, 20_000));
    await olga.getByTestId('poll-new').click();
    const dialog = olga.getByTestId('poll-dialog');
    await dialog.getByTestId('poll-question').fill('Ferry or bus on Monday?');
    await dialog.getByTestId('poll-option').nth(0).fill('Ferry');
    await dialog.getByTestId('poll-option').nth(1).fill('Bus');
    await dialog.getByTestId('poll-send').click();
    await list.getByTestId('scheduled-poll').filter({ hasText: 'Poll: Ferry or bus on Monday?' }).waitFor({ timeout: 30_000 });
    assert.equal(await olga.getByTestId('wrapped-poll').count(), 0, 'not posted now');
    await screenshot(olga, 'channels-s04-wrapped-scheduled-photo-and-poll');
    await axe(olga, 'wrapped scheduled photo and poll');

    // At its time the server publishes the poll; the photo post waits for its hour.
    await olga.getByTestId('wrapped-poll').filter({ hasText: 'Ferry or bus on Monday?' }).waitFor({ timeout: 90_000 });
    await list.getByTestId('scheduled-poll').waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(await list.filter({ hasText: 'Pier 2 at dusk.' }).count(), 1);
    await screenshot(olga, 'channels-s05-wrapped-poll-published');
    assert.deepEqual(found, [], 'no axe violations');
    await author.context.close();
  });
});
