import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page, Route } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeLog } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, phoneShot, screenshot, signUp } from './browser.ts';
import { pngImage } from './file-fixtures.ts';

/**
 * A private channel past the MLS size in the web client (docs/PROTOCOL.md R141-R142, R148-R149), in
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
  before(async () => ({ server, browser, url, zed } = await openWebWorld({ PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS: '1' })));
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

    // R167: Olga edits the 9:10 post from its menu; Ben's open app shows the new text, "edited" (the signed entry names the post it replaces).
    await post(olga, 'Ferry at 9:10 runs on time.').getByRole('button', { name: 'Edit' }).click();
    await olga.getByLabel('Write a post').fill('Ferry at 9:10 runs 5 minutes late.');
    await screenshot(olga, 'channels-w03e-wrapped-editing-admin');
    await olga.getByRole('button', { name: 'Save', exact: true }).click();
    await post(ben, 'Ferry at 9:10 runs 5 minutes late.').getByTestId('post-edited').waitFor({ timeout: 30_000 });
    assert.equal(await post(ben, 'Ferry at 9:10 runs on time.').count(), 0, 'the old text is gone');
    assert.equal(await ben.getByTestId('wrapped-post').count(), 3, 'an edit is no new post');
    await screenshot(ben, 'channels-w03d-wrapped-edited-phone');

    // His chat list lists the channel by its name (R161: opened from the newest entry), though he is in no chat of it.
    await ben.goto(`${url}/#/`);
    const row = ben.getByTestId('wrapped-channel-row');
    await row.filter({ hasText: 'Harbour notices' }).filter({ hasText: 'End-to-end encrypted · keys wrapped per device' }).waitFor({ timeout: 30_000 });
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

  it('R162 a photo post survives reloading the tab mid-upload: kept on the admin\'s device, shown uploading, posted once after the reload', async () => {
    const author = await personPage(browser);
    const olga = author.page;
    await signUp(olga, url, 'Olga Owner', uniqueHandle('olga'));
    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New channel' }).click();
    await olga.getByRole('radio', { name: /^Private:/ }).check();
    await olga.getByLabel('Channel name').fill('Harbour lights');
    await olga.getByRole('button', { name: 'Create private channel' }).click();
    await olga.getByRole('heading', { name: 'Harbour lights' }).waitFor({ timeout: 30_000 });
    await olga.getByRole('button', { name: 'Channel settings' }).click();
    const invites = olga.getByTestId('community-invites');
    await invites.getByRole('button', { name: 'Create invite link' }).click();
    const token = /\/#\/community-join\/([^/?#\s]+)/.exec((await invites.getByTestId('link').textContent()) ?? '')?.[1];
    assert.ok(token);
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

  it('R177 a wrapped post\'s comments: a subscriber joins the discussion with one tap and comments; the admin sees "1 comment", counted by the server from a mark', async () => {
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
    await author.context.close();
    await reader.context.close();
  });

  it('R188 an admin schedules a wrapped post from the composer: it waits in the admins\' list (cancellable), and at its time the server publishes it: the admin\'s and a subscriber\'s devices show it, dated as scheduled', async () => {
    const author = await personPage(browser);
    const olga = author.page;
    await signUp(olga, url, 'Olga Owner', uniqueHandle('olga'));
    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New channel' }).click();
    await olga.getByRole('radio', { name: /^Private:/ }).check();
    await olga.getByLabel('Channel name').fill('Ferry timetable');
    await olga.getByRole('button', { name: 'Create private channel' }).click();
    await olga.getByRole('heading', { name: 'Ferry timetable' }).waitFor({ timeout: 30_000 });
    await olga.getByRole('button', { name: 'Channel settings' }).click();
    const invites = olga.getByTestId('community-invites');
    await invites.getByRole('button', { name: 'Create invite link' }).click();
    const token = /\/#\/community-join\/([^/?#\s]+)/.exec((await invites.getByTestId('link').textContent()) ?? '')?.[1];
    assert.ok(token);
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
