import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { pngImage } from './file-fixtures.ts';
import { axeLog } from './axe.ts';
import { closeWebWorld, newPrivateChannel, openWebWorld, personPage, phoneShot, screenshot, signUp } from './browser.ts';

/** Comments, scheduled posts and private channels in the web client (docs/PROTOCOL.md R112, R114, R115), in Debian's Chromium. */

const GROUP_MS = 60_000; // a newcomer's devices are added to a chat's encryption group by a member's device
const PRIVATE_KIND = 'Private channel — end-to-end encrypted';

const post = (page: Page, text: string) => page.getByTestId('channel-post').filter({ hasText: text });

/** A `datetime-local` value `ms` from now in the page's own clock and time zone, to the second. */
function inPage(page: Page, ms: number): Promise<string> {
  return page.evaluate((ahead) => {
    const at = Date.now() + ahead;
    return new Date(at - new Date(at).getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  }, ms);
}

describe('channel comments, scheduled posts and private channels in the web client', { timeout: 300_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R114 R115 the owner links a discussion chat; a reader comments on a post and the author sees "1 comment"; a scheduled post is listed, another cancelled, and it appears for the reader at its time', async () => {
    const author = await personPage(browser);
    const reader = await personPage(browser, { mobile: true });
    const olga = author.page;
    const ben = reader.page;
    olga.on('dialog', (d) => void d.accept());
    const { found, axe } = axeLog();
    await Promise.all([signUp(olga, url, 'Olga Owner', uniqueHandle('olga')), signUp(ben, url, 'Ben Reader', uniqueHandle('ben'))]);

    // The community whose chat will hold the comments.
    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New community' }).click();
    await olga.getByLabel('Community name').fill('City talk');
    await olga.getByRole('button', { name: 'Create' }).click();
    await olga.getByRole('heading', { name: 'City talk' }).waitFor({ timeout: 30_000 });

    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New channel' }).click();
    await olga.getByLabel('Channel name').fill('City News');
    const handle = uniqueHandle('news');
    await olga.getByLabel('Handle (the link: /c/handle)').fill(handle);
    await olga.getByRole('button', { name: 'Create public channel' }).click();
    await olga.getByRole('heading', { name: 'City News' }).waitFor({ timeout: 30_000 });

    // R114: the owner links the community's general chat as the discussion.
    await olga.getByRole('button', { name: 'Channel settings' }).click();
    const settings = olga.getByTestId('discussion-settings');
    await settings.getByLabel('Discussion chat').selectOption({ label: 'General' });
    await settings.getByRole('button', { name: 'Link' }).click();
    await settings.getByTestId('discussion-linked').filter({ hasText: 'Comments go to: General' }).waitFor();
    await screenshot(olga, 'channels-p01-discussion-settings');
    await axe(olga, 'discussion settings');
    await olga.getByRole('button', { name: 'Channel settings' }).click();

    await olga.getByLabel('Write a post').fill('The bridge closes at 22:00 tonight.');
    await olga.getByRole('button', { name: 'Post', exact: true }).click();
    await post(olga, 'The bridge closes').getByTestId('channel-comments').filter({ hasText: '0 comments' }).waitFor({ timeout: 30_000 });

    // The reader opens the post's comments, joins the discussion with one tap and comments in its thread.
    await ben.goto(`${url}/#/c/${handle}`);
    await post(ben, 'The bridge closes').getByTestId('channel-comments').filter({ hasText: 'Comments' }).click();
    await ben.getByTestId('comments-join').getByRole('button', { name: 'Join the discussion to comment' }).click();
    const thread = ben.getByTestId('thread-panel');
    await thread.getByRole('heading', { name: 'Comments' }).waitFor({ timeout: 30_000 });
    await thread.getByTestId('thread-input').fill('Is the footpath open?');
    await thread.getByTestId('thread-send').click();
    await thread.getByTestId('message').filter({ hasText: 'Is the footpath open?' }).waitFor();
    await screenshot(ben, 'channels-p02-comments-phone');
    await axe(ben, 'comments panel (phone)');
    await thread.getByRole('button', { name: 'Close' }).click();
    await post(ben, 'The bridge closes').getByTestId('channel-comments').filter({ hasText: '1 comment' }).waitFor({ timeout: GROUP_MS });

    // The author's device decrypts it once it has added the reader's device to the group: "1 comment".
    const count = post(olga, 'The bridge closes').getByTestId('channel-comments');
    await count.filter({ hasText: /^ ?1 comment$/ }).waitFor({ timeout: GROUP_MS });
    await count.click();
    const panel = olga.getByTestId('thread-panel');
    await panel.getByTestId('message').filter({ hasText: 'Is the footpath open?' }).waitFor();
    // The panel sits beside the channel on a wide screen: the header saying what kind of channel this is stays whole.
    const kindBox = await olga.getByTestId('channel-kind').boundingBox();
    const panelBox = await panel.boundingBox();
    assert.ok(kindBox && panelBox && kindBox.x + kindBox.width <= panelBox.x, `the kind label (${JSON.stringify(kindBox)}) is not under the panel (${JSON.stringify(panelBox)})`);
    await screenshot(olga, 'channels-p03-author-comments');
    // Reply, Edit and Forward on a comment work in the panel (the discussion chat is not opened).
    const question = panel.getByTestId('message').filter({ hasText: 'Is the footpath open?' });
    await question.hover();
    await question.getByRole('button', { name: 'Reply', exact: true }).click();
    await panel.getByTestId('thread-context').filter({ hasText: 'Replying to Ben Reader' }).waitFor();
    await panel.getByTestId('thread-input').fill('Yes, on the east side.');
    await panel.getByTestId('thread-send').click();
    const answer = panel.getByTestId('message').filter({ hasText: 'Yes, on the east side.' });
    await answer.filter({ hasText: 'Is the footpath open?' }).waitFor({ timeout: 30_000 }); // it quotes the question
    await answer.hover();
    await answer.getByRole('button', { name: 'Edit', exact: true }).click();
    await panel.getByTestId('thread-context').filter({ hasText: 'Editing' }).waitFor();
    await panel.getByTestId('thread-input').fill('Yes, on the west side.');
    await panel.getByTestId('thread-send').click();
    const edited = panel.getByTestId('message').filter({ hasText: 'Yes, on the west side.' });
    await edited.waitFor({ timeout: 30_000 });
    await edited.hover();
    await edited.getByRole('button', { name: 'Forward', exact: true }).click();
    await olga.getByRole('dialog', { name: 'Forward to…' }).waitFor();
    await screenshot(olga, 'channels-p03b-comment-forward');
    await olga.keyboard.press('Escape');
    await olga.getByRole('dialog', { name: 'Forward to…' }).waitFor({ state: 'detached' });
    assert.match(olga.url(), /#\/channel\//, 'still in the channel');
    await post(olga, 'The bridge closes').getByTestId('channel-comments').filter({ hasText: /^ ?2 comments$/ }).waitFor({ timeout: 30_000 });
    await screenshot(olga, 'channels-p03c-comment-reply-in-place');
    await panel.getByRole('button', { name: 'Close' }).click();

    // R114: in the discussion chat itself each comment names the post it is on (a short quote); the channel is not left.
    await olga.getByTestId('chat-row').filter({ hasText: 'General' }).click();
    const inChat = olga.getByTestId('message').filter({ hasText: 'Is the footpath open?', hasNotText: 'west side' });
    await inChat.getByTestId('comment-on').filter({ hasText: 'Comment on the postThe bridge closes at 22:00 tonight.' }).waitFor({ timeout: 30_000 });
    assert.equal(await olga.getByTestId('comment-on').filter({ hasText: 'The bridge closes at 22:00 tonight.' }).count(), 2, 'her answer, sent from the comments panel, names the post too');
    await screenshot(olga, 'channels-p03d-comment-names-post');
    await olga.goto(`${url}/#/c/${handle}`);

    // R115: two scheduled posts; one is cancelled, the other appears for the reader at its time.
    await ben.getByRole('button', { name: 'Subscribe' }).click();
    await ben.getByRole('button', { name: 'Unsubscribe' }).waitFor();
    const schedule = async (text: string, ahead: number) => {
      await olga.getByRole('button', { name: 'Schedule', exact: true }).click();
      await olga.getByTestId('schedule-at').fill(await inPage(olga, ahead));
      await olga.getByLabel('Write a post').fill(text);
      if (ahead > 60_000) {
        await screenshot(olga, 'channels-p04a-schedule-composer');
        await axe(olga, 'schedule composer');
      }
      await olga.getByLabel('Write a post').press('Control+Enter');
      await olga.getByTestId('scheduled-post').filter({ hasText: text }).waitFor({ timeout: 30_000 });
    };
    await schedule('Never mind this one.', 3_600_000);
    await schedule('Good morning: the bridge is open again.', 15_000);
    const list = olga.getByTestId('scheduled-post');
    assert.match((await list.first().textContent()) ?? '', /^Good morning: the bridge is open again\.Publishes /, 'soonest first');
    await screenshot(olga, 'channels-p04-scheduled');
    await axe(olga, 'scheduled posts');
    await phoneShot(olga, 'channels-p04b-scheduled-phone');
    await list.filter({ hasText: 'Never mind this one.' }).getByRole('button', { name: 'Cancel scheduled post' }).click();
    await list.filter({ hasText: 'Never mind this one.' }).waitFor({ state: 'detached' });
    assert.equal(await post(ben, 'Good morning').count(), 0, 'not before its time');
    await post(ben, 'Good morning: the bridge is open again.').getByTestId('post-verified').waitFor({ timeout: 60_000 });
    await list.filter({ hasText: 'Good morning' }).waitFor({ state: 'detached', timeout: 30_000 });
    await screenshot(ben, 'channels-p05-scheduled-published-phone');

    assert.deepEqual(found, [], 'no axe violations');
    await author.context.close();
    await reader.context.close();
  });

  it('R112 a private channel: made in the app, said plainly to be end-to-end encrypted; a subscriber joins by its invite link and reads the post, with no composer', async () => {
    const author = await personPage(browser);
    const reader = await personPage(browser, { mobile: true });
    const olga = author.page;
    const ben = reader.page;
    const { found, axe } = axeLog();
    await Promise.all([signUp(olga, url, 'Olga Owner', uniqueHandle('olga')), signUp(ben, url, 'Ben Reader', uniqueHandle('ben'))]);

    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New channel' }).click();
    await olga.getByRole('radio', { name: /^Private:/ }).check();
    assert.equal(await olga.getByLabel('Handle (the link: /c/handle)').count(), 0, 'no handle for a private channel');
    await olga.getByLabel('Channel name').fill('Class 3B parents');
    await screenshot(olga, 'channels-p06-new-private');
    await axe(olga, 'new private channel');
    await olga.getByRole('button', { name: 'Create private channel' }).click();
    await olga.getByRole('heading', { name: 'Class 3B parents' }).waitFor({ timeout: 30_000 });
    assert.equal(await olga.getByTestId('channel-kind').textContent(), ` ${PRIVATE_KIND}`);

    // Its invite link is the community's (R68).
    await olga.getByRole('button', { name: 'Channel settings' }).click();
    const invites = olga.getByTestId('community-invites');
    await invites.getByRole('button', { name: 'Create invite link' }).click();
    const link = (await invites.getByTestId('link').textContent()) ?? '';
    assert.match(link, /\/#\/community-join\//);
    await screenshot(olga, 'channels-p07-private-settings');

    await ben.goto(link);
    await ben.getByTestId('community-invite-preview').getByRole('button', { name: 'Join community' }).click();
    await ben.getByTestId('channel-kind').filter({ hasText: PRIVATE_KIND }).waitFor({ timeout: 30_000 });

    await olga.getByTestId('chat-row').filter({ hasText: 'Class 3B parents' }).click();
    await olga.getByLabel('Write a post').fill('Museum trip on Friday: bring lunch.');
    await olga.getByRole('button', { name: 'Post', exact: true }).click();
    await olga.getByTestId('private-post').filter({ hasText: 'Museum trip on Friday' }).waitFor({ timeout: 30_000 });
    // A photo in a private post: encrypted on her device like any chat file (R112), shown to subscribers.
    await olga.getByTestId('channel-file-input').setInputFiles({ name: 'map.png', mimeType: 'image/png', buffer: pngImage(240, 160) });
    await olga.getByTestId('tray-item').filter({ hasText: 'map.png' }).and(olga.locator('[data-ready="yes"]')).waitFor({ timeout: 30_000 });
    await olga.getByLabel('Write a post').fill('The route to the museum.');
    await olga.getByRole('button', { name: 'Post', exact: true }).click();
    await olga.getByTestId('private-post').filter({ hasText: 'The route to the museum.' }).getByTestId('media-full').waitFor({ timeout: 30_000 });
    await screenshot(olga, 'channels-p08-private-author');
    await axe(olga, 'private channel (admin)');

    await ben.getByTestId('private-post').filter({ hasText: 'Museum trip on Friday: bring lunch.' }).waitFor({ timeout: GROUP_MS });
    await ben.getByRole('heading', { name: 'Class 3B parents' }).waitFor({ timeout: GROUP_MS });
    const photo = ben.getByTestId('private-post').filter({ hasText: 'The route to the museum.' }).getByTestId('media-full');
    await photo.waitFor({ timeout: GROUP_MS });
    await waitFor(async () => (await photo.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))) === 240, { what: 'the subscriber sees the photo' });
    assert.equal(await ben.getByLabel('Write a post').count(), 0, 'no composer for a subscriber');
    await screenshot(ben, 'channels-p09-private-reader-phone');
    await axe(ben, 'private channel (reader, phone)');

    // R190: the subscriber's device reported the posts it showed; the admin sees the count rise (her own run and Ben's), read again when her window comes back into view.
    // In the bubble's time line (beside the time), as a public post's meta line shows it.
    const views = olga.getByTestId('private-post').filter({ hasText: 'Museum trip on Friday' }).locator('.meta').getByTestId('post-views');
    await waitFor(async () => {
      await olga.evaluate('document.dispatchEvent(new Event("visibilitychange"))');
      return (await views.textContent()) === '2 views';
    }, { what: 'the admin sees "2 views"', timeoutMs: 30_000 });
    await screenshot(olga, 'channels-p10-private-views');

    assert.deepEqual(found, [], 'no axe violations');
    await author.context.close();
    await reader.context.close();
  });

  it('R191 an admin schedules a post in a private channel (MLS mode) from the composer: it waits in her list (cancellable); at its time the server publishes it with her app closed, and the subscriber sees it appear, marked scheduled', async () => {
    const author = await personPage(browser);
    const reader = await personPage(browser, { mobile: true });
    const olga = author.page;
    const ben = reader.page;
    await Promise.all([signUp(olga, url, 'Olga Owner', uniqueHandle('olga')), signUp(ben, url, 'Ben Reader', uniqueHandle('ben'))]);
    const { link } = await newPrivateChannel(olga, 'Ferry timetable');
    await ben.goto(link);
    await ben.getByTestId('community-invite-preview').getByRole('button', { name: 'Join community' }).click();
    await ben.getByTestId('channel-kind').filter({ hasText: PRIVATE_KIND }).waitFor({ timeout: 30_000 });
    await olga.getByTestId('chat-row').filter({ hasText: 'Ferry timetable' }).click();
    // An ordinary post first: once Ben reads it, his device is in the channel's group.
    await olga.getByLabel('Write a post').fill('Timetable changes are posted here.');
    await olga.getByRole('button', { name: 'Post', exact: true }).click();
    await ben.getByTestId('private-post').filter({ hasText: 'Timetable changes are posted here.' }).waitFor({ timeout: GROUP_MS });

    // "Schedule" offers a time; Olga picks one a few minutes ahead, in the page's own time zone.
    const soon = await inPage(olga, 4 * 60_000);
    const listed = olga.getByTestId('scheduled-post');
    for (const text of ['Monday: the 7:40 ferry leaves at 7:55.', 'Tuesday: no ferries.']) {
      await olga.getByLabel('Write a post').fill(text);
      await olga.getByRole('button', { name: 'Schedule', exact: true }).click();
      await olga.getByTestId('schedule-at').fill(soon);
      if (text.startsWith('Tuesday')) await screenshot(olga, 'channels-p11-private-schedule-composer');
      await olga.getByRole('button', { name: 'Schedule', exact: true }).click();
      await listed.filter({ hasText: text }).waitFor({ timeout: 30_000 });
    }
    await screenshot(olga, 'channels-p12-private-scheduled-admin');
    olga.on('dialog', (d) => void d.accept());
    await listed.filter({ hasText: 'Tuesday: no ferries.' }).getByRole('button', { name: 'Cancel scheduled post' }).click();
    await waitFor(async () => (await listed.count()) === 1, { what: 'the cancelled post gone from the list', timeoutMs: 30_000 });
    assert.equal(await ben.getByTestId('private-post').filter({ hasText: 'Monday' }).count(), 0, 'nothing published yet');
    await author.context.close(); // no admin device online from here

    // Its time comes (the test brings it forward rather than wait minutes; the signed time stays as Olga chose): the server's sweep publishes it.
    const db = (server.services.storage as unknown as { db: { prepare(sql: string): { run(...p: unknown[]): unknown } } }).db;
    db.prepare('UPDATE channel_mls_scheduled SET publish_at = ?').run(Date.now());
    assert.deepEqual(await server.services.mlsSchedule.sweep(), { published: 1, stale: 0, dropped: 0 });
    const published = ben.getByTestId('private-post').filter({ hasText: 'Monday: the 7:40 ferry leaves at 7:55.' });
    await published.waitFor({ timeout: GROUP_MS });
    // Dated at the time Olga chose (a few minutes ahead still: within R115's 10 minutes, not called early), marked scheduled.
    const mark = published.getByTestId('private-post-scheduled');
    assert.match((await mark.textContent()) ?? '', /^Scheduled post · /);
    assert.equal(await mark.getAttribute('data-early'), null);
    assert.equal(await ben.getByTestId('private-post').filter({ hasText: 'Tuesday' }).count(), 0, 'the cancelled one never appears');
    await screenshot(ben, 'channels-p13-private-scheduled-reader-phone');
    await reader.context.close();
  });
});
