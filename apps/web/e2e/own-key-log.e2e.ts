import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { accounts, generateDeviceKey, type ParleyClient } from '@parley/client';
import { KEY_LOG_GENESIS_HASH, keyLogEntryBytes } from '@parley/protocol';
import { newClient, uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** A person's browser shows what it finds in the account's own key log (docs/PROTOCOL.md R31), in Debian's Chromium. */

/**
 * A key for a device the account does not have, appended to the user's log in the server's SQLite
 * database and chained as the server chains entries: what a malicious server would serve. (The same
 * forgery as packages/client/src/key-log/own-key-log.integration.test.ts.)
 */
function forgeGhostEntry(dataDir: string, userId: string, deviceId: string): void {
  const db = new Database(join(dataDir, 'parley.sqlite'));
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = OFF'); // the ghost has no row in devices
    const head = db.prepare('SELECT idx, hash FROM key_log WHERE user_id = ? ORDER BY idx DESC LIMIT 1').get(userId) as { idx: number; hash: string } | undefined;
    const fields = {
      index: (head?.idx ?? 0) + 1, kind: 'add' as const, deviceId, mlsSignatureKey: randomBytes(32).toString('base64'),
      at: Date.now(), prevHash: head?.hash ?? KEY_LOG_GENESIS_HASH,
    };
    const hash = createHash('sha256').update(keyLogEntryBytes({ userId, ...fields })).digest('hex');
    db.prepare('INSERT INTO key_log (user_id, idx, kind, device_id, mls_signature_key, at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(userId, fields.index, fields.kind, deviceId, fields.mlsSignatureKey, fields.at, fields.prevHash, hash);
  } finally {
    db.close();
  }
}

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
    forgeGhostEntry(server.dataDir, amy.userId, 'dev_ghost_of_amy');
    await page.reload();
    const ghost = page.locator('[data-testid="key-log-alert"][data-kind="unknown_device_key"]');
    await ghost.waitFor({ timeout: 15_000 });
    const text = (await ghost.textContent()) ?? '';
    assert.match(text, /The server lists a device key for your account that is not one of your devices/);
    assert.match(text, /tell them not to trust messages from it/);
    assert.equal(await ghost.getAttribute('role'), 'alert');
    await screenshot(page, '40-own-key-log-unknown-device');
    await ghost.getByRole('button', { name: 'Review devices' }).click();
    await page.getByTestId('devices-card').waitFor();
    assert.equal(await page.getByTestId('device').count(), 1, 'the ghost is not among the devices');
    await ghost.getByRole('button', { name: 'Dismiss' }).click();
    await ghost.waitFor({ state: 'detached' });
    await page.reload();
    await page.getByTestId('devices-card').waitFor();
    await page.waitForTimeout(2500);
    assert.equal(await page.getByTestId('key-log-alert').count(), 0, 'a dismissed alert stays dismissed');

    // A device added with the recovery code: the browser names the new key.
    const deviceKey = await generateDeviceKey();
    const added = await accounts.recover(url, { handle, recoveryCode, device: { name: 'Work laptop', publicKey: deviceKey.publicKey } });
    laptop = newClient(url, amy.userId, added.deviceId, deviceKey);
    await laptop.start();
    const fresh = page.locator('[data-testid="key-log-alert"][data-kind="new_device_key"]');
    await fresh.waitFor({ timeout: 30_000 });
    assert.match((await fresh.textContent()) ?? '', /New key for your account: Work laptop, /);
    await page.goto(`${url}/#/`);
    await fresh.waitFor();
    await screenshot(page, '41-own-key-log-new-device-key');
    await fresh.getByRole('button', { name: 'Not you? Revoke it' }).click();
    const devices = page.getByTestId('devices-card');
    await devices.getByRole('button', { name: 'Sign out: Work laptop' }).click();
    await waitFor(() => laptop?.connectionState === 'revoked', { what: 'the laptop is signed out', timeoutMs: 15_000 });
    await fresh.waitFor({ state: 'detached', timeout: 15_000 });
    await screenshot(page, '42-own-key-log-revoked');
  });
});
