import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { Janus, uniqueHandle, waitFor } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp, writeAndAccept, type WebWorld } from './browser.ts';

/** Keeps every RTCPeerConnection the page makes on `window.__pcs` (a string: no bundler helpers in the page). */
const RECORD_PEERS = `(() => {
  const Native = window.RTCPeerConnection;
  const seen = window.__pcs = [];
  window.RTCPeerConnection = class extends Native { constructor(config) { super(config); seen.push(this); } };
})();`;

/** Keeps every stream getUserMedia gives the page on `window.__streams`. */
const RECORD_MEDIA = `(() => {
  const seen = window.__streams = [];
  const get = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => { const s = await get(c); seen.push(s); return s; };
})();`;

const MEDIA_FLAGS = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'];

/** From getStats of every peer the page made: per received stream, video frames decoded and audio energy. */
function received(page: Page): Promise<{ video: number[]; audio: number[] }> {
  return page.evaluate(async () => {
    const out = { video: [] as number[], audio: [] as number[] };
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') out.video.push(Number(s.framesDecoded ?? 0));
        if (s.kind === 'audio') out.audio.push(Number(s.totalAudioEnergy ?? 0));
      });
    }
    return out;
  });
}

/** Labels of the live microphone tracks the page sends. */
function sentAudio(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs
    .filter((pc) => pc.connectionState !== 'closed').flatMap((pc) => pc.getSenders())
    .flatMap((s) => (s.track?.kind === 'audio' && s.track.readyState === 'live' ? [s.track.label] : [])));
}

/** The names on the page's call tiles, and how many of the tiles' videos show frames. */
function tiles(page: Page): Promise<{ names: string[]; playing: number }> {
  return page.evaluate(() => {
    const all = [...document.querySelectorAll('[data-testid="gcall-tile"]')];
    const names = all.map((el) => el.querySelector('.gcall-name')?.textContent ?? '');
    const playing = all.filter((el) => { const v = el.querySelector('video'); return v !== null && v.videoWidth > 0 && !v.paused; }).length;
    return { names, playing };
  });
}

async function openGroup(page: Page, name: string): Promise<void> {
  await page.getByTestId('chat-row').filter({ hasText: name }).click({ timeout: 30_000 });
  await page.getByRole('heading', { name }).waitFor();
}

/**
 * Issue 11, group calls in the web client through a real Janus (R62, R63): Alice starts a video call
 * from the group chat; Bob sees "Call in progress" with Alice in it and joins with the button; Carol
 * (on a phone-sized window) joins; everyone sees the two others' tiles with live video and receives
 * their audio; Carol leaves and the others' grids drop her; Alice moves to another chat and the call
 * bar stays with the call going on.
 */
