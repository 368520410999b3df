// Issue 11: Janus's CPU with media at 2-25 participants, measured with light clients so that Janus,
// not the clients, is what the machine spends on (bench/sfu-media.ts uses Chromium pages, which
// saturate 2 cores at ~6 video / 10 audio participants). Debian's Janus 1.1.2, VideoRoom, loopback.
// Each participant is a Parley user of one group chat; its grant (room, token, publisher id) comes
// from the Parley server (POST /calls/room, as the app's), and it joins through the SDK's GroupCall
// (the same Janus requests as the app) with a werift peer (pure TypeScript WebRTC: ICE, DTLS-SRTP,
// RTP; no capture, encoder or decoder) in one of `workers` load processes (lib/sfu-light-worker.ts).
// It publishes pre-made RTP: Opus-sized audio (100 random bytes, 50/s) and VP8-shaped video
// (30 frames/s of 1,250 bytes in two packets, 300 kbit/s; random bytes after a valid VP8 payload
// descriptor: SFrame ciphertext to Janus, which never decodes), and counts the packets its
// subscriber peer receives per stream. The call grows through `sizes` (joins send audio only); at
// each size, once every participant receives every other's audio, Janus's CPU (utime + stime from
// /proc) is measured over a window with audio only, then (up to `videoUpTo`) one with audio and video.
// Usage: node --import tsx bench/sfu-light.ts [sizes=2,5,10,25] [videoUpTo=10] [windowS=10] [workers=2]
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { GroupCallRoom } from '@parley/protocol';
import { createUser, Janus, startTestServer, waitFor } from '@parley/testing';
import { track } from './lib/fixture.ts';
import { round } from './lib/stats.ts';

const sizes = (process.argv[2] ?? '2,5,10,25').split(',').map(Number);
const videoUpTo = Number(process.argv[3] ?? 10);
const windowS = Number(process.argv[4] ?? 10);
const workerCount = Number(process.argv[5] ?? 2);
const max = Math.max(...sizes, 2);

/** CPU seconds of a process so far (utime + stime). */
const cpuOf = (pid: number, file = `/proc/${pid}/stat`) => {
  const fields = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
/** CPU seconds of each thread of a process so far, by thread id. */
const threadsOf = (pid: number) => new Map(readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
  try {
    return [[tid, cpuOf(Number(tid), `/proc/${pid}/task/${tid}/stat`)] as const];
  } catch { return []; /* ended meanwhile */ }
}));
/** The machine's busy CPU seconds so far (all cores), from /proc/stat. */
const machineBusy = () => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  return (f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!) / 100;
};

/** Datagrams the kernel dropped at the UDP sockets of these processes (receive buffer full: the process fell behind), from /proc/net/udp. */
const udpDrops = (pids: number[]): Map<string, number> => {
  const inodes = new Set<string>();
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch { /* closed meanwhile */ }
    }
  }
  return new Map(readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1).map((line) => line.trim().split(/\s+/))
    .filter((f) => inodes.has(f[9]!)).map((f) => [f[9]!, Number(f[12])]));
};
/** Drops since `before`, per socket (one opened since counts from 0; one closed since is left out). */
const dropsSince = (before: Map<string, number>, now: Map<string, number>) => [...now].reduce((a, [inode, n]) => a + n - (before.get(inode) ?? 0), 0);

interface Stream { id: string; kind: string; packets: number }
interface Stats { cpuS: number; sent: { audio: number; video: number }; streams: Stream[]; ended: string[]; reconnects: number }

