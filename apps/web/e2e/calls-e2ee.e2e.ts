import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { uniqueHandle, waitFor } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { closeWebWorld, openWebWorld, personPage, screenshot, signUp, writeAndAccept, type WebWorld } from './browser.ts';

/**
 * The fake microphone plays beeps of two tones at once, 440 and 1010 Hz (not harmonics of one
 * pitch), 0.4 s on and 0.2 s off: steady enough to find, not so steady that noise suppression eats
 * it. Two, because garbage decoded as Opus can happen to buzz near one frequency.
 */
const TONES_HZ = [440, 1010] as const;

/**
 * Test hooks, chosen per page load by sessionStorage (the app has none): keeps every
 * RTCPeerConnection on `window.__pcs` and the epoch of every frame key handed to a worker on `window.__epochs`; 'wrong-key' flips a bit of every frame key the page hands
 * its frame-crypto worker (a receiver with the wrong key); 'no-decrypt' drops the receive-side
 * transform, so the other side's frames reach the decoder as they came over the wire;
 * 'insertable-streams' hides RTCRtpScriptTransform, as in browsers that only have the older API.
 * A string: a transpiled function could carry the bundler's helpers into the page.
 */
const HOOKS = `(() => {
  const Native = window.RTCPeerConnection;
  const seen = window.__pcs = [];
  window.RTCPeerConnection = class extends Native { constructor(config) { super(config); seen.push(this); } };
  const epochs = window.__epochs = [];
  const postEpoch = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (m, transfer) {
    if (m && m.type === 'epoch') epochs.push(Number(m.key.epoch));
    return postEpoch.call(this, m, transfer);
  };
  const mode = sessionStorage.getItem('parley-test-frames');
  if (mode === 'wrong-key') {
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (m, transfer) {
      if (m && m.type === 'epoch') { const k = m.key.baseKey.slice(); k[0] ^= 1; m = { ...m, key: { ...m.key, baseKey: k } }; }
      return post.call(this, m, transfer);
    };
  } else if (mode === 'insertable-streams') {
    delete window.RTCRtpScriptTransform;
  } else if (mode === 'no-decrypt') {
    const d = Object.getOwnPropertyDescriptor(RTCRtpReceiver.prototype, 'transform');
    Object.defineProperty(RTCRtpReceiver.prototype, 'transform', { configurable: true, get: d.get, set() {} });
  }
})();`;

interface Inbound { packets: number; energy: number; samples: number; concealed: number; videoPackets: number; videoFrames: number; videoCodec?: string | undefined }

function inbound(page: Page): Promise<Inbound> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1);
    const out: Inbound = { packets: 0, energy: 0, samples: 0, concealed: 0, videoPackets: 0, videoFrames: 0 };
    if (!pc) return out;
    const all = new Map<string, Record<string, unknown>>();
    (await pc.getStats()).forEach((s: Record<string, unknown>) => all.set(s.id as string, s));
    for (const s of all.values()) {
      if (s.type !== 'inbound-rtp') continue;
      if (s.kind === 'audio') {
        out.packets = Number(s.packetsReceived ?? 0);
        out.energy = Number(s.totalAudioEnergy ?? 0);
        out.samples = Number(s.totalSamplesReceived ?? 0);
        out.concealed = Number(s.concealedSamples ?? 0);
      } else if (s.kind === 'video') {
        out.videoPackets = Number(s.packetsReceived ?? 0);
        out.videoFrames = Number(s.framesDecoded ?? 0);
        out.videoCodec = all.get(s.codecId as string)?.mimeType as string | undefined;
      }
    }
    return out;
  });
}

