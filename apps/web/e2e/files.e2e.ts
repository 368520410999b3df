import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { cipherSize, FILE_CHUNK_BYTES } from '@parley/protocol';
import { defaultWebDist } from '@parley/server';
import { freePort, startTestServer, uniqueHandle, waitFor, type TestServer } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { launchBrowser, personPage, SCREENSHOTS, signUp } from './browser.ts';
import { countingProxy, pngBomb, pngImage, pngMalformed } from './file-fixtures.ts';

/** This test's screenshots: test-artifacts/screenshots/files/. */
const SHOTS = join(SCREENSHOTS, 'files');
async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const message = (page: Page, text: string) => page.getByTestId('message').filter({ hasText: text });
const MB = 1024 * 1024;

async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByLabel('Message', { exact: true }).press('Enter');
}

/** Chooses files through the attach button's picker and waits until the tray has made their thumbnails. */
async function attach(page: Page, files: Parameters<Page['setInputFiles']>[1]): Promise<void> {
  await page.getByTestId('file-input').setInputFiles(files);
  await page.getByTestId('tray-item').first().waitFor();
  await waitFor(async () => (await page.locator('[data-testid="tray-item"][data-ready="no"]').count()) === 0, { what: 'the tray prepared every file', timeoutMs: 30_000 });
}

