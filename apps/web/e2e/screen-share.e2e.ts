import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { Janus, uniqueHandle, waitFor } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, phoneShot, screenshot, signUp, writeAndAccept, type WebWorld } from './browser.ts';

/**
 * R103 screen sharing in Debian's Chromium: with fake media, getDisplayMedia gives a 1280×720 test
 * "screen" (the fake camera is 640×480 in 1:1 calls, 640×360 in group calls), so the size the other
 * side decodes tells which one it gets. The screen replaces the camera in the same sender, which
 * keeps its SFrame transform (R64/R76): the receiver decoding it proves it was encrypted with the
 * call's key (its receive transform refuses anything else).
 */

const RECORD_PEERS = `(() => {
  const Native = window.RTCPeerConnection;
  const seen = window.__pcs = [];
  window.RTCPeerConnection = class extends Native { constructor(config) { super(config); seen.push(this); } };
})();`;

const MEDIA_FLAGS = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'];

/** The widest video frame the page's live peers decode now, and their frames decoded so far. */
function inboundVideo(page: Page): Promise<{ width: number; height: number; frames: number }> {
  return page.evaluate(async () => {
    const out = { width: 0, height: 0, frames: 0 };
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
        out.frames += Number(s.framesDecoded ?? 0);
        if (Number(s.frameWidth ?? 0) > out.width) { out.width = Number(s.frameWidth); out.height = Number(s.frameHeight ?? 0); }
      });
    }
    return out;
  });
}

/** What the page's video senders carry (track labels) and whether each has its frame transform. */
function videoSenders(page: Page): Promise<Array<{ label: string | null; transformed: boolean }>> {
  return page.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs
    .filter((pc) => pc.connectionState !== 'closed').flatMap((pc) => pc.getTransceivers())
    .filter((tr) => tr.sender.track?.kind === 'video' || (tr.receiver.track.kind === 'video' && tr.currentDirection?.startsWith('send')))
    .map((tr) => ({ label: tr.sender.track?.label ?? null, transformed: (tr.sender as unknown as { transform: unknown }).transform != null })));
}

/** The fake screen: 16:9 and wider than either camera (the encoder may send it a little smaller than captured, e.g. 1200×676). */
function isScreen(width: number, height: number): boolean {
  return width > 640 && height > 0 && Math.abs(width / height - 16 / 9) < 0.05;
}

/** R133: the page decodes two videos at once, growing: a camera (at most 640 wide) and a screen (16:9, wider); or (`screen` false) the camera and no screen. */
async function decodesBoth(page: Page, screen = true): Promise<void> {
  const streams = () => page.evaluate(async () => {
    const out: Array<{ id: string; width: number; height: number; frames: number }> = [];
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') out.push({ id: String(s.id), width: Number(s.frameWidth ?? 0), height: Number(s.frameHeight ?? 0), frames: Number(s.framesDecoded ?? 0) });
      });
    }
    return out;
  });
  let seen: Awaited<ReturnType<typeof streams>> = [];
  await waitFor(async () => {
    const before = new Map((await streams()).map((x) => [x.id, x.frames]));
    await new Promise((r) => setTimeout(r, 500));
    seen = (await streams()).filter((x) => x.frames > (before.get(x.id) ?? 0));
    return seen.some((x) => isScreen(x.width, x.height)) === screen && seen.some((x) => x.width > 0 && x.width <= 640);
  }, { what: screen ? 'the camera and the screen both decoding' : 'the camera decoding, the screen not', timeoutMs: 30_000, intervalMs: 200 }).catch((err: unknown) => {
    throw new Error(`decoding: ${JSON.stringify(seen)}`, { cause: err });
  });
}