/** What the page plays of the other side for `ms`: its loudness and, per tone, the part of its power in 100-4000 Hz within 20 Hz of it. */
function listen(page: Page, ms = 2000): Promise<{ rms: number; shares: number[] }> {
  return page.evaluate(async ({ tones, ms }) => {
    const audio = document.querySelector('[data-testid="call-audio"]') as HTMLAudioElement;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 8192;
    analyser.smoothingTimeConstant = 0;
    ctx.createMediaStreamSource(audio.srcObject as MediaStream).connect(analyser);
    const freq = new Float32Array(analyser.frequencyBinCount);
    const time = new Float32Array(analyser.fftSize);
    const binHz = ctx.sampleRate / analyser.fftSize;
    const tone = tones.map(() => 0);
    let total = 0, rms = 0, n = 0;
    for (const end = performance.now() + ms; performance.now() < end; n++) {
      await new Promise((r) => setTimeout(r, 100));
      analyser.getFloatFrequencyData(freq);
      analyser.getFloatTimeDomainData(time);
      freq.forEach((db, i) => {
        const f = i * binHz;
        if (f < 100 || f > 4000) return; // the band speech and the tone live in
        const p = 10 ** (db / 10);
        total += p;
        tones.forEach((hz, t) => { if (Math.abs(f - hz) <= 20) tone[t]! += p; });
      });
      rms += Math.sqrt(time.reduce((s, x) => s + x * x, 0) / time.length);
    }
    await ctx.close();
    return { rms: rms / Math.max(1, n), shares: tone.map((x) => (total > 0 ? x / total : 0)) };
  }, { tones: [...TONES_HZ], ms });
}

const MEDIA_FLAGS = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'];

/**
 * R64 in Debian's Chromium: 1:1 calls are end-to-end encrypted frame by frame (SFrame with the
 * chat's MLS keys, RTCRtpScriptTransform in a worker); what a receiver without the key gets.
 */
