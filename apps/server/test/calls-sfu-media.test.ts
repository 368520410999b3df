import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { createUser, Janus, startTestServer } from '@parley/testing';
import { bundleCallPage, joinInPage, launchCallBrowser, openCallPage } from './sfu-pages.ts';

/**
 * R62 media through a real Janus: three Chromium pages (fake camera and microphone) each run the
 * SDK's GroupCall with the token the Parley server gave its device, publish, and subscribe to the
 * two others through one multistream subscriber peer; from getStats each receives and decodes
 * video frames and audio with energy from both others.
 */

interface Received {
  state: string;
  /** Publisher and subscriber peer connection states (for a failure's message). */
  peers: string;
  participants: number;
  videoDecoded: number[];
  audioEnergy: number[];
  /** `view.streams`: whose audio/video each subscriber mid carries, as `feedId:kind`, sorted. */
  streams: string[];
}

async function received(page: Page): Promise<Received> {
  return page.evaluate(async () => {
    const call = (window as unknown as { call: any }).call;
    const videoDecoded: number[] = [];
    const audioEnergy: number[] = [];
    const sub = call.view.subscriber as RTCPeerConnection | undefined;
    if (sub) {
      (await sub.getStats()).forEach((s: any) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') videoDecoded.push(s.framesDecoded ?? 0);
        if (s.kind === 'audio') audioEnergy.push(s.totalAudioEnergy ?? 0);
      });
    }
    const peers = `${call.view.publisher?.connectionState}/${sub?.connectionState}`;
    const streams = (call.view.streams as Array<{ feedId: number; kind: string }>).map((x) => `${x.feedId}:${x.kind}`).sort();
    return { state: call.view.state, peers, participants: call.view.participants.length, videoDecoded, audioEnergy, streams };
  });
}

describe('R62 group call media through Janus (Chromium, fake media)', () => {
  it('three members publish and each decodes video and hears audio from both others', { timeout: 120_000 }, async () => {
    await using janus = await Janus.start();
    await using server = await startTestServer({
      PARLEY_JANUS_URL: janus.url, PARLEY_JANUS_ADMIN_URL: janus.adminUrl, PARLEY_JANUS_ADMIN_SECRET: janus.adminSecret, PARLEY_JANUS_ROOM_ADMIN_KEY: janus.roomAdminKey,
    });
    const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((displayName) => createUser(server.url, { start: false, displayName })));
    const { chatId } = await alice!.client.createGroup({ name: 'Entrance 2', memberIds: [bob!.userId, carol!.userId] });
    const grants = await Promise.all([alice, bob, carol].map((u) => u!.client.groupCallRoom(chatId)));
    const script = await bundleCallPage();
    const browser = await launchCallBrowser();
    try {
      const pages: Page[] = [];
      for (const grant of grants) {
        const page = await openCallPage(browser, server.url, script);
        await joinInPage(page, { chatId, grant, width: 320, height: 240 });
        pages.push(page);
      }
      // Generous: on a loaded 2-core machine three Chromium encoders and Janus compete for the CPU.
      const deadline = Date.now() + 60_000;
      let last: Received[] = [];
      for (;;) {
        last = await Promise.all(pages.map(received));
        // Each page's subscriber carries the two others' audio and video, and says whose each mid is.
        const others = (i: number) => grants.filter((_, j) => j !== i).flatMap((g) => [`${g.feedId}:audio`, `${g.feedId}:video`]).sort();
        const ok = last.every((r, i) => r.state === 'joined' && r.participants === 2 && JSON.stringify(r.streams) === JSON.stringify(others(i))
          && r.videoDecoded.filter((n) => n > 10).length === 2 && r.audioEnergy.filter((e) => e > 0).length === 2);
        if (ok) break;
        if (Date.now() > deadline) assert.fail(`media did not arrive everywhere: ${JSON.stringify(last)}\n${janus.recentLog.slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      // Carol leaves: the two others see her go, and their subscriber peer (renegotiated without her) stays up.
      await pages[2]!.evaluate(() => (window as unknown as { call: any }).call.leave());
      for (const page of pages.slice(0, 2)) {
        await page.waitForFunction(() => {
          const view = (window as unknown as { call: any }).call.view;
          return view.participants.length === 1 && view.subscriber.connectionState === 'connected';
        }, undefined, { timeout: 10_000 });
      }
      for (const page of pages.slice(0, 2)) await page.evaluate(() => (window as unknown as { call: any }).call.leave());
    } finally {
      await browser.close();
    }
  });
});
