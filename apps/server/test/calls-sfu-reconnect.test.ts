import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { canUseNetns, createUser, cutOff, freePort, Janus, NetnsLab, startTestServer, waitFor, type TestServer } from '@parley/testing';
import { bundleCallPage, joinInPage, launchCallBrowser, openCallPage } from './sfu-pages.ts';

/**
 * R119 through a real Janus: three Chromium pages (fake camera and microphone) in a group call;
 * Carol's browser runs "on another host" (../shared/tools/netns-lab) and her network is cut off
 * entirely for a few seconds (every packet both ways dropped by nftables: `cutOff`, her HTTP to
 * Janus included). Her call says it is reconnecting, restarts ICE on both her peers through Janus,
 * and media flows again both ways at the same publisher id, nobody rejoining. Needs root (CI runs as root).
 */

const LAB = 'gcallcut';
/** How long Carol's network is gone (R119 rides out up to 30 s). */
const CUT_MS = 9_000;

interface Received {
  state: string;
  feedId: number;
  participants: number[];
  peers: string;
  reconnecting: boolean;
  /** Per sending feed: video frames decoded and audio energy received from it. */
  video: Record<number, number>;
  audio: Record<number, number>;
  /** The publisher's and subscriber's local ICE ufrag (an ICE restart changes them). */
  ufrags: string;
}

async function received(page: Page): Promise<Received> {
  return page.evaluate(async () => {
    const call = (window as unknown as { call: any }).call;
    const sub = call.view.subscriber as RTCPeerConnection | undefined;
    const pub = call.view.publisher as RTCPeerConnection | undefined;
    const feedOf = new Map((call.view.streams as Array<{ mid: string; feedId: number }>).map((s) => [s.mid, s.feedId]));
    const video: Record<number, number> = {};
    const audio: Record<number, number> = {};
    if (sub) {
      (await sub.getStats()).forEach((s: any) => {
        const feed = feedOf.get(s.mid);
        if (s.type !== 'inbound-rtp' || feed === undefined) return;
        if (s.kind === 'video') video[feed] = s.framesDecoded ?? 0;
        if (s.kind === 'audio') audio[feed] = s.totalAudioEnergy ?? 0;
      });
    }
    const ufrag = (pc?: RTCPeerConnection) => /a=ice-ufrag:(\S+)/.exec(pc?.currentLocalDescription?.sdp ?? '')?.[1] ?? '';
    return {
      state: `${call.view.state}${call.view.endReason ? ` (${call.view.endReason})` : ''}`, feedId: call.view.feedId, participants: call.view.participants.map((p: { feedId: number }) => p.feedId).sort(),
      peers: `${pub?.connectionState}/${sub?.connectionState}`, reconnecting: call.view.reconnectingSince !== undefined, video, audio,
      ufrags: `${ufrag(pub)}/${ufrag(sub)}`,
    };
  });
}