async function decodesScreen(page: Page, who: string, screen: boolean): Promise<void> {
  let seen = { width: 0, height: 0, frames: 0 };
  await waitFor(async () => {
    const before = await inboundVideo(page);
    await new Promise((r) => setTimeout(r, 500));
    seen = await inboundVideo(page);
    return seen.frames > before.frames && (screen ? isScreen(seen.width, seen.height) : seen.width > 0 && seen.width <= 640);
  }, { what: `${who} decodes ${screen ? 'the shared screen (wider than 640, 16:9)' : 'the camera again'}`, timeoutMs: 30_000, intervalMs: 200 }).catch((err: unknown) => {
    throw new Error(`${who} decodes ${seen.width}×${seen.height}`, { cause: err });
  });
}

describe('R103 screen sharing in a 1:1 video call', { timeout: 180_000 }, () => {
  let world: Partial<WebWorld> = {};
  before(async () => { world = await openWebWorld({}, MEDIA_FLAGS); });
  after(() => closeWebWorld(world));

  it('R103 Alice shares her screen in place of her camera: Bob sees the screen, Alice a "sharing" line and her screen as preview; Stop sharing brings the camera back', async () => {
    const { browser, url } = world as WebWorld;
    const alice = (await personPage(browser)).page;
    const bob = (await personPage(browser)).page;
    for (const page of [alice, bob]) await page.addInitScript(RECORD_PEERS);
    const bobHandle = uniqueHandle('bob');
    await Promise.all([signUp(alice, url, 'Alice Adams', uniqueHandle('alice')), signUp(bob, url, 'Bob Brown', bobHandle)]);
    if (!(await writeAndAccept(alice, bob, url, bobHandle, 'Alice Adams', 'Let me show you the plan'))) await bob.getByTestId('chat-row').filter({ hasText: 'Alice Adams' }).click();
    await alice.getByRole('button', { name: 'Video call Bob Brown', exact: true }).click();
    await bob.getByTestId('call-incoming').getByRole('button', { name: 'Accept' }).click({ timeout: 30_000 });
    await decodesScreen(bob, 'bob', false);

    const share = alice.getByRole('button', { name: 'Share screen' });
    assert.equal(await share.getAttribute('aria-pressed'), 'false');
    await share.click();
    await alice.getByTestId('call-sharing').filter({ hasText: 'You are sharing your screen' }).waitFor({ timeout: 10_000 });
    await decodesScreen(bob, 'bob', true);
    const sending = await videoSenders(alice);
    assert.equal(sending.length, 1, 'one video sender: the screen took the camera\'s place');
    assert.match(sending[0]?.label ?? '', /^screen:/);
    assert.equal(sending[0]?.transformed, true, 'the screen goes through the call\'s frame encryption');
    await waitFor(() => bob.getByLabel('Alice Adams’s camera').evaluate((v: HTMLVideoElement) => v.videoWidth > 640 && Math.abs(v.videoWidth / v.videoHeight - 16 / 9) < 0.05 && !v.paused), { what: 'bob\'s video shows the screen' });
    await waitFor(() => alice.getByLabel('Your shared screen').evaluate((v: HTMLVideoElement) => v.videoWidth > 0), { what: 'alice\'s preview shows her screen' });
    await screenshot(bob, 'call-screen-share-receiver');
    await screenshot(alice, 'call-screen-share-sender');
    assert.deepEqual(await axeViolations(alice), []);

    await alice.getByRole('button', { name: 'Stop sharing' }).click();
    await alice.getByTestId('call-sharing').waitFor({ state: 'detached', timeout: 10_000 });
    await decodesScreen(bob, 'bob', false);
    assert.doesNotMatch((await videoSenders(alice))[0]?.label ?? '', /^screen:/, 'the camera again');
    await alice.getByLabel('Your camera').waitFor();
    await alice.getByRole('button', { name: 'Hang up' }).click();
    await bob.getByTestId('call-bar').waitFor({ state: 'detached', timeout: 20_000 });
  });
});

