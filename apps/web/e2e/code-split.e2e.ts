import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { defaultWebDist } from '@parley/server';
import { uniqueHandle, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, signUp } from './browser.ts';

/**
 * Issue 15: the welcome screen loads only what it needs; the SDK (MLS, crypto) and the chat screens
 * are chunks loaded after sign-in, which the service worker precaches so a start with a stored
 * session works offline. docs/ARCHITECTURE.md "Code splitting in the web client".
 */

const builtJs = () => readdirSync(join(defaultWebDist(), 'assets')).filter((f) => f.endsWith('.js')).map((f) => `/assets/${f}`).sort();

/**
 * The budget for the JS a person's browser loads to see an open chat, gzipped (bench/web-bundle.ts
 * measures it): issue 15's target, 250 KB. (It was 253 KiB for a day; zod's JSON Schema generator,
 * left out of the web build by vite.config.ts, and the group-call SFU session, now loaded on the
 * first group call, took it back to 245 KiB.)
 */
const CHAT_SCREEN_GZIP_BUDGET = 250 * 1024;
/**
 * The MLS worker's script (apps/web/src/mls/mls.worker.ts: ts-mls and its crypto), fetched when the
 * first chat's group opens and parsed off the page's main thread, so it is counted apart from the
 * chat screen's: 77.9 KiB when it was made. It repeats ts-mls's decoders and key-package code that the
 * page still has (key packages, headers): moving those into the worker would shrink both. Counted
 * apart on purpose: it does not hold up the chat screen's first paint nor run on its thread; what it
 * adds to a first visit's bytes (~70 KiB more fetched in all) is named in docs/BENCHMARKS.md ("MLS off
 * the page's main thread") and is the next thing to win back.
 */
const MLS_WORKER_GZIP_BUDGET = 85 * 1024;

/** A built file's size as the server sends it gzipped: its precompressed .gz, or the file itself when it has none (too small). */
function gzipBytes(path: string): number {
  const file = join(defaultWebDist(), path);
  return readFileSync(existsSync(`${file}.gz`) ? `${file}.gz` : file).length;
}

/** The JS index.html starts: its module script and modulepreload links. */
async function namedByIndex(url: string): Promise<string[]> {
  const html = await (await fetch(`${url}/`)).text();
  return [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!).sort();
}

/** Paths of the JS files the page itself requests from now on (the service worker's own fetches are not the page's). */
function watchScripts(page: Page): Set<string> {
  const seen = new Set<string>();
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith('.js') && path !== '/sw.js') seen.add(path);
  });
  return seen;
}

