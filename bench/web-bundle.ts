// Gzipped JavaScript the web client loads for its first screen and for the chat screen (issue 15's
// targets: ≤ 120 KB and ≤ 250 KB), measured two ways on the production build:
// - static: what index.html names (its module script and modulepreload links), the least any first
//   screen can load;
// - in Chromium: the JS files the page actually fetched on the welcome screen, then after signing
//   up (a passkey on a virtual authenticator) and opening a direct chat, then on a reload with the
//   stored session. Each file counts once, at its size served gzipped (the build's .gz, level 9) and
//   as the browser got it (brotli here). The service worker is blocked so only the page's own
//   requests count (its precache fetches everything once after load; that is not the page waiting).
// Needs the build (`node scripts/build/build.mjs`) and /usr/bin/chromium.
// Usage: node --import tsx bench/web-bundle.ts
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { defaultWebDist } from '@parley/server';
import { createUser, freePort, startTestServer, uniqueHandle } from '@parley/testing';
import { round } from './lib/fixture.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const ensure = spawnSync(process.execPath, ['scripts/build/build.mjs'], { cwd: root, stdio: 'inherit' });
if (ensure.status !== 0) throw new Error('build failed');
const dist = defaultWebDist();

/** A built file's size served gzipped: its precompressed .gz, else gzip -9 of it (the server would send it plain). */
function gzipBytes(path: string): number {
  const file = join(dist, path);
  if (existsSync(`${file}.gz`)) return readFileSync(`${file}.gz`).length;
  const data = readFileSync(file);
  return Math.min(data.length, gzipSync(data, { level: 9 }).length);
}
const plainBytes = (path: string) => readFileSync(join(dist, path)).length;
const kb = (bytes: number) => round(bytes / 1024, 1);

function summary(paths: Iterable<string>, wire?: Map<string, number>) {
  const list = [...new Set(paths)].sort();
  return {
    files: list.length,
    gzipKb: kb(list.reduce((n, p) => n + gzipBytes(p), 0)),
    plainKb: kb(list.reduce((n, p) => n + plainBytes(p), 0)),
    ...(wire ? { wireKb: kb(list.reduce((n, p) => n + (wire.get(p) ?? 0), 0)) } : {}),
    list,
  };
}

// Static: the module graph index.html starts (Vite lists a script's static imports as modulepreloads).
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const named = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/([^"]+\.js)"/g)].map((m) => m[1]!);
console.log(JSON.stringify({ bench: 'first screen JS named by index.html (static)', ...summary(named) }));

// In the browser.
const port = await freePort();
const url = `http://localhost:${port}`;
await using server = await startTestServer({ PORT: String(port), PARLEY_ORIGIN: url, PARLEY_WEB_DIST: dist });
const zed = await createUser(url, { displayName: 'Zed Zimmer', handle: uniqueHandle('zed') });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic', '--host-resolver-rules=MAP localhost 127.0.0.1'],
});
try {
  const context = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1200, height: 760 }, locale: 'en-US' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  let fetched: string[] = [];
  const wire = new Map<string, number>();
  page.on('requestfinished', (request) => {
    const path = new URL(request.url()).pathname.slice(1);
    if (!path.endsWith('.js')) return;
    fetched.push(path);
    void request.sizes().then((s) => wire.set(path, Math.max(wire.get(path) ?? 0, s.responseBodySize)), () => {});
  });
  /** Waits until no request is in flight for a while (lazy chunks after the first render included). */
  const settle = async (p: Page) => {
    await p.waitForLoadState('networkidle');
    await p.waitForTimeout(300);
  };

  await page.goto(url);
  await page.getByRole('button', { name: 'Create account' }).waitFor();
  await settle(page);
  console.log(JSON.stringify({ bench: 'first screen JS fetched (welcome, browser)', ...summary(fetched, wire) }));

  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByLabel('Your name').fill('Bench Person');
  const handle = uniqueHandle('bench');
  await page.getByLabel('Handle').fill(handle);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByTestId('recovery-code').waitFor();
  await page.getByRole('button', { name: 'I saved it' }).click();
  await page.getByRole('heading', { name: 'Chats' }).waitFor();
  await page.goto(`${url}/#/u/${zed.handle}`);
  await page.getByLabel('Message', { exact: true }).waitFor();
  await settle(page);
  console.log(JSON.stringify({ bench: 'chat screen JS fetched, total since the first visit (sign-up, a direct chat open, browser)', ...summary(fetched, wire) }));

  fetched = [];
  await page.reload();
  await page.getByRole('heading', { name: 'Chats' }).waitFor();
  await page.getByLabel('Message', { exact: true }).waitFor();
  await settle(page);
  // Sizes by file: a reload takes them from the HTTP cache, the figure is what a fresh start would fetch.
  console.log(JSON.stringify({ bench: 'start with a stored session, chat open: JS loaded (browser)', ...summary(fetched) }));
} finally {
  await zed.client.stop();
  await browser.close();
}
