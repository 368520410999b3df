import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { defaultWebDist } from '@parley/server';
import { canUseNetns, Coturn, cutOff, freePort, NetnsLab, startTestServer, uniqueHandle, waitFor, type TestServer } from '@parley/testing';
import { axeViolations } from './axe.ts';
import { launchBrowser, personPage, screenshot, signUp, writeAndAccept } from './browser.ts';

/**
 * R102 on a network that goes away and comes back (../shared/tools/netns-lab: Bob's browser runs
 * "on another host", a network namespace; every packet both ways is dropped, the web app's WebSocket
 * included, by nftables: `cutOff`). Relay-only ICE through a real coturn on the lab's host address, fake media with a tone.
 * Needs root (CI runs as root); everything it starts is stopped and the namespace removed in `after`.
 */

const RECORD_PEERS = `(() => {
  const Native = window.RTCPeerConnection;
  const seen = window.__pcs = [];
  window.RTCPeerConnection = class extends Native { constructor(config) { super(config); seen.push(this); } };
})();`;

/** The audio the page's latest peer connection received so far, and the ICE credentials of both sides now. */
interface Received { bytes: number; energy: number; localUfrag: string; remoteUfrag: string; state: string }
function received(page: Page): Promise<Received> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1);
    const out: Received = { bytes: 0, energy: 0, localUfrag: '', remoteUfrag: '', state: pc?.connectionState ?? 'none' };
    if (!pc) return out;
    (await pc.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out.bytes = Number(s.bytesReceived ?? 0);
        out.energy = Number(s.totalAudioEnergy ?? 0);
      }
    });
    out.localUfrag = /a=ice-ufrag:(\S+)/.exec(pc.currentLocalDescription?.sdp ?? '')?.[1] ?? '';
    out.remoteUfrag = /a=ice-ufrag:(\S+)/.exec(pc.currentRemoteDescription?.sdp ?? '')?.[1] ?? '';
    return out;
  });
}

const MEDIA = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'];
const LAB = 'precall';
/** How long Bob's network is gone (under R102's 30 s). */
const CUT_MS = 12_000;

describe('R102 a call rides out a network that drops (netns-lab)', { timeout: 180_000, skip: canUseNetns() ? false : 'needs root and ../shared/tools/netns-lab' }, () => {
  const cleanup: Array<() => unknown> = [];
  let lab: NetnsLab;
  let server: TestServer;
  let alice: Page;
  let bob: Page;

  before(async () => {
    try {
      lab = await NetnsLab.up(LAB);
      cleanup.push(() => lab.down());
      const turn = await Coturn.start({ ip: lab.hostIp });
      cleanup.push(() => turn.close());
      const port = await freePort();
      const url = `http://localhost:${port}`;
      server = await startTestServer({ HOST: lab.hostIp, PORT: String(port), PARLEY_ORIGIN: url, PARLEY_WEB_DIST: defaultWebDist(), PARLEY_TURN_URLS: turn.urls.join(','), PARLEY_TURN_SECRET: turn.secret });
      cleanup.push(() => server.close());
      const args = [...MEDIA, `--host-resolver-rules=MAP localhost ${lab.hostIp}`];
      const hostBrowser = await launchBrowser(args);
      cleanup.push(() => hostBrowser.close());
      const labBrowser: Browser = await chromium.launch({ executablePath: lab.chromium(), args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...args] });
      cleanup.push(() => labBrowser.close());
      alice = (await personPage(hostBrowser)).page;
      bob = (await personPage(labBrowser)).page;
      for (const page of [alice, bob]) await page.addInitScript(RECORD_PEERS);
      const bobHandle = uniqueHandle('bob');
      await Promise.all([signUp(alice, url, 'Alice Adams', uniqueHandle('alice')), signUp(bob, url, 'Bob Brown', bobHandle)]);
      await Promise.all([relayCallsOn(alice, url), relayCallsOn(bob, url)]);
      await writeAndAccept(alice, bob, url, bobHandle, 'Alice Adams', 'Call me when you are in the lift');
    } catch (err) {
      await runCleanup(cleanup);
      throw err;
    }
  });
  after(() => runCleanup(cleanup));

  const counting = async (page: Page) => /^\d+:\d\d$/.test((await page.getByTestId('call-state').textContent({ timeout: 1000 }).catch(() => '')) ?? '');

  it('R102 Bob\'s network is gone for 12 s: both bars say "Reconnecting…", Alice\'s device restarts ICE, the same call comes back and audio flows again both ways', async () => {
    await alice.getByRole('button', { name: 'Call Bob Brown', exact: true }).click();
    await bob.getByTestId('call-incoming').getByRole('button', { name: 'Accept' }).click({ timeout: 30_000 });
    for (const page of [alice, bob]) await waitFor(() => counting(page), { what: 'the call connects', timeoutMs: 45_000, intervalMs: 200 });
    for (const page of [alice, bob]) await waitFor(async () => (await received(page)).energy > 0, { what: 'audio flows', timeoutMs: 20_000 });
    const before = { alice: await received(alice), bob: await received(bob) };

    const cut = cutOff(lab);
    try {
      for (const [who, page] of [['alice', alice], ['bob', bob]] as const) {
        await page.getByTestId('call-state').filter({ hasText: 'Reconnecting…' }).waitFor({ timeout: 15_000 }).catch((err: unknown) => {
          throw new Error(`${who}'s bar does not say reconnecting`, { cause: err });
        });
      }
      await screenshot(alice, 'call-reconnecting');
      assert.deepEqual(await axeViolations(alice), []);
      await new Promise((r) => setTimeout(r, CUT_MS - 5000));
      assert.equal(await alice.getByTestId('call-bar').count(), 1, 'the call is not hung up while the network is gone');
    } finally {
      cut.restore();
    }

    for (const page of [alice, bob]) await waitFor(() => counting(page), { what: 'the bar counts the call again', timeoutMs: 30_000, intervalMs: 200 });
    const back = { alice: await received(alice), bob: await received(bob) };
    for (const who of ['alice', 'bob'] as const) {
      // Audio flows again: received bytes and energy keep growing after the network came back.
      await waitFor(async () => {
        const now = await received(who === 'alice' ? alice : bob);
        return now.bytes > back[who].bytes + 20_000 && now.energy > back[who].energy;
      }, { what: `${who} hears the other side again`, timeoutMs: 20_000 });
    }
    // The path came back through an ICE restart (fresh credentials on both sides), not a new call.
    await waitFor(async () => (await received(bob)).remoteUfrag !== before.bob.remoteUfrag, { what: 'Bob applied a restart offer from Alice', timeoutMs: 10_000 });
    await waitFor(async () => (await received(alice)).remoteUfrag !== before.alice.remoteUfrag, { what: 'Alice applied Bob\'s restart answer', timeoutMs: 10_000 });
    assert.equal(await alice.evaluate(() => (window as unknown as { __pcs: unknown[] }).__pcs.length), 1, 'one peer connection all along');
    const [, m, s] = /^(\d+):(\d\d)$/.exec((await alice.getByTestId('call-state').textContent()) ?? '') ?? [];
    assert.ok(Number(m) * 60 + Number(s) >= CUT_MS / 1000, 'the call\'s time counts from its start, across the drop');
    await screenshot(bob, 'call-reconnected');
    await alice.getByRole('button', { name: 'Hang up' }).click();
    for (const page of [alice, bob]) await page.getByTestId('call-bar').waitFor({ state: 'detached', timeout: 30_000 });
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