async function axeClean(page: Page, what: string): Promise<void> {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${what}: no serious accessibility violations`);
}

describe('files, photos and voice messages in a real browser (issue 10)', { timeout: 600_000 }, () => {
  let server: TestServer;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let browser: Browser;
  let url: string;
  let dir: string;
  let alice: { context: BrowserContext; page: Page };
  let bob: { context: BrowserContext; page: Page };
  const bigFile = { path: '', sha: '' };
  const consoleLines: string[] = [];

  before(async () => {
    // Browsers reach the server through a proxy that counts (and can slow) what they upload.
    const port = await freePort();
    const proxyPort = await freePort();
    url = `http://localhost:${proxyPort}`;
    server = await startTestServer({ PORT: String(port), PARLEY_ORIGIN: url, PARLEY_WEB_DIST: defaultWebDist() });
    proxy = await countingProxy(port, proxyPort);
    browser = await launchBrowser(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required']);
    dir = mkdtempSync(join(tmpdir(), 'parley-files-e2e-'));
    const big = randomBytes(50 * MB);
    bigFile.path = join(dir, 'site-survey.bin');
    bigFile.sha = sha256(big);
    writeFileSync(bigFile.path, big);

    alice = await personPage(browser);
    bob = await personPage(browser);
    for (const [who, p] of [['alice', alice.page], ['bob', bob.page]] as const) {
      p.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning' || m.text().startsWith('parley:')) consoleLines.push(`${who} ${m.type()}: ${m.text()}`); });
      p.on('pageerror', (e) => consoleLines.push(`${who} pageerror: ${e.message}`));
    }
    const bobHandle = uniqueHandle('bob');
    await Promise.all([signUp(alice.page, url, 'Alice Archer', uniqueHandle('alice')), signUp(bob.page, url, 'Bob Brown', bobHandle)]);
    await alice.page.getByRole('button', { name: 'New chat' }).click();
    await alice.page.getByLabel('Handle of the person').fill(bobHandle);
    await alice.page.getByRole('button', { name: 'Start chat' }).click();
    await send(alice.page, 'Files for you');
    await bob.page.getByTestId('chat-row').filter({ hasText: 'Alice Archer' }).click();
    await message(bob.page, 'Files for you').waitFor();
  });
  after(async () => {
    // What the pages complained about, for whoever reads a failure.
    if (consoleLines.length > 0) console.log(consoleLines.slice(0, 80).join('\n'));
    await browser?.close();
    await proxy?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('R52 a photo: thumbnail made in the worker, Bob sees it at its aspect ratio, blurred until the full image is decrypted; the viewer zooms, moves and closes with Esc', async () => {
    await attach(alice.page, [{ name: 'homework.png', mimeType: 'image/png', buffer: pngImage(1200, 800) }]);
    const trayThumb = alice.page.locator('.tray-thumb');
    assert.ok(await trayThumb.evaluate((img) => (img as HTMLImageElement).naturalWidth > 0), 'a thumbnail in the tray');
    await alice.page.getByLabel('Message', { exact: true }).fill('Homework, page 12');
    await shot(alice.page, '01-tray-with-photo');
    await alice.page.getByLabel('Message', { exact: true }).press('Enter');

    const tile = message(bob.page, 'Homework, page 12').getByTestId('media-tile');
    await tile.waitFor({ timeout: 60_000 });
    assert.equal(await tile.getAttribute('data-width'), '1200');
    assert.equal(await tile.getAttribute('data-height'), '800');
    const box = await tile.boundingBox();
    assert.ok(box && Math.abs(box.width / box.height - 1.5) < 0.03, `shown at 3:2, got ${box?.width}×${box?.height}`);
    const full = tile.getByTestId('media-full');
    await full.waitFor({ timeout: 30_000 });
    await waitFor(() => full.evaluate((img) => (img as HTMLImageElement).naturalWidth === 1200), { what: 'the decrypted photo decoded at full size' });
    await shot(bob.page, '02-bob-chat-photo');

    const focusedBefore = await bob.page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
    await tile.getByRole('button').click();
    const viewer = bob.page.getByRole('dialog', { name: 'Media viewer' });
    await viewer.waitFor();
    await waitFor(() => viewer.getByTestId('viewer-image').evaluate((img) => (img as HTMLImageElement).src.startsWith('blob:')), { what: 'the viewer shows the decrypted photo' });
    assert.equal(await bob.page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Close', 'focus moves into the viewer');
    await axeClean(bob.page, 'the viewer');
    const before = (await viewer.getByTestId('viewer-image').boundingBox())?.width ?? 0;
    await viewer.getByRole('button', { name: 'Zoom in' }).click();
    await viewer.getByRole('button', { name: 'Zoom in' }).click();
    const zoomed = (await viewer.getByTestId('viewer-image').boundingBox())?.width ?? 0;
    assert.ok(zoomed > before * 1.8, `zoomed in: ${before} → ${zoomed}`);
    // Tab stays inside the dialog.
    for (let i = 0; i < 8; i++) await bob.page.keyboard.press('Tab');
    assert.ok(await viewer.evaluate((el) => el.contains(document.activeElement)), 'focus is trapped in the viewer');
    await shot(bob.page, '03-viewer-zoomed');
    await bob.page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    assert.equal(await bob.page.evaluate(() => document.activeElement?.getAttribute('aria-label')), focusedBefore, 'focus is back where it was');
    // By keyboard: the photo is a button; Enter opens the viewer, Esc closes it and focus returns to the photo.
    await tile.getByRole('button').focus();
    await bob.page.keyboard.press('Enter');
    await viewer.waitFor();
    await bob.page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    assert.equal(await bob.page.evaluate(() => document.activeElement?.closest('[data-testid="media-tile"]') !== null), true, 'focus is back on the photo');
    await bob.page.getByLabel('Message', { exact: true }).focus();
  });

  it('R52 a decompression bomb, a malformed image and a zero-byte file: no crash, no hang; sent as plain files without thumbnails', async () => {
    const started = Date.now();
    await attach(alice.page, [
      { name: 'bomb.png', mimeType: 'image/png', buffer: pngBomb() },
      { name: 'broken.png', mimeType: 'image/png', buffer: pngMalformed() },
      { name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) },
    ]);
    assert.ok(Date.now() - started < 25_000, 'prepared within the worker time limits');
    assert.equal(await alice.page.locator('.tray-thumb').count(), 0, 'no thumbnails for them');
    await alice.page.getByLabel('Message', { exact: true }).fill('Hostile pictures');
    await alice.page.getByLabel('Message', { exact: true }).press('Enter');
    const msg = message(bob.page, 'Hostile pictures');
    await msg.waitFor({ timeout: 60_000 });
    assert.equal(await msg.getByTestId('file-card').count(), 3, 'three file cards');
    assert.equal(await msg.getByTestId('media-tile').count(), 0, 'none shown as a picture');
    // The page still answers.
    assert.equal(await alice.page.evaluate(() => 1 + 1), 2);
  });

  it('a video dropped onto the chat and a picture pasted into the text box: poster and size made on the device; Bob plays the video inline', async () => {
    // A real WebM made in Alice's page (a canvas recorded for 1.5 s), dropped onto the chat as a file.
    const drop = await alice.page.evaluateHandle(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 180;
      const ctx = canvas.getContext('2d')!;
      const stream = canvas.captureStream(25);
      const recorder = new MediaRecorder(stream, { mimeType: 'video/webm' });
      const chunks: Blob[] = [];
      recorder.ondataavailable = (e) => chunks.push(e.data);
      let frame = 0;
      const timer = setInterval(() => {
        ctx.fillStyle = '#204080';
        ctx.fillRect(0, 0, 320, 180);
        ctx.fillStyle = '#ffcc00';
        ctx.fillRect((frame++ * 8) % 320, 60, 60, 60);
      }, 40);
      recorder.start();
      await new Promise((r) => setTimeout(r, 1500));
      const stopped = new Promise((r) => { recorder.onstop = r; });
      recorder.stop();
      await stopped;
      clearInterval(timer);
      const dt = new DataTransfer();
      dt.items.add(new File(chunks, 'clip.webm', { type: 'video/webm' }));
      return dt;
    });
    const chat = alice.page.locator('section.chat-view');
    await chat.dispatchEvent('dragenter', { dataTransfer: drop });
    await alice.page.locator('.drop-overlay').waitFor();
    await shot(alice.page, '11-drop-overlay');
    await chat.dispatchEvent('drop', { dataTransfer: drop });
    await alice.page.getByTestId('tray-item').waitFor();
    await waitFor(async () => (await alice.page.locator('[data-testid="tray-item"][data-ready="no"]').count()) === 0, { what: 'the video prepared', timeoutMs: 30_000 });
    assert.equal(await alice.page.locator('.tray-thumb').count(), 1, `a poster frame in the tray; the pages said: ${consoleLines.slice(-10).join(' | ')}`);
    await alice.page.getByLabel('Message', { exact: true }).fill('Playground video');
    await alice.page.getByLabel('Message', { exact: true }).press('Enter');

    const tile = message(bob.page, 'Playground video').getByTestId('media-tile');
    await tile.waitFor({ timeout: 60_000 });
    assert.equal(await tile.getAttribute('data-kind'), 'video');
    assert.equal(await tile.getAttribute('data-width'), '320');
    assert.equal(await tile.getAttribute('data-height'), '180');
    // R59: it streams: the <video>'s Range requests are answered by the service worker with bytes Bob's page decrypts.
    await bob.page.waitForFunction(() => Boolean(navigator.serviceWorker.controller), undefined, { timeout: 30_000 });
    const streamed: { range: string | undefined; status: number; fromWorker: boolean }[] = [];
    bob.page.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/__media/')) streamed.push({ range: r.request().headers()['range'], status: r.status(), fromWorker: r.fromServiceWorker() });
    });
    await tile.getByRole('button').click();
    const video = tile.getByTestId('inline-video');
    await video.waitFor({ timeout: 30_000 });
    await waitFor(() => video.evaluate((v) => (v as HTMLVideoElement).currentTime > 0.2), { what: 'the video plays inline', timeoutMs: 20_000 });
    assert.equal(await video.getAttribute('data-streamed'), 'yes', 'played from the stream, not a whole download');
    assert.ok(streamed.some((r) => r.status === 206 && r.fromWorker && r.range?.startsWith('bytes=')), `ranged answers from the service worker: ${JSON.stringify(streamed)}`);
    await shot(bob.page, '12-video-inline');

    // Paste: an image on the clipboard goes to the tray.
    const messagesBefore = await bob.page.getByTestId('message').count();
    await alice.page.getByLabel('Message', { exact: true }).focus();
    await alice.page.evaluate((bytes) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], 'pasted.png', { type: 'image/png' }));
      document.activeElement?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, [...pngImage(400, 600)]);
    await alice.page.getByTestId('tray-item').waitFor();
    await waitFor(async () => (await alice.page.locator('[data-testid="tray-item"][data-ready="no"]').count()) === 0, { what: 'the pasted picture prepared' });
    await alice.page.getByLabel('Message', { exact: true }).press('Enter');
    // The picture's message has no text: it is the one after those Bob had.
    const portrait = bob.page.getByTestId('message').nth(messagesBefore).getByTestId('media-tile').first();
    await portrait.waitFor({ timeout: 60_000 });
    const box = await portrait.boundingBox();
    assert.ok(box && Math.abs(box.width / box.height - 400 / 600) < 0.03, `a portrait picture stays portrait: ${box?.width}×${box?.height}`);
    assert.ok(box.height <= 481, `at most 480 px tall: ${box.height}`);
    await portrait.scrollIntoViewIfNeeded();
    await shot(bob.page, '13-portrait-photo');
  });

  it('R52 a 50 MB file: Bob downloads it with progress and gets exactly the same bytes', async () => {
    await attach(alice.page, bigFile.path);
    await alice.page.getByLabel('Message', { exact: true }).fill('Survey data');
    await alice.page.getByLabel('Message', { exact: true }).press('Enter');
    const card = message(bob.page, 'Survey data').getByTestId('file-card');
    await card.waitFor({ timeout: 120_000 });
    assert.match((await card.textContent()) ?? '', /site-survey\.bin/);
    // Hovering a message shows its actions below it, which can move it: hover first, as a mouse does.
    const [download] = await Promise.all([
      bob.page.waitForEvent('download', { timeout: 120_000 }).catch(async (err: unknown) => {
        await shot(bob.page, 'debug-download');
        throw new Error(`no download; the card is ${await card.getAttribute('data-state')}: ${await card.textContent()}`, { cause: err });
      }),
      card.getByTestId('file-download').click(),
    ]);
    assert.equal(download.suggestedFilename(), 'site-survey.bin');
    const path = await download.path();
    assert.equal(sha256(readFileSync(path)), bigFile.sha, 'the downloaded file is the original');
  });

  it('R52 a file named with an RTL override shows safely', async () => {
    const evil = 'invoice\u202Efdp.exe';
    await attach(alice.page, [{ name: evil, mimeType: 'application/octet-stream', buffer: Buffer.from('MZ not really') }]);
    await alice.page.getByLabel('Message', { exact: true }).fill('Invoice attached');
    await alice.page.getByLabel('Message', { exact: true }).press('Enter');
    const name = message(bob.page, 'Invoice attached').getByTestId('file-name');
    await name.waitFor({ timeout: 60_000 });
    assert.equal(await name.textContent(), 'invoicefdp.exe', 'the override character is gone: it reads as what it is');
    assert.ok(!(await bob.page.locator('body').innerText()).includes('\u202E'));
  });

  it('R52 a file altered on the server fails its check: Bob sees "File damaged" and gets no file', async () => {
    const plain = randomBytes(300 * 1024);
    const before = new Set(readdirSync(join(server.dataDir, 'blobs')));
    await attach(alice.page, [{ name: 'ledger.csv', mimeType: 'text/csv', buffer: plain }]);
    await alice.page.getByLabel('Message', { exact: true }).fill('Ledger for March');
    await alice.page.getByLabel('Message', { exact: true }).press('Enter');
    const card = message(bob.page, 'Ledger for March').getByTestId('file-card');
    await card.waitFor({ timeout: 60_000 });
    // The blob's ciphertext on the server's disk: one byte in its second chunk flipped.
    const blob = readdirSync(join(server.dataDir, 'blobs')).find((f) => !before.has(f) && statSync(join(server.dataDir, 'blobs', f)).size === cipherSize(plain.length));
    assert.ok(blob, 'the new blob on disk');
    const path = join(server.dataDir, 'blobs', blob);
    const bytes = readFileSync(path);
    bytes[FILE_CHUNK_BYTES + 100] = (bytes[FILE_CHUNK_BYTES + 100] ?? 0) ^ 0x01;
    writeFileSync(path, bytes);
    let downloaded = false;
    bob.page.on('download', () => { downloaded = true; });
    await card.getByTestId('file-download').click();
    await card.getByTestId('file-error').waitFor({ timeout: 30_000 });
    assert.match((await card.getByTestId('file-error').textContent()) ?? '', /File damaged/);
    assert.equal(downloaded, false, 'no file was handed to the person');
    await shot(bob.page, '10-file-damaged');
  });

  it('a voice message: Alice records with the microphone (tap, tap to send); Bob plays it at 2×, its time advances', async () => {
    const pressed = Date.now();
    await alice.page.getByTestId('voice-record').click();
    await alice.page.getByTestId('voice-recording').waitFor();
    await alice.page.waitForTimeout(2500);
    await shot(alice.page, '04-recording');
    await alice.page.getByTestId('voice-send').click();
    // (Recorded from the first tap to the second: at least the 2.5 s waited, at most what the test took, which grows on a loaded machine.)
    const heldS = Math.ceil((Date.now() - pressed) / 1000);
    const player = bob.page.getByTestId('voice-player').last();
    await player.waitFor({ timeout: 60_000 });
    const length = (await player.getByTestId('voice-time').textContent()) ?? '';
    const [, min, sec] = /^(\d+):(\d\d)$/.exec(length) ?? [];
    const shownS = Number(min) * 60 + Number(sec);
    assert.ok(shownS >= 2 && shownS <= heldS, `its duration: ${length}, recorded for at most ${heldS} s`);
    const speed = player.getByTestId('voice-speed');
    await speed.click();
    await speed.click();
    assert.equal(await speed.textContent(), '2×');
    await player.getByTestId('voice-play').click();
    const audio = player.getByTestId('voice-audio');
    await audio.waitFor({ state: 'attached', timeout: 30_000 });
    await waitFor(() => audio.evaluate((a) => (a as HTMLAudioElement).currentTime > 0.3), { what: 'the voice message plays', timeoutMs: 20_000 });
    assert.equal(await audio.evaluate((a) => (a as HTMLAudioElement).playbackRate), 2);
    await shot(bob.page, '05-voice-player');
    await waitFor(() => audio.evaluate((a) => (a as HTMLAudioElement).paused), { what: 'it plays to the end', timeoutMs: 20_000 });

    // Hold to record: press, speak, release sends.
    const voices = await bob.page.getByTestId('voice-player').count();
    const mic = await alice.page.getByTestId('voice-record').boundingBox();
    assert.ok(mic);
    await alice.page.mouse.move(mic.x + mic.width / 2, mic.y + mic.height / 2);
    await alice.page.mouse.down();
    await alice.page.getByTestId('voice-recording').waitFor();
    await alice.page.waitForTimeout(1500);
    await alice.page.mouse.up();
    await alice.page.getByTestId('voice-recording').waitFor({ state: 'detached' });
    await waitFor(async () => (await bob.page.getByTestId('voice-player').count()) === voices + 1, { what: 'the held recording arrives', timeoutMs: 60_000 });
  });

  it('an upload interrupted by a reload finishes after it, without sending the stored bytes again', async () => {
    const size = 40 * MB;
    const path = join(dir, 'minutes-scan.bin');
    writeFileSync(path, randomBytes(size));
    proxy.limit(6 * MB);
    const start = proxy.sent();
    await attach(alice.page, path);
    await alice.page.getByLabel('Message', { exact: true }).fill('Meeting minutes scan');
    await alice.page.getByLabel('Message', { exact: true }).press('Enter');
    const upload = alice.page.getByTestId('upload');
    await upload.waitFor({ timeout: 30_000 });
    // Offline for a moment: the upload says it waits for the network, and goes on when it is back.
    await waitFor(() => proxy.sent() - start > 8 * MB, { what: 'a fifth is uploaded', timeoutMs: 60_000 });
    await alice.context.setOffline(true);
    await alice.page.locator('[data-testid="upload"][data-state="waiting"]').waitFor({ timeout: 40_000 });
    assert.match((await upload.getByTestId('upload-status').textContent()) ?? '', /Waiting for network/);
    await shot(alice.page, '06a-upload-waiting');
    await alice.context.setOffline(false);
    await waitFor(() => proxy.sent() - start > 22 * MB, { what: 'more than half is uploaded', timeoutMs: 60_000 });
    await shot(alice.page, '06-upload-in-progress');
    assert.match((await upload.textContent()) ?? '', /MB of .*MB/);
    await alice.page.reload();
    proxy.limit(0);
    // After the reload the outbox picks the upload up again where the server has it.
    await alice.page.getByTestId('chat-row').filter({ hasText: 'Bob Brown' }).click();
    const card = message(bob.page, 'Meeting minutes scan').getByTestId('file-card');
    await card.waitFor({ timeout: 120_000 });
    const total = proxy.sent() - start;
    console.log(`reload during upload: ${(total / MB).toFixed(1)} MB sent through the proxy for a ${size / MB} MB file (ciphertext ${(cipherSize(size) / MB).toFixed(1)} MB)`);
    assert.ok(total < size * 1.3, `uploaded ${Math.round(total / MB)} MB for a ${size / MB} MB file: the stored part was not sent again`);
  });

  it('pause, resume and cancel an upload: paused sends nothing, cancel removes the message for good', async () => {
    const path = join(dir, 'draft-plans.bin');
    writeFileSync(path, randomBytes(24 * MB));
    proxy.limit(4 * MB);
    try {
      await attach(alice.page, path);
      await alice.page.getByLabel('Message', { exact: true }).fill('Draft plans');
      await alice.page.getByLabel('Message', { exact: true }).press('Enter');
      const upload = message(alice.page, 'Draft plans').getByTestId('upload');
      await upload.waitFor({ timeout: 30_000 });
      await waitFor(async () => Number(await upload.getAttribute('data-sent')) > 2 * MB, { what: 'the upload moves', timeoutMs: 30_000 });
      await upload.getByRole('button', { name: 'Pause upload' }).click();
      await alice.page.locator('[data-testid="upload"][data-state="paused"]').waitFor();
      // What the browser had already written into the socket still drains through the slow proxy; then nothing.
      let last = -1;
      await waitFor(() => { const now = proxy.sent(); const still = now - last < 16 * 1024; last = now; return still; },
        { what: 'the upload stops', timeoutMs: 20_000, intervalMs: 1000 });
      const pausedAt = proxy.sent();
      await alice.page.waitForTimeout(2000);
      assert.ok(proxy.sent() - pausedAt < 16 * 1024, `no file bytes while paused (${proxy.sent() - pausedAt} bytes: the chat's own traffic)`);
      await shot(alice.page, '14-upload-paused');
      await upload.getByRole('button', { name: 'Resume upload' }).click();
      await waitFor(() => proxy.sent() - pausedAt > MB, { what: 'the upload goes on', timeoutMs: 30_000 });
      await upload.getByRole('button', { name: 'Cancel upload' }).click();
      await message(alice.page, 'Draft plans').waitFor({ state: 'detached', timeout: 30_000 });
    } finally {
      proxy.limit(0);
    }
    // Bob never gets it (a text sent after it arrives; the cancelled one does not).
    await send(alice.page, 'Never mind the plans');
    await message(bob.page, 'Never mind the plans').waitFor({ timeout: 30_000 });
    assert.equal(await message(bob.page, 'Draft plans').count(), 0);
  });

  it('R54 forwarding a file re-shares it: no upload again, and it opens in the other chat', async () => {
    const before = proxy.sent();
    const msg = message(alice.page, 'Survey data');
    await msg.hover();
    await msg.getByRole('button', { name: 'Forward', exact: true }).click();
    const picker = alice.page.getByTestId('forward-picker');
    await picker.getByTestId('forward-target').filter({ hasText: 'Saved messages' }).getByRole('checkbox').check();
    await picker.getByRole('button', { name: 'Forward to 1 chat' }).click();
    await picker.waitFor({ state: 'detached' });
    await alice.page.getByRole('heading', { name: 'Saved messages' }).waitFor();
    const card = message(alice.page, 'Survey data').getByTestId('file-card');
    await card.waitFor({ timeout: 30_000 });
    assert.match((await card.textContent()) ?? '', /site-survey\.bin/);
    assert.ok(proxy.sent() - before < MB, `forwarding a 50 MB file sent ${proxy.sent() - before} bytes`);
    await alice.page.getByTestId('chat-row').filter({ hasText: 'Bob Brown' }).click();
    await message(alice.page, 'Files for you').waitFor();
  });

  it('the "Media and files" view pages each kind; Settings shows the storage used; the chat and the media view pass axe', async () => {
    await axeClean(bob.page, 'the chat with attachments');
    await bob.page.getByTestId('open-media').click();
    const view = bob.page.getByTestId('media-view');
    await view.waitFor();
    await view.getByTestId('media-tile').first().waitFor({ timeout: 30_000 });
    assert.equal(await view.getByTestId('media-tile').count(), 3, 'two photos and a video');
    await shot(bob.page, '07-media-view-photos');
    await axeClean(bob.page, 'the media view');
    // The viewer moves through the chat's photos and videos, newest first here.
    await view.getByTestId('media-tile').first().getByRole('button').click();
    const viewer = bob.page.getByRole('dialog', { name: 'Media viewer' });
    await viewer.getByTestId('viewer-position').filter({ hasText: '1 of 3' }).waitFor();
    await bob.page.keyboard.press('ArrowRight');
    await viewer.getByTestId('viewer-position').filter({ hasText: '2 of 3' }).waitFor();
    await viewer.getByRole('button', { name: 'Next' }).click();
    await viewer.getByTestId('viewer-position').filter({ hasText: '3 of 3' }).waitFor();
    assert.equal(await viewer.getByRole('button', { name: 'Next' }).isDisabled(), true, 'no next after the last');
    await bob.page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    await view.getByRole('tab', { name: 'Files' }).click();
    await view.getByTestId('media-row').first().waitFor({ timeout: 30_000 });
    assert.ok((await view.getByTestId('media-row').count()) >= 5, 'the files, the hostile pictures among them');
    await shot(bob.page, '08-media-view-files');
    await view.getByRole('tab', { name: 'Voice' }).click();
    await view.getByTestId('voice-player').first().waitFor({ timeout: 30_000 });
    await axeClean(bob.page, 'the media view, voice');

    await alice.page.getByRole('button', { name: 'Settings' }).click();
    const used = alice.page.getByTestId('storage-used');
    await used.waitFor({ timeout: 30_000 });
    await used.scrollIntoViewIfNeeded();
    assert.match((await used.textContent()) ?? '', /\d+(\.\d)? MB of/);
    await shot(alice.page, '09-settings-storage');

    // Bob on a phone, in the dark theme: the chat with attachments is usable and passes axe.
    await bob.page.evaluate(() => localStorage.setItem('parley.theme', 'dark'));
    await bob.page.setViewportSize({ width: 390, height: 780 });
    await bob.page.reload();
    await bob.page.getByRole('button', { name: 'Back' }).click();
    await bob.page.getByTestId('message').first().waitFor({ timeout: 30_000 });
    await bob.page.getByTestId('voice-player').last().waitFor();
    await bob.page.waitForTimeout(500);
    await axeClean(bob.page, 'the chat with attachments, dark, phone');
    await shot(bob.page, '15-phone-dark-chat');
  });
});
