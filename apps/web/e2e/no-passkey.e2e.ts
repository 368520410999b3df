import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { SCREENSHOTS, closeWebWorld, openWebWorld } from './browser.ts';

/**
 * R46: anyone can join from any browser. Where WebAuthn is missing (here: `PublicKeyCredential`
 * removed before the app loads), the account is held by the browser's device key and the recovery
 * code; a passkey is added later from Settings and signs in on a fresh browser.
 */

const composer = (page: Page) => page.getByLabel('Message', { exact: true });
const message = (page: Page, text: string) => page.getByTestId('message').filter({ has: page.locator('.text', { hasText: text }) });

/** A browser without passkeys, until the test sets `e2e:passkeys` in its localStorage (the person's browser gained them). */
async function browserWithoutPasskeys(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, locale: 'en-US' });
  await context.addInitScript(() => {
    if (localStorage.getItem('e2e:passkeys') !== 'on') delete (window as { PublicKeyCredential?: unknown }).PublicKeyCredential;
  });
  return { context, page: await context.newPage() };
}

/** A CDP virtual authenticator on `page` (as browser.ts's, with its id kept to move credentials). */
async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

type Theme = 'light' | 'dark';

/** Screenshots the screen in both themes (data-theme switched in place: the form keeps what was typed) and runs axe on each. */
async function lookAt(page: Page, name: string, found: string[]): Promise<void> {
  for (const theme of ['light', 'dark'] satisfies Theme[]) {
    await page.evaluate((t) => { document.documentElement.dataset['theme'] = t; }, theme);
    await page.waitForTimeout(200);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `no-passkey-${name}-${theme}.png`), fullPage: true });
    found.push(...(await axeViolations(page)).map((v) => `${name} (${theme}): ${v}`));
  }
  await page.evaluate(() => { document.documentElement.dataset['theme'] = 'system'; });
}

/** Zed opens a direct chat with `handle`; the page opens it, sends `text` and waits until Zed has it. */
async function sendToZed(page: Page, url: string, zed: TestUser, handle: string, text: string): Promise<string> {
  const them = await zed.client.findUser(handle);
  const direct = await zed.client.openDirect(them.userId);
  await zed.client.sendText(direct.chatId, `hi ${handle}`);
  await page.goto(`${url}/#/chat/${direct.chatId}`);
  await message(page, `hi ${handle}`).waitFor();
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await waitFor(() => zed.client.timeline(direct.chatId).some((m) => m.text === text), { what: 'zed has the message', timeoutMs: 30_000 });
  return direct.chatId;
}

