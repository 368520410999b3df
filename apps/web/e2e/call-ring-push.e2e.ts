import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, CDPSession } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/**
 * R118 in Debian's Chromium: the "Ring me when the app is closed" toggle, and what the service worker
 * shows for a call's push, delivered through CDP (this machine reaches no real push service).
 */
describe('Web Push ringing in the browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  // The browser's (stubbed) subscription points at 127.0.0.2:9, where nothing listens: no push leaves loopback.
  before(async () => ({ server, browser, url, zed } = await openWebWorld({ PARLEY_PUSH_ALLOW_PRIVATE_NETWORKS: '127.0.0.2/32' })));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R118 the toggle subscribes and turns ringing on; a call push shows "Incoming call" with the caller\'s name from an open page, without one no name, and late "You had a call"; R134 a group\'s "Incoming group call"', async () => {
    const { context, page } = await personPage(browser);
    await context.grantPermissions(['notifications'], { origin: url });
    // Chromium here has no push service to subscribe with: the subscription is stubbed (a string, so
    // the test's compiled helpers don't leak into the page), everything after it is real.
    await page.addInitScript(STUB_PUSH_MANAGER);
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
    await toggle.click();
    await waitFor(async () => (await server.services.storage.listCallRingingDevices(amy.userId)).length === 1, { what: 'the server rings amy\'s device', timeoutMs: 30_000 });
    assert.equal((await server.services.storage.listPushSubscriptions(amy.userId))[0]?.endpoint, 'https://127.0.0.2:9/push/amy');
    await waitFor(() => toggle.isChecked(), { what: 'the toggle shows on' });
    await toggle.scrollIntoViewIfNeeded();
    await screenshot(page, 'r118-ring-setting');

    // A call's push while a page is open (its connection asleep): the page names the caller.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    const cdp = await context.newCDPSession(page);
    const registrationId = await swRegistration(cdp, url);
    /**
     * Delivers a push through CDP (this machine's stand-in for the push service) until a notification
     * shows: CDP's delivery sometimes shows nothing in a clean-clone run (about 1 in 4; it passes alone), so
     * a push with nothing shown after 10 s is delivered again (at most 3 times, said in the output). What a
     * notification says is asserted after, on the first one shown.
     */
    const push = async (session: CDPSession, data: string, read: () => Promise<unknown[]>, what: string) => {
      for (let attempt = 1; ; attempt++) {
        await session.send('ServiceWorker.deliverPushMessage', { origin: url, registrationId, data });
        try {
          return await waitFor(async () => (await read()).length > 0, { what, timeoutMs: 10_000 });
        } catch (err) {
          if (attempt === 3) throw err;
          console.log(`push for ${what}: nothing shown in 10 s, delivered again`);
        }
      }
    };
    const payload = (until: number, id = chatId, group: 0 | 1 = 0) => JSON.stringify({ type: 'incoming_call', v: 1, chatId: id, until, group });
    const shown = () => page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications())
      .map((n) => ({ title: n.title, body: n.body, tag: n.tag })));
    await push(cdp, payload(Date.now() + 45_000), shown, 'a call notification');
    assert.deepEqual(await shown(), [{ title: 'Incoming call', body: 'Zed Zimmer', tag: `parley-call-${chatId}` }]);

    // R134: a group's call says so, with the group's name from the open page.
    const team = await zed.client.createGroup({ name: 'Night shift', memberIds: [amy.userId] });
    await page.goto(`${url}/#/`);
    await page.getByTestId('chat-row').filter({ hasText: 'Night shift' }).waitFor({ timeout: 30_000 });
    await page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).forEach((n) => n.close()));
    await push(cdp, payload(Date.now() + 45_000, team.chatId, 1), shown, 'a group call notification');
    assert.deepEqual(await shown(), [{ title: 'Incoming group call', body: 'Night shift', tag: `parley-call-${team.chatId}` }]);

    // No page of the app open: still "Incoming call", and no name (the push carries none). The
    // notifications are read from a plain file of the origin (the app's icon, not the app): a handle on
    // the worker itself would go stale when Chromium stops the idle worker and starts it for a push.
    const other = await context.newPage();
    await page.close();
    await other.goto(`${url}/icon.svg`);
    const close = () => other.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).forEach((n) => n.close()));
    const inWorker = () => other.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body })));
    await close();
    const cdp2 = await context.newCDPSession(other);
    await cdp2.send('ServiceWorker.enable');
    await push(cdp2, payload(Date.now() + 45_000), inWorker, 'a call notification with no page open');
    assert.deepEqual(await inWorker(), [{ title: 'Incoming call', body: 'Open Parley to answer' }]);
    await close();
    await push(cdp2, payload(Date.now() + 45_000, team.chatId, 1), inWorker, 'a group call notification with no page open');
    assert.deepEqual(await inWorker(), [{ title: 'Incoming group call', body: 'A group call in one of your chats. Open Parley to join' }]);
    // A push the push service held past the ring (`until` is over): it says a call came, it does not ring.
    await close();
    await push(cdp2, payload(Date.now() - 1), inWorker, 'a late call notification');
    assert.deepEqual(await inWorker(), [{ title: 'You had a call', body: 'Open Parley to answer' }]);
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

/** A PushManager whose subscription points at 127.0.0.2:9, where nothing listens: no push leaves loopback. */
const STUB_PUSH_MANAGER = `(() => {
  const endpoint = 'https://127.0.0.2:9/push/amy';
  const keys = { p256dh: 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4', auth: 'BTBZMqHH6r4Tts7J_aSIgg' };
  const fake = { endpoint, toJSON() { return { endpoint, keys }; }, async unsubscribe() { return true; } };
  let subscribed = false;
  PushManager.prototype.subscribe = async function () { subscribed = true; return fake; };
  PushManager.prototype.getSubscription = async function () { return subscribed ? fake : null; };
})();`;