describe('group calls in the web client (3 Chromiums, fake media, Janus)', () => {
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

  it('start, see it in the header, join, grid and speaker view with live media, leave, switch chats', { timeout: 240_000 }, async () => {
    const { browser, url } = world as WebWorld;
    const alice = (await personPage(browser)).page;
    const bob = (await personPage(browser)).page;
    const carol = (await personPage(browser, { mobile: true })).page;
    for (const page of [alice, bob, carol]) await page.addInitScript(RECORD_PEERS);
    const [bobHandle, carolHandle] = [uniqueHandle('bob'), uniqueHandle('carol')];
    await Promise.all([signUp(alice, url, 'Alice Adams', uniqueHandle('alice')), signUp(bob, url, 'Bob Brown', bobHandle), signUp(carol, url, 'Carol Clark', carolHandle)]);

    await alice.getByRole('button', { name: 'New chat' }).click();
    await alice.getByLabel('Group name').fill('Entrance 2');
    await alice.getByLabel('Members (handles').fill(`${bobHandle} ${carolHandle}`);
    await alice.getByRole('button', { name: 'Create' }).click();
    await alice.getByLabel('Message', { exact: true }).fill('Meeting about the lift?');
    await alice.getByLabel('Message', { exact: true }).press('Enter');
    for (const page of [bob, carol]) {
      await openGroup(page, 'Entrance 2');
      await page.getByTestId('timeline').getByText('Meeting about the lift?').waitFor({ timeout: 30_000 });
    }

    // Alice starts a video call from the group's header.
    await alice.getByRole('button', { name: 'Start or join a group video call' }).click();
    const aliceBar = alice.getByTestId('gcall-bar');
    await aliceBar.waitFor({ timeout: 30_000 });
    await alice.getByTestId('gcall-tile').filter({ hasText: 'You' }).waitFor();

    // R124: Bob's and Carol's pages ring: who started a call where, with Join and Dismiss.
    const bobRing = bob.getByTestId('gcall-ring');
    await bobRing.getByText('Alice Adams started a group video call in Entrance 2').waitFor({ timeout: 30_000 });
    await carol.getByTestId('gcall-ring').waitFor({ timeout: 30_000 });
    assert.equal(await alice.getByTestId('gcall-ring').count(), 0, 'the starter\'s page does not ring');
    const ringTone = (page: Page) => page.evaluate(() => `${document.documentElement.dataset['ringTone'] ?? ''}/${document.documentElement.dataset['ringAudio'] ?? ''}`);
    await waitFor(async () => (await ringTone(bob)) === 'incoming/running', { what: 'bob\'s page rings aloud' });
    assert.equal(await ringTone(alice), '/', 'the starter hears no ring');
    await screenshot(bob, 'gcall-00-ring');

    // Bob's header says a call is in progress, with Alice in it, and offers Join.
    const bobBanner = bob.getByTestId('gcall-banner');
    await bobBanner.getByText('Call in progress').waitFor({ timeout: 30_000 });
    assert.match(await bobBanner.getByTestId('gcall-banner-people').innerText(), /1 in the call · Alice Adams/);
    await bob.getByTestId('chat-row').filter({ hasText: 'Entrance 2' }).getByTestId('chat-call').waitFor();
    await screenshot(bob, 'gcall-01-header-join');
    await bobBanner.getByRole('button', { name: 'Join the call in Entrance 2' }).click();
    await bob.getByTestId('gcall-bar').waitFor({ timeout: 30_000 });
    await bobRing.waitFor({ state: 'detached' }); // joined: it stops ringing
    await waitFor(async () => (await ringTone(bob)) === '/', { what: 'bob\'s ring sound stops' });

    // Carol, on a phone, sees both and joins from the ring.
    const carolBanner = carol.getByTestId('gcall-banner');
    await carolBanner.getByTestId('gcall-banner-people').filter({ hasText: '2 in the call' }).waitFor({ timeout: 30_000 });
    await carol.getByTestId('gcall-ring').getByRole('button', { name: 'Join', exact: true }).click();
    await carol.getByTestId('gcall-bar').waitFor({ timeout: 30_000 });
    await carol.getByTestId('gcall-ring').waitFor({ state: 'detached' });

    // Everyone: three tiles (own and two others by name), the others' videos playing, their media decoded and heard.
    const names: Record<string, string[]> = { alice: ['Bob Brown', 'Carol Clark'], bob: ['Alice Adams', 'Carol Clark'], carol: ['Alice Adams', 'Bob Brown'] };
    const pages = { alice, bob, carol };
    for (const [who, page] of Object.entries(pages)) {
      await waitFor(async () => {
        const t = await tiles(page);
        const r = await received(page);
        const sinks = await page.getByTestId('gcall-audio').count();
        return t.names.length === 3 && names[who]!.every((n) => t.names.some((x) => x.includes(n))) && t.playing >= 3 && sinks === 2
          && r.video.filter((n) => n > 10).length >= 2 && r.audio.filter((e) => e > 0).length >= 2;
      }, { timeoutMs: 90_000, intervalMs: 500, what: `${who} to see and hear both others` });
    }
    // R123: the camera goes out in simulcast layers (two for a 640-pixel-wide camera), each encoded.
    const layers = await alice.evaluate(async () => {
      const rids: string[] = [];
      for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
        if (pc.connectionState === 'closed') continue;
        (await pc.getStats()).forEach((s: Record<string, unknown>) => { if (s.type === 'outbound-rtp' && s.kind === 'video' && Number(s.framesEncoded ?? 0) > 0) rids.push(String(s.rid)); });
      }
      return rids.sort();
    });
    assert.deepEqual(layers, ['h', 'm']);
    await alice.getByTestId('gcall-quality').first().waitFor();
    assert.equal(await alice.getByTestId('gcall-state').innerText(), '3 in the call');
    await bob.getByTestId('gcall-banner').getByText('You are in this call').waitFor();
    await screenshot(alice, 'gcall-02-grid');
    await screenshot(carol, 'gcall-03-phone-grid');

    // Speaker view: one large tile, the others in a strip; and back.
    const layout = alice.getByTestId('gcall-layout');
    await layout.click();
    assert.equal(await layout.getAttribute('aria-pressed'), 'true');
    await alice.getByTestId('gcall-speaker').waitFor();
    assert.equal(await alice.locator('.gcall-main [data-testid="gcall-tile"]').count(), 1);
    assert.equal(await alice.locator('.gcall-strip [data-testid="gcall-tile"]').count(), 2);
    await screenshot(alice, 'gcall-04-speaker');
    await layout.click();
    await alice.getByTestId('gcall-grid').waitFor();
    assert.deepEqual(await axeViolations(alice), []);

    // Alice switches her microphone in the call's device picker: the new one goes out in place of the old.
    await alice.getByRole('button', { name: 'Microphone, camera and speaker' }).click();
    const mic = alice.getByTestId('call-devices').getByLabel('Microphone');
    const mics = await mic.locator('option').allInnerTexts();
    assert.ok(mics.length >= 2, `fake microphones: ${mics.join(', ')}`);
    await screenshot(alice, 'gcall-05-devices');
    const other = mics.find((m) => m !== '' && m !== mics[0])!;
    await mic.selectOption({ label: other });
    await waitFor(async () => (await sentAudio(alice)).join() === other, { timeoutMs: 20_000, intervalMs: 300, what: `the ${other} track to be sent` });
    await mic.press('Escape');
    await alice.getByTestId('call-devices').waitFor({ state: 'detached' });
    assert.equal(await alice.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Microphone, camera and speaker');

    // Bob turns his camera off: Alice's tile of him shows his initials instead of a frozen or black picture; and on again.
    const bobTile = alice.getByTestId('gcall-tile').filter({ hasText: 'Bob Brown' });
    await bob.getByRole('button', { name: 'Turn camera off' }).click();
    await bobTile.locator('.gcall-avatar').waitFor({ timeout: 30_000 });
    assert.equal(await bobTile.locator('video').count(), 0);
    await bob.getByRole('button', { name: 'Turn camera off' }).click();
    await bobTile.locator('video').waitFor({ timeout: 30_000 });

    // Mute shows on the own tile.
    await alice.getByRole('button', { name: 'Mute' }).click();
    assert.equal(await alice.getByRole('button', { name: 'Mute' }).getAttribute('aria-pressed'), 'true');
    await alice.getByRole('button', { name: 'Mute' }).click();

    // Carol leaves: the others' grids drop her, her bar goes.
    await carol.getByRole('button', { name: 'Leave' }).click();
    await carol.getByTestId('gcall-bar').waitFor({ state: 'detached' });
    for (const page of [alice, bob]) {
      await waitFor(async () => {
        const t = await tiles(page);
        return t.names.length === 2 && !t.names.some((n) => n.includes('Carol'));
      }, { timeoutMs: 30_000, intervalMs: 500, what: 'Carol’s tile to go' });
    }

    // Alice moves to another chat: the bar and the call stay, Bob's video still arrives.
    await alice.goto(`${url}/#/new`);
    await alice.locator('main').getByRole('button', { name: 'Saved messages', exact: true }).click();
    await alice.getByRole('heading', { name: 'Saved messages' }).waitFor();
    await aliceBar.waitFor();
    const before = (await received(alice)).video.reduce((a, b) => Math.max(a, b), 0);
    await waitFor(async () => (await received(alice)).video.some((n) => n > before + 20), { timeoutMs: 30_000, intervalMs: 500, what: 'video to go on after the move' });
    await screenshot(alice, 'gcall-06-other-chat');

    // R124: Carol (out of the call) calls Bob 1:1 while he is in the group call: it rings for him,
    // saying that answering leaves the group call; he answers: one call at a time.
    if (!(await writeAndAccept(carol, bob, url, bobHandle, 'Carol Clark', 'A quick word?'))) await bob.getByTestId('chat-row').filter({ hasText: 'Carol Clark' }).click();
    await bob.getByTestId('gcall-bar').waitFor();
    await carol.getByRole('button', { name: 'Call Bob Brown', exact: true }).click({ timeout: 30_000 });
    const bobIncoming = bob.getByTestId('call-incoming');
    await bobIncoming.waitFor({ timeout: 30_000 });
    await screenshot(bob, 'gcall-07-one-to-one-rings');
    await bobIncoming.getByRole('button', { name: 'Leave the group call and answer' }).click();
    await bob.getByTestId('gcall-bar').waitFor({ state: 'detached', timeout: 30_000 });
    await bob.getByTestId('call-bar').getByTestId('call-state').filter({ hasText: /\d:\d\d/ }).waitFor({ timeout: 30_000 });
    await waitFor(async () => (await tiles(alice)).names.length === 1, { timeoutMs: 30_000, intervalMs: 500, what: 'Bob’s tile to go from Alice’s grid' });
    await bob.getByRole('button', { name: 'Hang up' }).click();
    await carol.getByTestId('call-bar').waitFor({ state: 'detached', timeout: 30_000 });

    await alice.getByRole('button', { name: 'Leave' }).click();
    await alice.getByTestId('gcall-bar').waitFor({ state: 'detached' });
    await bob.getByTestId('gcall-banner').waitFor({ state: 'detached', timeout: 30_000 });
  });
});

