import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { KeyDirectory, RestApi, accounts, formatSafetyNumber, generateDeviceKey, MlsIdentity } from '@parley/client';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** Verifying a contact in the browser (docs/PROTOCOL.md R22): safety number, mark as verified, the warning on a device change. */


/** A key directory for an SDK device, signing its REST calls with the device key. */
async function directoryOf(baseUrl: string, deviceId: string, key: TestUser['deviceKey']): Promise<KeyDirectory> {
  const api = new RestApi(baseUrl, (await accounts.login(baseUrl, deviceId, key)).token);
  const data = new Map<string, string>();
  return new KeyDirectory({ rest: (method, path, body) => api.call(method, path, body), store: { get: async (k) => data.get(k), set: async (k, v) => void data.set(k, v) }, maxAgeMs: 0 });
}

describe('verifying a contact in a real browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R22 the browser shows the same safety number as the contact\'s SDK; after "Mark as verified", a new device of the contact raises a warning in the chat', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    const zedKeys = await directoryOf(url, zed.deviceId, zed.deviceKey);
    const identity = await zed.client.keyPackages?.identity();
    assert.ok(identity);
    await zedKeys.publish(identity);
    // The browser publishes its own key in the background once it has an MLS identity.
    await waitFor(async () => (await zedKeys.devices(amy.userId)).length === 1, { what: 'amy\'s key in her log', timeoutMs: 30_000 });

    await page.goto(`${url}/#/u/${zed.handle}`);
    await page.waitForURL(/#\/chat\//);
    await page.getByRole('button', { name: 'Verify Zed Zimmer' }).click();
    const number = page.getByTestId('safety-number');
    await number.waitFor();
    const expected = formatSafetyNumber(await zedKeys.safetyNumber(zed.userId, amy.userId));
    assert.equal((await number.locator('span').allTextContents()).join(' '), expected);
    await page.getByTestId('qr').waitFor();
    await screenshot(page, 'verify-contact');
    await page.getByTestId('mark-verified').click();
    await page.getByTestId('verified-state').waitFor();
    assert.equal(await page.getByTestId('mark-verified').count(), 0);

    // Zed signs in on a laptop, whose MLS key joins his log: Amy's chat warns her.
    const laptopKey = await generateDeviceKey();
    const laptop = await accounts.recover(url, { handle: zed.handle, recoveryCode: zed.recoveryCode, device: { name: 'laptop', publicKey: laptopKey.publicKey } });
    await (await directoryOf(url, laptop.deviceId, laptopKey)).publish(await MlsIdentity.generate({ userId: zed.userId, deviceId: laptop.deviceId }));
    await page.getByRole('button', { name: 'Back' }).first().click();
    await page.reload();
    const warning = page.getByTestId('key-change-warning');
    await warning.waitFor({ timeout: 30_000 });
    assert.match((await warning.textContent()) ?? '', /Zed Zimmer’s devices changed/);
    await screenshot(page, 'verify-contact-changed');
    await warning.getByRole('button', { name: 'Verify again' }).click();
    await page.getByTestId('mark-verified').waitFor();
    assert.notEqual((await page.getByTestId('safety-number').locator('span').allTextContents()).join(' '), expected);
  });
});