describe('code splitting: the welcome screen without the SDK, the rest precached', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => {
    ({ server, browser, url, zed } = await openWebWorld());
  });
  after(async () => closeWebWorld({ server, browser, zed }));

  it('the welcome screen fetches only what index.html names; the worker precaches every chunk; after sign-up they load, and offline from the precache', async () => {
    const named = await namedByIndex(url);
    assert.ok(builtJs().length > named.length, 'the build has chunks besides those index.html starts');
    const { context, page } = await personPage(browser);
    const scripts = watchScripts(page);
    // Errors nobody caught, the page's and its workers' (the MLS worker's start threw one before ts-mls's optional suites stayed out of it).
    const uncaught: string[] = [];
    page.on('pageerror', (e) => uncaught.push(`page: ${e.message}`));
    page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') uncaught.push(`${w.url()}: ${m.text()}`); }));
    page.on('console', (m) => { if (m.type() === 'error' && /uncaught/i.test(m.text())) uncaught.push(`console: ${m.text()}`); });
    await page.goto(url);
    await page.getByRole('button', { name: 'Create account' }).waitFor();
    await page.waitForLoadState('networkidle');
    assert.deepEqual([...scripts].sort(), named, 'the welcome screen fetched only the JS index.html names');

    // The worker installed with every built file, the chunks the page has not asked for included.
    const cached = await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      const shell = (await caches.keys()).find((k) => k.startsWith('parley-shell-'));
      if (!shell) return [];
      return (await (await caches.open(shell)).keys()).map((r) => new URL(r.url).pathname);
    });
    for (const file of builtJs()) assert.ok(cached.includes(file), `${file} is precached`);
    assert.deepEqual([...scripts].sort(), named, 'installing the worker fetched nothing for the page');

    await signUp(page, url, 'Sid Split', uniqueHandle('sid'));
    const afterSignUp = [...scripts].filter((s) => !named.includes(s));
    assert.ok(afterSignUp.length > 0, 'signing up loaded the chunks after the welcome screen');

    // A chat open: everything fetched since the first visit stays within the budget (the files
    // viewer, the forward picker, Settings and the other panels are chunks fetched when opened).
    await page.goto(`${url}/#/u/${zed.handle}`);
    await page.getByLabel('Message', { exact: true }).waitFor();
    await page.waitForLoadState('networkidle');
    const isMlsWorker = (s: string) => s.includes('/mls.worker-');
    const chatScreen = [...scripts].filter((s) => !isMlsWorker(s)).reduce((n, s) => n + gzipBytes(s), 0);
    assert.ok(chatScreen <= CHAT_SCREEN_GZIP_BUDGET, `chat screen JS ${(chatScreen / 1024).toFixed(1)} KiB gzipped, over the ${CHAT_SCREEN_GZIP_BUDGET / 1024} KiB budget: ${[...scripts].join(', ')}`);
    const mlsWorker = builtJs().filter(isMlsWorker).reduce((n, s) => n + gzipBytes(s), 0);
    assert.ok(mlsWorker > 0 && mlsWorker <= MLS_WORKER_GZIP_BUDGET, `MLS worker ${(mlsWorker / 1024).toFixed(1)} KiB gzipped, budget ${MLS_WORKER_GZIP_BUDGET / 1024} KiB`);
    for (const lazy of ['settings', 'viewer', 'forward-picker', 'tus-upload']) {
      assert.ok(![...scripts].some((s) => s.includes(`/${lazy}-`)), `${lazy} is not fetched to show a chat`);
    }
    assert.deepEqual(uncaught, [], 'no uncaught error in the page or its workers, the MLS worker included');
    await page.goto(`${url}/#/`);
    await page.getByRole('heading', { name: 'Chats' }).waitFor();

    // A start with the stored session, offline: the shell and every chunk from the worker's cache.
    await context.setOffline(true);
    const fromNetwork: string[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname.endsWith('.js') && !r.fromServiceWorker()) fromNetwork.push(r.url());
    });
    scripts.clear();
    await page.reload();
    await page.getByRole('heading', { name: 'Chats' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
    for (const chunk of afterSignUp) assert.ok(scripts.has(chunk), `${chunk} loaded on the offline start`);
    assert.deepEqual(fromNetwork, [], 'no JS came from the network');
    await context.setOffline(false);
    await context.close();
  });

  it('a chunk gone with a new release: the page loads the new release once, then signs up', async () => {
    // Without the worker, so the route below sees the page's request (it would answer from its cache).
    const context = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1200, height: 760 }, locale: 'en-US' });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await page.goto(url);
    await page.getByRole('button', { name: 'Create account' }).waitFor();
    const named = await namedByIndex(url);
    // The first chunk the welcome screen asks for after its own is "gone" (404), once.
    let gone = 0;
    await page.route(/\/assets\/.*\.js$/, (route) => {
      if (gone > 0 || named.includes(new URL(route.request().url()).pathname)) return route.continue();
      gone++;
      return route.fulfill({ status: 404, contentType: 'text/plain', body: 'gone' });
    });
    const reloaded = page.waitForEvent('load');
    await page.getByRole('button', { name: 'Create account' }).click();
    await reloaded;
    assert.equal(gone, 1);
    await signUp(page, url, 'Rue Release', uniqueHandle('rue'));
    await context.close();
  });
});
