import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  channelHead, dropChannelPost, insertChannelPost, outsideChannelKey, rewriteChannelPost, setChannelHead, swapChannelPosts, uniqueHandle, waitFor, type TestServer, type TestUser,
} from '@parley/testing';
import { axeLog } from './axe.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closeWebWorld, openWebWorld, personPage, PHONE, phoneShot, screenshot, signUp, writeAndAccept } from './browser.ts';
import { pngImage } from './file-fixtures.ts';

/** Public channels in the web client (docs/PROTOCOL.md R95-R99, R110, R111), in Debian's Chromium. */

const GROUP_MS = 60_000; // a newcomer's devices are added to a chat's encryption group by a member's device
const KIND = 'Public channel — posts are not encrypted; anyone can read them; signed by the channel’s admins';

const post = (page: Page, text: string) => page.getByTestId('channel-post').filter({ hasText: text });

async function write(page: Page, text: string): Promise<void> {
  await page.getByLabel('Write a post').fill(text);
  await page.getByRole('button', { name: 'Post', exact: true }).click();
}

describe('public channels in the web client', { timeout: 300_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R95-R98, R110, R111 an author makes a public channel (handle checks shown), posts with a photo; a reader finds it by search, subscribes, sees the post verified, an unread count, reacts and sees counts; the page without an account shows it and the photo; the author forwards a post to a chat', async () => {
    const author = await personPage(browser);
    const reader = await personPage(browser, { mobile: true });
    const olga = author.page;
    const ben = reader.page;
    const { found, axe } = axeLog();
    const [olgaHandle, benHandle] = [uniqueHandle('olga'), uniqueHandle('ben')];
    await Promise.all([signUp(olga, url, 'Olga Owner', olgaHandle), signUp(ben, url, 'Ben Reader', benHandle)]);
    olga.on('dialog', (d) => void d.accept());
    // The community whose chat will hold the channel's comments (R114).
    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New community' }).click();
    await olga.getByLabel('Community name').fill('City talk');
    await olga.getByRole('button', { name: 'Create' }).click();
    await olga.getByRole('heading', { name: 'City talk' }).waitFor({ timeout: 30_000 });

    // R95: the handle checks, in words, before anything is sent; a taken one after.
    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New channel' }).click();
    await olga.getByLabel('Channel name').fill('City <b>News</b>');
    const handle = olga.getByLabel('Handle (the link: /c/handle)');
    const check = olga.getByTestId('handle-check');
    await handle.fill('support');
    assert.match(await check.textContent() ?? '', /^Reserved/);
    await handle.fill('supp0rt');
    assert.match(await check.textContent() ?? '', /^Look-alike: this handle reads like a reserved one/);
    await handle.fill('pаrley_news'); // a Cyrillic а
    assert.match(await check.textContent() ?? '', /^Look-alike: this handle mixes latin letters/);
    await screenshot(olga, 'channels-01-handle-look-alike');
    assert.equal(await olga.getByRole('button', { name: 'Create public channel' }).isDisabled(), true);
    await handle.fill(zed.handle);
    await olga.getByRole('button', { name: 'Create public channel' }).click();
    await check.filter({ hasText: 'Taken: another channel or a person already has this handle.' }).waitFor();
    const channelHandle = uniqueHandle('news');
    await handle.fill(channelHandle);
    assert.match(await check.textContent() ?? '', new RegExp(`The link will be ${url}/c/${channelHandle}`));
    await olga.getByLabel('Description (optional)').fill('What the city council decided, daily.');
    await olga.getByRole('button', { name: 'Create public channel' }).click();

    // The channel view: the kind said plainly, the composer for its admin.
    await olga.getByRole('heading', { name: 'City <b>News</b>' }).waitFor({ timeout: 30_000 });
    await olga.getByTestId('channel-row').filter({ hasText: 'City <b>News</b>' }).waitFor();
    assert.equal(await olga.getByTestId('channel-kind').textContent(), ` ${KIND}`);
    // R114: she links the community's general chat as the channel's discussion.
    await olga.getByRole('button', { name: 'Channel settings' }).click();
    await olga.getByTestId('discussion-settings').getByLabel('Discussion chat').selectOption({ label: 'General' });
    await olga.getByTestId('discussion-settings').getByRole('button', { name: 'Link' }).click();
    await olga.getByTestId('discussion-linked').filter({ hasText: 'Comments go to: General' }).waitFor();
    await olga.getByRole('button', { name: 'Channel settings' }).click();
    // R110: a post with a photo: uploaded as a public file, named in the signed post by its hash.
    const bridge = pngImage(320, 200);
    await olga.getByTestId('channel-file-input').setInputFiles({ name: 'bridge.png', mimeType: 'image/png', buffer: bridge });
    await olga.getByRole('list', { name: 'Add photos or files' }).getByText('bridge.png').waitFor();
    await write(olga, 'Roads on Lenina closed <i>Monday</i>.');
    await post(olga, 'Roads on Lenina closed <i>Monday</i>.').getByTestId('post-verified').waitFor({ timeout: 30_000 });
    const photoWidth = (page: Page) => page.getByTestId('channel-photo').first().evaluate((img: HTMLImageElement) => img.complete ? img.naturalWidth : 0);
    await post(olga, 'Roads on Lenina closed').getByTestId('channel-photo').waitFor({ timeout: 30_000 });
    await waitFor(async () => (await photoWidth(olga)) === 320, { what: 'the photo shows' });
    const channelId = new URL(olga.url()).hash.replace('#/channel/', '');
    await screenshot(olga, 'channels-02-author');
    await axe(olga, 'channel view (admin)');

    // R111: the reader finds it by the start of its handle, opens it, subscribes.
    await ben.getByRole('button', { name: 'New chat' }).click();
    await ben.getByRole('button', { name: 'Find channels' }).click();
    await ben.getByLabel('Channel handle or name').fill(channelHandle.slice(0, 8).toUpperCase());
    await ben.getByTestId('channel-result').filter({ hasText: `@${channelHandle}` }).waitFor({ timeout: 30_000 });
    await phoneShot(ben, 'channels-03a-search-phone');
    await ben.getByTestId('channel-result').filter({ hasText: `@${channelHandle}` }).click();
    await ben.getByRole('heading', { name: 'City <b>News</b>' }).waitFor({ timeout: 30_000 });
    await post(ben, 'Roads on Lenina closed').getByTestId('post-verified').waitFor();
    await waitFor(async () => (await photoWidth(ben)) === 320, { what: 'the photo shows for the reader' });
    assert.equal(await ben.getByLabel('Write a post').count(), 0, 'no composer for a reader');
    await ben.getByRole('button', { name: 'Subscribe' }).click();
    await ben.getByRole('button', { name: 'Unsubscribe' }).waitFor();
    await ben.getByRole('button', { name: 'Mute' }).click();
    await ben.getByRole('button', { name: 'Unmute' }).waitFor();
    await ben.goto(`${url}/#/`);
    const row = ben.getByTestId('channel-row').filter({ hasText: 'City <b>News</b>' });
    await row.getByTestId('channel-muted').waitFor();
    await write(olga, 'Water off in block 12 from 10:00.');
    await post(olga, 'Water off in block 12').getByTestId('post-verified').waitFor({ timeout: 30_000 });
    // R97: the notice reaches the reader's list, which counts the new post.
    await row.getByTestId('channel-unread').filter({ hasText: '1' }).waitFor({ timeout: 30_000 });
    await phoneShot(ben, 'channels-03-reader-list-phone');
    await row.click();
    await post(ben, 'Water off in block 12').getByTestId('post-verified').waitFor();
    await ben.getByRole('button', { name: 'Unmute' }).click();
    await ben.getByRole('button', { name: 'Mute' }).waitFor();

    // R98: a reaction and its count; the views counter counted both devices, once each.
    await post(ben, 'Water off in block 12').getByRole('button', { name: 'React with 👍' }).click();
    await post(ben, 'Water off in block 12').getByRole('button', { name: 'React with 👍', pressed: true }).filter({ hasText: '1' }).waitFor();
    await post(ben, 'Water off in block 12').getByTestId('post-views').filter({ hasText: /^2 views$/ }).waitFor();
    await screenshot(ben, 'channels-04-reader-phone');
    await axe(ben, 'channel view (reader, phone)');

    // R114: Ben comments on the photo post in the linked discussion chat; Olga sees "1 comment" under that post.
    await post(ben, 'Roads on Lenina closed').getByTestId('channel-comments').click();
    await ben.getByTestId('comments-join').getByRole('button', { name: 'Join the discussion to comment' }).click();
    const thread = ben.getByTestId('thread-panel');
    await thread.getByRole('heading', { name: 'Comments' }).waitFor({ timeout: 30_000 });
    await thread.getByTestId('thread-input').fill('Is the tram still running?');
    await thread.getByTestId('thread-send').click();
    await thread.getByTestId('message').filter({ hasText: 'Is the tram still running?' }).waitFor();
    await screenshot(ben, 'channels-04b-comment-phone');
    await thread.getByRole('button', { name: 'Close' }).click();
    const comments = post(olga, 'Roads on Lenina closed').getByTestId('channel-comments');
    await comments.filter({ hasText: /^ ?1 comment$/ }).waitFor({ timeout: GROUP_MS });
    assert.match(await post(olga, 'Water off in block 12').getByTestId('channel-comments').textContent() ?? '', /^ ?(0 comments|Comments)$/, 'the comment counts under its own post only');
    await screenshot(olga, 'channels-04c-author-sees-comment');
    // R125: a channel with posts and no signed head (as made before R125): its admin's app signs one when she opens it.
    setChannelHead(server.dataDir, channelId, undefined);
    await olga.reload();
    await post(olga, 'Water off in block 12').getByRole('button', { name: 'React with 👍', pressed: false }).filter({ hasText: '1' }).waitFor({ timeout: 30_000 });
    await waitFor(() => channelHead(server.dataDir, channelId)?.seq === 2, { what: 'the admin\'s app signed the head again' });
    await row.waitFor({ state: 'detached' }).catch(() => {});
    await ben.goto(`${url}/#/`);
    await ben.getByTestId('channel-row').filter({ hasText: 'City <b>News</b>' }).waitFor();
    assert.equal(await ben.getByTestId('channel-row').getByTestId('channel-unread').count(), 0, 'read once opened');

    // R99: the page for people without an account.
    const anonymous = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const page = await anonymous.newPage();
    await page.goto(`${url}/c/${channelHandle}`);
    await page.getByText('Water off in block 12 from 10:00.').waitFor();
    await page.getByRole('img', { name: 'bridge.png' }).waitFor();
    await waitFor(async () => (await page.getByRole('img', { name: 'bridge.png' }).evaluate((img: HTMLImageElement) => img.complete ? img.naturalWidth : 0)) === 320, { what: 'the page shows the photo' });
    assert.equal(await page.locator('h1').textContent(), 'City <b>News</b>');
    // R202: a link to it previews with the photo.
    const ogImage = await page.locator('meta[property="og:image"]').getAttribute('content');
    assert.match(ogImage ?? '', new RegExp(`^${url}/c/${channelHandle}/media/[A-Za-z0-9_-]{22}$`));
    assert.equal(await page.getByRole('img', { name: 'bridge.png' }).getAttribute('src'), new URL(ogImage ?? '').pathname, 'the photo the page shows');
    await screenshot(page, 'channels-05-public-page');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'channels-05b-public-page-phone');

    // R99, R126: the Atom feed, as a feed reader gets it without an account: XML that parses, each post's title, link and photo.
    await page.setViewportSize({ width: 1000, height: 800 });
    const atom = await page.goto(`${url}/c/${channelHandle}/feed.atom`);
    assert.match(atom?.headers()['content-type'] ?? '', /^application\/atom\+xml/);
    await screenshot(page, 'channels-05c-feed');
    // Parsed by the browser's own XML parser, in a page of the reader's (the server's pages require Trusted Types for DOMParser).
    const feedReader = await anonymous.newPage();
    type Feed = { errors: number; root: string; title: string; entries: { title: string; link: string; enclosures: Record<string, string | null>[] }[] };
    const feed = await feedReader.evaluate(`(() => {
      const text = ${JSON.stringify(await atom?.text())};
      const doc = new DOMParser().parseFromString(text, 'application/xml');
      const ns = 'http://www.w3.org/2005/Atom';
      const first = (el, name) => el.getElementsByTagNameNS(ns, name)[0];
      const links = (el, rel) => Array.from(el.getElementsByTagNameNS(ns, 'link')).filter((l) => l.getAttribute('rel') === rel);
      return {
        errors: doc.getElementsByTagName('parsererror').length,
        root: doc.documentElement.namespaceURI + ' ' + doc.documentElement.localName,
        title: first(doc.documentElement, 'title').textContent,
        entries: Array.from(doc.getElementsByTagNameNS(ns, 'entry')).map((e) => ({
          title: first(e, 'title').textContent,
          link: links(e, 'alternate')[0].getAttribute('href'),
          enclosures: links(e, 'enclosure').map((l) => ({ type: l.getAttribute('type'), length: l.getAttribute('length'), href: l.getAttribute('href'), title: l.getAttribute('title') })),
        })),
      };
    })()`) as Feed;
    assert.deepEqual({ errors: feed.errors, root: feed.root, title: feed.title }, { errors: 0, root: 'http://www.w3.org/2005/Atom feed', title: 'City <b>News</b>' });
    assert.deepEqual(feed.entries, [
      { title: 'Water off in block 12 from 10:00.', link: `${url}/c/${channelHandle}#post-2`, enclosures: [] },
      { title: 'Roads on Lenina closed <i>Monday</i>.', link: `${url}/c/${channelHandle}#post-1`, enclosures: [{ type: 'image/png', length: String(bridge.length), href: ogImage, title: 'bridge.png' }] },
    ]);
    // The reader follows the enclosure: the photo, without an account.
    await page.goto(ogImage ?? '');
    await waitFor(async () => (await page.evaluate('document.images[0]?.naturalWidth ?? 0')) === 320, { what: 'the feed\'s photo opens' });
    await screenshot(page, 'channels-05d-feed-photo');
    await anonymous.close();

    // Forwarding: an ordinary end-to-end encrypted message that quotes the post and links to it, naming the channel (R202).
    await writeAndAccept(olga, ben, url, benHandle, 'Olga Owner', 'Hi Ben, the news channel is up.');
    await olga.goto(`${url}/#/channel/${channelId}`);
    await post(olga, 'Water off in block 12').getByRole('button', { name: 'Forward' }).click();
    const dialog = olga.getByTestId('channel-forward');
    await dialog.getByTestId('forward-target').filter({ hasText: 'Ben Reader' }).locator('input').check();
    await dialog.getByTestId('channel-forward-send').click();
    const link = `${url}/c/${channelHandle}#post-2`;
    const forwarded = olga.getByTestId('message').filter({ hasText: 'Water off in block 12 from 10:00.' });
    await forwarded.filter({ hasText: `From the channel City <b>News</b>: ${link}` }).getByTestId('forwarded').filter({ hasText: 'Forwarded from City <b>News</b>' }).waitFor({ timeout: 30_000 });
    // R202: the photo post: its photo, checked against the signed hash, goes along, encrypted for the chat like any photo.
    await olga.goto(`${url}/#/channel/${channelId}`);
    await post(olga, 'Roads on Lenina closed').getByRole('button', { name: 'Forward' }).click();
    await dialog.getByTestId('forward-target').filter({ hasText: 'Ben Reader' }).locator('input').check();
    await dialog.getByTestId('channel-forward-send').click();
    await olga.getByTestId('message').filter({ hasText: 'Roads on Lenina closed <i>Monday</i>.' }).getByTestId('forwarded').waitFor({ timeout: 30_000 });
    await screenshot(olga, 'channels-07-forwarded');
    await ben.goto(`${url}/#/u/${olgaHandle}`);
    const got = ben.getByTestId('message').filter({ hasText: 'Water off in block 12 from 10:00.' });
    await got.getByTestId('forwarded').filter({ hasText: 'Forwarded from City <b>News</b>' }).waitFor({ timeout: 30_000 });
    assert.equal(await got.getByRole('link', { name: link }).getAttribute('href'), link, 'the post\'s link opens');
    const gotPhoto = ben.getByTestId('message').filter({ hasText: 'Roads on Lenina closed <i>Monday</i>.' });
    await gotPhoto.getByTestId('forwarded').filter({ hasText: 'Forwarded from City <b>News</b>' }).waitFor({ timeout: 30_000 });
    const img = gotPhoto.getByTestId('media-full');
    await img.waitFor({ timeout: 30_000 });
    await waitFor(async () => (await img.evaluate((el: HTMLImageElement) => (el.complete ? el.naturalWidth : 0))) === 320, { what: 'Ben sees the forwarded photo', timeoutMs: 30_000 });
    await screenshot(ben, 'channels-07b-forward-received-phone');

    // R96: the admin edits, pins and deletes in the app; the subscriber's open channel follows each signed version.
    await ben.goto(`${url}/#/channel/${channelId}`);
    await olga.goto(`${url}/#/channel/${channelId}`);
    await write(olga, 'Lift in block 3 out of order.');
    await post(ben, 'Lift in block 3 out of order.').getByTestId('post-verified').waitFor({ timeout: 30_000 });
    await post(olga, 'Water off in block 12').getByRole('button', { name: 'Edit', exact: true }).click();
    await olga.getByLabel('Write a post').fill('Water off in block 12 from 11:00 (moved).');
    await olga.getByRole('button', { name: 'Save', exact: true }).click();
    await post(ben, 'Water off in block 12 from 11:00 (moved).').filter({ hasText: 'edited' }).getByTestId('post-verified').waitFor({ timeout: 30_000 });
    assert.equal(await post(ben, 'from 10:00').count(), 0, 'the old text is gone');
    await post(olga, 'Roads on Lenina closed').getByRole('button', { name: 'Pin', exact: true }).click();
    await ben.locator('.channel-pinned').filter({ hasText: 'Roads on Lenina closed <i>Monday</i>.' }).waitFor({ timeout: 30_000 });
    await post(ben, 'Roads on Lenina closed').getByText('Pinned', { exact: true }).waitFor();
    await screenshot(ben, 'channels-08-edited-pinned-phone');
    await post(olga, 'Lift in block 3').getByRole('button', { name: 'Delete', exact: true }).click();
    await post(ben, 'Lift in block 3').waitFor({ state: 'detached', timeout: 30_000 });
    await post(ben, 'Water off in block 12 from 11:00 (moved).').waitFor();
    await screenshot(ben, 'channels-08b-deleted-phone');

    assert.deepEqual(found, [], 'no axe violations');
    await author.context.close();
    await reader.context.close();
  });

  it('R96, R110 a post the server altered is shown as not verified, without its altered text; a photo whose bytes it swapped is not shown', async () => {
    const { context, page } = await personPage(browser);
    await signUp(page, url, 'Tara Tamper', uniqueHandle('tara'));
    const channel = await zed.client.channels.create({ handle: uniqueHandle('zeds'), title: 'Zed Daily' });
    const genuine = await zed.client.channels.post(channel.channelId, 'The meeting is at 18:00.');
    const png = pngImage(120, 80);
    const photo = await zed.client.channels.uploadFile(png, { mime: 'image/png', name: 'hall.png', width: 120, height: 80 });
    const hall = await zed.client.channels.post(channel.channelId, 'The hall', { attachments: [photo] });
    // R110: the server swaps the photo's bytes (same length) before anyone downloads them: the reader's hash check refuses them.
    writeFileSync(join(server.dataDir, 'blobs', photo.blobId), png.map((b) => b ^ 0xff));
    await page.goto(`${url}/#/c/${channel.handle}`);
    await post(page, 'The meeting is at 18:00.').getByTestId('post-verified').waitFor({ timeout: 30_000 });
    await post(page, 'The hall').getByTestId('photo-not-verified').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('button', { name: 'Unsubscribe' }).waitFor();

    // The server rewrites the stored post and keeps the admin's signature.
    rewriteChannelPost(server.dataDir, channel.channelId, genuine.postId, (body) => ({ ...body, text: 'The meeting is cancelled.' }));
    await page.reload();
    const alert = page.getByTestId('channel-post-unverified');
    await alert.waitFor({ timeout: 30_000 });
    assert.match(await alert.textContent() ?? '', /Not verified — the server may have altered this post\. It is not shown\./);
    assert.match(await alert.textContent() ?? '', /the signature does not match/);
    assert.equal(await page.getByText('The meeting is cancelled.').count(), 0, 'the altered text is not shown');
    assert.equal(await page.getByTestId('channel-post').count(), 1, 'only the photo post verifies');
    await post(page, 'The hall').getByTestId('photo-not-verified').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('channel-photo').count(), 0, 'the swapped photo is not shown');
    await screenshot(page, 'channels-06-not-verified');
    await waitFor(async () => (await page.getByTestId('channel-post-unverified').count()) === 1);

    // R125: the server hides the newest post and says the log ends before it: the admins' signed head gives it away.
    dropChannelPost(server.dataDir, channel.channelId, hall.postId, 1);
    await page.reload();
    const missing = page.getByTestId('channel-missing');
    await missing.waitFor({ timeout: 30_000 });
    assert.match(await missing.textContent() ?? '', /^Not verified — the admins signed the log up to seq \d+ but the server serves it up to \d+: newest posts withheld\.$/);
    await screenshot(page, 'channels-06b-posts-missing');

    // R125: a post dropped from the middle: the newest page looks whole; the app's check of the whole log finds the gap.
    const minutes = await zed.client.channels.create({ handle: uniqueHandle('zedm'), title: 'Zed Minutes' });
    await zed.client.channels.post(minutes.channelId, 'Item one: budget.');
    const middle = await zed.client.channels.post(minutes.channelId, 'Item two: roads.');
    await zed.client.channels.post(minutes.channelId, 'Item three: schools.');
    dropChannelPost(server.dataDir, minutes.channelId, middle.postId);
    await page.goto(`${url}/#/c/${minutes.handle}`);
    await post(page, 'Item three: schools.').getByTestId('post-verified').waitFor({ timeout: 30_000 });
    const gap = page.getByTestId('channel-missing');
    await gap.waitFor({ timeout: 30_000 });
    assert.equal(await gap.textContent(), 'Not verified — position 2 of the log is not served: posts may be missing.', 'one sentence, said once');
    await screenshot(page, 'channels-06c-middle-post-missing');

    // R96: the server re-dates a post, swaps two posts' places and adds a pinned post of its own making (signed by a key of its own): each is "Not verified", none is shown as the channel's.
    const notes = await zed.client.channels.create({ handle: uniqueHandle('zedn'), title: 'Zed Notes' });
    const monday = await zed.client.channels.post(notes.channelId, 'Signed on Monday.');
    const first = await zed.client.channels.post(notes.channelId, 'First in line.');
    const second = await zed.client.channels.post(notes.channelId, 'Second in line.');
    await zed.client.channels.post(notes.channelId, 'Left alone.');
    rewriteChannelPost(server.dataDir, notes.channelId, monday.postId, (body) => ({ ...body, date: body.date - 7 * 86_400_000 }));
    swapChannelPosts(server.dataDir, notes.channelId, first.postId, second.postId);
    const outsider = outsideChannelKey();
    const forged = { v: 1, channelId: notes.channelId, postId: 'forged_post_1', postSeq: 5, seq: 5, version: 1, date: Date.now(), signer: outsider.publicKey, text: 'Official: the meeting is cancelled.', pinned: true, deleted: false } as const;
    insertChannelPost(server.dataDir, notes.channelId, { ...outsider.signPost(forged), postId: forged.postId, seq: 5, authorId: zed.userId });
    await page.goto(`${url}/#/c/${notes.handle}`);
    await post(page, 'Left alone.').getByTestId('post-verified').waitFor({ timeout: 30_000 });
    const unverified = page.getByTestId('channel-post-unverified');
    await waitFor(async () => (await unverified.count()) === 4, { what: 'four posts not verified' });
    const why = await unverified.allTextContents();
    assert.ok(why.every((w) => w.startsWith('Not verified — the server may have altered this post. It is not shown.')), why.join('\n'));
    assert.deepEqual(why.map((w) => /Why: (.*)$/.exec(w)?.[1]), [
      'the signature does not match (altered or forged)', 'served at seq 2 but signed for seq 3 (moved)', 'served at seq 3 but signed for seq 2 (moved)', 'signed by a key the channel\'s key list does not name',
    ]);
    for (const text of ['Signed on Monday.', 'First in line.', 'Second in line.', 'Official: the meeting is cancelled.']) assert.equal(await page.getByText(text).count(), 0, `"${text}" is not shown`);
    assert.equal(await page.locator('.channel-pinned').count(), 0, 'the forged pin is not shown');
    assert.equal(await page.getByTestId('channel-post').count(), 1, 'only the untouched post shows as the channel\'s');
    await screenshot(page, 'channels-06d-redated-moved-forged');
    await context.close();
  });

  it('R95b R200 the owner adds a second person as admin; they accept in their chat list and post; a subscriber sees the post verified, and with the author\'s name once the owner signs names; removing the admin keeps their post', async () => {
    const people = await Promise.all([personPage(browser), personPage(browser), personPage(browser, { mobile: true })]);
    const [olga, ann, sam] = people.map((p) => p.page) as [Page, Page, Page];
    const annHandle = uniqueHandle('ann');
    await Promise.all([signUp(olga, url, 'Olga Owner', uniqueHandle('olga')), signUp(ann, url, 'Ann <i>Admin</i>', annHandle), signUp(sam, url, 'Sam Subscriber', uniqueHandle('sam'))]);
    olga.on('dialog', (d) => void d.accept());
    const { found, axe } = axeLog();

    await olga.getByRole('button', { name: 'New chat' }).click();
    await olga.getByRole('button', { name: 'New channel' }).click();
    await olga.getByLabel('Channel name').fill('Club news');
    const channelHandle = uniqueHandle('club');
    await olga.getByLabel('Handle (the link: /c/handle)').fill(channelHandle);
    await olga.getByRole('button', { name: 'Create public channel' }).click();
    await olga.getByRole('heading', { name: 'Club news' }).waitFor({ timeout: 30_000 });
    await write(olga, 'Welcome to the club.');
    await post(olga, 'Welcome to the club.').getByTestId('post-verified').waitFor({ timeout: 30_000 });

    // The owner names Ann in the channel settings (by @handle, as a group adds a member).
    await olga.getByRole('button', { name: 'Channel settings' }).click();
    const admins = olga.getByTestId('channel-admins');
    await admins.getByLabel('Add an admin').fill(`@${annHandle}`);
    await admins.getByRole('button', { name: 'Add', exact: true }).click();
    const annRow = admins.getByTestId('channel-admin').filter({ hasText: 'Ann <i>Admin</i>' });
    await annRow.getByText('Invited — waiting for them to accept').waitFor({ timeout: 30_000 });
    await axe(olga, 'channel settings: admins');

    // Ann's chat list shows the invitation as it comes (R201); she accepts (her device makes and registers its signing key).
    const invite = ann.getByTestId('channel-admin-invite');
    await invite.waitFor({ timeout: 30_000 });
    assert.equal(await invite.locator('p').textContent(), `You were invited to post in Club news (@${channelHandle}).`);
    await screenshot(ann, 'channels-admins-01-invitation');
    await invite.getByRole('button', { name: 'Accept' }).click();
    await invite.waitFor({ state: 'detached', timeout: 30_000 });

    // The owner's open channel hears she accepted (R201) and its device signs her key into the list.
    await annRow.getByText('Can post').waitFor({ timeout: 30_000 });

    // Ann posts; Sam subscribes and sees it verified, without a name (names are off).
    await ann.goto(`${url}/#/c/${channelHandle}`);
    await write(ann, 'Ann here: training moves to 19:00.');
    await post(ann, 'Ann here').getByTestId('post-verified').waitFor({ timeout: 30_000 });
    await sam.goto(`${url}/#/c/${channelHandle}`);
    await sam.getByRole('button', { name: 'Subscribe' }).click();
    const samsAnn = post(sam, 'Ann here: training moves to 19:00.');
    await samsAnn.getByTestId('post-verified').waitFor({ timeout: 30_000 });
    assert.equal((await samsAnn.getByTestId('post-verified').textContent())?.trim(), 'Verified: signed by the channel’s admin');
    assert.equal(await samsAnn.getByTestId('post-author').count(), 0);

    // The owner turns on "sign posts with the author's name": every post now names its author.
    const toggle = admins.getByTestId('channel-sign-names');
    await toggle.click();
    await waitFor(() => toggle.isChecked(), { what: 'the owner sees names on' });
    await waitFor(async () => (JSON.parse((await zed.client.channels.byHandle(channelHandle)).keyList.signed) as { signNames?: boolean }).signNames === true, { what: 'a list with names on' });
    await screenshot(olga, 'channels-admins-02-owner-settings');
    await sam.reload();
    await samsAnn.getByTestId('post-author').waitFor({ timeout: 30_000 });
    assert.equal(await samsAnn.getByTestId('post-author').textContent(), '— Ann <i>Admin</i>');
    assert.equal((await samsAnn.getByTestId('post-verified').textContent())?.trim(), 'Verified: signed by Ann <i>Admin</i>, an admin of the channel');
    assert.equal(await post(sam, 'Welcome to the club.').getByTestId('post-author').textContent(), '— Olga Owner');
    await screenshot(sam, 'channels-admins-03-subscriber-names');
    await axe(sam, 'channel with signed names (phone)');
    // The public page names the author too, escaped.
    const html = await (await fetch(`${url}/c/${channelHandle}`)).text();
    assert.ok(html.includes('— Ann &lt;i&gt;Admin&lt;/i&gt;'));

    // The owner removes Ann: she can't post any more; her post stays verified with her name.
    await annRow.getByRole('button', { name: 'Remove' }).click();
    await annRow.waitFor({ state: 'detached', timeout: 30_000 });
    await sam.reload();
    await samsAnn.getByTestId('post-author').waitFor({ timeout: 30_000 });
    await ann.reload();
    await post(ann, 'Ann here').waitFor({ timeout: 30_000 });
    assert.equal(await ann.getByLabel('Write a post').count(), 0, 'no composer for a removed admin');
    assert.deepEqual(found, []);
    for (const p of people) await p.context.close();
  });
});
