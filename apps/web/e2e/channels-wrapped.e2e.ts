import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page, Route } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeLog } from './axe.ts';
import { closeWebWorld, newPrivateChannel, openWebWorld, personPage, phoneShot, screenshot, signUp, writeAndAccept } from './browser.ts';
import { pngImage } from './file-fixtures.ts';

/**
 * A private channel past the MLS size in the web client (docs/PROTOCOL.md R141-R142, R148-R149, R183's views), in
 * Debian's Chromium (and R147, the name for subscribers): PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS=1, so the first subscriber switches it to
 * wrapped mode.
 */

const WRAPPED_KIND = 'Private channel — end-to-end encrypted. The channel’s key is wrapped for each subscriber’s device; posts are decrypted on this device, the server can’t read them.';
const post = (page: Page, text: string) => page.getByTestId('wrapped-post').filter({ hasText: text });

describe('wrapped private channels in the web client', { timeout: 300_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  // R187: fake microphone (a tone) for voice posts, and audio that plays without a gesture.
  before(async () => ({ server, browser, url, zed } = await openWebWorld({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1', PARLEY_CHANNEL_MAX_PINS: '2' },
    ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'])));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R141 R148 R149 an admin posts from the app; a subscriber who joins later reads it without anyone wrapping by hand, sees the next post arrive, and is told plainly what kind of channel it is', async () => {
    const author = await personPage(browser);
    const reader = await personPage(browser, { mobile: true });
    const olga = author.page;
    const ben = reader.page;
    const { found, axe } = axeLog();
    await signUp(olga, url, 'Olga Owner', uniqueHandle('olga'));
    await signUp(ben, url, 'Ben Reader', uniqueHandle('ben'));
    // Issue 13: Ben's reads of his whole community list (GET /communities): at start and reconnect only, never per post or per event.
    let listReads = 0;
    reader.context.on('request', (r) => { if (r.method() === 'GET' && new URL(r.url()).pathname.endsWith('/api/v1/communities')) listReads += 1; });

    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New channel' }).click();
    await olga.getByRole('radio', { name: /^Private:/ }).check();
    await olga.getByLabel('Channel name').fill('Harbour notices');
    await olga.getByLabel('Description (optional)').fill('Ferries, tides and the harbour office.');
    await olga.getByRole('button', { name: 'Create private channel' }).click();
    await olga.getByRole('heading', { name: 'Harbour notices' }).waitFor({ timeout: 30_000 });
    await olga.getByRole('button', { name: 'Channel settings' }).click();
    const invites = olga.getByTestId('community-invites');
    await invites.getByRole('button', { name: 'Create invite link' }).click();
    const link = (await invites.getByTestId('link').textContent()) ?? '';
    const token = /\/#\/community-join\/([^/?#\s]+)/.exec(link)?.[1];
    assert.ok(token, link);

    // Zed's join takes the channel past PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: wrapped mode. Olga's app shows the channel as such.
    const joined = await zed.client.communities.joinInvite(token);
    assert.equal(joined.settings.wrapped, true);
    await olga.getByTestId('chat-row').filter({ hasText: 'Harbour notices' }).click();
    await olga.getByTestId('wrapped-channel').waitFor({ timeout: 30_000 });
    assert.equal(await olga.getByTestId('channel-kind').textContent(), ` ${WRAPPED_KIND}`);
    await olga.getByLabel('Write a post').fill('Ferry at 7:40 cancelled: strong wind.');
    await olga.getByRole('button', { name: 'Post', exact: true }).click();
    await post(olga, 'Ferry at 7:40 cancelled').getByTestId('post-verified').waitFor({ timeout: 30_000 });
    // What the app posted is what the SDK of another subscriber's device opens and verifies.
    const zedRead = await zed.client.wrappedChannels.read(joined.communityId);
    assert.deepEqual(zedRead.map((p) => (p.verified ? p.text : p.problem)), ['Ferry at 7:40 cancelled: strong wind.']);
    await screenshot(olga, 'channels-w01-wrapped-admin');
    await axe(olga, 'wrapped channel (admin)');

    // Ben joins by the link after the post: Olga's open app wraps the epoch key for his device by itself (R149), and his app shows the post.
    await ben.goto(link);
    await ben.getByTestId('community-invite-preview').getByRole('button', { name: 'Join community' }).click();
    await ben.getByTestId('wrapped-channel').waitFor({ timeout: 30_000 });
    assert.match(ben.url(), new RegExp(`#/private/${joined.communityId}$`));
    await ben.getByTestId('channel-kind').filter({ hasText: WRAPPED_KIND }).waitFor();
    await post(ben, 'Ferry at 7:40 cancelled: strong wind.').getByTestId('post-verified').waitFor({ timeout: 60_000 });
    assert.equal(await ben.getByLabel('Write a post').count(), 0, 'a subscriber has no composer');
    // R147: the name and description, end-to-end encrypted in a chat he is not in, reach him sealed in the post under the channel's key.
    await ben.getByRole('heading', { name: 'Harbour notices' }).waitFor({ timeout: 30_000 });
    assert.equal(await ben.getByTestId('wrapped-description').textContent(), 'Ferries, tides and the harbour office.');
    await screenshot(ben, 'channels-w02-wrapped-subscriber-phone');
    await axe(ben, 'wrapped channel (subscriber, phone)');

    const readsBeforePosts = listReads;
    // R148: the next post arrives in his open app by itself (a notice; his device reads and opens it).
    await olga.getByLabel('Write a post').fill('Ferry at 9:10 runs on time.');
    await olga.getByLabel('Write a post').press('Control+Enter');
    await post(ben, 'Ferry at 9:10 runs on time.').getByTestId('post-verified').waitFor({ timeout: 30_000 });
    assert.equal(await ben.getByTestId('wrapped-post').count(), 2);
    await screenshot(ben, 'channels-w03-wrapped-live-phone');

    // R162: a photo in a wrapped post, encrypted on Olga's device, its key sealed in the post; Ben's app decrypts and shows it.
    await olga.getByTestId('channel-file-input').setInputFiles({ name: 'tides.png', mimeType: 'image/png', buffer: pngImage(240, 160) });
    await olga.getByTestId('tray-item').filter({ hasText: 'tides.png' }).and(olga.locator('[data-ready="yes"]')).waitFor({ timeout: 30_000 });
    await olga.getByLabel('Write a post').fill('Tide table for the week.');
    await olga.getByRole('button', { name: 'Post', exact: true }).click();
    await post(ben, 'Tide table for the week.').getByTestId('media-full').waitFor({ timeout: 30_000 });
    await screenshot(ben, 'channels-w03b-wrapped-photo-phone');

    // R166: Ben reacts to the tide table; the server counts a token, not the emoji. Olga sees the count when she opens the channel again.
    const tides = post(ben, 'Tide table for the week.');
    await tides.getByTestId('wrapped-reaction').filter({ hasText: '👍' }).click();
    await tides.getByTestId('wrapped-reaction').filter({ hasText: '👍' }).getByTestId('reaction-count').filter({ hasText: '1' }).waitFor({ timeout: 30_000 });
    await olga.goto(`${url}/#/`);
    await olga.getByTestId('chat-row').filter({ hasText: 'Harbour notices' }).click();
    const olgaTides = post(olga, 'Tide table for the week.');
    await olgaTides.getByTestId('wrapped-reaction').filter({ hasText: '👍' }).getByTestId('reaction-count').filter({ hasText: '1' }).waitFor({ timeout: 30_000 });
    assert.equal(await olgaTides.getByTestId('reaction-count').count(), 1, 'one reaction, under the emoji Ben chose');
    await screenshot(olga, 'channels-w03c-wrapped-reaction-admin');

    // R183: the views of a post, counted per device run that showed it: Olga's app and Ben's, once each; Zed's SDK read it but showed it nowhere.
    const tidePost = (await zed.client.wrappedChannels.read(joined.communityId)).find((p) => p.verified && p.text === 'Tide table for the week.');
    assert.ok(tidePost);
    await waitFor(async () => (await zed.client.wrappedChannels.counts(joined.communityId, [tidePost], []))[0]?.views === 2, { what: 'two device runs showed the tide table', timeoutMs: 30_000 });
    await olga.goto(`${url}/#/`);
    await olga.getByTestId('chat-row').filter({ hasText: 'Harbour notices' }).click();
    await olgaTides.getByTestId('post-views').filter({ hasText: /^2 views$/ }).waitFor({ timeout: 30_000 });
    await post(ben, 'Tide table for the week.').getByTestId('post-views').waitFor({ timeout: 30_000 });
    await screenshot(olga, 'channels-w03f-wrapped-views-admin');

    // R167: Olga edits the 9:10 post from its menu; Ben's open app shows the new text, "edited" (the signed entry names the post it replaces).
    await post(olga, 'Ferry at 9:10 runs on time.').getByRole('button', { name: 'Edit' }).click();
    await olga.getByLabel('Write a post').fill('Ferry at 9:10 runs 5 minutes late.');
    await screenshot(olga, 'channels-w03e-wrapped-editing-admin');
    await olga.getByRole('button', { name: 'Save', exact: true }).click();
    await post(ben, 'Ferry at 9:10 runs 5 minutes late.').getByTestId('post-edited').waitFor({ timeout: 30_000 });
    assert.equal(await post(ben, 'Ferry at 9:10 runs on time.').count(), 0, 'the old text is gone');
    assert.equal(await ben.getByTestId('wrapped-post').count(), 3, 'an edit is no new post');
    await screenshot(ben, 'channels-w03d-wrapped-edited-phone');

    // R184: Olga pins the tide table, then the 9:10 post; Ben's open app shows the pinned bar, the latest pin first, a tap scrolls to it and moves on.
    const benBar = ben.getByTestId('wrapped-pinned-bar');
    await post(olga, 'Tide table for the week.').getByRole('button', { name: 'Pin', exact: true }).click();
    await benBar.filter({ hasText: 'Pinned message' }).filter({ hasText: 'Tide table for the week.' }).waitFor({ timeout: 30_000 });
    await post(olga, 'Ferry at 9:10 runs 5 minutes late.').getByRole('button', { name: 'Pin', exact: true }).click();
    await benBar.filter({ hasText: 'Pinned message 1 of 2' }).filter({ hasText: 'Ferry at 9:10 runs 5 minutes late.' }).waitFor({ timeout: 30_000 });
    assert.equal(await ben.getByTestId('wrapped-post').count(), 3, 'a pin is no new post');
    assert.equal(await ben.getByTestId('wrapped-pin').count(), 0, 'a subscriber has no Pin');
    // R184: PARLEY_CHANNEL_MAX_PINS is 2 here: a third pin is refused, and Olga is told so in plain words.
    await post(olga, 'Ferry at 7:40 cancelled: strong wind.').getByRole('button', { name: 'Pin', exact: true }).click();
    await olga.getByRole('alert').filter({ hasText: 'as many pinned posts as it may hold: unpin one first' }).waitFor({ timeout: 30_000 });
    await screenshot(olga, 'channels-w03e-wrapped-pin-limit');
    await phoneShot(ben, 'channels-w03f-wrapped-pinned-phone');
    await ben.getByTestId('wrapped-pinned-show').click();
    await benBar.filter({ hasText: 'Pinned message 2 of 2' }).filter({ hasText: 'Tide table for the week.' }).waitFor();
    await screenshot(olga, 'channels-w03g-wrapped-pinned-admin');
    // Unpinned: the bar shows the one left, then goes.
    await post(olga, 'Ferry at 9:10 runs 5 minutes late.').getByRole('button', { name: 'Unpin', exact: true }).click();
    await waitFor(async () => {
      const bar = (await benBar.textContent()) ?? '';
      return bar.includes('Tide table for the week.') && !bar.includes(' of 2');
    }, { what: 'one pin left in Ben\'s bar', timeoutMs: 30_000 });
    await post(olga, 'Tide table for the week.').getByRole('button', { name: 'Unpin', exact: true }).click();
    await benBar.waitFor({ state: 'detached', timeout: 30_000 });

    // His chat list lists the channel by its name (R161: opened from the newest entry), though he is in no chat of it,
    // with the newest post as its preview (R178's newest post, not the edit; R182) and nothing unread: he read them all.
    await ben.goto(`${url}/#/`);
    const row = ben.getByTestId('wrapped-channel-row');
    await row.filter({ hasText: 'Harbour notices' }).filter({ hasText: 'Tide table for the week.' }).waitFor({ timeout: 30_000 });
    assert.equal(await row.getByTestId('channel-unread').count(), 0);
    await screenshot(ben, 'channels-w04-wrapped-row-phone');
    assert.equal(listReads, readsBeforePosts, 'posts and going back to the chat list read no community list');
    // A second wrapped channel he subscribes to joins the list from its event (R148), read on its own, not with the whole list again.
    const second = await zed.client.communities.create({ name: 'Ferry crew', settings: { channel: true } });
    const secondLink = await zed.client.communities.createInvite(second.communityId);
    await ben.goto(`${url}/#/community-join/${secondLink.token}`);
    await ben.getByTestId('community-invite-preview').getByRole('button', { name: 'Join community' }).click();
    await ben.getByTestId('wrapped-channel').waitFor({ timeout: 30_000 });
    await ben.goto(`${url}/#/`);
    await row.filter({ hasText: 'Harbour notices' }).waitFor({ timeout: 30_000 });
    await waitFor(async () => (await row.count()) === 2, { what: 'both wrapped channels in Ben\'s chat list', timeoutMs: 30_000 });
    assert.equal(listReads, readsBeforePosts, 'a new channel reads no community list');
    await screenshot(ben, 'channels-w04b-two-wrapped-rows-phone');
    await row.filter({ hasText: 'Harbour notices' }).click();
    await post(ben, 'Ferry at 9:10 runs 5 minutes late.').waitFor({ timeout: 30_000 });
    await phoneShot(olga, 'channels-w05-wrapped-admin-phone');

    // Zed leaves: Olga's next post opens a new epoch (R142). Cat, who joins after it, reads that one; the three before are one plain line.
    await zed.client.communities.leave(joined.communityId);
    await olga.getByLabel('Write a post').fill('Harbour office closed on Monday.');
    await olga.getByRole('button', { name: 'Post', exact: true }).click();
    await post(ben, 'Harbour office closed on Monday.').getByTestId('post-verified').waitFor({ timeout: 30_000 });
    const third = await personPage(browser, { mobile: true });
    const cat = third.page;
    await signUp(cat, url, 'Cat Newcomer', uniqueHandle('cat'));
    await cat.goto(link);
    await cat.getByTestId('community-invite-preview').getByRole('button', { name: 'Join community' }).click();
    await post(cat, 'Harbour office closed on Monday.').getByTestId('post-verified').waitFor({ timeout: 60_000 });
    assert.equal(await cat.getByTestId('wrapped-earlier').textContent(), '3 earlier posts can’t be read on this device: they were encrypted before this device was given the channel’s key.');
    assert.equal(await cat.getByTestId('wrapped-post').count(), 1);
    await screenshot(cat, 'channels-w06-wrapped-newcomer-phone');
    await axe(cat, 'wrapped channel (newcomer, phone)');
    await third.context.close();

    assert.deepEqual(found, [], 'no axe violations');
    await author.context.close();
    await reader.context.close();
  });

  it('R182 a wrapped channel\'s row counts a subscriber\'s unread posts as they arrive ("1", "2"), clears when the channel is opened, and greys when muted', async () => {
    const reader = await personPage(browser);
    const ben = reader.page;
    const { found, axe } = axeLog();
    await signUp(ben, url, 'Ben Reader', uniqueHandle('ben'));
    const channel = await zed.client.communities.create({ name: 'Lighthouse keepers', settings: { channel: true } });
    const id = channel.communityId;
    const { token } = await zed.client.communities.createInvite(id);
    await ben.goto(`${url}/#/community-join/${token}`);
    await ben.getByTestId('community-invite-preview').getByRole('button', { name: 'Join community' }).click();
    await ben.getByTestId('wrapped-channel').waitFor({ timeout: 30_000 });
    assert.equal((await zed.client.communities.get(id)).settings.wrapped, true);
    await ben.goto(`${url}/#/`);
    const row = ben.getByTestId('wrapped-channel-row');
    await row.waitFor({ timeout: 30_000 });
    const badge = row.getByTestId('channel-unread');
    assert.equal(await badge.count(), 0, 'nothing unread on joining');

    // Zed posts (his SDK wraps the new epoch for Ben's device by itself): the count goes up by the notice, without opening anything.
    await zed.client.wrappedChannels.post(id, 'Lamp oil delivered.');
    await badge.filter({ hasText: /^1$/ }).waitFor({ timeout: 30_000 });
    await row.filter({ hasText: 'Lighthouse keepers' }).waitFor({ timeout: 30_000 });
    await zed.client.wrappedChannels.post(id, 'Storm shutters checked.');
    await badge.filter({ hasText: /^2$/ }).waitFor({ timeout: 30_000 });
    // R182: the preview follows the count while the list is open (one read a burst of notices, 2-5 s after it).
    await row.filter({ hasText: 'Storm shutters checked.' }).waitFor({ timeout: 30_000 });
    // An edit is no new post: after a reload (the count read from the server), still 2.
    const shutters = (await zed.client.wrappedChannels.read(id)).find((p) => p.verified && p.text === 'Storm shutters checked.');
    assert.ok(shutters);
    await zed.client.wrappedChannels.edit(id, shutters.seq, 'Storm shutters checked and oiled.');
    await ben.reload();
    await badge.filter({ hasText: /^2$/ }).waitFor({ timeout: 30_000 });
    await screenshot(ben, 'channels-w08-wrapped-unread');
    await axe(ben, 'chat list with an unread wrapped channel');

    // Opening the channel shows the posts and reads them: the count clears.
    await row.click();
    await post(ben, 'Storm shutters checked and oiled.').getByTestId('post-verified').waitFor({ timeout: 30_000 });
    await badge.waitFor({ state: 'detached', timeout: 30_000 });
    await screenshot(ben, 'channels-w09-wrapped-read');

    // Mute (the view offers it, as a public channel's does): the row is greyed, and a new post counts quietly.
    await ben.getByRole('button', { name: 'Mute', exact: true }).click();
    await ben.getByRole('button', { name: 'Unmute', exact: true }).waitFor({ timeout: 30_000 });
    await row.getByTestId('channel-muted').waitFor({ timeout: 30_000 });
    await ben.goto(`${url}/#/`);
    await zed.client.wrappedChannels.post(id, 'Fog horn test at noon.');
    await badge.filter({ hasText: /^1$/ }).waitFor({ timeout: 30_000 });
    assert.match((await badge.getAttribute('class')) ?? '', /\bquiet\b/);
    await screenshot(ben, 'channels-w10-wrapped-muted');
    // Another device of his (a reload reads the server's state): still muted, still one unread.
    await ben.reload();
    await row.getByTestId('channel-muted').waitFor({ timeout: 30_000 });
    await badge.filter({ hasText: /^1$/ }).waitFor({ timeout: 30_000 });
    assert.deepEqual(found, [], 'no axe violations');
    await reader.context.close();
  });

  it('R162 a photo post survives reloading the tab mid-upload: kept on the admin\'s device, shown uploading, posted once after the reload', async () => {
    const author = await personPage(browser);
    const olga = author.page;
    await signUp(olga, url, 'Olga Owner', uniqueHandle('olga'));
    const { token } = await newPrivateChannel(olga, 'Harbour lights');
    const joined = await zed.client.communities.joinInvite(token);
    assert.equal(joined.settings.wrapped, true);
    await olga.getByTestId('chat-row').filter({ hasText: 'Harbour lights' }).click();
    await olga.getByTestId('wrapped-channel').waitFor({ timeout: 30_000 });

    // The upload's bytes never get through before the tab is reloaded (the server gets the upload's creation, no data).
    const held: Route[] = [];
    const blobs = '**/api/v1/blobs/**';
    await olga.route(blobs, (r) => (r.request().method() === 'PATCH' ? void held.push(r) : r.continue()));
    await olga.getByTestId('channel-file-input').setInputFiles({ name: 'lighthouse.png', mimeType: 'image/png', buffer: pngImage(240, 160) });
    await olga.getByTestId('tray-item').filter({ hasText: 'lighthouse.png' }).and(olga.locator('[data-ready="yes"]')).waitFor({ timeout: 30_000 });
    await olga.getByLabel('Write a post').fill('The lighthouse is lit again.');
    await olga.getByRole('button', { name: 'Post', exact: true }).click();
    const pending = olga.getByTestId('wrapped-pending').filter({ hasText: 'The lighthouse is lit again.' });
    await pending.waitFor({ timeout: 30_000 });
    await waitFor(() => held.length > 0, { what: 'the upload started', timeoutMs: 30_000 });
    assert.equal(await olga.getByLabel('Write a post').inputValue(), '', 'the composer is free once the post is kept');
    assert.equal(await olga.getByText('No posts yet.').count(), 0, 'a channel with a post on its way does not say it has none');
    await screenshot(olga, 'channels-w07-wrapped-uploading-admin');
    assert.deepEqual(await zed.client.wrappedChannels.read(joined.communityId), [], 'nothing posted yet');

    await olga.unroute(blobs);
    await olga.reload();
    // After the reload the app resumes the kept upload and posts it: Olga's view and Zed's device show it once.
    await post(olga, 'The lighthouse is lit again.').getByTestId('media-full').waitFor({ timeout: 60_000 });
    await waitFor(async () => (await olga.getByTestId('wrapped-pending').count()) === 0, { what: 'the kept post gone once posted', timeoutMs: 30_000 });
    const read = await zed.client.wrappedChannels.read(joined.communityId);
    assert.deepEqual(read.map((p) => (p.verified ? [p.text, p.attachments?.map((a) => a.name)] : p.problem)), [['The lighthouse is lit again.', ['lighthouse.png']]]);
    assert.equal(await olga.getByTestId('wrapped-post').count(), 1);
    await screenshot(olga, 'channels-w08-wrapped-posted-after-reload-admin');
    await author.context.close();
  });

  it('R185 a poll in a wrapped channel: the admin makes it with the chats\' poll form; a subscriber votes with a tap and sees the count; the admin sees it too', async () => {
    const author = await personPage(browser);
    const reader = await personPage(browser, { mobile: true });
    const olga = author.page;
    const ben = reader.page;
    await signUp(olga, url, 'Olga Owner', uniqueHandle('olga'));
    await signUp(ben, url, 'Ben Reader', uniqueHandle('ben'));
    const { link, token } = await newPrivateChannel(olga, 'Harbour polls');
    const joined = await zed.client.communities.joinInvite(token); // past PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: wrapped mode
    assert.equal(joined.settings.wrapped, true);
    await olga.goto(`${url}/#/private/${joined.communityId}`);
    await olga.getByTestId('wrapped-channel').waitFor({ timeout: 30_000 });

    // Olga opens the poll form from the composer: question, options, no anonymous or close time (the server counts tokens, names are never shown).
    await olga.getByTestId('poll-new').click();
    const dialog = olga.getByTestId('poll-dialog');
    await dialog.getByTestId('poll-question').fill('Which pier for the Sunday ferry?');
    await dialog.getByTestId('poll-option').nth(0).fill('Pier 1');
    await dialog.getByTestId('poll-option').nth(1).fill('Pier 2');
    await dialog.getByTestId('poll-add-option').click();
    await dialog.getByTestId('poll-option').nth(2).fill('Either');
    assert.equal(await dialog.getByTestId('poll-anonymous').count(), 0);
    await screenshot(olga, 'channels-w12-wrapped-poll-form-admin');
    await dialog.getByTestId('poll-send').click();
    const olgaPoll = olga.getByTestId('wrapped-poll').filter({ hasText: 'Which pier for the Sunday ferry?' });
    await olgaPoll.waitFor({ timeout: 30_000 });
    assert.equal(await olga.getByTestId('poll-dialog').count(), 0, 'the form closed');
    await olgaPoll.getByTestId('wrapped-poll-voters').filter({ hasText: '0 voters' }).waitFor({ timeout: 30_000 });

    // Ben subscribes by the link; his device gets the key from Olga's; he taps "Pier 2": his choice, 1 vote, 100%.
    await ben.goto(link);
    await ben.getByTestId('community-invite-preview').getByRole('button', { name: 'Join community' }).click();
    const benPoll = ben.getByTestId('wrapped-poll').filter({ hasText: 'Which pier for the Sunday ferry?' });
    await benPoll.waitFor({ timeout: 60_000 });
    const pier2 = benPoll.getByRole('button', { name: 'Vote for Pier 2' });
    await pier2.click();
    await benPoll.getByTestId('wrapped-poll-voters').filter({ hasText: /^1 voter$/ }).waitFor({ timeout: 30_000 });
    assert.equal(await pier2.getAttribute('aria-pressed'), 'true');
    assert.equal(await pier2.getByTestId('wrapped-poll-count').textContent(), '1');
    assert.equal(await pier2.getByTestId('wrapped-poll-pct').textContent(), '100%');
    assert.equal(await benPoll.getByRole('button', { name: 'Vote for Pier 1' }).getAttribute('aria-pressed'), 'false');
    await screenshot(ben, 'channels-w13-wrapped-poll-voted-phone');

    // Olga's open view shows it without reopening (R185's wrapped_votes notice): the count, Pier 2's, read from the server and mapped back on her device; not her choice.
    await olgaPoll.getByTestId('wrapped-poll-voters').filter({ hasText: /^1 voter$/ }).waitFor({ timeout: 30_000 });
    const olgaPier2 = olgaPoll.getByRole('button', { name: 'Vote for Pier 2' });
    assert.equal(await olgaPier2.getByTestId('wrapped-poll-count').textContent(), '1');
    assert.equal(await olgaPier2.getAttribute('aria-pressed'), 'false');
    assert.equal(await olgaPoll.getByRole('button', { name: 'Vote for Pier 1' }).getByTestId('wrapped-poll-count').textContent(), '0');
    await screenshot(olga, 'channels-w14-wrapped-poll-admin');
    // Ben taps his choice again: taken back.
    await pier2.click();
    await benPoll.getByTestId('wrapped-poll-voters').filter({ hasText: '0 voters' }).waitFor({ timeout: 30_000 });
    assert.equal(await pier2.getAttribute('aria-pressed'), 'false');
    await olgaPoll.getByTestId('wrapped-poll-voters').filter({ hasText: '0 voters' }).waitFor({ timeout: 30_000 }); // live again
    await author.context.close();
    await reader.context.close();
  });

  it('R177 a wrapped post\'s comments: a subscriber joins the discussion with one tap and comments; the admin sees "1 comment", counted by the server from a mark, also when the mark could not go at first', async () => {
    const author = await personPage(browser);
    const reader = await personPage(browser);
    const olga = author.page;
    const ben = reader.page;
    await signUp(olga, url, 'Olga Owner', uniqueHandle('olga'));
    await signUp(ben, url, 'Ben Reader', uniqueHandle('ben'));
    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New channel' }).click();
    await olga.getByRole('radio', { name: /^Private:/ }).check();
    await olga.getByLabel('Channel name').fill('Pier talk');
    await olga.getByRole('button', { name: 'Create private channel' }).click();
    await olga.getByRole('heading', { name: 'Pier talk' }).waitFor({ timeout: 30_000 });
    // R114: Olga makes the channel's comments chat (an open chat of its community) in its settings, and an invite link.
    await olga.getByRole('button', { name: 'Channel settings' }).click();
    const settings = olga.getByTestId('discussion-settings');
    await settings.getByRole('button', { name: 'Create a comments chat' }).click();
    await settings.getByTestId('discussion-linked').filter({ hasText: 'Comments go to: Comments' }).waitFor({ timeout: 30_000 });
    const invites = olga.getByTestId('community-invites');
    await invites.getByRole('button', { name: 'Create invite link' }).click();
    const link = (await invites.getByTestId('link').textContent()) ?? '';
    const token = /\/#\/community-join\/([^/?#\s]+)/.exec(link)?.[1];
    assert.ok(token, link);
    const joined = await zed.client.communities.joinInvite(token); // past PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: wrapped mode
    assert.equal(joined.settings.wrapped, true);
    await olga.goto(`${url}/#/private/${joined.communityId}`);
    await olga.getByLabel('Write a post').fill('Sunday ferries leave from pier 2.');
    await olga.getByRole('button', { name: 'Post', exact: true }).click();
    const olgaPost = post(olga, 'Sunday ferries leave from pier 2.');
    await olgaPost.getByTestId('post-verified').waitFor({ timeout: 30_000 });
    await olgaPost.getByTestId('channel-comments').filter({ hasText: '0 comments' }).waitFor({ timeout: 30_000 });

    // Ben subscribes by the link: he is in no chat of the channel; he opens the post's comments and joins the discussion with one tap.
    await ben.goto(link);
    await ben.getByTestId('community-invite-preview').getByRole('button', { name: 'Join community' }).click();
    const benPost = post(ben, 'Sunday ferries leave from pier 2.');
    await benPost.getByTestId('post-verified').waitFor({ timeout: 60_000 });
    await benPost.getByTestId('channel-comments').filter({ hasText: '0 comments' }).click();
    await ben.getByTestId('comments-join').getByRole('button', { name: 'Join the discussion to comment' }).click();
    const thread = ben.getByTestId('thread-panel');
    await thread.getByRole('heading', { name: 'Comments' }).waitFor({ timeout: 30_000 });
    await thread.getByTestId('thread-input').fill('Is pier 2 step-free?');
    await thread.getByTestId('thread-send').click();
    await thread.getByTestId('message').filter({ hasText: 'Is pier 2 step-free?' }).waitFor({ timeout: 30_000 });
    // His device marked the comment: the server's count says 1.
    await benPost.getByTestId('channel-comments').filter({ hasText: /^ ?1 comment$/ }).waitFor({ timeout: 30_000 });
    await screenshot(ben, 'channels-w09-wrapped-comments-subscriber');
    // R181: in Ben's chat list the discussion chat is "Comments", not named after its members ("Olga Owner").
    const titles = ben.getByTestId('chat-row').locator('.chat-title');
    await titles.filter({ hasText: /^Comments$/ }).waitFor({ timeout: 30_000 });
    assert.equal(await titles.filter({ hasText: /^Olga Owner$/ }).count(), 0);
    await screenshot(ben, 'channels-w11-wrapped-comments-chat-row');

    // Olga sees "1 comment" under her post, and opens the thread: the comment, decrypted on her device.
    await olgaPost.getByTestId('channel-comments').filter({ hasText: /^ ?1 comment$/ }).waitFor({ timeout: 60_000 });
    await olgaPost.getByTestId('channel-comments').click();
    await olga.getByTestId('thread-panel').getByTestId('message').filter({ hasText: 'Is pier 2 step-free?' }).waitFor({ timeout: 60_000 });
    await screenshot(olga, 'channels-w10-wrapped-comments-admin');
    // Ben deletes his comment: his device takes its mark back; both see "0 comments".
    ben.on('dialog', (d) => void d.accept());
    const comment = thread.getByTestId('message').filter({ hasText: 'Is pier 2 step-free?' });
    await comment.hover();
    await comment.getByRole('button', { name: 'Delete', exact: true }).click();
    await benPost.getByTestId('channel-comments').filter({ hasText: '0 comments' }).waitFor({ timeout: 30_000 });
    await olgaPost.getByTestId('channel-comments').filter({ hasText: '0 comments' }).waitFor({ timeout: 60_000 });
    // His network drops as he comments again: the comment waits in his outbox and its mark can't go. Back
    // online, the comment goes out and his device marks it then: both see "1 comment".
    await reader.context.setOffline(true);
    await thread.getByTestId('thread-input').fill('Is there parking at pier 2?');
    await thread.getByTestId('thread-send').click();
    await thread.getByTestId('message').filter({ hasText: 'Is there parking at pier 2?' }).waitFor({ timeout: 30_000 });
    await reader.context.setOffline(false);
    await benPost.getByTestId('channel-comments').filter({ hasText: /^ ?1 comment$/ }).waitFor({ timeout: 60_000 });
    await olgaPost.getByTestId('channel-comments').filter({ hasText: /^ ?1 comment$/ }).waitFor({ timeout: 60_000 });
    await author.context.close();
    await reader.context.close();
  });

  it('R186 R187 a subscriber forwards a wrapped photo post to a direct chat, whose other member (not in the channel) sees it from the channel with its photo; the admin records a voice post that a subscriber plays', async () => {
    const author = await personPage(browser);
    const reader = await personPage(browser);
    const friend = await personPage(browser, { mobile: true });
    const olga = author.page;
    const ben = reader.page;
    const dora = friend.page;
    const doraHandle = uniqueHandle('dora');
    await signUp(olga, url, 'Olga Owner', uniqueHandle('olga'));
    await signUp(ben, url, 'Ben Reader', uniqueHandle('ben'));
    await signUp(dora, url, 'Dora Friend', doraHandle);
    await writeAndAccept(ben, dora, url, doraHandle, 'Ben Reader', 'Hi Dora');
    const { link, token } = await newPrivateChannel(olga, 'Lantern news');
    const joined = await zed.client.communities.joinInvite(token); // past PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: wrapped mode
    assert.equal(joined.settings.wrapped, true);
    await olga.goto(`${url}/#/private/${joined.communityId}`);
    await olga.getByTestId('channel-file-input').setInputFiles({ name: 'lanterns.png', mimeType: 'image/png', buffer: pngImage(240, 160) });
    await olga.getByTestId('tray-item').filter({ hasText: 'lanterns.png' }).and(olga.locator('[data-ready="yes"]')).waitFor({ timeout: 30_000 });
    await olga.getByLabel('Write a post').fill('Lantern walk starts at the old quay.');
    await olga.getByRole('button', { name: 'Post', exact: true }).click();
    await post(olga, 'Lantern walk starts at the old quay.').getByTestId('media-full').waitFor({ timeout: 30_000 });

    // R187: the empty composer offers the microphone; Olga records (tap, tap to send) and the voice post goes out.
    const pressed = Date.now();
    await olga.getByTestId('voice-record').click();
    await olga.getByTestId('voice-recording').waitFor();
    await olga.waitForTimeout(2500);
    await screenshot(olga, 'channels-w12-wrapped-voice-recording-admin');
    await olga.getByTestId('voice-send').click();
    const heldS = Math.ceil((Date.now() - pressed) / 1000);
    await olga.getByTestId('wrapped-post').getByTestId('voice-player').waitFor({ timeout: 60_000 });

    // Ben subscribes: he reads both posts; the voice post plays, its length shown.
    await ben.goto(link);
    await ben.getByTestId('community-invite-preview').getByRole('button', { name: 'Join community' }).click();
    const player = ben.getByTestId('wrapped-post').getByTestId('voice-player');
    await player.waitFor({ timeout: 60_000 });
    const length = (await player.getByTestId('voice-time').textContent()) ?? '';
    const [, min, sec] = /^(\d+):(\d\d)$/.exec(length) ?? [];
    const shownS = Number(min) * 60 + Number(sec);
    assert.ok(shownS >= 2 && shownS <= heldS, `its duration: ${length}, recorded for at most ${heldS} s`);
    await player.getByTestId('voice-play').click();
    const audio = player.getByTestId('voice-audio');
    await audio.waitFor({ state: 'attached', timeout: 30_000 });
    await waitFor(() => audio.evaluate((a) => (a as HTMLAudioElement).currentTime > 0.3), { what: 'the voice post plays', timeoutMs: 20_000 });
    await screenshot(ben, 'channels-w13-wrapped-voice-subscriber');

    // R186: Ben forwards the photo post to his chat with Dora, who is in no chat of the channel.
    const photoPost = post(ben, 'Lantern walk starts at the old quay.');
    await photoPost.getByTestId('media-full').waitFor({ timeout: 60_000 });
    await photoPost.getByRole('button', { name: 'Forward' }).click();
    const dialog = ben.getByTestId('wrapped-forward');
    await dialog.getByTestId('forward-target').filter({ hasText: 'Dora Friend' }).locator('input').check();
    await screenshot(ben, 'channels-w14-wrapped-forward-picker');
    await dialog.getByTestId('wrapped-forward-send').click();
    const sent = ben.getByTestId('message').filter({ hasText: 'Lantern walk starts at the old quay.' });
    await sent.getByTestId('forwarded').filter({ hasText: 'Forwarded from Lantern news' }).waitFor({ timeout: 30_000 });

    await dora.goto(`${url}/#/`);
    await dora.getByTestId('chat-row').filter({ hasText: 'Ben Reader' }).click();
    const got = dora.getByTestId('message').filter({ hasText: 'Lantern walk starts at the old quay.' });
    await got.getByTestId('forwarded').filter({ hasText: 'Forwarded from Lantern news' }).waitFor({ timeout: 30_000 });
    // Her device downloads and decrypts the photo: the forward's reference to the blob lets her read it.
    const img = got.getByTestId('media-full');
    await img.waitFor({ timeout: 30_000 });
    await waitFor(async () => (await img.evaluate((el) => (el as HTMLImageElement).complete ? (el as HTMLImageElement).naturalWidth : 0)) === 240, { what: 'Dora sees the photo', timeoutMs: 30_000 });
    assert.equal(await got.getByRole('link').count(), 0, 'no link to a private channel');
    await screenshot(dora, 'channels-w15-wrapped-forwarded-phone');
    await author.context.close();
    await reader.context.close();
    await friend.context.close();
  });

  it('R188 an admin schedules a wrapped post from the composer: it waits in the admins\' list (cancellable), and at its time the server publishes it: the admin\'s and a subscriber\'s devices show it, dated as scheduled', async () => {
    const author = await personPage(browser);
    const olga = author.page;
    await signUp(olga, url, 'Olga Owner', uniqueHandle('olga'));
    const { token } = await newPrivateChannel(olga, 'Ferry timetable');
    const joined = await zed.client.communities.joinInvite(token); // past PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: wrapped mode
    assert.equal(joined.settings.wrapped, true);
    const id = joined.communityId;
    await olga.goto(`${url}/#/private/${id}`);
    await olga.getByTestId('wrapped-channel').waitFor({ timeout: 30_000 });

    // "Schedule" offers a time (an hour ahead by default); Olga picks one a few minutes ahead, in the page's own time zone.
    const soon = await olga.evaluate('(() => { const ms = Date.now() + 4 * 60000; return new Date(ms - new Date(ms).getTimezoneOffset() * 60000).toISOString().slice(0, 16); })()') as string;
    await olga.getByLabel('Write a post').fill('Monday: the 7:40 ferry leaves at 7:55.');
    await olga.getByRole('button', { name: 'Schedule', exact: true }).click();
    await olga.getByTestId('schedule-at').fill(soon);
    await olga.getByRole('button', { name: 'Schedule', exact: true }).click();
    const listed = olga.getByTestId('scheduled-post');
    await listed.filter({ hasText: 'Monday: the 7:40 ferry leaves at 7:55.' }).waitFor({ timeout: 30_000 });
    // A second one, cancelled from the list.
    await olga.getByLabel('Write a post').fill('Tuesday: no ferries.');
    await olga.getByRole('button', { name: 'Schedule', exact: true }).click();
    await olga.getByTestId('schedule-at').fill(soon);
    await screenshot(olga, 'channels-w12a-wrapped-schedule-composer');
    await olga.getByRole('button', { name: 'Schedule', exact: true }).click();
    await listed.filter({ hasText: 'Tuesday: no ferries.' }).waitFor({ timeout: 30_000 });
    await screenshot(olga, 'channels-w12-wrapped-scheduled-admin');
    olga.on('dialog', (d) => void d.accept());
    await listed.filter({ hasText: 'Tuesday: no ferries.' }).getByRole('button', { name: 'Cancel scheduled post' }).click();
    await waitFor(async () => (await listed.count()) === 1, { what: 'the cancelled post gone from the list', timeoutMs: 30_000 });
    assert.equal(await olga.getByTestId('wrapped-post').count(), 0, 'nothing published yet');
    assert.deepEqual(await zed.client.wrappedChannels.read(id), []);

    // Its time comes (the test brings it forward rather than wait minutes; the signed time stays as Olga chose): the server's sweep publishes it.
    const db = (server.services.storage as unknown as { db: { prepare(sql: string): { run(...p: unknown[]): unknown } } }).db;
    db.prepare('UPDATE channel_wrapped_scheduled SET publish_at = ? WHERE community_id = ?').run(Date.now(), id);
    assert.deepEqual(await server.services.wrappedSchedule.sweep(), { published: 1, stale: 0, dropped: 0 });
    const published = post(olga, 'Monday: the 7:40 ferry leaves at 7:55.');
    await published.getByTestId('post-verified').waitFor({ timeout: 30_000 });
    await waitFor(async () => (await listed.count()) === 0, { what: 'the published post gone from the scheduled list', timeoutMs: 30_000 });
    const read = await zed.client.wrappedChannels.read(id);
    // Dated at the chosen time (still ahead, as the test brought the publication forward), marked scheduled.
    assert.deepEqual(read.map((p) => (p.verified ? [p.text, p.scheduled, p.date > Date.now()] : p.problem)), [['Monday: the 7:40 ferry leaves at 7:55.', true, true]]);
    await screenshot(olga, 'channels-w13-wrapped-scheduled-published-admin');
    await author.context.close();
  });
});
