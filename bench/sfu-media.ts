// Issue 11: Janus's CPU with media in group calls of N participants (Debian's Janus 1.1.2, the
// VideoRoom plugin, loopback): N pages of one Chromium (fake camera and microphone) join one room
// through the SDK's GroupCall (sfu-page-join.ts, as the SFU tests do), each publishing and
// subscribing to every other. Once every page receives every other's streams, Janus's CPU (utime +
// stime from /proc) and the packets the pages receive are counted over a window. Frames are not
// SFrame-encrypted here: Janus forwards the same packets either way (R64), and the pages' CPU is
// what limits N on a 2-core machine.
// Usage: node --import tsx bench/sfu-media.ts [sizes=2,4,6,10,25] [videoUpTo=10] [windowS=20]
//   sizes: participants per call; videoUpTo: calls up to this size publish the camera (320x180,
//   15 fps, no simulcast) and the microphone, larger ones the microphone only.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { createUser, Janus, startTestServer, waitFor } from '@parley/testing';
import { bundleCallPage, joinInPage, launchCallBrowser, openCallPage } from '../apps/server/test/sfu-pages.ts';
import { round } from './lib/stats.ts';

const sizes = (process.argv[2] ?? '2,4,6,10,25').split(',').map(Number);
const videoUpTo = Number(process.argv[3] ?? 10);
const windowS = Number(process.argv[4] ?? 20);
const PAGES_PER_BROWSER = 6;

const janus = await Janus.start();
const server = await startTestServer({
  PARLEY_JANUS_URL: janus.url, PARLEY_JANUS_ADMIN_URL: janus.adminUrl, PARLEY_JANUS_ADMIN_SECRET: janus.adminSecret,
  PARLEY_JANUS_ROOM_ADMIN_KEY: janus.roomAdminKey, PARLEY_RATE_SFU_ROOM_PER_HOUR: '100000',
  PARLEY_CALL_MAX_PARTICIPANTS: String(Math.max(...sizes, 2)),
});
/** CPU seconds of a process so far (utime + stime). */
const cpuOf = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
/** The machine's busy CPU seconds so far (all cores), from /proc/stat. */
const machineBusy = () => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  return (f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!) / 100;
};

/** Inbound RTP streams a page receives now: by kind, with their packets so far. */
function inbound(page: Page): Promise<Array<{ id: string; kind: string; packets: number; frames: number }>> {
  return page.evaluate(`(async () => {
    const out = [];
    for (const [i, pc] of (window.__pcs ?? []).entries()) {
      if (pc.connectionState === 'closed') continue;
      pc.__n = i;
      (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp') out.push({ id: pc.__n + ':' + s.id, kind: s.kind, packets: s.packetsReceived ?? 0, frames: s.framesDecoded ?? 0 }); });
    }
    return out;
  })()`);
}
const RECORD_PEERS = `(() => { const N = window.RTCPeerConnection; const seen = window.__pcs = []; window.RTCPeerConnection = class extends N { constructor(c) { super(c); seen.push(this); } }; })();`;

try {
  const script = await bundleCallPage();
  for (const n of sizes) {
    const video = n <= videoUpTo;
    const users = await Promise.all(Array.from({ length: n }, (_, i) => createUser(server.url, { start: false, displayName: `p${i}` })));
    const { chatId } = await users[0]!.client.createGroup({ name: `bench ${n}`, memberIds: users.slice(1).map((u) => u.userId) });
    // One Chromium per PAGES_PER_BROWSER pages: one browser's fake audio source stops starting after about 8 captures.
    const browsers = await Promise.all(Array.from({ length: Math.ceil(n / PAGES_PER_BROWSER) }, () => launchCallBrowser()));
    try {
      const pages: Page[] = [];
      const joinStarted = performance.now();
      for (const [i, u] of users.entries()) {
        const grant = await u.client.groupCallRoom(chatId);
        const page = await openCallPage(browsers[Math.floor(i / PAGES_PER_BROWSER)]!, server.url, script, RECORD_PEERS);
        await joinInPage(page, { chatId, grant, width: 320, height: 180, fps: 15, video });
        pages.push(page);
      }
      const kinds = video ? 2 : 1;
      // Every page receives every other's streams (or, after 3 minutes, what arrived is measured and said).
      let receiving: number[] = [];
      await waitFor(async () => {
        receiving = (await Promise.all(pages.map(inbound))).map((streams) => streams.filter((s) => s.packets > 0).length);
        return receiving.every((k) => k >= (n - 1) * kinds);
      }, { what: `all ${n} pages receive ${n - 1} × ${kinds} streams`, timeoutMs: 180_000, intervalMs: 1000 }).catch(() => {
        console.log(JSON.stringify({ participants: n, warning: 'not every page receives every stream after 3 minutes', receivingPerPage: receiving }));
      });
      const joinedS = (performance.now() - joinStarted) / 1000;
      await new Promise((r) => setTimeout(r, 5000)); // settle
      const count = async () => (await Promise.all(pages.map(async (p, i) => (await inbound(p)).map((x) => ({ ...x, id: `${i}/${x.id}` }))))).flat();
      const before = await count();
      const j0 = cpuOf(janus.child.pid!);
      const m0 = machineBusy();
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, windowS * 1000));
      const seconds = (performance.now() - t0) / 1000;
      const janusS = cpuOf(janus.child.pid!) - j0;
      const busyS = machineBusy() - m0;
      const after = await count();
      // Per stream (the same page, peer and stats id before and after): a stream that came or went in the window counts from zero.
      const was0 = new Map(before.map((x) => [x.id, x]));
      const delta = (kind: string, key: 'packets' | 'frames') => after.filter((x) => x.kind === kind).reduce((a, x) => a + Math.max(0, x[key] - (was0.get(x.id)?.[key] ?? 0)), 0);
      const audioPps = delta('audio', 'packets') / seconds;
      const videoPps = delta('video', 'packets') / seconds;
      const fps = delta('video', 'frames') / seconds;
      // Streams Janus forwards: those whose packets grew in the window.
      const grew = (kind: string) => after.filter((x) => x.kind === kind && x.packets > (was0.get(x.id)?.packets ?? 0)).length;
      const streams = grew('audio') + grew('video');
      const janusPct = (janusS / seconds) * 100;
      console.log(JSON.stringify({
        participants: n, media: video ? 'audio+video 320x180@15' : 'audio', forwardedStreams: streams, expectedStreams: n * (n - 1) * kinds, joinAllS: round(joinedS, 1),
        janusCpuPctOfCore: round(janusPct, 2), perParticipantPct: round(janusPct / n, 3), perForwardedStreamPct: round(janusPct / streams, 4),
        forwardedPps: round(audioPps + videoPps, 0), audioPps: round(audioPps, 0), videoPps: round(videoPps, 0),
        janusCpuUsPerPacket: round((janusS * 1e6) / ((audioPps + videoPps) * seconds), 2),
        expectedVideoFps: video ? n * (n - 1) * 15 : 0, decodedVideoFps: round(fps, 0),
        machineBusyPct: round((busyS / seconds / cpus().length) * 100, 1), cores: cpus().length, loadavg1: round(loadavg()[0]!, 2),
      }));
    } finally {
      await Promise.all(browsers.map((b) => b.close()));
      await Promise.all(users.map((u) => u.client.stop()));
    }
  }
} finally {
  await server.close();
  await janus.close();
}
