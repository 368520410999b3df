import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { defaultWebDist } from '@parley/server';
import { blockTcpFrom, canUseNetns, Coturn, freePort, NetnsLab, startTestServer, uniqueHandle, waitFor, type TestServer } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { launchBrowser, personPage, screenshot, signUp, writeAndAccept } from './browser.ts';

/**
 * R65 on a bad network (../shared/tools/netns-lab: Bob's browser runs "on another host", a network
 * namespace joined by a veth pair; loss and blocking by nftables). A real coturn on the lab's host
 * address with UDP, TCP and TLS on 443 (a certificate made here), a speech WAV as both microphones.
 * Needs root (CI runs as root); everything it starts is stopped and the namespace removed in
 * `after`, whatever failed.
 */

/** What getStats says of the page's latest peer connection: the path and the audio received. */
interface NetStats { local?: string; relayProtocol?: string; packets: number; lost: number; energy: number; samples: number; concealed: number; jbMs: number; codecs: string }

const RECORD_PEERS = `(() => {
  const Native = window.RTCPeerConnection;
  const seen = window.__pcs = [];
  const log = window.__pcLog = [];
  window.RTCPeerConnection = class extends Native { constructor(config) {
    super(config); seen.push(this); const t0 = Date.now();
    this.addEventListener('connectionstatechange', () => log.push((Date.now() - t0) + 'ms ' + this.connectionState + '/' + this.iceConnectionState));
    this.addEventListener('icecandidate', (e) => e.candidate && log.push((Date.now() - t0) + 'ms candidate ' + e.candidate.type + '/' + (e.candidate.relayProtocol || '-')));
    this.addEventListener('icecandidateerror', (e) => log.push((Date.now() - t0) + 'ms candidate error ' + e.url + ' ' + e.errorCode));
  } };
})();`;

function netStats(page: Page): Promise<NetStats> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1);
    const out: NetStats = { packets: 0, lost: 0, energy: 0, samples: 0, concealed: 0, jbMs: 0, codecs: '' };
    if (!pc) return out;
    const all = new Map<string, Record<string, unknown>>();
    (await pc.getStats()).forEach((s: Record<string, unknown>) => all.set(s.id as string, s));
    for (const s of all.values()) {
      if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') {
        const local = all.get(all.get(s.selectedCandidatePairId)?.localCandidateId as string);
        out.local = local?.candidateType as string;
        out.relayProtocol = local?.relayProtocol as string;
      }
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out.packets = Number(s.packetsReceived ?? 0);
        out.lost = Number(s.packetsLost ?? 0);
        out.energy = Number(s.totalAudioEnergy ?? 0);
        out.samples = Number(s.totalSamplesReceived ?? 0);
        out.concealed = Number(s.concealedSamples ?? 0);
        const emitted = Number(s.jitterBufferEmittedCount ?? 0);
        out.jbMs = emitted > 0 ? (Number(s.jitterBufferDelay ?? 0) / emitted) * 1000 : 0;
      }
    }
    // The audio section of the negotiated SDP: the codecs in the order both sides agreed.
    const audio = pc.currentRemoteDescription?.sdp.split('m=').find((m) => m.startsWith('audio')) ?? '';
    out.codecs = [...audio.matchAll(/a=rtpmap:\d+ ([^/\r\n]+)/g)].map((m) => m[1]).slice(0, 2).join(',');
    return out;
  });
}

const WAV_TEXT = 'Can you hear me? The roof leaks again after the storm. Please bring the long ladder and the blue tarp tomorrow morning.';
const MEDIA = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'];
const LAB = 'pnetcall';
/** How long each call is listened to (the figures it prints are over this window). */
const LISTEN_MS = 8000;

