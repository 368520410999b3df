/**
 * R65: time from the callee's Accept to the first audio heard, on loopback, through the real web
 * app (a Parley server serving the built client, two people in Debian's Chromium with fake
 * microphones). Per round: Alice calls, Bob's page clicks Accept and stamps the time; each page
 * polls its getStats every 10 ms until inbound audio has energy. Direct (server without TURN) and
 * relay-only through a loopback coturn. Prints JSON lines and a summary (median, max).
 *
 *   node --import tsx bench/call-first-audio.ts [rounds=5]
 */
import { loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { Coturn, uniqueHandle } from '@parley/testing';
import { closeWebWorld, openWebWorld, personPage, signUp } from '../apps/web/e2e/browser.ts';

const rounds = Number(process.argv[2] ?? 5);
const MEDIA = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'];
const RECORD_PEERS = `(() => {
  const Native = window.RTCPeerConnection;
  const seen = window.__pcs = [];
  window.RTCPeerConnection = class extends Native { constructor(config) { super(config); seen.push(this); } };
})();`;

/** Resolves with Date.now() when the page's latest call first has inbound audio with energy (a string: tsx's helpers don't exist in the page). */
function firstAudioAt(page: Page): Promise<number> {
  return page.evaluate(`new Promise((resolve) => {
    const tick = async () => {
      const pc = window.__pcs.at(-1);
      let heard = false;
      if (pc && pc.connectionState !== 'closed') (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio' && Number(s.totalAudioEnergy ?? 0) > 0) heard = true; });
      if (heard) resolve(Date.now()); else setTimeout(tick, 10);
    };
    tick();
  })`) as Promise<number>;
}

async function measure(label: string, env: Record<string, string>, relay: boolean): Promise<number[]> {
  const world = await openWebWorld(env, MEDIA);
  const out: number[] = [];
  try {
    const alice = (await personPage(world.browser)).page;
    const bob = (await personPage(world.browser)).page;
    for (const p of [alice, bob]) await p.addInitScript(RECORD_PEERS);
    const bobHandle = uniqueHandle('bob');
    await signUp(alice, world.url, 'Alice Adams', uniqueHandle('alice'));
    await signUp(bob, world.url, 'Bob Brown', bobHandle);
    if (relay) {
      for (const p of [alice, bob]) {
        await p.goto(`${world.url}/#/settings`);
        await p.getByRole('checkbox', { name: 'Relay calls (hides your IP address from the other person)' }).check();
        await p.reload();
        await p.getByRole('heading', { name: 'Chats' }).waitFor({ timeout: 30_000 });
      }
    }
    await alice.goto(`${world.url}/#/u/${bobHandle}`);
    await alice.getByRole('textbox', { name: 'Message' }).fill('hello');
    await alice.getByRole('textbox', { name: 'Message' }).press('Enter');
    await bob.getByTestId('chat-row').filter({ hasText: 'Alice Adams' }).or(bob.getByTestId('requests-row')).first().waitFor({ timeout: 30_000 });
    for (let i = 0; i < rounds; i++) {
      await alice.getByRole('button', { name: 'Call Bob Brown', exact: true }).click();
      const accept = bob.getByTestId('call-incoming').getByRole('button', { name: 'Accept' });
      await accept.waitFor({ timeout: 30_000 });
      const [bobHeard, aliceHeard, acceptedAt] = await Promise.all([firstAudioAt(bob), firstAudioAt(alice),
        bob.evaluate(() => { const at = Date.now(); ([...document.querySelectorAll('button')].find((b) => b.textContent === 'Accept') as HTMLButtonElement).click(); return at; })]);
      const row = { bench: 'call-first-audio', path: label, round: i + 1, calleeMs: bobHeard - acceptedAt, callerMs: aliceHeard - acceptedAt };
      out.push(Math.max(row.calleeMs, row.callerMs));
      console.log(JSON.stringify(row));
      await alice.getByRole('button', { name: 'Hang up' }).click();
      await bob.getByTestId('call-bar').waitFor({ state: 'detached', timeout: 20_000 });
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await closeWebWorld(world);
  }
  return out;
}

const direct = await measure('direct', {}, false);
const turn = await Coturn.start();
let relayed: number[];
try {
  relayed = await measure('relay (coturn, UDP)', { PARLEY_TURN_URLS: turn.urls.join(','), PARLEY_TURN_SECRET: turn.secret }, true);
} finally {
  await turn.close();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
console.log(`\naccept → first audio on both sides (ms), ${rounds} calls each, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`direct:  median ${median(direct)}, max ${Math.max(...direct)}`);
console.log(`relay:   median ${median(relayed)}, max ${Math.max(...relayed)}`);
