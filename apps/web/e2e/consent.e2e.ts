import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ParleyClient } from '@parley/client';
import { createUser, uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** R44 in Debian's Chromium: a stranger's group and chat arrive as requests the person answers. */
describe('requests from strangers in the browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  const clients: ParleyClient[] = [];
  before(async () => ({ server, browser, url, zed } = await openWebWorld({ PARLEY_CONSENT_REQUIRED: 'true' })));
  after(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await closeWebWorld({ server, browser, zed });
  });

  it('R44 a stranger\'s group is a request: Amy sees who asks and for what, declines one, accepts the other and reads it; her own chat to a stranger waits for him', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    const dave = await createUser(url, { displayName: 'Dave Dunn', handle: uniqueHandle('dave') });
    const spam = await createUser(url, { displayName: 'Prize Office', handle: uniqueHandle('prize') });
    clients.push(dave.client, spam.client);
    await waitFor(async () => (await dave.client.keys.log(amy.userId, 0)).length > 0, { what: "amy's browser publishes its key", timeoutMs: 30_000 });
    const wanted = await dave.client.createGroup({ name: 'Entrance 2', memberIds: [amy.userId] });
    await spam.client.createGroup({ name: 'You won!', memberIds: [amy.userId] });

    const row = page.getByTestId('requests-row');
    await row.waitFor({ timeout: 20_000 });
    assert.match((await row.textContent()) ?? '', /Requests\s*2/);
    await row.click();
    const cards = page.getByTestId('request');
    await cards.nth(1).waitFor();
    assert.match((await cards.nth(0).textContent()) ?? '', /Dave Dunn.*wants to add you to a group with 1 member\./);
    await screenshot(page, '51-requests');
    await cards.filter({ hasText: 'Prize Office' }).getByRole('button', { name: 'Report' }).click();
    await cards.filter({ hasText: 'Prize Office' }).getByRole('button', { name: 'Report and block' }).click();
    await cards.filter({ hasText: 'Prize Office' }).waitFor({ state: 'detached' });
    assert.equal((await server.services.storage.listReports(0, 10)).length, 1);
    await cards.filter({ hasText: 'Dave Dunn' }).getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL(new RegExp(`#/chat/${wanted.chatId}`));
    await waitFor(async () => (await dave.client.encryptionMembers(wanted.chatId)).some((m) => m.userId === amy.userId), { what: "amy's browser in the group", timeoutMs: 30_000 });
    await dave.client.sendText(wanted.chatId, 'Welcome to the entrance 2 chat');
    await page.getByTestId('timeline').getByText('Welcome to the entrance 2 chat').waitFor({ timeout: 20_000 });

    // Amy writes to a stranger: the chat says it waits for him; her message stays "sending".
    const erik = await createUser(url, { displayName: 'Erik Ek', handle: uniqueHandle('erik') });
    clients.push(erik.client);
    await page.goto(`${url}/#/u/${erik.handle}`);
    await page.getByTestId('awaiting-accept').waitFor({ timeout: 20_000 });
    assert.match((await page.getByTestId('awaiting-accept').textContent()) ?? '', /Waiting for Erik Ek to accept/);
    await page.getByRole('textbox').first().fill('Hi Erik, I found your keys in the lobby');
    await page.getByRole('textbox').first().press('Enter');
    await screenshot(page, '52-awaiting-accept');
    await waitFor(() => erik.client.requests().length === 1, { what: 'erik is asked' });
    await erik.client.acceptRequest(erik.client.requests()[0]!.requestId);
    await waitFor(() => erik.client.timeline(erik.client.chats()[0]!.chatId).some((i) => i.text === 'Hi Erik, I found your keys in the lobby'), { what: 'erik reads amy', timeoutMs: 30_000 });
    await page.getByTestId('awaiting-accept').waitFor({ state: 'detached', timeout: 20_000 });
  });
});