describe('R46 joining from a browser without passkeys', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R46 creates an account with the device key, says what protects it, chats, stays signed in; adds a passkey later that signs in a fresh browser; the recovery code signs in another', async () => {
    const found: string[] = [];
    const { context, page } = await browserWithoutPasskeys(browser);
    await page.goto(url);
    await page.getByRole('button', { name: 'Create account' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Sign in with a passkey' }).count(), 0, 'no passkey sign-in where there are no passkeys');
    await page.getByRole('button', { name: 'Create account' }).click();

    // The form says it in plain words before the account exists.
    await page.getByTestId('no-passkeys-here').waitFor();
    const terms = (await page.getByTestId('device-key-terms').textContent()) ?? '';
    assert.match(terms, /the recovery code is the only way back in/);
    assert.match(terms, /Anyone who can use this browser profile can read your chats, unless you set a passphrase/);
    assert.match(terms, /add a passkey later in Settings/);
    const handle = uniqueHandle('nia');
    await page.getByLabel('Your name').fill('Nia Nopass');
    await page.getByLabel('Handle').fill(handle);
    await lookAt(page, 'sign-up', found);
    await page.getByLabel('Lock my chats on this browser with a passphrase').check();
    await page.getByLabel('Passphrase (at least 8 characters)').fill('tram lines at dusk');
    await page.getByLabel('Repeat the passphrase').fill('tram lines at dawn');
    await page.getByRole('alert').filter({ hasText: 'The two passphrases are not the same.' }).waitFor();
    await lookAt(page, 'sign-up-passphrase', found);
    await page.getByLabel('Lock my chats on this browser with a passphrase').uncheck(); // this one goes without
    await page.getByRole('button', { name: 'Create account' }).click();

    const code = (await page.getByTestId('recovery-code').textContent()) ?? '';
    assert.match(code, /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
    const warning = (await page.getByTestId('recovery-warning').textContent()) ?? '';
    assert.match(warning, /if this browser’s data is lost, this code is the only way back in/);
    assert.match(warning, /Anyone who can use this browser profile can read your chats/);
    await lookAt(page, 'recovery-code', found);
    await page.getByRole('button', { name: 'I saved it' }).click();
    await page.getByRole('heading', { name: 'Chats' }).waitFor();

    const marker = `no-passkey-${Date.now().toString(36)}`;
    const chatId = await sendToZed(page, url, zed, handle, marker);
    // Held by the device key: a reload signs in again by itself, no prompt.
    await page.reload();
    await message(page, marker).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Unlock Parley' }).count(), 0);

    await page.goto(`${url}/#/settings`);
    await page.getByTestId('passkeys-card').getByText('This browser can’t make passkeys.').waitFor();
    assert.match((await page.getByTestId('store-protection').textContent()) ?? '', /anyone who can use this browser profile can read them/);
    await page.getByTestId('passkeys-card').scrollIntoViewIfNeeded();
    await lookAt(page, 'settings-no-passkeys', found);

    // The browser gains passkeys (an update, another authenticator): Settings adds one to the account.
    await page.evaluate(() => localStorage.setItem('e2e:passkeys', 'on'));
    const { cdp, authenticatorId } = await virtualAuthenticator(page);
    await page.reload();
    await page.getByTestId('passkeys-card').waitFor();
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Passkey added. Sign in with it on any device where it is available.').waitFor();
    await lookAt(page, 'settings-passkey-added', found);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.ok(credentials[0]?.isResidentCredential);

    // A fresh browser that has the passkey (synced to it, as passkeys are) signs in with it alone.
    const fresh = await browser.newContext({ viewport: { width: 1200, height: 800 }, locale: 'en-US' });
    const other = await fresh.newPage();
    const otherAuth = await virtualAuthenticator(other);
    await otherAuth.cdp.send('WebAuthn.addCredential', { authenticatorId: otherAuth.authenticatorId, credential: credentials[0]! });
    await other.goto(url);
    await other.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await other.getByRole('heading', { name: 'Chats' }).waitFor();
    await other.goto(`${url}/#/settings`);
    await other.getByText(`@${handle}`).waitFor();
    const devices = other.getByTestId('device');
    await waitFor(async () => (await devices.count()) === 2, { what: 'two devices listed', timeoutMs: 10_000 });
    // It is in the chat with Zed as a device of Nia once a device in the group has added it: what Zed sends then reaches it.
    const nia = await zed.client.findUser(handle);
    await waitFor(async () => (await zed.client.encryptionMembers(chatId)).filter((m) => m.userId === nia.userId).length === 2,
      { what: "the new device in the chat's group", timeoutMs: 30_000 });
    await zed.client.sendText(chatId, 'after the passkey sign-in');
    await other.goto(`${url}/#/chat/${chatId}`);
    await message(other, 'after the passkey sign-in').waitFor({ timeout: 30_000 });

    // Another browser without passkeys gets in with the recovery code shown at sign-up (and a new one).
    const { context: third, page: thirdPage } = await browserWithoutPasskeys(browser);
    await thirdPage.goto(url);
    await thirdPage.getByRole('button', { name: 'Use a recovery code' }).click();
    await thirdPage.getByLabel('Handle').fill(handle);
    await thirdPage.getByLabel('Recovery code').fill(code);
    await thirdPage.getByRole('button', { name: 'Sign in' }).click();
    const newCode = (await thirdPage.getByTestId('recovery-code').textContent()) ?? '';
    assert.notEqual(newCode, code, 'the recovery code is one-time');
    await thirdPage.getByRole('button', { name: 'I saved it' }).click();
    await thirdPage.getByRole('heading', { name: 'Chats' }).waitFor();

    assert.deepEqual(found, [], `axe found serious or critical violations:\n${found.join('\n')}`);
    await third.close();
    await fresh.close();
    await context.close();
  });

  it('R46 a passphrase seals the store: after a reload it is asked, a wrong one is refused, the right one opens the chats', async () => {
    const { context, page } = await browserWithoutPasskeys(browser);
    const found: string[] = [];
    await page.goto(url);
    await page.getByRole('button', { name: 'Create account' }).click();
    const handle = uniqueHandle('pia');
    await page.getByLabel('Your name').fill('Pia Phrase');
    await page.getByLabel('Handle').fill(handle);
    await page.getByLabel('Lock my chats on this browser with a passphrase').check();
    await page.getByLabel('Passphrase (at least 8 characters)').fill('tram lines at dusk');
    await page.getByLabel('Repeat the passphrase').fill('tram lines at dusk');
    await page.getByRole('button', { name: 'Create account' }).click();
    assert.match((await page.getByTestId('recovery-warning').textContent()) ?? '', /locked with your passphrase/);
    await page.getByRole('button', { name: 'I saved it' }).click();
    await page.getByRole('heading', { name: 'Chats' }).waitFor();
    const marker = `passphrase-${Date.now().toString(36)}`;
    await sendToZed(page, url, zed, handle, marker);

    // Only the salt and the iteration count are kept: no local key, nothing that opens the store.
    // (A string: tsx would wrap a function's inner helpers in __name, which the page does not have.)
    const kept = await page.evaluate(`(async () => {
      const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
      const db = await req(indexedDB.open('parley'));
      const meta = db.transaction('meta').objectStore('meta');
      const kind = await req(meta.get('store-key-kind'));
      const local = await req(meta.get('store-key-local'));
      db.close();
      return { kind, local: local === undefined };
    })()`) as { kind: { kind: string; iterations: number }; local: boolean };
    assert.equal(kept.kind.kind, 'passphrase');
    assert.equal(kept.kind.iterations, 600_000);
    assert.ok(kept.local, 'no local store key is kept');

    await page.reload();
    await page.getByRole('heading', { name: 'Unlock Parley' }).waitFor();
    await page.getByLabel('Passphrase', { exact: true }).fill('tram lines at dawn');
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'This passphrase does not open the messages on this browser.' }).waitFor();
    await lookAt(page, 'unlock-passphrase', found);
    await page.getByLabel('Passphrase', { exact: true }).fill('tram lines at dusk');
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await message(page, marker).waitFor();
    await page.goto(`${url}/#/settings`);
    assert.match((await page.getByTestId('store-protection').textContent()) ?? '', /locked with your passphrase/);
    assert.deepEqual(found, [], `axe found serious or critical violations:\n${found.join('\n')}`);
    await context.close();
  });

  it('R46 in Russian: the sign-up form without passkeys says the same in plain words', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 780 }, locale: 'ru-RU' });
    await context.addInitScript(() => { delete (window as { PublicKeyCredential?: unknown }).PublicKeyCredential; });
    const page = await context.newPage();
    const found: string[] = [];
    await page.goto(url);
    await page.getByRole('button', { name: 'Создать аккаунт' }).click();
    await page.getByTestId('no-passkeys-here').waitFor();
    const terms = (await page.getByTestId('device-key-terms').textContent()) ?? '';
    assert.match(terms, /вернуться можно только с кодом восстановления/);
    assert.match(terms, /если не задать парольную фразу/);
    await page.getByLabel('Закрыть чаты в этом браузере парольной фразой').check();
    await lookAt(page, 'sign-up-ru-mobile', found);
    assert.deepEqual(found, [], `axe found serious or critical violations:\n${found.join('\n')}`);
    await context.close();
  });
});
