import { execSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { defaultWebDist } from '@parley/server';
import { createUser, freePort, startTestServer, uniqueHandle, type TestServer, type TestUser } from '@parley/testing';

const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../../../test-artifacts/screenshots/', import.meta.url));

/** Debian's chromium, installed on first use (the npm packages' own browser downloads fail here); `extraArgs`: e.g. fake media devices. */
export async function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--host-resolver-rules=MAP localhost 127.0.0.1', ...extraArgs],
  });
}

/** A phone's viewport: what `personPage(browser, {mobile: true})` gets. */
export const PHONE = { width: 390, height: 780 };

/** A person's browser: its own context (storage) and a page with a virtual passkey authenticator. */
export async function personPage(browser: Browser, opts: { mobile?: boolean; locale?: string; prf?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: opts.mobile ? PHONE : { width: 1200, height: 760 },
    locale: opts.locale ?? 'en-US',
  });
  const page = await context.newPage();
  await addAuthenticator(page, { prf: opts.prf ?? false });
  return { context, page };
}

/** `prf`: the authenticator supports the PRF extension (the web app then seals its store with a passkey key). */
export async function addAuthenticator(page: Page, opts: { prf?: boolean } = {}): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true, hasPrf: opts.prf ?? false },
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Creates an account through the UI (name, handle, then "I saved it"); returns the recovery code it showed. */
export async function signUp(page: Page, url: string, name: string, handle: string): Promise<string> {
  await page.goto(url);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Handle').fill(handle);
  await page.getByRole('button', { name: 'Continue' }).click();
  const code = (await page.getByTestId('recovery-code').textContent()) ?? '';
  await page.getByRole('button', { name: 'I saved it' }).click();
  await page.getByRole('heading', { name: 'Chats' }).waitFor();
  return code;
}

/**
 * `from` opens `to`'s page by handle and writes `text`; `to` accepts the chat request if one came
 * (strangers, R44). Resolves once `to` has the request accepted (true) or the chat row showed (false).
 */
export async function writeAndAccept(from: Page, to: Page, url: string, toHandle: string, fromName: string, text: string): Promise<boolean> {
  await from.goto(`${url}/#/u/${toHandle}`);
  await from.getByRole('textbox', { name: 'Message' }).fill(text);
  await from.getByRole('textbox', { name: 'Message' }).press('Enter');
  await to.getByTestId('chat-row').filter({ hasText: fromName }).or(to.getByTestId('requests-row')).first().waitFor({ timeout: 30_000 });
  if (await to.getByTestId('requests-row').count() === 0) return false;
  await to.getByTestId('requests-row').click();
  await to.getByTestId('request').filter({ hasText: fromName }).getByRole('button', { name: 'Accept' }).click();
  return true;
}

export interface WebWorld {
  server: TestServer;
  browser: Browser;
  url: string;
  /** A contact driven through the SDK: "Zed Zimmer". */
  zed: TestUser;
}

/** A server that serves the built web client on a free port (with `env` on top), Debian's chromium (with `browserArgs`), and Zed. */
export async function openWebWorld(env: Record<string, string> = {}, browserArgs: readonly string[] = []): Promise<WebWorld> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const server = await startTestServer({ ...env, PORT: String(port), PARLEY_ORIGIN: url, PARLEY_WEB_DIST: defaultWebDist() });
  const browser = await launchBrowser(browserArgs);
  const zed = await createUser(url, { displayName: 'Zed Zimmer', handle: uniqueHandle('zed') });
  return { server, browser, url, zed };
}

export async function closeWebWorld(world: Partial<WebWorld>): Promise<void> {
  await world.zed?.client.stop();
  await world.browser?.close();
  await world.server?.close();
}

/** The phone-width look of whatever `page` shows now, then back to its own size. */
export async function phoneShot(page: Page, name: string): Promise<void> {
  const size = page.viewportSize();
  await page.setViewportSize(PHONE);
  await screenshot(page, name);
  if (size) await page.setViewportSize(size);
}

/**
 * Makes a private channel from the app ("New chat", "New channel", Private) and an invite link to it in its
 * settings: the link, and its token (what `communities.joinInvite` takes).
 */
export async function newPrivateChannel(page: Page, name: string): Promise<{ link: string; token: string }> {
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByRole('button', { name: 'New channel' }).click();
  await page.getByRole('radio', { name: /^Private:/ }).check();
  await page.getByLabel('Channel name').fill(name);
  await page.getByRole('button', { name: 'Create private channel' }).click();
  await page.getByRole('heading', { name }).waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Channel settings' }).click();
  const invites = page.getByTestId('community-invites');
  await invites.getByRole('button', { name: 'Create invite link' }).click();
  const link = (await invites.getByTestId('link').textContent()) ?? '';
  const token = /\/#\/community-join\/([^/?#\s]+)/.exec(link)?.[1];
  if (!token) throw new Error(`no invite link: ${link}`);
  return { link, token };
}
