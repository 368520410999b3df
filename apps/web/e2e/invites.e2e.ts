import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { ParleyError } from '@parley/client';
import { createUser, uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** Invite links in the group info screen (docs/PROTOCOL.md R42), in Debian's Chromium. */

describe('invite links in group info', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R42 an admin sees the live invites (maker, end, uses), makes one, and revokes another admin\'s: it stops at once', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    const group = await zed.client.createGroup({ name: 'Night shift', memberIds: [amy.userId] });
    await zed.client.setRole(group.chatId, amy.userId, 'admin');
    const zeds = await zed.client.createInvite(group.chatId, { maxUses: 5 });
    const guest = await createUser(server.url, { start: false });
    await guest.client.joinInvite(zeds.token);

    await page.getByTestId('chat-row').first().click();
    await page.getByRole('button', { name: 'Group info' }).click();
    const card = page.getByTestId('invite-links');
    const rows = card.getByTestId('invite');
    await rows.first().waitFor({ timeout: 20_000 });
    assert.equal(await rows.count(), 1);
    assert.match((await rows.first().textContent()) ?? '', new RegExp(`…${zeds.token.slice(-6)}made by Zed Zimmer, .+ · ends .+ · used 1 of 5`));

    await card.getByRole('button', { name: 'Create invite link' }).click();
    await card.getByTestId('link').waitFor();
    await waitFor(async () => (await rows.count()) === 2, { what: 'the new invite listed' });
    assert.match((await rows.first().textContent()) ?? '', /just made.*made by Amy Adams, .+ · used 0 times/);
    await rows.last().scrollIntoViewIfNeeded();
    await screenshot(page, '46-group-info-invites');

    await card.getByRole('button', { name: `Revoke …${zeds.token.slice(-6)}` }).click();
    await waitFor(async () => (await rows.count()) === 1, { what: 'the revoked invite gone from the list' });
    assert.match((await rows.first().textContent()) ?? '', /made by Amy Adams/);
    const late = await createUser(server.url, { start: false });
    await assert.rejects(late.client.joinInvite(zeds.token), (e: unknown) => e instanceof ParleyError && e.code === 'invite_invalid');
    await screenshot(page, '47-group-info-invite-revoked');
    await page.context().close();
  });
});
