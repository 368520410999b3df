import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { uniqueHandle, waitFor, type TestServer, type TestUser } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp } from './browser.ts';
import { pngImage } from './file-fixtures.ts';

const row = (page: Page, title: string) => page.getByTestId('chat-row').filter({ has: page.locator('.chat-title', { hasText: new RegExp(`^${title}$`) }) });

/** R89 threads in Debian's Chromium, with Zed through the SDK. */
describe('threads in the browser', { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let url: string;
  let zed: TestUser;
  before(async () => ({ server, browser, url, zed } = await openWebWorld()));
  after(() => closeWebWorld({ server, browser, zed }));

  it('R89 Amy replies in a thread from a message\'s menu; Zed replies through the SDK; the chat shows "2 replies" under the message and neither reply in its flow; a later reply shows "1 new" until she opens the thread; a photo goes into the thread', async () => {
    const { page } = await personPage(browser);
    const handle = uniqueHandle('amy');
    await signUp(page, url, 'Amy Adams', handle);
    const amy = await zed.client.findUser(handle);
    await waitFor(async () => (await zed.client.keys.log(amy.userId, 0)).length > 0, { what: "amy's browser publishes its key", timeoutMs: 30_000 });
    const group = await zed.client.createGroup({ name: 'Courtyard', memberIds: [amy.userId] });
    await waitFor(() => zed.client.chat(group.chatId)?.encryption === 'on', { what: 'the group is encrypted', timeoutMs: 30_000 });
    const rootId = await zed.client.sendText(group.chatId, 'Who fixes the gate?');
    await row(page, 'Courtyard').click();
    const root = page.getByTestId('message').filter({ hasText: 'Who fixes the gate?' });
    await root.waitFor({ timeout: 30_000 });
    await waitFor(async () => {
      await root.hover();
      return (await root.getByRole('button', { name: 'Reply in thread' }).count()) > 0;
    }, { what: 'the message menu', timeoutMs: 15_000 });
    await root.getByRole('button', { name: 'Reply in thread' }).click();
    const panel = page.getByTestId('thread-panel');
    await panel.waitFor();
    await panel.getByTestId('thread-input').fill('I will, on Tuesday');
    await panel.getByTestId('thread-input').press('Enter');
    await waitFor(() => zed.client.timeline(group.chatId).some((i) => i.text === 'I will, on Tuesday' && i.inThread === rootId), { what: 'zed gets the reply in the thread', timeoutMs: 30_000 });
    await zed.client.sendText(group.chatId, 'Thanks, I will bring the tools', { thread: rootId });
    await panel.getByText('Thanks, I will bring the tools').waitFor({ timeout: 30_000 });
    await screenshot(page, '96-thread-panel');
    assert.deepEqual(await axeViolations(page), []);

    await panel.getByRole('button', { name: 'Close' }).click();
    await panel.waitFor({ state: 'detached' });
    await root.getByTestId('thread-link').getByText('2 replies · Zed Zimmer, Amy Adams').waitFor({ timeout: 30_000 });
    const flow = page.getByTestId('timeline');
    assert.equal(await flow.getByText('I will, on Tuesday').count(), 0, 'thread replies stay out of the flow');
    assert.equal(await flow.getByText('Thanks, I will bring the tools').count(), 0);
    await screenshot(page, '97-thread-link');
    await root.getByTestId('thread-link').click();
    await panel.getByText('I will, on Tuesday').waitFor();
    await panel.getByRole('button', { name: 'Close' }).click();
    await panel.waitFor({ state: 'detached' });

    // Amy is in the thread (she replied): Zed's next reply is new to her until she opens it.
    await zed.client.sendText(group.chatId, 'Tools are in the shed', { thread: rootId });
    await root.getByTestId('thread-new').getByText('1 new').waitFor({ timeout: 30_000 });
    await screenshot(page, '97b-thread-new');
    await root.getByTestId('thread-link').click();
    await panel.getByText('Tools are in the shed').waitFor();
    await root.getByTestId('thread-new').waitFor({ state: 'detached', timeout: 30_000 });

    // A photo into the thread, with a caption: Zed gets it in the thread, not in the chat's flow.
    await panel.getByTestId('thread-file-input').setInputFiles([{ name: 'gate.png', mimeType: 'image/png', buffer: pngImage(640, 480) }]);
    await panel.getByTestId('tray-item').first().waitFor();
    await waitFor(async () => (await panel.locator('[data-testid="tray-item"][data-ready="no"]').count()) === 0, { what: 'the tray prepared the photo', timeoutMs: 30_000 });
    await panel.getByTestId('thread-input').fill('The broken hinge');
    await panel.getByTestId('thread-send').click();
    await waitFor(() => zed.client.timeline(group.chatId).some((i) => i.inThread === rootId && i.text === 'The broken hinge' && i.attachments?.[0]?.name === 'gate.png'),
      { what: 'Zed gets the photo in the thread', timeoutMs: 60_000 });
    assert.equal(zed.client.timeline(group.chatId).find((i) => i.text === 'The broken hinge')?.inThread, rootId);
    const full = panel.getByTestId('message').filter({ hasText: 'The broken hinge' }).getByTestId('media-full');
    await full.waitFor({ timeout: 30_000 });
    await waitFor(() => full.evaluate((img) => (img as HTMLImageElement).naturalWidth === 640), { what: 'the photo shown in the thread' });
    assert.equal(await flow.getByText('The broken hinge').count(), 0, 'the photo stays in the thread');
    await screenshot(page, '97c-thread-photo');
    assert.deepEqual(await axeViolations(page), []);
  });
});