describe('end-to-end encrypted call media in the browser', { timeout: 240_000 }, () => {
  let world: WebWorld;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-e2ee-call-'));
    const wav = join(dir, 'beeps.wav');
    execFileSync('sox', ['-n', '-r', '48000', '-c', '2', '-b', '16', wav, 'synth', '0.4', 'sine', String(TONES_HZ[0]), 'sine', String(TONES_HZ[1]), 'remix', '1,2', 'vol', '0.4', 'pad', '0', '0.2', 'repeat', '99']);
    world = await openWebWorld({}, [...MEDIA_FLAGS, `--use-file-for-fake-audio-capture=${wav}`]);
  });
  after(async () => {
    await closeWebWorld(world ?? {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Alice and Bob (test hooks in) in a direct chat Alice opened; Bob accepted it. */
  async function pair(bobHandle: string) {
    const { browser, url } = world;
    const alice = (await personPage(browser)).page;
    const bob = (await personPage(browser)).page;
    for (const page of [alice, bob]) await page.addInitScript(HOOKS);
    await Promise.all([signUp(alice, url, 'Alice Adams', uniqueHandle('alice')), signUp(bob, url, 'Bob Brown', bobHandle)]);
    await writeAndAccept(alice, bob, url, bobHandle, 'Alice Adams', 'Call me?');
    await bob.getByTestId('chat-row').filter({ hasText: 'Alice Adams' }).waitFor({ timeout: 30_000 });
    return { alice, bob, chatUrl: alice.url() };
  }

  it('R64 a call carries the tones only through the frame keys: with them Bob hears them and the bars say "End-to-end encrypted"; with a wrong key nothing decodes while packets keep coming; without decryption the frames are noise, not Opus of the tones; the Insertable Streams fallback talks to RTCRtpScriptTransform both ways; VP8 video decodes only with the keys', async () => {
    const { url } = world;
    const { alice, bob, chatUrl } = await pair(uniqueHandle('bob'));

    /** Bob's page in `mode` (reloaded so the hook is in before the app), Alice calls, Bob answers; resolves once audio packets arrive. */
    const call = async (mode: 'normal' | 'wrong-key' | 'no-decrypt' | 'insertable-streams', media: 'voice' | 'video' = 'voice') => {
      await bob.evaluate((m) => sessionStorage.setItem('parley-test-frames', m), mode);
      await bob.goto(`${url}/#/`);
      await bob.reload();
      await bob.getByRole('heading', { name: 'Chats' }).waitFor({ timeout: 20_000 });
      await alice.goto(chatUrl);
      await alice.getByRole('button', { name: media === 'video' ? 'Video call Bob Brown' : 'Call Bob Brown', exact: true }).click();
      const ring = bob.getByTestId('call-incoming');
      await ring.waitFor({ timeout: 20_000 });
      await ring.getByRole('button', { name: 'Accept' }).click();
      for (const page of [alice, bob]) await waitFor(async () => /^\d+:\d\d$/.test((await page.getByTestId('call-state').textContent()) ?? ''), { what: `the ${mode} call connects`, timeoutMs: 20_000 });
      await waitFor(async () => (await inbound(bob)).packets > 100, { what: `bob gets alice's packets (${mode})`, timeoutMs: 20_000 });
      const start = await inbound(bob);
      const heard = await listen(bob);
      const end = await inbound(bob);
      console.log(`${mode}: bob got ${end.packets - start.packets} packets, ${end.samples - start.samples} samples (${end.concealed - start.concealed} concealed), energy +${(end.energy - start.energy).toFixed(4)}; plays rms ${heard.rms.toFixed(4)}, ${heard.shares.map((x, i) => `${(x * 100).toFixed(1)}% at ${TONES_HZ[i]} Hz`).join(', ')}`);
      return { start, end, heard };
    };
    const hangUp = async () => {
      await alice.getByTestId('call-bar').getByRole('button', { name: 'Hang up' }).click();
      await bob.getByTestId('call-bar').waitFor({ state: 'detached', timeout: 20_000 });
    };

    // With the keys: the tones arrive, and both bars say the call is end-to-end encrypted.
    const normal = await call('normal');
    for (const page of [alice, bob]) assert.equal(await page.getByTestId('call-e2ee').textContent(), 'End-to-end encrypted');
    assert.ok(normal.end.energy > normal.start.energy, 'audio energy grows');
    assert.equal(await bob.getByTestId('call-undecryptable').count(), 0, 'no warning when the keys match');
    assert.ok(normal.heard.shares.every((x) => x > 0.2) && normal.heard.shares[0]! + normal.heard.shares[1]! > 0.8, `the two tones are what Bob hears: ${normal.heard.shares}`);
    await screenshot(alice, 'call-e2ee-bar');
    await hangUp();

    // A receiver with a wrong key: packets keep arriving, nothing decodes, nothing is heard.
    const wrong = await call('wrong-key');
    assert.ok(wrong.end.packets - wrong.start.packets > 50, 'packets keep arriving');
    assert.ok(wrong.end.energy - wrong.start.energy < 1e-6, `no audio energy: ${wrong.end.energy - wrong.start.energy}`);
    assert.ok(wrong.heard.rms < 1e-4, `silence: rms ${wrong.heard.rms}`);
    const warning = bob.getByTestId('call-undecryptable');
    await warning.waitFor({ timeout: 10_000 });
    assert.equal(await warning.textContent(), 'Nothing from Alice Adams can be decrypted: your devices do not share the call’s keys. Hang up and call again.');
    await screenshot(bob, 'call-undecryptable');
    assert.deepEqual(await axeViolations(bob), []);
    await hangUp();

    // The frames as they travel, given to the decoder as they are: not Opus of the tones.
    const raw = await call('no-decrypt');
    assert.ok(raw.end.packets - raw.start.packets > 50, 'packets keep arriving');
    // (How much of it decodes at all depends on how the call's SFrame header, the same at the start
    // of every frame, reads as an Opus TOC byte: seen from none to 75 % of samples concealed.)
    assert.ok(!raw.heard.shares.every((x) => x > 0.2), `what does decode is not the tones: ${raw.heard.shares}`);
    await hangUp();

    // Bob's browser with only Insertable Streams (createEncodedStreams): the same frames, both ways.
    const older = await call('insertable-streams');
    assert.ok(older.heard.shares.every((x) => x > 0.2), `Bob hears the tones: ${older.heard.shares}`);
    const aliceHears = await listen(alice);
    assert.ok(aliceHears.shares.every((x) => x > 0.2), `Alice hears Bob's tones: ${aliceHears.shares}`);
    assert.equal(await bob.getByTestId('call-e2ee').textContent(), 'End-to-end encrypted');
    await hangUp();

    // Video (VP8, its payload header left clear): decoded with the keys, not one frame with a wrong key.
    const video = await call('normal', 'video');
    await waitFor(async () => (await inbound(bob)).videoFrames > 20, { what: 'bob decodes alice\'s video', timeoutMs: 20_000 });
    assert.equal((await inbound(bob)).videoCodec, 'video/VP8');
    assert.ok(video.heard.shares.every((x) => x > 0.2), 'and hears the tones');
    await hangUp();
    await call('wrong-key', 'video');
    const v0 = await inbound(bob);
    await waitFor(async () => (await inbound(bob)).videoPackets > v0.videoPackets + 100, { what: 'video packets keep arriving', timeoutMs: 20_000 });
    const v1 = await inbound(bob);
    console.log(`wrong-key video: bob got ${v1.videoPackets} video packets, decoded ${v1.videoFrames} frames`);
    assert.equal(v1.videoFrames, 0, 'no video frame decodes without the key');
    await hangUp();
  });
  it('R64 mid-call rotation: Bob links a new device during the call, the group moves to a new epoch, both ends switch frame keys and the tones keep coming', async () => {
    const { browser, url } = world;
    const bobHandle = uniqueHandle('bob');
    const { alice, bob } = await pair(bobHandle);
    await alice.getByRole('button', { name: 'Call Bob Brown', exact: true }).click();
    await bob.getByTestId('call-incoming').getByRole('button', { name: 'Accept' }).click();
    await waitFor(async () => (await inbound(bob)).packets > 100 && (await inbound(alice)).packets > 100, { what: 'audio both ways', timeoutMs: 20_000 });
    const epochs = (page: Page) => page.evaluate(() => (window as unknown as { __epochs: number[] }).__epochs.slice());
    const [a0, b0] = [await epochs(alice), await epochs(bob)];
    assert.equal(a0.length, 1);
    assert.deepEqual(b0, a0, 'both ends start in the same epoch');

    // A new browser asks to join Bob's account; Bob approves it with its code while the call goes on.
    const { page: tablet } = await personPage(browser);
    await tablet.goto(url);
    await tablet.getByRole('button', { name: 'Link to a device you already use' }).click();
    await tablet.getByLabel('Handle').fill(bobHandle);
    await tablet.getByRole('button', { name: 'Continue' }).click();
    const code = ((await tablet.getByTestId('link-code').textContent()) ?? '').replace(' ', '');
    const prompt = bob.getByTestId('link-prompt');
    await prompt.waitFor({ timeout: 15_000 });
    await prompt.getByTestId('link-code-input').fill(code);
    await prompt.getByRole('button', { name: 'Approve' }).click();
    await tablet.getByRole('heading', { name: 'Chats' }).waitFor({ timeout: 30_000 });

    // The commit that adds the tablet moves both ends of the call to the new epoch's key.
    await waitFor(async () => (await epochs(alice)).length > 1 && (await epochs(bob)).length > 1, { what: 'both ends get a newer epoch key', timeoutMs: 45_000 });
    const [a1, b1] = [await epochs(alice), await epochs(bob)];
    console.log(`frame key epochs: alice ${a1.join(' → ')}, bob ${b1.join(' → ')}`);
    assert.ok(a1.at(-1)! > a0[0]! && b1.at(-1)! > b0[0]!);
    await new Promise((r) => setTimeout(r, 1000));
    for (const [who, page] of [['bob', bob], ['alice', alice]] as const) {
      const heard = await listen(page);
      console.log(`${who} after the rotation: rms ${heard.rms.toFixed(4)}, ${heard.shares.map((x, i) => `${(x * 100).toFixed(1)}% at ${TONES_HZ[i]} Hz`).join(', ')}`);
      assert.ok(heard.shares.every((x) => x > 0.2), `${who} still hears the tones: ${heard.shares}`);
    }
    assert.equal(await bob.getByTestId('call-undecryptable').count(), 0);
    await alice.getByTestId('call-bar').getByRole('button', { name: 'Hang up' }).click();
    await bob.getByTestId('call-bar').waitFor({ state: 'detached', timeout: 20_000 });
  });
});