describe('group calls on a server without an SFU', () => {
  let world: Partial<WebWorld> = {};
  before(async () => { world = await openWebWorld({}, MEDIA_FLAGS); });
  after(() => closeWebWorld(world));

  it('the call button says group calls are not set up here, and nothing else happens', { timeout: 120_000 }, async () => {
    const { browser, url, zed } = world as WebWorld;
    const alice = (await personPage(browser)).page;
    await alice.addInitScript(RECORD_MEDIA);
    await signUp(alice, url, 'Alice Adams', uniqueHandle('alice'));
    await alice.getByRole('button', { name: 'New chat' }).click();
    await alice.getByLabel('Group name').fill('Roof');
    await alice.getByLabel('Members (handles').fill(zed.handle);
    await alice.getByRole('button', { name: 'Create' }).click();
    await alice.getByRole('heading', { name: 'Roof' }).waitFor();
    await alice.getByRole('button', { name: 'Start or join a group voice call' }).click();
    await alice.getByRole('alert').filter({ hasText: 'Group calls are not set up on this server: its administrator can turn them on.' }).waitFor({ timeout: 20_000 });
    assert.equal(await alice.getByTestId('gcall-bar').count(), 0);
    // The microphone it asked for was let go again (no live track left behind).
    const tracks = await alice.evaluate(() => (window as unknown as { __streams: MediaStream[] }).__streams.flatMap((m) => m.getTracks().map((t) => t.readyState)));
    assert.ok(tracks.length > 0 && tracks.every((state) => state === 'ended'), `microphone tracks: ${tracks.join(', ')}`);
  });
});
