import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { API_PREFIX } from '@parley/protocol';
import { generateDeviceKey } from '@parley/client';
import { uniqueHandle, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

/** Linking a second browser from a signed-in one (docs/PROTOCOL.md R23-R27), in Debian's Chromium. */


describe('linking a new browser from a signed-in one', { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  // The server tells prompts the request's network (R43), and believes X-Forwarded-For from 127.0.0.1 so
  // the test can send a stranger's request "from" another address.
  before(async () => ({ server, browser, url, zed } = await openWebWorld({ PARLEY_LINK_ORIGIN_HINT: 'ip-prefix', PARLEY_TRUST_PROXY: '127.0.0.1' })));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R24 the new browser shows a code, the signed-in one approves with it; the new one sees the chats; R27 the old one is told', async () => {
    const { page: laptop } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(laptop, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    const direct = await zed.client.openDirect(amy.userId);
    await zed.client.sendText(direct.chatId, 'hello before the link');
    await laptop.getByRole('button', { name: /Zed Zimmer/ }).first().waitFor();

    // R43: a stranger who knows her handle asks first, under a name meant to be approved.
    const bait = "Amy's new iPhone (tap Approve)";
    const stranger = await fetch(`${url}${API_PREFIX}/devices/link`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.23' },
      body: JSON.stringify({ handle, device: { name: bait, publicKey: (await generateDeviceKey()).publicKey } }),
    });
    assert.equal(stranger.status, 201);

    // A second browser with no passkey and no recovery code asks to join Amy's account.
    const { page: phone } = await personPage(browser, { mobile: true });
    await phone.goto(url);
    await phone.getByRole('button', { name: 'Link to a device you already use' }).click();
    await phone.getByLabel('Handle').fill(handle);
    await phone.getByRole('button', { name: 'Continue' }).click();
    const shown = (await phone.getByTestId('link-code').textContent()) ?? '';
    assert.match(shown, /^\d{3} \d{3}$/);
    await screenshot(phone, '30-link-new-device-code');

    // The signed-in browser shows both requests, the server's facts first (when, from which network, never
    // the whole address) and each name only as what the device calls itself.
    const fake = laptop.getByTestId('link-prompt').filter({ hasText: 'tap Approve' });
    const prompt = laptop.getByTestId('link-prompt').filter({ hasText: 'Chrome' });
    await fake.waitFor({ timeout: 15_000 });
    await prompt.waitFor({ timeout: 15_000 });
    const fakeText = (await fake.textContent()) ?? '';
    assert.match(fakeText, /^Someone asks to sign in to your account/);
    assert.match((await fake.getByTestId('link-facts').textContent()) ?? '', /^Asked .+ · from 198\.51\.100\.x$/);
    assert.ok(!fakeText.includes('198.51.100.23'), 'never the whole address');
    assert.equal(await fake.getByTestId('link-claim').textContent(), `The new device calls itself “${bait}”. Anyone can choose that name.`);
    assert.equal(await fake.locator('.claimed-name').textContent(), bait);
    assert.match((await prompt.getByTestId('link-facts').textContent()) ?? '', /from 127\.0\.0\.x$/);
    assert.match((await prompt.getByTestId('link-claim').textContent()) ?? '', /^The new device calls itself “Chrome/);
    await screenshot(laptop, '31-link-approve-prompt-facts');
    await fake.getByRole('button', { name: 'Deny' }).click();
    await fake.waitFor({ state: 'detached' });
    assert.ok(!((await prompt.textContent()) ?? '').includes(shown.replace(' ', '')), 'the approving device never shows the code');
    await prompt.getByTestId('link-code-input').fill('000000' === shown.replace(' ', '') ? '111111' : '000000');
    await prompt.getByRole('button', { name: 'Approve' }).click();
    await prompt.getByRole('alert').filter({ hasText: 'not the code' }).waitFor();
    await prompt.getByTestId('link-code-input').fill(shown);
    await screenshot(laptop, '31-link-approve-prompt');
    await prompt.getByRole('button', { name: 'Approve' }).click();
    await prompt.waitFor({ state: 'detached' });

    // The phone is signed in as a device of Amy's account and has her chats.
    await phone.getByRole('heading', { name: 'Chats' }).waitFor({ timeout: 20_000 });
    await phone.getByRole('button', { name: /Zed Zimmer/ }).first().waitFor({ timeout: 20_000 });
    await screenshot(phone, '32-link-new-device-chats');

    // Login alert on the laptop: one notice for the new device (its new key is told in it, not apart),
    // above the chats, never over the composer.
    const notice = laptop.getByTestId('new-device-notice');
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /New device added: Chrome/);
    await laptop.getByRole('button', { name: /Zed Zimmer/ }).first().click();
    const composer = laptop.getByLabel('Message', { exact: true });
    await composer.waitFor();
    // The key log review names the device's new key in the same notice.
    await notice.filter({ hasText: 'Your contacts’ apps now encrypt your chats to this device too' }).waitFor({ timeout: 30_000 });
    assert.equal(await laptop.getByTestId('new-device-notice').count(), 1);
    assert.equal(await laptop.getByTestId('key-log-alert').count(), 0, 'no second notice for the same event');
    const [n, c] = [await notice.boundingBox(), await composer.boundingBox()];
    assert.ok(n && c && n.y + n.height <= c.y, 'the notice is not over the composer');
    assert.deepEqual(await axeViolations(laptop), [], 'the notice passes axe');
    await screenshot(laptop, '33-link-new-device-notice');
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await notice.waitFor({ state: 'detached' });
    await laptop.reload();
    await laptop.getByRole('heading', { name: 'Chats' }).waitFor();
    await laptop.waitForTimeout(1000);
    assert.equal(await laptop.getByTestId('new-device-notice').count(), 0, 'a dismissed notice stays dismissed');

    // Zed's next message reaches the phone too (its device joined the chat's encryption group).
    await zed.client.sendText(direct.chatId, 'hello after the link');
    await phone.getByRole('button', { name: /Zed Zimmer/ }).first().click();
    await phone.getByTestId('timeline').getByText('hello after the link').waitFor({ timeout: 30_000 });
    // And what was said before the link: the laptop shared the chat's history with the phone, end-to-end
    // encrypted through the user's own note-to-self chat.
    await phone.getByTestId('timeline').getByText('hello before the link').waitFor({ timeout: 30_000 });
    await screenshot(phone, '34-link-new-device-message');

    // The note-to-self chat the history went through is "Saved messages" on both, not a chat named after Amy.
    for (const page of [laptop, phone]) {
      if (page === phone) await phone.getByRole('button', { name: 'Back' }).click();
      const saved = page.getByTestId('chat-row').filter({ hasText: 'Saved messages' });
      await saved.waitFor({ timeout: 20_000 });
      assert.equal(await page.getByTestId('chat-row').filter({ hasText: 'Amy Adams' }).count(), 0);
      assert.doesNotMatch((await saved.textContent()) ?? '', /created the chat/);
    }
    await laptop.getByTestId('chat-row').filter({ hasText: 'Saved messages' }).click();
    await laptop.getByRole('heading', { name: 'Saved messages' }).waitFor();
    await screenshot(laptop, '35-saved-messages');
  });
});
