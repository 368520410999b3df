import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { defaultWebDist } from '@parley/server';
import { freePort, startTestServer, uniqueHandle, type TestServer } from '@parley/testing';
import { addAuthenticator, launchBrowser, personPage, screenshot } from './browser.ts';

async function signUp(page: Page, url: string, name: string, handle: string, shot?: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Handle').fill(handle);
  if (shot) await screenshot(page, `${shot}-signup`);
  await page.getByRole('button', { name: 'Continue' }).click();
  const code = page.getByTestId('recovery-code');
  await code.waitFor();
  assert.match((await code.textContent()) ?? '', /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
  if (shot) await screenshot(page, `${shot}-recovery-code`);
  await page.getByRole('button', { name: 'I saved it' }).click();
  await page.getByRole('heading', { name: 'Chats' }).waitFor();
}

async function openDirect(page: Page, handle: string): Promise<void> {
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByLabel('Handle of the person').fill(handle);
  await page.getByRole('button', { name: 'Start chat' }).click();
  await page.getByLabel('Message', { exact: true }).waitFor();
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByLabel('Message', { exact: true }).press('Enter');
}

const message = (page: Page, text: string) => page.getByTestId('message').filter({ hasText: text });

/** What the page's MLS worker (apps/web/src/mls/mls.worker.ts) has run, by operation. */
async function mlsWorkerStats(page: Page): Promise<Record<string, number>> {
  const worker = page.workers().find((w) => w.url().includes('mls.worker'));
  assert.ok(worker, `the page has an MLS worker (workers: ${page.workers().map((w) => w.url()).join(', ')})`);
  return worker.evaluate(() => (globalThis as { parleyMlsStats?: Record<string, number> }).parleyMlsStats ?? {});
}

describe('web client in a real browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;

  before(async () => {
    const port = await freePort();
    url = `http://localhost:${port}`;
    server = await startTestServer({ PORT: String(port), PARLEY_ORIGIN: url, PARLEY_WEB_DIST: defaultWebDist() });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('two people sign up with passkeys, find each other, chat; one goes offline and comes back; a group of three chats', async () => {
    const alice = await personPage(browser);
    const bob = await personPage(browser, { mobile: true });
    const aliceHandle = uniqueHandle('alice');
    const bobHandle = uniqueHandle('bob');
    await alice.page.goto(url);
    await screenshot(alice.page, '01-welcome');
    await signUp(alice.page, url, 'Alice Archer', aliceHandle, '02');
    await signUp(bob.page, url, 'Bob Brown', bobHandle);

    await openDirect(alice.page, bobHandle);
    await send(alice.page, 'Hi Bob! <b>not bold</b>');
    await bob.page.getByTestId('chat-row').filter({ hasText: 'Alice Archer' }).click();
    await message(bob.page, 'Hi Bob! <b>not bold</b>').waitFor();
    assert.equal(await bob.page.locator('.text b').count(), 0, 'text is rendered as text, never as HTML');
    await send(bob.page, 'Hello Alice 👋');
    await message(alice.page, 'Hello Alice 👋').waitFor();
    // Bob has the chat open: Alice's message turns "read".
    await alice.page.locator('[data-testid="message"][data-state="read"]').first().waitFor();
    await screenshot(alice.page, '03-chat-desktop');
    await screenshot(bob.page, '04-chat-phone');

    // Bob closes the app; Alice writes; Bob comes back and catches up from his local copy + sync.
    await bob.page.close();
    await send(alice.page, 'Are you there?');
    await send(alice.page, 'Call me when you are back');
    await message(alice.page, 'Call me when you are back').and(alice.page.locator('[data-state="sent"]')).waitFor();
    const bobAgain = await bob.context.newPage();
    await addAuthenticator(bobAgain);
    await bobAgain.goto(url);
    await bobAgain.getByTestId('chat-row').filter({ hasText: 'Alice Archer' }).locator('.badge').filter({ hasText: '2' }).waitFor();
    await screenshot(bobAgain, '05-chat-list-unread-phone');
    await bobAgain.getByTestId('chat-row').filter({ hasText: 'Alice Archer' }).click();
    await message(bobAgain, 'Call me when you are back').waitFor();

    // Offline typing: the message waits in the outbox and goes out when the network returns.
    await bob.context.setOffline(true);
    await send(bobAgain, 'typed on the metro');
    await bob.context.setOffline(false);
    await message(alice.page, 'typed on the metro').waitFor({ timeout: 30_000 });

    // A group of three.
    const carol = await personPage(browser);
    const carolHandle = uniqueHandle('carol');
    await signUp(carol.page, url, 'Carol Clark', carolHandle);
    await alice.page.getByRole('button', { name: 'New chat' }).click();
    await alice.page.getByLabel('Group name').fill('Building 7');
    await alice.page.getByLabel('Members (handles').fill(`${bobHandle} ${carolHandle}`);
    await alice.page.getByRole('button', { name: 'Create' }).click();
    await alice.page.getByLabel('Message', { exact: true }).waitFor();
    await send(alice.page, 'Water is off tomorrow 9-12');
    for (const page of [bobAgain, carol.page]) {
      const row = page.getByTestId('chat-row').filter({ hasText: 'Building 7' });
      if (page === bobAgain) await page.getByRole('button', { name: 'Back' }).click();
      await row.click();
      await message(page, 'Water is off tomorrow 9-12').waitFor();
    }
    await send(carol.page, 'Thanks for the heads-up');
    await send(bobAgain, 'Noted');
    await message(alice.page, 'Thanks for the heads-up').waitFor();
    await message(alice.page, 'Noted').waitFor();
    await screenshot(alice.page, '06-group-desktop');
    // MLS ran in each page's worker, not on its main thread: each device's commits or joins (a
    // commit made, a Welcome joined, a commit applied), encryption, decryption and state encoding.
    for (const page of [alice.page, bobAgain]) {
      const ran = await mlsWorkerStats(page);
      const groupWork = (ran['changeMembers'] ?? 0) + (ran['join'] ?? 0) + (ran['processHandshake'] ?? 0);
      assert.ok(groupWork >= 1 && (ran['encrypt'] ?? 0) >= 1 && (ran['decrypt'] ?? 0) >= 1 && (ran['serialize'] ?? 0) >= 1, JSON.stringify(ran));
    }

    await alice.page.getByRole('button', { name: 'Group info' }).click();
    await alice.page.getByRole('button', { name: 'Create invite link' }).click();
    await alice.page.getByTestId('link').waitFor();
    await screenshot(alice.page, '07-group-info-invite');

    await carol.page.getByRole('button', { name: 'Settings' }).click();
    await carol.page.getByLabel('Theme').selectOption('dark');
    await carol.page.getByTestId('device').first().waitFor();
    await screenshot(carol.page, '08-settings-dark');
    await carol.page.getByLabel('Language').selectOption('ru');
    await carol.page.getByRole('heading', { name: 'Настройки' }).waitFor();
    await screenshot(carol.page, '09-settings-ru');

    for (const c of [alice.context, bob.context, carol.context]) await c.close();
  });

  it('a person signs in on a second browser with the passkey (same authenticator) and sees the chats', async () => {
    // A fresh context whose page has its own virtual authenticator: sign-up there, then a new
    // page in another context cannot reuse it, so this checks the passkey login flow on the same page.
    const { context, page } = await personPage(browser);
    const handle = uniqueHandle('dana');
    await signUp(page, url, 'Dana', handle);
    await page.getByRole('button', { name: 'Settings' }).click();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Sign out of this browser' }).click();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('heading', { name: 'Chats' }).waitFor();
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByText(`@${handle}`).first().waitFor();
    await context.close();
  });
});
