import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { parseMarkdown } from '@parley/client';
import { createUser, uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';

const row = (page: Page, title: string) => page.getByTestId('chat-row').filter({ has: page.locator('.chat-title', { hasText: new RegExp(`^${title}$`) }) });

/** R88 mentions in Debian's Chromium: the "@" badge, the marked message, and `@` in the composer. */
describe('mentions in the browser', { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  let yan: TestUser | undefined;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(async () => { await yan?.client.stop(); await closeWebWorld({ server, browser, zed }); });

  it('R88 a mention of Amy puts "@" on the chat in the list until she reads it; @all counts only from an admin; typing @ offers the members', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const yanHandle = uniqueHandle('yan');
    yan = await createUser(url, { displayName: 'Yan Yu', handle: yanHandle });
    const amy = await zed.client.findUser(handle);
    await waitFor(async () => (await zed.client.keys.log(amy.userId, 0)).length > 0, { what: "amy's browser publishes its key", timeoutMs: 30_000 });
    const group = await zed.client.createGroup({ name: 'Stairwell 3', memberIds: [amy.userId, yan.userId] });
    await waitFor(() => [zed, yan].every((u) => u?.client.chat(group.chatId)?.encryption === 'on'), { what: 'the group is encrypted', timeoutMs: 30_000 });
    await row(page, 'Stairwell 3').waitFor({ timeout: 30_000 });

    const say = async (who: TestUser, md: string) => { const { text, entities } = parseMarkdown(md); await who.client.sendText(group.chatId, text, { entities }); };
    await say(yan, '@all who has the key?'); // a member's @all mentions nobody
    await row(page, 'Stairwell 3').getByText('who has the key?').waitFor({ timeout: 30_000 });
    assert.equal(await row(page, 'Stairwell 3').getByTestId('mention-badge').count(), 0);
    await say(yan, `@${handle} do you have it?`);
    const badge = row(page, 'Stairwell 3').getByTestId('mention-badge');
    await badge.waitFor({ timeout: 30_000 });
    assert.equal(await badge.getAttribute('aria-label'), '1 mention of you');
    await say(zed, '@all the lift is fixed'); // the owner's @all does
    await waitFor(async () => (await badge.getAttribute('aria-label')) === '2 mentions of you', { what: 'two mentions', timeoutMs: 30_000 });
    await screenshot(page, '94-mention-badge');
    assert.deepEqual(await axeViolations(page), []);

    await row(page, 'Stairwell 3').click();
    const marked = page.locator('.msg.mentions-me');
    await waitFor(async () => (await marked.count()) === 2, { what: 'two messages marked', timeoutMs: 30_000 });
    await badge.waitFor({ state: 'detached', timeout: 30_000 });

    // Typing @ya offers Yan; Enter puts the handle in, and Yan's device sees the mention.
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('thanks @ya');
    const picker = page.getByTestId('mention-picker');
    await picker.getByRole('option', { name: /Yan Yu/ }).waitFor();
    assert.equal(await picker.getByRole('option', { name: /Everyone in this chat/ }).count(), 0, '@all is for admins');
    await screenshot(page, '95-mention-picker');
    assert.deepEqual(await axeViolations(page), []);
    await box.press('Enter');
    assert.equal(await box.inputValue(), `thanks @${yanHandle} `);
    await box.pressSequentially('it works');
    await box.press('Enter');
    await waitFor(() => yan?.client.timeline(group.chatId).some((i) => i.text === `thanks @${yanHandle} it works` && i.mentionsMe) ?? false, { what: 'yan is mentioned', timeoutMs: 30_000 });
    assert.equal(zed.client.chat(group.chatId)?.mentions, 0, 'zed is not');
  });
});
