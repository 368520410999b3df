import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { MLS_COMMIT_CONTENT_TYPE, bytesToBase64, type ParleyClient } from '@parley/client';
import { appendUncheckedCommit, createUser, uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** A person's browser when the chat's log holds a commit no device can apply (docs/PROTOCOL.md R36), in Debian's Chromium. */
describe('a chat\'s encryption repaired in the browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  const clients: ParleyClient[] = [];
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await closeWebWorld({ server, browser, zed });
  });

  it('R36 the commit that could not be applied is shown as such, then "… set up this chat\'s encryption again", and the chat goes on', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    const dave = await createUser(url, { displayName: 'Dave Dunn', handle: uniqueHandle('dave') });
    clients.push(dave.client);
    await waitFor(async () => (await dave.client.keys.log(amy.userId, 0)).length > 0, { what: "amy's browser publishes its key", timeoutMs: 30_000 });
    const { chatId } = await dave.client.createGroup({ name: 'House committee', memberIds: [amy.userId] });
    await waitFor(async () => (await dave.client.encryptionMembers(chatId)).some((m) => m.userId === amy.userId), { what: "amy's browser added", timeoutMs: 30_000 });
    await page.getByText('House committee').first().click({ timeout: 30_000 });
    await dave.client.sendText(chatId, 'Meeting on Thursday at 7');
    await page.getByTestId('timeline').getByText('Meeting on Thursday at 7').waitFor({ timeout: 20_000 });

    // The server orders 300 random bytes as a commit from Dave's device.
    await appendUncheckedCommit(server, chatId, { userId: dave.userId, deviceId: dave.deviceId }, { contentType: MLS_COMMIT_CONTENT_TYPE, payload: bytesToBase64(randomBytes(300)) });
    const failed = page.getByTestId('unreadable').filter({ hasText: 'could not be applied on this device' });
    await failed.waitFor({ timeout: 20_000 });
    await page.getByTestId('system').filter({ hasText: /set up this chat’s encryption again/ }).waitFor({ timeout: 40_000 });
    await dave.client.sendText(chatId, 'Still on for Thursday?');
    await page.getByTestId('timeline').getByText('Still on for Thursday?').waitFor({ timeout: 20_000 });
    await page.getByRole('textbox').first().fill('Yes, see you there');
    await page.getByRole('textbox').first().press('Enter');
    await waitFor(() => dave.client.timeline(chatId).some((i) => i.text === 'Yes, see you there'), { what: 'dave reads amy', timeoutMs: 20_000 });
    assert.equal(await failed.count(), 1);
    await screenshot(page, '45-encryption-repaired');
  });
});
