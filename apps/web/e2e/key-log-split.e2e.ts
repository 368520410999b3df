import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { accounts, generateDeviceKey, KeyDirectory, MlsIdentity, RestApi, type ParleyClient } from '@parley/client';
import { rewriteKeyLogEntry, createUser, uniqueHandle, waitFor, type ClientTweaks, type TestServer, type TestUser } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** A person's browser shows a split view of a chat member's key log that the members' heads reveal (docs/PROTOCOL.md R33), in Debian's Chromium. */

/** The SDK people tell the chat at once; the browser keeps the defaults. */
const FAST: ClientTweaks = { mls: { enabled: true, keyLogHeads: { settleMs: 100, rankDelayMs: 300, minIntervalMs: 1000, graceMs: 3000 } } };

describe('a split view of a member\'s key log in the browser', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  const clients: ParleyClient[] = [];
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await closeWebWorld({ server, browser, zed });
  });

  it('R33 the heads of a member who was shown another history of Dave\'s log raise "Dave\'s key history differs between what you and Bob see"; "Compare safety numbers" opens Dave\'s safety number', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);

    // Dave's log: his phone, a laptop whose key was published, the laptop revoked.
    const dave = await createUser(url, { displayName: 'Dave Dunn', handle: uniqueHandle('dave'), client: FAST });
    clients.push(dave.client);
    const laptopKey = await generateDeviceKey();
    const laptop = await accounts.recover(url, { handle: dave.handle, recoveryCode: dave.recoveryCode, device: { name: 'laptop', publicKey: laptopKey.publicKey } });
    const laptopApi = new RestApi(url, (await accounts.login(url, laptop.deviceId, laptopKey)).token);
    const data = new Map<string, string>();
    const laptopKeys = new KeyDirectory({ rest: (m, p, b) => laptopApi.call(m, p, b), store: { get: async (k) => data.get(k), set: async (k, v) => void data.set(k, v) } });
    await laptopKeys.publish(await MlsIdentity.generate({ userId: dave.userId, deviceId: laptop.deviceId }));
    await dave.client.revokeDevice(laptop.deviceId);
    await waitFor(async () => (await dave.client.keys.log(dave.userId, 0)).length === 3, { what: "dave's log: add, add, revoke" });

    // Dave starts a group with Amy; her browser verifies his log as it joins.
    await waitFor(async () => (await dave.client.keys.log(amy.userId, 0)).length > 0, { what: "amy's browser publishes its key", timeoutMs: 30_000 });
    const { chatId } = await dave.client.createGroup({ name: 'Project', memberIds: [amy.userId] });
    await waitFor(async () => (await dave.client.encryptionMembers(chatId)).some((m) => m.userId === amy.userId), { what: "amy's browser added", timeoutMs: 30_000 });
    await page.getByText('Project').first().waitFor({ timeout: 30_000 });

    // From now on the server shows others entry 3 as a ghost key of Dave's; Bob, new, sees only that.
    rewriteKeyLogEntry(server.dataDir, dave.userId, 3, 'dev_ghost_of_dave');
    const bob = await createUser(url, { displayName: 'Bob Brown', handle: uniqueHandle('bob'), client: FAST });
    clients.push(bob.client);
    await dave.client.addMember(chatId, bob.userId);
    await waitFor(() => bob.client.chat(chatId)?.encryption === 'on', { what: 'bob joined', timeoutMs: 30_000 });

    const alert = page.locator('[data-testid="key-log-alert"][data-kind="key_log_split"]').first();
    await alert.waitFor({ timeout: 30_000 });
    const text = (await alert.textContent()) ?? '';
    assert.match(text, /Dave Dunn’s key history differs between what you and Bob Brown see/);
    assert.match(text, /The server may be showing different keys to different people\. Compare safety numbers with Dave Dunn in person or on a call, and ask Bob Brown to do the same/);
    assert.equal(await alert.getAttribute('role'), 'alert');
    await screenshot(page, '43-key-log-split');

    // Bob's device finds the same disagreement from its side.
    await waitFor(() => bob.client.keyLogAlerts().some((a) => a.kind === 'key_log_split' && a.userId === dave.userId), { what: "bob's alert", timeoutMs: 30_000 });

    await alert.getByRole('button', { name: 'Compare safety numbers' }).click();
    await page.waitForURL(/#\/info\//);
    const verify = page.getByTestId('verify-contact');
    await verify.waitFor({ timeout: 15_000 });
    assert.match((await verify.textContent()) ?? '', /Verify Dave Dunn/);
    await screenshot(page, '44-key-log-split-compare');

    await alert.getByRole('button', { name: 'Dismiss' }).click();
    await page.locator('[data-testid="key-log-alert"][data-kind="key_log_split"]').waitFor({ state: 'detached' });
  });
});