describe('R65 calls on a bad network (netns-lab)', { timeout: 150_000, skip: canUseNetns() ? false : 'needs root and ../shared/tools/netns-lab' }, () => {
  const cleanup: Array<() => unknown> = [];
  let lab: NetnsLab;
  let turn: Coturn;
  let server: TestServer;
  let alice: Page;
  let bob: Page;
  let url: string;

  before(async () => {
    try {
      const work = mkdtempSync(join(tmpdir(), 'parley-netcall-'));
      cleanup.push(() => rmSync(work, { recursive: true, force: true }));
      for (const [bin, pkg] of [['/usr/bin/espeak-ng', 'espeak-ng'], ['/usr/bin/sox', 'sox'], ['/usr/bin/openssl', 'openssl']] as const) {
        if (!existsSync(bin)) execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg}`], { stdio: 'inherit' });
      }
      const wav = join(work, 'speech.wav');
      execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', join(work, 'raw.wav'), WAV_TEXT]);
      execFileSync('sox', [join(work, 'raw.wav'), '-r', '48000', '-c', '1', '-b', '16', wav]);
      lab = await NetnsLab.up(LAB);
      cleanup.push(() => lab.down());
      // TURN over TLS on 443 with a certificate made here for the lab's host address.
      const [cert, key] = [join(work, 'turn.crt'), join(work, 'turn.key')];
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${lab.hostIp}`,
        '-addext', `subjectAltName=IP:${lab.hostIp}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
      turn = await Coturn.start({ ip: lab.hostIp, tls: { port: 443, cert, key } });
      // Chromium checks a TURN server's TLS certificate like a web site's: this one is trusted by its
      // key's hash only (a real server has a certificate from a public CA, docs/OPERATIONS.md).
      const spki = execFileSync('sh', ['-c', `openssl x509 -in ${cert} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`], { encoding: 'utf8' }).trim();
      cleanup.push(() => turn.close());
      // The server on the lab's host address; both browsers open it as http://localhost:PORT (a secure context, the passkeys' RP ID).
      const port = await freePort();
      url = `http://localhost:${port}`;
      server = await startTestServer({ HOST: lab.hostIp, PORT: String(port), PARLEY_ORIGIN: url, PARLEY_WEB_DIST: defaultWebDist(), PARLEY_TURN_URLS: turn.urls.join(','), PARLEY_TURN_SECRET: turn.secret });
      cleanup.push(() => server.close());
      const args = [...MEDIA, `--use-file-for-fake-audio-capture=${wav}`, `--host-resolver-rules=MAP localhost ${lab.hostIp}`, `--ignore-certificate-errors-spki-list=${spki}`];
      const hostBrowser = await launchBrowser(args);
      cleanup.push(() => hostBrowser.close());
      const labBrowser: Browser = await chromium.launch({ executablePath: lab.chromium(), args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...args] });
      cleanup.push(() => labBrowser.close());
      alice = (await personPage(hostBrowser)).page;
      bob = (await personPage(labBrowser)).page;
      for (const page of [alice, bob]) await page.addInitScript(RECORD_PEERS);
      const bobHandle = uniqueHandle('bob');
      await Promise.all([signUp(alice, url, 'Alice Adams', uniqueHandle('alice')), signUp(bob, url, 'Bob Brown', bobHandle)]);
      // Relay calls on both sides: the media goes through coturn on the lab's host address, so the lab's loss applies both ways.
      await Promise.all([relayCallsOn(alice, url), relayCallsOn(bob, url)]);
      await writeAndAccept(alice, bob, url, bobHandle, 'Alice Adams', 'Calling you from the site office');
    } catch (err) {
      await runCleanup(cleanup);
      throw err;
    }
  });
  after(() => runCleanup(cleanup));

  /** Alice calls, Bob accepts; both bars count the call's time and both sides hear the other. */
  async function connectedCall(): Promise<void> {
    await alice.getByRole('button', { name: 'Call Bob Brown', exact: true }).click();
    await bob.getByTestId('call-incoming').getByRole('button', { name: 'Accept' }).click({ timeout: 30_000 });
    for (const [who, page] of [['alice', alice], ['bob', bob]] as const) {
      await waitFor(async () => {
        const ended = await page.getByTestId('call-ended').textContent({ timeout: 100 }).catch(() => null);
        if (ended) {
          const logs = await Promise.all([alice, bob].map((p) => p.evaluate(() => (window as unknown as { __pcLog: string[] }).__pcLog.join(', '))));
          throw new Error(`${who}'s call ended before it connected: ${ended} (alice's peers: ${logs[0]}; bob's: ${logs[1]})`);
        }
        return /^\d+:\d\d$/.test((await page.getByTestId('call-state').textContent({ timeout: 1000 }).catch(() => '')) ?? '');
      }, { what: `${who}'s call connects`, timeoutMs: 45_000, intervalMs: 200 });
    }
    for (const [who, page] of [['alice', alice], ['bob', bob]] as const) {
      await waitFor(async () => { const s = await netStats(page); return s.packets > 25 && s.energy > 0; }, { what: `${who} hears the other side`, timeoutMs: 20_000 });
    }
  }

  /** Listens for LISTEN_MS; prints and returns what each side received in that window. */
  async function listen(label: string): Promise<Record<'alice' | 'bob', NetStats & { concealedRatio: number }>> {
    const start = { alice: await netStats(alice), bob: await netStats(bob) };
    await new Promise((r) => setTimeout(r, LISTEN_MS));
    const out = {} as Record<'alice' | 'bob', NetStats & { concealedRatio: number }>;
    for (const [who, page] of [['alice', alice], ['bob', bob]] as const) {
      const s = await netStats(page);
      const a = start[who];
      const samples = s.samples - a.samples;
      const window = { ...s, packets: s.packets - a.packets, lost: s.lost - a.lost, energy: s.energy - a.energy, samples, concealed: s.concealed - a.concealed, concealedRatio: samples > 0 ? (s.concealed - a.concealed) / samples : 1 };
      out[who] = window;
      console.log(`${label}: ${who} received ${window.packets} packets (${window.lost} lost, ${(100 * window.lost / Math.max(1, window.packets + window.lost)).toFixed(1)}%), ` +
        `${(100 * window.concealedRatio).toFixed(2)}% of samples concealed, jitter buffer ${s.jbMs.toFixed(0)} ms, energy ${window.energy.toFixed(3)}, codecs ${s.codecs}, path ${s.local}/${s.relayProtocol ?? '-'}`);
    }
    return out;
  }

  /** What a page's call has sent of audio so far (all its peers). */
  async function audioSent(page: Page): Promise<{ bytes: number; packets: number }> {
    return page.evaluate(`(async () => {
      let bytes = 0, packets = 0;
      for (const pc of window.__pcs) (await pc.getStats()).forEach((s) => { if (s.type === 'outbound-rtp' && s.kind === 'audio') { bytes += s.bytesSent; packets += s.packetsSent; } });
      return { bytes, packets };
    })()`) as Promise<{ bytes: number; packets: number }>;
  }

  /** Hangs up whatever call is live (also after a failed assertion, so the next test can call). */
  async function hangUp(): Promise<void> {
    for (const page of [alice, bob]) {
      if (await page.getByTestId('call-bar').count() > 0) { await page.getByRole('button', { name: 'Hang up' }).click(); break; }
    }
    for (const page of [alice, bob]) await page.getByTestId('call-bar').waitFor({ state: 'detached', timeout: 30_000 });
  }

  it('R65 Bob\'s link loses 10% of packets both ways: the call connects, stays up, both hear speech (RED first, FEC asked for, DTX off), the bar says the path', async () => {
    lab.set({ loss: 10 });
    try {
      await connectedCall();
      await new Promise((r) => setTimeout(r, 3000)); // R165: the loss is read every 2 s before RED goes deeper
      const sentBefore = { alice: await audioSent(alice), bob: await audioSent(bob) };
      const heard = await listen('10% loss');
      await screenshot(bob, 'call-bar-path-udp');
      for (const who of ['alice', 'bob'] as const) {
        const s = heard[who];
        // ICE may settle on the relay over TCP when the first UDP checks were lost: then TCP hides the
        // loss (retransmissions, no RTP loss) and costs delay instead. The lossy leg is Bob's (the lab's):
        // both sides see RTP loss only when Bob's leg to the relay is UDP.
        assert.equal(s.local, 'relay');
        if (heard.bob.relayProtocol === 'udp') assert.ok(s.lost > 0, `${who}: the link did lose packets`);
        assert.ok(s.energy > 0 && s.samples > 0, `${who}: speech was decoded and played`);
        assert.ok(s.concealedRatio < 0.2, `${who}: most of the speech arrived (${(100 * s.concealedRatio).toFixed(1)}% concealed)`);
        assert.equal(s.codecs, 'red,opus', `${who}: RED is negotiated ahead of Opus`);
      }
      for (const page of [alice, bob]) {
        const [, m, sec] = /^(\d+):(\d\d)$/.exec((await page.getByTestId('call-state').textContent()) ?? '') ?? [];
        assert.ok(Number(m) * 60 + Number(sec) >= LISTEN_MS / 1000, 'the call is still up, counting');
        // Under loss ICE may settle on any relay pair the credentials offer, TLS on 443 included (the path shown must be one of them).
        assert.match((await page.getByTestId('call-path').textContent()) ?? '', /^Through the relay \((UDP|TCP|TLS)\)$/);
      }
      const sdp = await bob.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1)?.currentLocalDescription?.sdp ?? '');
      const opus = /a=fmtp:111 ([^\r\n]*)/.exec(sdp)?.[1]?.split(';') ?? [];
      for (const p of ['useinbandfec=1', 'usedtx=0', 'stereo=0']) assert.ok(opus.includes(p), `Bob asks for ${p} (${opus.join(';')})`);
      // R165: on a lossy link each RED packet carries three earlier frames, not the browser's one: about four Opus
      // frames' bytes a packet (~300 here) against two (~150) with the browser's RED, over the listening window.
      for (const who of ['alice', 'bob'] as const) {
        const [a, b] = [sentBefore[who], await audioSent(who === 'alice' ? alice : bob)];
        const perPacket = (b.bytes - a.bytes) / Math.max(1, b.packets - a.packets);
        console.log(`10% loss: ${who} sends ${perPacket.toFixed(0)} bytes per audio packet`);
        const page = who === 'alice' ? alice : bob;
        const said = await page.evaluate(() => `depth ${document.documentElement.dataset['redDepth']}, loss read ${document.documentElement.dataset['redLoss']}`);
        // Only when Bob's leg is UDP does anyone see RTP loss (over TCP or TLS the relay retransmits): then RED stays shallow.
        if (heard.bob.relayProtocol === 'udp') assert.ok(perPacket > 220, `${who}'s audio packets carry the deeper RED (${perPacket.toFixed(0)} bytes each; ${said})`);
      }
    } finally {
      await hangUp();
    }
  });

  it('R65 Bob\'s network drops all UDP and TCP to the relay\'s plain port: the call connects through TURN over TLS on 443 and carries speech; his bar says so', async () => {
    lab.set({ blockUdp: true });
    const firewall = blockTcpFrom(lab, [turn.port]); // the relay's plain TCP port; the web app's own port stays open
    cleanup.push(() => firewall.remove());
    try {
      await connectedCall();
      const heard = await listen('UDP blocked');
      assert.equal(heard.bob.local, 'relay');
      assert.equal(heard.bob.relayProtocol, 'tls', 'Bob reaches the relay over TLS');
      for (const who of ['alice', 'bob'] as const) assert.ok(heard[who].energy > 0 && heard[who].packets > 100, `${who} hears speech`);
      assert.equal(await bob.getByTestId('call-path').textContent(), 'Through the relay (TLS)');
      await screenshot(bob, 'call-bar-path-tls');
      assert.deepEqual(await axeViolations(bob), []);
    } finally {
      await hangUp();
    }
  });
});

/** Settings → Relay calls (read when the client is created: the page reloads). */
async function relayCallsOn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/#/settings`);
  await page.getByRole('checkbox', { name: 'Relay calls (hides your IP address from the other person)' }).check();
  await page.reload();
  await page.getByRole('heading', { name: 'Chats' }).waitFor({ timeout: 30_000 });
}

async function runCleanup(steps: Array<() => unknown>): Promise<void> {
  while (steps.length > 0) {
    const step = steps.pop()!;
    await Promise.resolve().then(step).catch((err: unknown) => console.error('cleanup:', err));
  }
}