describe('R119 a group call through Janus rides out a network that drops (netns-lab)', { timeout: 180_000, skip: canUseNetns() ? false : 'needs root and ../shared/tools/netns-lab' }, () => {
  const cleanup: Array<() => unknown> = [];
  let lab: NetnsLab;
  let janus: Janus;
  let server: TestServer;
  let host: Browser;
  let away: Browser;

  before(async () => {
    try {
      lab = await NetnsLab.up(LAB);
      cleanup.push(() => lab.down());
      janus = await Janus.start({ ip: lab.hostIp });
      cleanup.push(() => janus.close());
      const port = await freePort();
      server = await startTestServer({
        HOST: lab.hostIp, PORT: String(port), PARLEY_ORIGIN: `http://localhost:${port}`,
        PARLEY_JANUS_URL: janus.url, PARLEY_JANUS_ADMIN_URL: janus.adminUrl, PARLEY_JANUS_ADMIN_SECRET: janus.adminSecret, PARLEY_JANUS_ROOM_ADMIN_KEY: janus.roomAdminKey,
      });
      cleanup.push(() => server.close());
      // localhost (a secure context for WebRTC) is the lab's host address, for both browsers.
      const args = [`--host-resolver-rules=MAP localhost ${lab.hostIp}`];
      host = await launchCallBrowser({ args });
      cleanup.push(() => host.close());
      away = await launchCallBrowser({ executablePath: lab.chromium(), args });
      cleanup.push(() => away.close());
    } catch (err) {
      await runCleanup(cleanup);
      throw err;
    }
  });
  after(() => runCleanup(cleanup));

  it('R119 Carol\'s network is gone for 9 s: her call says reconnecting, restarts ICE through Janus, and media flows both ways again at the same publisher id', async () => {
    const api = `http://${lab.hostIp}:${new URL(server.url).port}`;
    const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((displayName) => createUser(api, { start: false, displayName })));
    const { chatId } = await alice!.client.createGroup({ name: 'Entrance 2', memberIds: [bob!.userId, carol!.userId] });
    const grants = await Promise.all([alice, bob, carol].map((u) => u!.client.groupCallRoom(chatId)));
    const script = await bundleCallPage();
    const pages: Page[] = [];
    for (const [i, grant] of grants.entries()) {
      const page = await openCallPage(i === 2 ? away : host, `http://localhost:${new URL(server.url).port}`, script);
      await joinInPage(page, { chatId, grant, width: 320, height: 240 });
      pages.push(page);
    }
    const [alicePage, bobPage, carolPage] = pages as [Page, Page, Page];
    const [aliceFeed, bobFeed, carolFeed] = grants.map((g) => g.feedId) as [number, number, number];
    const flowing = (r: Received, from: number[]) => from.every((f) => (r.video[f] ?? 0) > 10 && (r.audio[f] ?? 0) > 0);
    await waitFor(async () => {
      const [a, b, c] = await Promise.all(pages.map(received));
      return flowing(a!, [bobFeed, carolFeed]) && flowing(b!, [aliceFeed, carolFeed]) && flowing(c!, [aliceFeed, bobFeed]);
    }, { what: 'media between all three', timeoutMs: 60_000, intervalMs: 500 });
    const before = await received(carolPage);

    const cut = cutOff(lab);
    try {
      await waitFor(async () => (await received(carolPage)).reconnecting, { what: 'Carol\'s call says it is reconnecting', timeoutMs: CUT_MS });
      // Meanwhile her device moves to another network: a new address, the old one gone (Wi-Fi to mobile).
      moveNetwork(lab);
      await new Promise((r) => setTimeout(r, CUT_MS - 4_000));
      assert.equal((await received(carolPage)).state, 'joined', 'the call is not left while the network is gone');
    } finally {
      cut.restore();
    }
    // After the cut: what each had received then, and media keeps coming in from then on, both ways.
    const back = await Promise.all(pages.map(received));
    const grows = (now: Received, then: Received, from: number[]) => from.every((f) => (now.video[f] ?? 0) > (then.video[f] ?? 0) + 20 && (now.audio[f] ?? 0) > (then.audio[f] ?? 0));
    let last: Received[] = [];
    await waitFor(async () => {
      last = await Promise.all(pages.map(received));
      return grows(last[2]!, back[2]!, [aliceFeed, bobFeed]) && grows(last[0]!, back[0]!, [carolFeed]) && grows(last[1]!, back[1]!, [carolFeed]) && !last[2]!.reconnecting;
    }, { what: 'media flows again both ways', timeoutMs: 40_000, intervalMs: 500 }).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify(last)}\n${janus.recentLog.slice(-1500)}`);
    });
    const carolNow = last[2]!;
    assert.equal(carolNow.state, 'joined');
    assert.equal(carolNow.feedId, before.feedId, 'the same publisher id: no rejoin');
    assert.deepEqual(carolNow.participants, [aliceFeed, bobFeed].sort());
    for (const r of last.slice(0, 2)) assert.ok(r.participants.includes(carolFeed), 'the others still have Carol in the room');
    const [pubBefore, subBefore] = before.ufrags.split('/');
    const [pubNow, subNow] = carolNow.ufrags.split('/');
    assert.notEqual(pubNow, pubBefore, 'the publisher came back through an ICE restart');
    assert.notEqual(subNow, subBefore, 'the subscriber came back through an ICE restart');
    assert.equal(await carolPage.evaluate(() => (window as unknown as { reconnectingSeen: boolean }).reconnectingSeen), true);
    for (const page of [alicePage, bobPage, carolPage]) await page.evaluate(() => (window as unknown as { call: any }).call.leave());
  });
});

/**
 * The lab's device gets a new address on a new subnet and loses its old one (its default route
 * goes through the host's new address); the host's old address, where the servers listen, stays
 * reachable through that route. Every connection and ICE candidate of the old address is dead.
 */
function moveNetwork(lab: NetnsLab): void {
  const [a, b, c] = lab.hostIp.split('.');
  const net = `${a}.${Number(b) + 1}.${c}`;
  const [hostDev, peerDev] = [`vh${lab.name}`, `vp${lab.name}`];
  const inLab = (...args: string[]) => execFileSync('ip', ['netns', 'exec', lab.name, 'ip', ...args], { stdio: 'ignore' });
  execFileSync('ip', ['addr', 'add', `${net}.1/30`, 'dev', hostDev], { stdio: 'ignore' });
  inLab('addr', 'add', `${net}.2/30`, 'dev', peerDev);
  inLab('route', 'replace', 'default', 'via', `${net}.1`);
  inLab('addr', 'del', `${lab.peerIp}/30`, 'dev', peerDev);
}

async function runCleanup(steps: Array<() => unknown>): Promise<void> {
  while (steps.length > 0) {
    const step = steps.pop()!;
    await Promise.resolve().then(step).catch((err: unknown) => console.error('cleanup:', err));
  }
}
