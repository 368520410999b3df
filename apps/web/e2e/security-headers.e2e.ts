import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { freePort, uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** A page on another origin that lays the app in a frame under its own content (clickjacking). */
async function decoySite(appUrl: string): Promise<{ url: string; server: Server }> {
  const port = await freePort();
  const server = createServer((req, res) => {
    if (req.url === '/inner') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p id="inner">a frame of this site renders</p>');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Win a prize</title>
      <h1>Click the button to win!</h1>
      <iframe id="app" src="${appUrl}/" width="900" height="520" style="opacity:0.6"></iframe>
      <iframe id="own" src="/inner" width="300" height="80"></iframe>`);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, server };
}

/** CSP violations the page reports (an init script runs before the app's own, outside the CSP). */
async function watchViolations(page: Page): Promise<{ console: string[]; read(): Promise<string[]> }> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const console: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (/Content.Security.Policy|Permissions-Policy|Refused to/i.test(m.text())) console.push(m.text());
  });
  return { console, read: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp) };
}

describe('R38 security headers in a real browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  let decoy: { url: string; server: Server };
  before(async () => {
    ({ server, browser, url, zed } = await openWebWorld());
    decoy = await decoySite(url);
  });
  after(async () => {
    decoy?.server.close();
    await closeWebWorld({ server, browser, zed });
  });

  it('R38 clickjacking: a page on another origin cannot show the app in a frame', async () => {
    const { context, page } = await personPage(browser);
    const refusals: string[] = [];
    page.on('console', (m) => refusals.push(m.text()));
    await page.goto(decoy.url);
    // Frames do render here: the decoy's own frame shows its content.
    await page.frameLocator('#own').locator('#inner').waitFor();
    const frame = await (await page.$('#app'))?.contentFrame();
    assert.ok(frame, 'the iframe element exists');
    await waitFor(() => refusals.some((t) => t.includes('frame-ancestors')), { what: 'Chromium refuses to frame the app' });
    assert.ok(refusals.some((t) => /Framing '.*' violates .*"frame-ancestors 'none'"\. The request has been blocked/.test(t)), refusals.join('\n'));
    // Nothing of the app is in the frame: no "Create account", no root element, not the app's URL.
    assert.notEqual(frame.url(), `${url}/`);
    assert.equal(await frame.locator('#root').count(), 0);
    assert.equal(await frame.getByRole('button', { name: 'Create account' }).count(), 0);
    await screenshot(page, '48-framed-app-refused');
    await context.close();
  });

  it('R38 under the CSP header the app works as before: sign-up with a passkey, a chat, a safety-number QR code; no violations', async () => {
    const { context, page } = await personPage(browser);
    const violations = await watchViolations(page);
    const first = await page.goto(url);
    assert.match(first?.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    await signUp(page, url, 'Cora Csp', uniqueHandle('cora'));
    // The service worker installs under its script's policy and fetches the shell.
    assert.equal(await page.evaluate(async () => Boolean((await navigator.serviceWorker.ready).active)), true);

    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByLabel('Handle of the person').fill(zed.handle);
    await page.getByRole('button', { name: 'Start chat' }).click();
    await page.getByLabel('Message', { exact: true }).fill('hello under a strict CSP');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await waitFor(() => zed.client.chats().some((c) => zed.client.timeline(c.chatId).some((i) => i.text === 'hello under a strict CSP')),
      { what: 'zed reads it', timeoutMs: 30_000 });
    const chatId = zed.client.chats().find((c) => zed.client.timeline(c.chatId).some((i) => i.text === 'hello under a strict CSP'))!.chatId;
    await zed.client.sendText(chatId, 'and back');
    await page.getByTestId('message').filter({ hasText: 'and back' }).waitFor();
    await screenshot(page, '49-app-under-csp');

    // The QR code of the safety number is a data: image (img-src allows it).
    await page.getByRole('button', { name: 'Verify Zed Zimmer' }).click();
    const qr = page.getByTestId('qr');
    await qr.waitFor();
    assert.ok(await qr.evaluate((img) => (img as HTMLImageElement).naturalWidth > 0), 'the QR image loaded');
    await screenshot(page, '50-qr-under-csp');
    assert.deepEqual(await violations.read(), [], 'no CSP violation events');
    assert.deepEqual(violations.console, [], 'no CSP or Permissions-Policy console errors');
    // Trusted Types: markup from a string never reaches the DOM, even if some code tried.
    const sink = await page.evaluate(() => {
      try {
        document.body.insertAdjacentHTML('beforeend', '<img src="x" onerror="window.pwned = 1">');
        return 'inserted';
      } catch (err) {
        return (err as Error).name;
      }
    });
    assert.equal(sink, 'TypeError');
    await context.close();
  });
});
