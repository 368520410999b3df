import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { tamperMessage, newClient, uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { addAuthenticator, closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** "Ask to resend" on a message the browser could not read (docs/PROTOCOL.md R32). */

describe('asking for an unreadable message again in a real browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R32 a message that failed its check shows "Ask to resend"; after a click the sender\'s device sends it again and its text appears in place, marked re-sent', async () => {
    const { context, page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    const { chatId } = await zed.client.openDirect(amy.userId);
    await zed.client.sendText(chatId, 'Hi Amy, parcel news soon');
    await page.getByTestId('chat-row').filter({ hasText: 'Zed Zimmer' }).click();
    await page.getByTestId('message').filter({ hasText: 'Hi Amy, parcel news soon' }).waitFor({ timeout: 30_000 });

    // Amy closes the app; the server alters Zed's next message before her browser fetches it.
    await page.close();
    await zed.client.sendText(chatId, 'The parcel is with the neighbour at number 3');
    await zed.client.sendText(chatId, 'Thanks!');
    await waitFor(() => zed.client.outbox().length === 0, { what: 'acked' });
    const seq = zed.client.timeline(chatId).find((i) => i.text.startsWith('The parcel'))?.seq;
    assert.ok(seq);
    tamperMessage(server.dataDir, chatId, seq);

    const again = await context.newPage();
    await addAuthenticator(again);
    await again.goto(url);
    await again.getByTestId('chat-row').filter({ hasText: 'Zed Zimmer' }).click();
    await again.getByTestId('message').filter({ hasText: 'Thanks!' }).waitFor({ timeout: 30_000 });
    const unreadable = again.getByTestId('message').filter({ has: again.getByTestId('unreadable') });
    await unreadable.getByText('failed its encryption check').waitFor();
    const ask = unreadable.getByRole('button', { name: 'Ask to resend' });
    await ask.waitFor();
    await screenshot(again, 'resend-ask');
    // Zed's device is offline when Amy asks: the request waits in the chat until it is back.
    await zed.client.stop();
    await ask.click();
    await unreadable.getByTestId('resend-requested').waitFor();
    await screenshot(again, 'resend-requested');
    zed.client = newClient(url, zed.userId, zed.deviceId, zed.deviceKey, zed.store);
    await zed.client.start();

    const filled = again.getByTestId('message').filter({ hasText: 'The parcel is with the neighbour at number 3' });
    await filled.waitFor({ timeout: 30_000 });
    await filled.getByTestId('resent').waitFor();
    assert.equal(await again.getByTestId('unreadable').count(), 0, 'nothing unreadable left');
    // In its place: between the first message and the one after it.
    const order = await again.getByTestId('message').locator('.text').allTextContents();
    assert.deepEqual(order.filter((t) => t !== ''), ['Hi Amy, parcel news soon', 'The parcel is with the neighbour at number 3', 'Thanks!']);
    await screenshot(again, 'resend-filled');
    await context.close();
  });
});
