import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { accounts, generateDeviceKey, type ParleyClient } from '@parley/client';
import { forgeKeyLogEntry, newClient, uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** A person's browser shows what it finds in the account's own key log (docs/PROTOCOL.md R31), in Debian's Chromium. */

describe('own key log alerts in the browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  let laptop: ParleyClient | undefined;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(async () => {
    await laptop?.stop();
    await closeWebWorld({ server, browser, zed });
  });

  it('R31 a ghost key in the account\'s log is shown as not one of your devices; a new device key names the device, and "Not you? Revoke it" signs it out', async () => {
    const { page } = await personPage(browser);
    page.on('dialog', (d) => void d.accept());
    const handle = uniqueHandle('amy');
    const recoveryCode = await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    await waitFor(async () => (await zed.client.keys.log(amy.userId, 0)).length > 0, { what: "Amy's browser publishes its key", timeoutMs: 20_000 });
    await page.waitForTimeout(1500); // its first review takes the log as it is

    // The server slips a device key into Amy's log; her browser finds it when it next comes online.
    forgeKeyLogEntry(server.dataDir, amy.userId, 'dev_ghost_of_amy');
    await page.reload();
    const ghost = page.locator('[data-testid="key-log-alert"][data-kind="unknown_device_key"]');
    await ghost.waitFor({ timeout: 15_000 });
    const text = (await ghost.textContent()) ?? '';
    assert.match(text, /The server lists a device key for your account that is not one of your devices/);
    assert.match(text, /tell them not to trust messages from it/);
    assert.equal(await ghost.getAttribute('role'), 'alert');
    await screenshot(page, '40-own-key-log-unknown-device');
    assert.deepEqual(await axeViolations(page), [], 'the alert passes axe (light)');
    await page.evaluate(() => localStorage.setItem('parley.theme', 'dark'));
    await page.reload();
    await ghost.waitFor();
    assert.deepEqual(await axeViolations(page), [], 'the alert passes axe (dark)');
    await screenshot(page, '40-own-key-log-unknown-device-dark');
    await page.evaluate(() => localStorage.setItem('parley.theme', 'light'));
    await page.reload();
    await ghost.waitFor();
    await ghost.getByRole('button', { name: 'Review devices' }).click();
    await page.getByTestId('devices-card').waitFor();
    assert.equal(await page.getByTestId('device').count(), 1, 'the ghost is not among the devices');
    await ghost.getByRole('button', { name: 'Dismiss' }).click();
    await ghost.waitFor({ state: 'detached' });
    await page.reload();
    await page.getByTestId('devices-card').waitFor();
    await page.waitForTimeout(2500);
    assert.equal(await page.getByTestId('key-log-alert').count(), 0, 'a dismissed alert stays dismissed');

    // A device added with the recovery code: the browser names the new device and its key, in one notice
    // (the devices list and the key log tell of the same event).
    const deviceKey = await generateDeviceKey();
    const added = await accounts.recover(url, { handle, recoveryCode, device: { name: 'Work laptop', publicKey: deviceKey.publicKey } });
    laptop = newClient(url, amy.userId, added.deviceId, deviceKey);
    await laptop.start();
    const fresh = page.getByTestId('new-device-notice');
    await fresh.waitFor({ timeout: 30_000 });
    assert.match((await fresh.textContent()) ?? '', /New device added: Work laptop, .*Your contacts’ apps now encrypt your chats to this device too/);
    await page.goto(`${url}/#/`);
    await fresh.waitFor();
    assert.equal(await page.getByTestId('key-log-alert').count(), 0, 'no second notice for the same device');
    await screenshot(page, '41-own-key-log-new-device-key');
    await fresh.getByRole('button', { name: 'Not you? Revoke it' }).click();
    const devices = page.getByTestId('devices-card');
    await devices.getByRole('button', { name: 'Sign out: Work laptop' }).click();
    await waitFor(() => laptop?.connectionState === 'revoked', { what: 'the laptop is signed out', timeoutMs: 15_000 });
    await fresh.waitFor({ state: 'detached', timeout: 15_000 });
    await screenshot(page, '42-own-key-log-revoked');
  });
});