describe('R103 screen sharing in a 1:1 voice call', { timeout: 180_000 }, () => {
  let world: Partial<WebWorld> = {};
  before(async () => { world = await openWebWorld({}, MEDIA_FLAGS); });
  after(() => closeWebWorld(world));

  it('R103 in a voice call Bob (who answered) shares his screen: Alice gets a video panel with it, decrypted like the voice; nothing was sent on that line before', async () => {
    const { browser, url } = world as WebWorld;
    const alice = (await personPage(browser)).page;
    const bob = (await personPage(browser)).page;
    for (const page of [alice, bob]) await page.addInitScript(RECORD_PEERS);
    const bobHandle = uniqueHandle('bob');
    await Promise.all([signUp(alice, url, 'Alice Adams', uniqueHandle('alice')), signUp(bob, url, 'Bob Brown', bobHandle)]);
    if (!(await writeAndAccept(alice, bob, url, bobHandle, 'Alice Adams', 'Can you show me the invoice?'))) await bob.getByTestId('chat-row').filter({ hasText: 'Alice Adams' }).click();
    await alice.getByRole('button', { name: 'Call Bob Brown', exact: true }).click();
    await bob.getByTestId('call-incoming').getByRole('button', { name: 'Accept' }).click({ timeout: 30_000 });
    await waitFor(async () => /^\d+:\d\d$/.test((await alice.getByTestId('call-state').textContent()) ?? ''), { what: 'the call connects', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await inboundVideo(alice)).frames, 0, 'a voice call sends no video');
    assert.equal(await alice.getByTestId('call-video').count(), 0, 'and shows no video panel');

    await bob.getByRole('button', { name: 'Share screen' }).click();
    await decodesScreen(alice, 'alice', true);
    const sending = await videoSenders(bob);
    assert.equal(sending.length, 1);
    assert.match(sending[0]?.label ?? '', /^screen:/);
    assert.equal(sending[0]?.transformed, true, 'the screen goes through the call\'s frame encryption');
    await waitFor(() => alice.getByLabel('Bob Brown’s camera').evaluate((v: HTMLVideoElement) => v.videoWidth > 640 && !v.paused), { what: 'alice\'s panel shows bob\'s screen' });
    await screenshot(alice, 'call-voice-screen-share-receiver');
    await screenshot(bob, 'call-voice-screen-share-sender');

    await bob.getByRole('button', { name: 'Stop sharing' }).click();
    await bob.getByTestId('call-sharing').waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal((await videoSenders(bob))[0]?.label ?? null, null, 'nothing on the video line again');
    const stopped = (await inboundVideo(alice)).frames;
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok((await inboundVideo(alice)).frames - stopped < 5, 'no more frames arrive');
    await alice.getByRole('button', { name: 'Hang up' }).click();
    await bob.getByTestId('call-bar').waitFor({ state: 'detached', timeout: 20_000 });
  });
});

