import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { createUser, Janus, startTestServer } from '@parley/testing';
import { bundleCallPage, joinInPage, launchCallBrowser, openCallPage } from './sfu-pages.ts';
import { decodesWidth, janusHandles, sentLayers, waitForLayers } from './sfu-layers.ts';

/**
 * R123 through a real Janus: Alice's Chromium publishes the web's camera (fake, 640x360, the web's
 * CAMERA_WIDTH) in the layers simulcastEncodings(640) declares, two (Chromium sends no third below
 * 960 pixels); Bob's page receives one layer at a time and switches with GroupCall.setSubstream:
 * the width of the pictures Bob decodes follows the layer he asks for, down and up again.
 *
 * Robust beside other test files on a loaded 2-core machine: the camera runs at 10 fps, Alice's
 * bandwidth estimate has a floor above both layers (`bitrateFloorKbps`: CPU starvation would read as
 * congestion and stop the full layer), and every wait is on what Bob decodes, with a minute's grace.
 */

describe('R123 simulcast through Janus (Chromium, fake media)', () => {
  it('R123 the publisher sends the web camera in two layers; a receiver switches the layer it gets and decodes each', { timeout: 240_000 }, async () => {
    await using janus = await Janus.start();
    await using server = await startTestServer({
      PARLEY_JANUS_URL: janus.url, PARLEY_JANUS_ADMIN_URL: janus.adminUrl, PARLEY_JANUS_ADMIN_SECRET: janus.adminSecret, PARLEY_JANUS_ROOM_ADMIN_KEY: janus.roomAdminKey,
    });
    const [alice, bob] = await Promise.all(['Alice', 'Bob'].map((displayName) => createUser(server.url, { start: false, displayName })));
    const { chatId } = await alice!.client.createGroup({ name: 'Entrance 2', memberIds: [bob!.userId] });
    const grants = await Promise.all([alice, bob].map((u) => u!.client.groupCallRoom(chatId)));
    const script = await bundleCallPage();
    const browser = await launchCallBrowser();
    try {
      const pages: Page[] = [];
      for (const grant of grants) {
        const page = await openCallPage(browser, server.url, script);
        await joinInPage(page, { chatId, grant, width: 640, height: 360, fps: 10, simulcast: true, bitrateFloorKbps: 1000 });
        pages.push(page);
      }
      const [alicePage, bobPage] = pages as [Page, Page];
      const layers = await waitForLayers(alicePage, ['h', 'm']);
      assert.deepEqual(['h', 'm'].map((rid) => layers[rid]!.width), [640, 320], `full and half of the width: ${JSON.stringify(layers)}`);
      assert.equal(layers['l'], undefined, 'no quarter layer below 960 pixels (Chromium would not send it)');

      // Bob gets one layer, the full one unasked; asked for the smaller, then the full one again, the picture he decodes follows.
      const aliceFeed = grants[0]!.feedId;
      const substream = (n: 0 | 1) => bobPage.evaluate(([feed, n]) => (window as unknown as { call: { setSubstream(f: number, n: number): Promise<void> } }).call.setSubstream(feed, n), [aliceFeed, n] as const);
      // A failure says what Alice sends, what Janus relays to Bob (and what it logged), besides what Bob receives.
      const context = async () => ({ ...(await sentLayers(alicePage)), janus: await janusHandles(janus), log: janus.recentLog.slice(-2000), unsentInLog: janus.recentLog.split('only sent').length - 1 });
      await decodesWidth(bobPage, 640, { context });
      await substream(0);
      await decodesWidth(bobPage, 320, { context });
      await substream(1);
      await decodesWidth(bobPage, 640, { context });
      for (const page of pages) await page.evaluate(() => (window as unknown as { call: { leave(): Promise<void> } }).call.leave());
    } finally {
      await browser.close();
    }
  });
});
