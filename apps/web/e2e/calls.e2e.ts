import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { Coturn, uniqueHandle, waitFor } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp, writeAndAccept, type WebWorld } from './browser.ts';

/** What getStats says of a page's latest peer connection: the selected path and the audio received. */
interface CallStats { local?: string | undefined; remote?: string | undefined; packets: number; energy: number; samples: number; concealed: number; frames: number }

/**
 * Keeps every RTCPeerConnection the page makes on `window.__pcs` (the app itself has no test hook).
 * A string: a transpiled function could carry the bundler's helpers into the page.
 */
const RECORD_PEERS = `(() => {
  const Native = window.RTCPeerConnection;
  const seen = window.__pcs = [];
  window.RTCPeerConnection = class extends Native { constructor(config) { super(config); seen.push(this); } };
})();`;

function callStats(page: Page): Promise<CallStats> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1);
    const out: CallStats = { packets: 0, energy: 0, samples: 0, concealed: 0, frames: 0 };
    if (!pc) return out;
    const all = new Map<string, Record<string, unknown>>();
    (await pc.getStats()).forEach((s: Record<string, unknown>) => all.set(s.id as string, s));
    for (const s of all.values()) {
      if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') {
        const pair = all.get(s.selectedCandidatePairId);
        out.local = all.get(pair?.localCandidateId as string)?.candidateType as string | undefined;
        out.remote = all.get(pair?.remoteCandidateId as string)?.candidateType as string | undefined;
      }
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out.packets = Number(s.packetsReceived ?? 0);
        out.energy = Number(s.totalAudioEnergy ?? 0);
        out.samples = Number(s.totalSamplesReceived ?? 0);
        out.concealed = Number(s.concealedSamples ?? 0);
      }
      if (s.type === 'inbound-rtp' && s.kind === 'video') out.frames = Number(s.framesDecoded ?? 0);
    }
    return out;
  });
}

/** Whether the page's microphone tracks were all stopped (the browser's recording indicator is off). */
function micStopped(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs
    .every((pc) => pc.getSenders().every((s) => !s.track || s.track.readyState === 'ended')));
}

async function turnRelayOn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/#/settings`);
  const box = page.getByRole('checkbox', { name: 'Relay calls (hides your IP address from the other person)' });
  await box.check();
  await page.reload(); // read when the client is created (the setting says so)
  await page.getByRole('heading', { name: 'Chats' }).waitFor({ timeout: 20_000 });
  await page.goto(`${url}/#/settings`);
  assert.equal(await page.getByRole('checkbox', { name: 'Relay calls (hides your IP address from the other person)' }).isChecked(), true);
}

/**
 * Alice and Bob, signed up in their own browser contexts (Relay calls on when `relay`), in a direct
 * chat Alice opened by Bob's handle (Bob accepts it if it comes as a request).
 */
async function directChat(browser: Browser, url: string, opts: { relay: boolean }) {
  const alice = (await personPage(browser)).page;
  const { page: bob, context: bobContext } = await personPage(browser);
  await alice.addInitScript(RECORD_PEERS);
  await bob.addInitScript(RECORD_PEERS);
  const bobHandle = uniqueHandle('bob');
  await Promise.all([signUp(alice, url, 'Alice Adams', uniqueHandle('alice')), signUp(bob, url, 'Bob Brown', bobHandle)]);
  if (opts.relay) await Promise.all([turnRelayOn(alice, url), turnRelayOn(bob, url)]);
  if (!(await writeAndAccept(alice, bob, url, bobHandle, 'Alice Adams', 'Can I call you about the roof?'))) await bob.getByTestId('chat-row').filter({ hasText: 'Alice Adams' }).click();
  await bob.getByTestId('timeline').getByText('Can I call you about the roof?').waitFor({ timeout: 30_000 });
  return { alice, bob, bobContext, chatUrl: alice.url() };
}

/** What ring sound the page plays (`<html data-ring-tone>`) and its AudioContext's state: "incoming/running", "ringback/running", "/" for none. */
async function hearsRing(page: Page, want: string, what: string): Promise<void> {
  const now = () => page.evaluate(() => `${document.documentElement.dataset['ringTone'] ?? ''}/${document.documentElement.dataset['ringAudio'] ?? ''}`);
  await waitFor(async () => (await now()) === want, { what, timeoutMs: 20_000 }).catch(async (err: unknown) => { throw new Error(`${what}: ${await now()}`, { cause: err }); });
}

const MEDIA_FLAGS = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'];