describe('R133 screen sharing in a group call through Janus', { timeout: 240_000 }, () => {
  let world: Partial<WebWorld> = {};
  let janus: Janus | undefined;
  before(async () => {
    janus = await Janus.start();
    world = await openWebWorld({
      PARLEY_JANUS_URL: janus.url, PARLEY_JANUS_ADMIN_URL: janus.adminUrl, PARLEY_JANUS_ADMIN_SECRET: janus.adminSecret, PARLEY_JANUS_ROOM_ADMIN_KEY: janus.roomAdminKey,
    }, MEDIA_FLAGS);
  });
  after(async () => {
    await closeWebWorld(world);
    await janus?.[Symbol.asyncDispose]();
  });

  it('R133 Bob shares his screen through the SFU as its own tile: Alice decodes his camera and his screen (SFrame-encrypted like the camera), "Bob Brown is presenting"; Stop sharing or the browser ending the capture removes the tile; in a group voice call too', async () => {
    const { browser, url } = world as WebWorld;
    const alice = (await personPage(browser)).page;
    const bob = (await personPage(browser)).page;
    for (const page of [alice, bob]) await page.addInitScript(RECORD_PEERS);
    const bobHandle = uniqueHandle('bob');
    await Promise.all([signUp(alice, url, 'Alice Adams', uniqueHandle('alice')), signUp(bob, url, 'Bob Brown', bobHandle)]);
    await alice.getByRole('button', { name: 'New chat' }).click();
    await alice.getByLabel('Group name').fill('Roof repair');
    await alice.getByLabel('Members (handles').fill(bobHandle);
    await alice.getByRole('button', { name: 'Create' }).click();
    await alice.getByLabel('Message', { exact: true }).fill('Bob, show us the quote?');
    await alice.getByLabel('Message', { exact: true }).press('Enter');
    await bob.getByTestId('chat-row').filter({ hasText: 'Roof repair' }).click({ timeout: 30_000 });
    await bob.getByTestId('timeline').getByText('Bob, show us the quote?').waitFor({ timeout: 30_000 });

    await alice.getByRole('button', { name: 'Start or join a group video call' }).click();
    await alice.getByTestId('gcall-bar').waitFor({ timeout: 30_000 });
    await bob.getByTestId('gcall-banner').getByRole('button', { name: 'Join the call in Roof repair' }).click({ timeout: 30_000 });
    await bob.getByTestId('gcall-bar').waitFor({ timeout: 30_000 });
    await decodesScreen(alice, 'alice', false);

    await bob.getByRole('button', { name: 'Share screen' }).click();
    const screenTile = alice.getByTestId('gcall-screen');
    await screenTile.filter({ hasText: 'Bob Brown is presenting' }).waitFor({ timeout: 30_000 });
    await decodesBoth(alice);
    const sending = await videoSenders(bob);
    assert.equal(sending.length, 2, 'two published videos: the camera and the screen');
    assert.ok(sending.some((x) => /^screen:/.test(x.label ?? '')) && sending.some((x) => x.label !== null && !/^screen:/.test(x.label)), JSON.stringify(sending));
    assert.ok(sending.every((x) => x.transformed), 'both go through the call\'s frame encryption');
    await waitFor(() => screenTile.getByLabel('Bob Brown’s screen').evaluate((v: HTMLVideoElement) => v.videoWidth > 640 && Math.abs(v.videoWidth / v.videoHeight - 16 / 9) < 0.05 && !v.paused), { what: 'alice\'s screen tile shows bob\'s screen', timeoutMs: 20_000 });
    await waitFor(() => alice.getByTestId('gcall-tile').getByLabel('Bob Brown’s camera').evaluate((v: HTMLVideoElement) => v.videoWidth > 0 && v.videoWidth <= 640 && !v.paused), { what: 'alice\'s tile for bob still shows his camera', timeoutMs: 20_000 });
    await bob.getByTestId('gcall-screen').filter({ hasText: 'You are presenting' }).getByLabel('Your shared screen').waitFor();
    await bob.getByLabel('Your camera').waitFor();
    await screenshot(alice, 'gcall-screen-share-receiver');
    await phoneShot(alice, 'gcall-screen-share-receiver-phone');
    await alice.getByTestId('gcall-layout').click();
    await alice.getByTestId('gcall-speaker').locator('.gcall-main').getByTestId('gcall-screen').waitFor();
    await screenshot(alice, 'gcall-screen-share-receiver-speaker');
    await alice.getByTestId('gcall-layout').click();
    await screenshot(bob, 'gcall-screen-share-sender');
    assert.deepEqual(await axeViolations(alice), []);

    // R119 publishes afresh (Janus left a publisher restart unanswered): the screen moves to the new
    // peer and stays shared. Bob's publisher "fails"; its restart's `configure` is dropped on the way.
    let dropped = 0;
    await bob.route((u) => u.port !== new URL(url).port, async (route) => {
      const body = route.request().postData() ?? '';
      if (dropped === 0 && body.includes('"request":"configure"') && body.includes('"jsep"')) {
        dropped++;
        return route.abort('connectionfailed');
      }
      return route.fallback();
    });
    const before = await bob.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.length);
    // A string: tsx would name the getter with a helper the page does not have.
    assert.ok(await bob.evaluate(`(() => {
      const pub = window.__pcs.find((pc) => pc.connectionState !== 'closed' && pc.getSenders().some((x) => x.track && x.track.label.startsWith('screen:')));
      if (!pub) return false;
      Object.defineProperty(pub, 'connectionState', { get() { return this.signalingState === 'closed' ? 'closed' : 'failed'; }, configurable: true });
      if (pub.onconnectionstatechange) pub.onconnectionstatechange(new Event('connectionstatechange'));
      return true;
    })()`), 'bob publishes his screen');
    await waitFor(() => bob.evaluate((n) => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.length > n, before), { what: 'bob publishes afresh on a new peer', timeoutMs: 30_000 });
    assert.equal(dropped, 1, 'the restart\'s configure was dropped once');
    await decodesBoth(alice);
    await screenTile.filter({ hasText: 'Bob Brown is presenting' }).waitFor({ timeout: 30_000 });
    assert.equal(await bob.getByRole('button', { name: 'Stop sharing' }).getAttribute('aria-pressed'), 'true', 'still sharing after the new peer');
    assert.ok((await videoSenders(bob)).every((x) => x.transformed), 'the moved screen goes through the frame encryption');
    await bob.unrouteAll({ behavior: 'ignoreErrors' });

    await bob.getByRole('button', { name: 'Stop sharing' }).click();
    await screenTile.waitFor({ state: 'detached', timeout: 30_000 });
    await bob.getByTestId('gcall-screen').waitFor({ state: 'detached' });
    await decodesBoth(alice, false);

    // Again, ended by the browser (its own "Stop sharing" ends the capture track): the same line is reused.
    await bob.getByRole('button', { name: 'Share screen' }).click();
    await screenTile.filter({ hasText: 'Bob Brown is presenting' }).waitFor({ timeout: 30_000 });
    await decodesBoth(alice);
    await bob.evaluate(() => {
      for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
        for (const sender of pc.getSenders()) {
          const track = sender.track;
          if (track?.label.startsWith('screen:')) { track.stop(); track.dispatchEvent(new Event('ended')); }
        }
      }
    });
    await screenTile.waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(await bob.getByRole('button', { name: 'Share screen' }).getAttribute('aria-pressed'), 'false');
    for (const page of [alice, bob]) await page.getByRole('button', { name: 'Leave' }).click();
    await alice.getByTestId('gcall-bar').waitFor({ state: 'detached', timeout: 30_000 });
    await bob.getByTestId('gcall-bar').waitFor({ state: 'detached', timeout: 30_000 });

    // A group voice call: no cameras, and Bob can still show his screen (a video stream of its own on his voice-only publisher).
    await alice.getByRole('button', { name: 'Start or join a group voice call' }).click();
    await alice.getByTestId('gcall-bar').waitFor({ timeout: 30_000 });
    await bob.getByTestId('gcall-banner').getByRole('button', { name: 'Join the call in Roof repair' }).click({ timeout: 30_000 });
    await waitFor(async () => (await bob.getByTestId('gcall-tile').count()) === 2, { what: 'bob in the voice call with alice', timeoutMs: 30_000 });
    assert.equal(await bob.getByRole('button', { name: 'Turn camera off' }).count(), 0, 'a voice call has no camera button');
    await bob.getByRole('button', { name: 'Share screen' }).click();
    const voiceScreen = alice.getByTestId('gcall-screen').filter({ hasText: 'Bob Brown is presenting' });
    await voiceScreen.waitFor({ timeout: 30_000 });
    await waitFor(() => voiceScreen.getByLabel('Bob Brown’s screen').evaluate((v: HTMLVideoElement) => v.videoWidth > 640 && !v.paused), { what: 'alice sees bob\'s screen in the voice call', timeoutMs: 20_000 });
    const voiceSending = await videoSenders(bob);
    assert.deepEqual(voiceSending.map((x) => [/^screen:/.test(x.label ?? ''), x.transformed]), [[true, true]], 'one video sent, the screen, through the frame encryption');
    await screenshot(alice, 'gcall-voice-screen-share-receiver');
    await bob.getByRole('button', { name: 'Stop sharing' }).click();
    await voiceScreen.waitFor({ state: 'detached', timeout: 30_000 });
    for (const page of [alice, bob]) await page.getByRole('button', { name: 'Leave' }).click();
  });
});