class Worker {
  readonly child: ChildProcess;
  #waiting = new Map<string, (m: Record<string, unknown>) => void>();
  constructor() {
    this.child = track(fork(fileURLToPath(new URL('./lib/sfu-light-worker.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] }));
    this.child.on('message', (m: Record<string, unknown>) => {
      const key = m.op === 'joined' ? `joined:${String(m.key)}` : String(m.op);
      this.#waiting.get(key)?.(m);
      this.#waiting.delete(key);
    });
  }
  ask(command: Record<string, unknown>, answer: string): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      this.#waiting.set(answer, resolve);
      this.child.send(command);
    });
  }
  ready(): Promise<unknown> {
    return new Promise((resolve) => this.#waiting.set('ready', resolve));
  }
}

const janus = await Janus.start();
const server = await startTestServer({
  PARLEY_JANUS_URL: janus.url, PARLEY_JANUS_ADMIN_URL: janus.adminUrl, PARLEY_JANUS_ADMIN_SECRET: janus.adminSecret,
  PARLEY_JANUS_ROOM_ADMIN_KEY: janus.roomAdminKey, PARLEY_RATE_SFU_ROOM_PER_HOUR: '100000', PARLEY_CALL_MAX_PARTICIPANTS: String(max),
});
const workers = Array.from({ length: workerCount }, () => new Worker());
try {
  await Promise.all(workers.map((w) => w.ready()));
  const users = await Promise.all(Array.from({ length: max }, (_, i) => createUser(server.url, { start: false, displayName: `p${i}` })));
  const { chatId } = await users[0]!.client.createGroup({ name: 'bench', memberIds: users.slice(1).map((u) => u.userId) });
  const stats = async () => (await Promise.all(workers.map((w) => w.ask({ op: 'stats' }, 'stats')))) as unknown as Stats[];
  const setSending = (audio: boolean, video: boolean) => Promise.all(workers.map((w) => w.ask({ op: 'send', audio, video }, 'sending')));
  let joined = 0;
  for (const n of [...new Set(sizes)].sort((a, b) => a - b)) {
    const video = n <= videoUpTo;
    // Joins with audio only (every participant publishes video too, silent until its window): a starved client loses fewer connections.
    await setSending(true, false);
    const joinStarted = performance.now();
    for (; joined < n; joined++) {
      const grant = (await users[joined]!.client.groupCallRoom(chatId)) as GroupCallRoom;
      const reply = await workers[joined % workerCount]!.ask({ op: 'join', key: `p${joined}`, chatId, grant }, `joined:p${joined}`);
      if (reply.error) throw new Error(`p${joined} did not join: ${String(reply.error)}`);
    }
    // Every participant receives every other's audio (or, after a minute, what arrived is measured and said).
    const kinds = ['audio'];
    let short: Array<{ participant: string; kind: string; streams: number }> = [];
    await waitFor(async () => {
      const streams = (await stats()).flatMap((s) => s.streams).filter((s) => s.packets > 0);
      short = Array.from({ length: n }, (_, i) => kinds.map((kind) => ({ participant: `p${i}`, kind, streams: streams.filter((s) => s.kind === kind && s.id.startsWith(`p${i}/`)).length })))
        .flat().filter((r) => r.streams < n - 1);
      return short.length === 0;
    }, { what: `all ${n} participants receive ${n - 1} streams of ${kinds.join(' and ')}`, timeoutMs: 60_000, intervalMs: 1000 }).catch(() => {
      console.log(JSON.stringify({ participants: n, warning: `not every participant receives ${n - 1} streams of each kind after a minute`, short }));
    });
    const joinAllS = (performance.now() - joinStarted) / 1000;
    for (const withVideo of video ? [false, true] : [false]) {
      await setSending(true, withVideo);
      await new Promise((r) => setTimeout(r, 2000)); // settle
      const before = await stats();
      const j0 = cpuOf(janus.child.pid!);
      const threads0 = threadsOf(janus.child.pid!);
      const m0 = machineBusy();
      const clientPids = workers.map((w) => w.child.pid!);
      const drops0 = [udpDrops([janus.child.pid!]), udpDrops(clientPids)];
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, windowS * 1000));
      const after = await stats();
      const seconds = (performance.now() - t0) / 1000;
      const janusS = cpuOf(janus.child.pid!) - j0;
      // Janus runs each handle's media in a thread of its own (event_loops unset): how the work spreads over cores.
      const threadS = [...threadsOf(janus.child.pid!)].map(([tid, s]) => s - (threads0.get(tid) ?? 0)).sort((a, b) => b - a);
      const busyS = machineBusy() - m0;
      const drops = [dropsSince(drops0[0]!, udpDrops([janus.child.pid!])), dropsSince(drops0[1]!, udpDrops(clientPids))];
      const clientsS = after.reduce((a, s, i) => a + s.cpuS - before[i]!.cpuS, 0);
      const was = new Map(before.flatMap((s) => s.streams).map((x) => [x.id, x.packets]));
      const now = after.flatMap((s) => s.streams);
      const delta = (kind: string) => now.filter((x) => x.kind === kind).reduce((a, x) => a + Math.max(0, x.packets - (was.get(x.id) ?? 0)), 0);
      const sentPps = (kind: 'audio' | 'video') => after.reduce((a, s, i) => a + s.sent[kind] - before[i]!.sent[kind], 0) / seconds;
      const audioPps = delta('audio') / seconds;
      const videoPps = delta('video') / seconds;
      // Janus forwards each sent packet to the n - 1 others.
      const expectedPps = (sentPps('audio') + sentPps('video')) * (n - 1);
      const streams = now.filter((x) => x.packets > (was.get(x.id) ?? 0)).length;
      const janusPct = (janusS / seconds) * 100;
      const receivedPps = audioPps + videoPps;
      // What Janus sent: what arrived, plus what the kernel dropped at the clients' sockets when they fell behind (RTP nearly all: RTCP and STUN are a few per second).
      const pps = receivedPps + drops[1]! / seconds;
      console.log(JSON.stringify({
        participants: n, media: withVideo ? 'audio+video 300kbit/s' : 'audio', forwardedStreams: streams, expectedStreams: n * (n - 1) * (withVideo ? 2 : 1), joinAllS: round(joinAllS, 1),
        janusCpuPctOfCore: round(janusPct, 2), perParticipantPct: round(janusPct / n, 3), perForwardedStreamPct: round(janusPct / streams, 4),
        janusThreads: threadS.length, janusThreadsFor90Pct: ((k) => (k < 0 ? threadS.length : k + 1))(threadS.findIndex((_, i) => threadS.slice(0, i + 1).reduce((a, b) => a + b, 0) >= 0.9 * janusS)), janusBusiestThreadPct: round(((threadS[0] ?? 0) / seconds) * 100, 1),
        janusCpuUsPerPacket: round((janusS * 1e6) / (pps * seconds), 2), forwardedPps: round(pps, 0), receivedPps: round(receivedPps, 0), audioPps: round(audioPps, 0), videoPps: round(videoPps, 0),
        sentPps: round(sentPps('audio') + sentPps('video'), 0), receivedOfExpected: round(receivedPps / expectedPps, 3), forwardedOfExpected: round(pps / expectedPps, 3),
        udpDroppedAtJanus: drops[0], udpDroppedAtClients: drops[1], clientsCpuPctOfCore: round((clientsS / seconds) * 100, 1), machineBusyPct: round((busyS / seconds / cpus().length) * 100, 1),
        cores: cpus().length, loadavg1: round(loadavg()[0]!, 2),
        callsEnded: after.flatMap((s) => s.ended), reconnectsInWindow: after.reduce((a, s, i) => a + s.reconnects - before[i]!.reconnects, 0),
      }));
    }
  }
  await Promise.all(workers.map((w) => w.ask({ op: 'leave' }, 'left')));
} finally {
  for (const w of workers) w.child.kill();
  await server.close();
  await janus.close();
}