/**
 * R60/R61 in Debian's Chromium: a voice call between two people's browsers through a real coturn
 * with relay-only ICE (Settings → Relay calls), fake microphones; audio arrives both ways.
 */
describe('1:1 calls in the browser', { timeout: 180_000 }, () => {
  let turn: Coturn;
  let world: WebWorld;
  let browser: Browser;
  let url: string;
  before(async () => {
    turn = await Coturn.start();
    world = await openWebWorld({ PARLEY_TURN_URLS: turn.urls.join(','), PARLEY_TURN_SECRET: turn.secret }, MEDIA_FLAGS);
    ({ browser, url } = world);
  });
  after(async () => {
    await closeWebWorld(world ?? {});
    await turn?.close();
  });

  it('R61 Alice calls Bob through the relay: Bob\'s page rings, he accepts, audio flows both ways over relay candidates, the bar stays while he moves on, Alice hangs up; a second call rings in each of Bob\'s tabs and is declined in one', async () => {
    const { alice, bob, bobContext, chatUrl } = await directChat(browser, url, { relay: true });
    await bob.goto(`${url}/#/`); // Bob is elsewhere in the app when it rings

    // Alice calls; Bob's page rings wherever he is.
    await alice.getByRole('button', { name: 'Call Bob Brown', exact: true }).click();
    const aliceBar = alice.getByTestId('call-bar');
    await aliceBar.waitFor();
    assert.match((await aliceBar.textContent()) ?? '', /Bob Brown\s*Calling…/);
    await hearsRing(alice, 'ringback/running', 'alice hears the ringback');
    const ring = bob.getByTestId('call-incoming');
    await ring.waitFor({ timeout: 20_000 });
    await hearsRing(bob, 'incoming/running', 'bob\'s page rings aloud');
    assert.equal((await ring.getByRole('alert').textContent())?.trim(), 'Alice Adams is calling you');
    await screenshot(bob, 'call-incoming-light');
    assert.deepEqual(await axeViolations(bob), []);
    await bob.emulateMedia({ colorScheme: 'dark' });
    await screenshot(bob, 'call-incoming-dark');
    assert.deepEqual(await axeViolations(bob), []);
    await bob.emulateMedia({ colorScheme: 'light' });
    // Accept from the keyboard.
    await ring.getByRole('button', { name: 'Accept' }).focus();
    await bob.keyboard.press('Enter');
    await ring.waitFor({ state: 'detached' });
    assert.equal(await bob.evaluate(() => document.activeElement?.textContent), 'Hang up', 'the focus moves to the bar');
    await hearsRing(bob, '/', 'answered: the ring stops');
    await hearsRing(alice, '/', 'answered: the ringback stops');

    // Connected: both bars count the call's time; audio arrives on both sides, through the relay.
    const bobBar = bob.getByTestId('call-bar');
    for (const page of [alice, bob]) await waitFor(async () => /^\d+:\d\d$/.test((await page.getByTestId('call-state').textContent()) ?? ''), { what: 'the call connects', timeoutMs: 20_000 });
    for (const [who, page] of [['alice', alice], ['bob', bob]] as const) {
      await waitFor(async () => {
        const s = await callStats(page);
        return s.packets > 50 && s.energy > 0 && s.samples > 0;
      }, { what: `${who} receives audio`, timeoutMs: 20_000 });
      const s = await callStats(page);
      console.log(`${who} receives: ${s.packets} packets, ${s.samples} samples (${s.concealed} concealed), audio energy ${s.energy.toFixed(4)}, path ${s.local} → ${s.remote}`);
      assert.equal(s.local, 'relay', `${who}'s selected path starts at a relay candidate`);
      assert.equal(s.remote, 'relay', `${who}'s selected path ends at the other side's relay candidate`);
      assert.ok(s.concealed / s.samples < 0.2, `${who}: ${s.concealed} of ${s.samples} samples concealed`);
      assert.equal(await page.getByTestId('call-audio').evaluate((a: HTMLAudioElement) => a.srcObject !== null && !a.paused), true, `${who}'s page plays the other side`);
    }
    assert.match((await bobBar.textContent()) ?? '', /Alice Adams/);
    await screenshot(alice, 'call-bar-light');
    assert.deepEqual(await axeViolations(alice), []);

    // Mute is a pressed toggle that silences the microphone's track.
    const mute = alice.getByRole('button', { name: 'Mute' });
    await mute.click();
    assert.equal(await mute.getAttribute('aria-pressed'), 'true');
    assert.equal(await alice.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1)?.getSenders()[0]?.track?.enabled), false);
    await mute.click();
    assert.equal(await mute.getAttribute('aria-pressed'), 'false');

    // Bob moves to another chat: the bar stays and the call goes on.
    await bob.goto(`${url}/#/new`);
    await bob.locator('main').getByRole('button', { name: 'Saved messages', exact: true }).click();
    await bob.getByRole('heading', { name: 'Saved messages' }).waitFor();
    assert.equal(await bob.getByRole('button', { name: /^(Call|Video call) / }).count(), 0, 'no call button in Saved messages');
    await bobBar.waitFor();
    const before = (await callStats(bob)).packets;
    await waitFor(async () => (await callStats(bob)).packets > before + 25, { what: 'audio goes on after the move' });
    await bob.emulateMedia({ colorScheme: 'dark' });
    await screenshot(bob, 'call-bar-dark');
    assert.deepEqual(await axeViolations(bob), []);
    await bob.emulateMedia({ colorScheme: 'light' });
    await bob.setViewportSize({ width: 390, height: 780 });
    await screenshot(bob, 'call-bar-phone');
    await bob.setViewportSize({ width: 1200, height: 760 });

    await waitFor(async () => /^0:0[2-9]$/.test((await alice.getByTestId('call-state').textContent()) ?? ''), { what: 'two seconds of call', timeoutMs: 10_000 });
    await aliceBar.getByRole('button', { name: 'Hang up' }).click();
    await aliceBar.waitFor({ state: 'detached' });
    await bobBar.waitFor({ state: 'detached', timeout: 20_000 });
    assert.equal((await bob.getByTestId('call-ended').textContent())?.trim(), 'Alice Adams · Call ended');
    assert.equal(await alice.getByTestId('call-ended').count(), 0, 'her own hang-up needs no telling');
    for (const page of [alice, bob]) await waitFor(() => micStopped(page), { what: 'the microphone stops' });

    // The call's line in the chat, on both sides.
    await alice.getByTestId('timeline').getByText(/^Outgoing call · 0:0[2-9]$/).waitFor({ timeout: 20_000 });
    await bob.goto(chatUrl.replace(/^.*#/, `${url}/#`));
    await bob.getByTestId('timeline').getByText(/^Incoming call · 0:0[2-9]$/).waitFor({ timeout: 20_000 });
    await screenshot(alice, 'call-line-light');
    await alice.emulateMedia({ colorScheme: 'dark' });
    await screenshot(alice, 'call-line-dark');
    await alice.emulateMedia({ colorScheme: 'light' });

    // A second call rings in each of Bob's tabs; he declines it in one, the other stops ringing;
    // Alice's bar goes and her chat says so.
    const bobTab = await bobContext.newPage();
    await bobTab.goto(`${url}/#/settings`);
    await bobTab.getByRole('heading', { name: 'Settings' }).waitFor({ timeout: 20_000 });
    await alice.getByRole('button', { name: 'Call Bob Brown', exact: true }).click();
    await ring.waitFor({ timeout: 20_000 });
    await bobTab.getByTestId('call-incoming').waitFor({ timeout: 20_000 });
    await hearsRing(bobTab, 'incoming/running', 'bob\'s other tab rings aloud');
    await ring.getByRole('button', { name: 'Decline' }).click();
    await ring.waitFor({ state: 'detached' });
    await bobTab.getByTestId('call-incoming').waitFor({ state: 'detached', timeout: 20_000 });
    await hearsRing(bob, '/', 'declined: the ring stops');
    await hearsRing(bobTab, '/', 'declined in the other tab: this one stops ringing too');
    await aliceBar.waitFor({ state: 'detached', timeout: 20_000 });
    assert.equal((await alice.getByTestId('call-ended').textContent())?.trim(), 'Bob Brown · Call declined');
    await screenshot(alice, 'call-declined-light');
    await alice.getByTestId('timeline').getByText('Call declined', { exact: true }).waitFor({ timeout: 20_000 });
    await bob.getByTestId('timeline').getByText('You declined the call', { exact: true }).waitFor({ timeout: 20_000 });
    await waitFor(() => micStopped(alice), { what: 'alice\'s microphone stops' });
  });
});

/** A server without TURN (`calls: {turn: false}` in /info): calls go on direct paths; Relay calls says why it is off. */
describe('1:1 calls in the browser on a server without TURN', { timeout: 120_000 }, () => {
  let world: WebWorld;
  let browser: Browser;
  let url: string;
  before(async () => {
    world = await openWebWorld({}, MEDIA_FLAGS);
    ({ browser, url } = world);
  });
  after(() => closeWebWorld(world ?? {}));

  it('R60 without a relay a voice call connects directly with audio, a video call shows both cameras; the Relay calls switch is off and says why', async () => {
    const { alice, bob } = await directChat(browser, url, { relay: false });
    await alice.setViewportSize({ width: 390, height: 780 }); // the header's buttons on a phone
    await screenshot(alice, 'call-buttons-phone');
    await alice.setViewportSize({ width: 1200, height: 760 });
    await alice.getByRole('button', { name: 'Call Bob Brown', exact: true }).click();
    await bob.getByTestId('call-incoming').getByRole('button', { name: 'Accept' }).click();
    for (const [who, page] of [['alice', alice], ['bob', bob]] as const) {
      await waitFor(async () => {
        const s = await callStats(page);
        return s.packets > 25 && s.energy > 0;
      }, { what: `${who} receives audio`, timeoutMs: 20_000 });
      assert.notEqual((await callStats(page)).local, 'relay');
    }
    assert.equal(await alice.getByRole('alert').count(), 0, 'nothing alarming on screen');
    // Alice picks another microphone in the call bar: it is what she sends now, and Bob keeps hearing her.
    await alice.getByRole('button', { name: 'Microphone, camera and speaker' }).click();
    const mic = alice.getByTestId('call-devices').getByLabel('Microphone');
    const mics = await mic.locator('option').allInnerTexts();
    const other = mics.find((m) => m !== mics[0]);
    assert.ok(other, `fake microphones: ${mics.join(', ')}`);
    await mic.selectOption({ label: other });
    const sent = () => alice.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1)?.getSenders()
      .find((x) => x.track?.kind === 'audio')?.track?.label);
    await waitFor(async () => (await sent()) === other, { what: `alice sends ${other}`, timeoutMs: 20_000, intervalMs: 300 });
    const heard = (await callStats(bob)).packets;
    await waitFor(async () => (await callStats(bob)).packets > heard + 25, { what: 'bob hears alice after the switch', timeoutMs: 20_000, intervalMs: 300 });
    await alice.getByRole('button', { name: 'Hang up' }).click();
    await bob.getByTestId('call-bar').waitFor({ state: 'detached', timeout: 20_000 });

    // A video call: Bob's page says so; both see the other's camera (frames decoded) and their own.
    await alice.getByRole('button', { name: 'Video call Bob Brown', exact: true }).click();
    const ring = bob.getByTestId('call-incoming');
    assert.equal((await ring.getByRole('alert').textContent())?.trim(), 'Alice Adams is video calling you');
    await ring.getByRole('button', { name: 'Accept' }).click();
    for (const [who, page] of [['alice', alice], ['bob', bob]] as const) {
      await waitFor(async () => (await callStats(page)).frames > 10, { what: `${who} decodes video`, timeoutMs: 20_000 });
      await waitFor(() => page.getByLabel('Your camera').evaluate((v: HTMLVideoElement) => v.videoWidth > 0), { what: `${who}'s own preview` });
      console.log(`${who} decoded ${(await callStats(page)).frames} video frames`);
    }
    await waitFor(() => bob.getByLabel('Alice Adams’s camera').evaluate((v: HTMLVideoElement) => v.videoWidth > 0 && !v.paused), { what: 'bob sees alice' });
    const camera = alice.getByRole('button', { name: 'Turn camera off' });
    await camera.click();
    assert.equal(await camera.getAttribute('aria-pressed'), 'true');
    await camera.click();
    await screenshot(bob, 'call-video-light');
    assert.deepEqual(await axeViolations(bob), []);
    await bob.emulateMedia({ colorScheme: 'dark' });
    await screenshot(bob, 'call-video-dark');
    await bob.getByRole('button', { name: 'Hang up' }).click();
    await alice.getByTestId('call-bar').waitFor({ state: 'detached', timeout: 20_000 });
    await alice.getByTestId('timeline').getByText(/^Outgoing video call · \d:\d\d$/).waitFor({ timeout: 20_000 });
    for (const page of [alice, bob]) await waitFor(() => micStopped(page), { what: 'camera and microphone stop' });

    await alice.goto(`${url}/#/settings`);
    await alice.getByText('This server has no relay for calls, so calls go straight to the other person.', { exact: false }).waitFor();
    assert.equal(await alice.getByRole('checkbox', { name: 'Relay calls (hides your IP address from the other person)' }).isDisabled(), true);
  });
});
