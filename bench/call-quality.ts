/**
 * Call audio on lossy links (R65): two Debian Chromiums, one on this host and one in a netns-lab
 * namespace, a coturn on the lab's HOST_IP, relay-only ICE, a speech WAV (espeak-ng) as both fake
 * microphones. Per case (0/5/10/20% random loss on the link, 10% bursty loss through a
 * Gilbert-Elliott UDP relay in front of coturn) and per configuration (the browser's stock Opus,
 * and the client's R65 tuning, plus single-choice variants with `variants=all`), a call of
 * `seconds` s; from getStats of both receivers: packets lost, concealed samples ratio, jitter
 * buffer delay, and an E-model MOS (bench/lib/e-model.ts says the formula). Prints JSON lines,
 * then a table with the stock/tuned ratio. Needs root (namespaces).
 *
 *   node --import tsx bench/call-quality.ts [seconds=15] [cases=0,5,10,20,b10] [variants=stock,tuned|all] [rounds=1]
 *
 * Rounds repeat every case with the configurations interleaved (stock, tuned, stock, tuned…), so a
 * busy machine hurts both alike; the table gives the median over rounds.
 */
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Coturn, NetnsLab } from '@parley/testing';
import { AUDIO_RESILIENCE, type AudioResilience } from '../packages/client/src/calls/audio-resilience.ts';
import { eModel } from './lib/e-model.ts';
import { GilbertElliottRelay } from './lib/gilbert-elliott-relay.ts';

const seconds = Number(process.argv[2] ?? 15);
const cases = (process.argv[3] ?? '0,5,10,20,b10').split(',');
const variantArg = process.argv[4] ?? 'stock,tuned';
const rounds = Number(process.argv[5] ?? 1);

/** A configuration: undefined = stock (no SDP or codec changes at all). */
const VARIANTS: Record<string, AudioResilience | undefined> = {
  stock: undefined,
  // The client's default: RED + FEC, DTX off, and (R165) three earlier frames in each RED packet
  // (audio-redundancy.ts), put there by an encoded transform as a Parley call's SFrame worker does.
  tuned: AUDIO_RESILIENCE,
  'red+fec': { red: true, fec: true, dtx: false }, // the default before R165
  'fec+dtx': { red: false, fec: true, dtx: true },
  'red+fec+dtx': { red: true, fec: true, dtx: true },
  'red+fec+jb80': { red: true, fec: true, dtx: false, jitterBufferTargetMs: 80 },
  'red+fec+pipe': { red: true, fec: true, dtx: false, redDepth: 1 }, // the transform, RED left as the browser makes it: its own cost
  'tuned+red2': { ...AUDIO_RESILIENCE, redDepth: 2 },
  'tuned+red4': { ...AUDIO_RESILIENCE, redDepth: 4 },
};
const variants = variantArg === 'all' ? Object.keys(VARIANTS) : variantArg.split(',');

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'];
const ORIGIN = 'https://call-bench.parley.test/';

/** The page: one peer connection, the fake microphone in, the other side's audio played (a playing sink makes Chromium decode it). */
const PAGE = `<!doctype html><title>call bench</title><script>
window.pc = null;
window.setup = async (iceServers, tune) => {
  const depth = tune && tune.redDepth !== undefined ? tune.redDepth : undefined;
  const pc = window.pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay', ...(depth !== undefined ? { encodedInsertableStreams: true } : {}) });
  const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
  for (const t of mic.getTracks()) {
    const sender = pc.addTrack(t, mic);
    if (depth === undefined) continue;
    const red = new ParleyAudio.RedDeepener(depth);
    const s = sender.createEncodedStreams();
    s.readable.pipeThrough(new TransformStream({ transform(f, c) {
      const md = f.getMetadata();
      const payload = new Uint8Array(f.data);
      const out = red.add({ payload, rtpTimestamp: md.rtpTimestamp, mimeType: md.mimeType });
      if (out !== payload) f.data = out.buffer;
      c.enqueue(f);
    } })).pipeTo(s.writable);
  }
  pc.ontrack = (e) => {
    if (depth !== undefined) { // the receiver's side of the transform passes frames on (a Parley call decrypts here)
      const s = e.receiver.createEncodedStreams();
      s.readable.pipeTo(s.writable);
    }
    const a = new Audio(); a.srcObject = e.streams[0]; a.play(); window.audio = a;
  };
};
const gathered = (pc) => new Promise((r) => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); });
window.offer = async (tune) => {
  if (tune) await ParleyAudio.tuneAudioPeer(pc, tune);
  const o = await pc.createOffer();
  await pc.setLocalDescription({ type: 'offer', sdp: tune ? ParleyAudio.tuneAudioSdp(o.sdp, tune) : o.sdp });
  await gathered(pc); return pc.localDescription.sdp;
};
window.answer = async (sdp, tune) => {
  await pc.setRemoteDescription({ type: 'offer', sdp });
  if (tune) await ParleyAudio.tuneAudioPeer(pc, tune);
  const a = await pc.createAnswer();
  await pc.setLocalDescription({ type: 'answer', sdp: tune ? ParleyAudio.tuneAudioSdp(a.sdp, tune) : a.sdp });
  await gathered(pc); return pc.localDescription.sdp;
};
window.accept = (sdp) => pc.setRemoteDescription({ type: 'answer', sdp });
window.stats = async () => {
  const all = new Map(); (await pc.getStats()).forEach((s) => all.set(s.id, s));
  const out = { state: pc.connectionState };
  for (const s of all.values()) {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') Object.assign(out, { packetsReceived: s.packetsReceived, packetsLost: s.packetsLost, samples: s.totalSamplesReceived,
      concealed: s.concealedSamples, bytes: s.bytesReceived, silentConcealed: s.silentConcealedSamples, events: s.concealmentEvents, jbDelay: s.jitterBufferDelay, jbEmitted: s.jitterBufferEmittedCount,
      fecReceived: s.fecPacketsReceived, energy: s.totalAudioEnergy, codec: all.get(s.codecId)?.mimeType });
    if (s.type === 'outbound-rtp' && s.kind === 'audio') out.sentCodec = all.get(s.codecId)?.mimeType;
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      const pair = all.get(s.selectedCandidatePairId); const local = all.get(pair?.localCandidateId);
      Object.assign(out, { rtt: pair?.currentRoundTripTime, localType: local?.candidateType, relayProtocol: local?.relayProtocol });
    }
  }
  return out;
};
</script>`;

interface Snap { state: string; bytes?: number; packetsReceived?: number; packetsLost?: number; samples?: number; concealed?: number; silentConcealed?: number; events?: number; jbDelay?: number; jbEmitted?: number; fecReceived?: number; energy?: number; codec?: string; sentCodec?: string; rtt?: number; localType?: string; relayProtocol?: string }

async function openPage(browser: Browser, bundle: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.route(ORIGIN, (route) => route.fulfill({ contentType: 'text/html', body: PAGE }));
  await page.goto(ORIGIN);
  await page.addScriptTag({ content: bundle });
  return page;
}

function credentials(turn: Coturn, urls: string[]) {
  const username = `${Math.floor(Date.now() / 1000) + 3600}:bench`;
  return [{ urls, username, credential: createHmac('sha1', turn.secret).update(username).digest('base64') }];
}

function delta(a: Snap, b: Snap) {
  const d = (k: keyof Snap) => Number(b[k] ?? 0) - Number(a[k] ?? 0);
  const samples = d('samples');
  const concealed = d('concealed');
  const events = d('events');
  const received = d('packetsReceived');
  const lost = d('packetsLost');
  const jbMs = d('jbEmitted') > 0 ? (d('jbDelay') / d('jbEmitted')) * 1000 : 0;
  const concealedRatio = samples > 0 ? concealed / samples : 1;
  const meanBurstPackets = events > 0 ? concealed / events / 960 : 1; // 20 ms Opus frames at 48 kHz
  const oneWayDelayMs = jbMs + 20 + ((b.rtt ?? 0) * 1000) / 2 + 10; // jitter buffer + frame + network + capture/playout
  const e = eModel({ concealedRatio, meanBurstPackets, oneWayDelayMs });
  return {
    received, samples, concealed, events, kbps: (d('bytes') * 8) / 1000 / (samples / 48000),
    lossPct: received + lost > 0 ? (100 * lost) / (received + lost) : 0, packetsLost: lost, concealedPct: 100 * concealedRatio,
    jbMs, mos: e.mos, burstR: e.burstR, fec: d('fecReceived'), energy: d('energy'), codec: b.codec, path: `${b.localType}/${b.relayProtocol}`,
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  const work = mkdtempSync(join(tmpdir(), 'parley-callq-'));
  const wav = join(work, 'speech.wav');
  execFileSync('sh', ['-c', `espeak-ng -v en-us -s 150 -w ${work}/raw.wav "The quick brown fox jumps over the lazy dog. Parley calls should stay clear when the network drops packets. Please call me back about the roof tomorrow morning, around nine. We will meet at the station and walk to the market together." && sox ${work}/raw.wav -r 48000 -c 1 -b 16 ${wav}`]);
  const bundle = (await build({
    stdin: { contents: "export * from './audio-resilience.ts'; export * from './audio-redundancy.ts';", resolveDir: fileURLToPath(new URL('../packages/client/src/calls/', import.meta.url)), loader: 'ts' },
    bundle: true, format: 'iife', globalName: 'ParleyAudio', write: false, target: 'es2022',
  })).outputFiles[0]!.text;
  const lab = await NetnsLab.up(`cq${randomBytes(2).toString('hex')}`);
  const cleanup: Array<() => unknown> = [() => lab.down(), () => rmSync(work, { recursive: true, force: true })];
  try {
    const turn = await Coturn.start({ ip: lab.hostIp });
    cleanup.unshift(() => turn.close());
    const args = [...ARGS, `--use-file-for-fake-audio-capture=${wav}`];
    const host = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
    cleanup.unshift(() => host.close());
    const guest = await chromium.launch({ executablePath: lab.chromium(), args });
    cleanup.unshift(() => guest.close());
    const udp = [`turn:${lab.hostIp}:${turn.port}?transport=udp`];
    console.log(JSON.stringify({ bench: 'call-quality', seconds, cases, variants, loadavg: loadavg().map((l) => +l.toFixed(2)), chromium: host.version() }));
    const rows: Array<Record<string, unknown>> = [];
    for (const c of cases) {
      const bursty = c.startsWith('b');
      const loss = Number(bursty ? c.slice(1) : c);
      lab.set({ loss: bursty ? 0 : loss });
      const relay = bursty ? await GilbertElliottRelay.start({ host: lab.hostIp, target: { host: lab.hostIp, port: turn.port }, loss: loss / 100, burst: 3 }) : undefined;
      const guestUrls = relay ? [`turn:${lab.hostIp}:${relay.port}?transport=udp`] : udp;
      for (let round = 1; round <= rounds; round++) for (const v of variants) {
        if (!(v in VARIANTS)) throw new Error(`unknown variant ${v}`);
        const tune = VARIANTS[v] ?? null;
        const a = await openPage(host, bundle);
        const b = await openPage(guest, bundle);
        try {
          await a.evaluate(([s, t]) => (window as any).setup(s, t), [credentials(turn, udp), tune] as const);
          await b.evaluate(([s, t]) => (window as any).setup(s, t), [credentials(turn, guestUrls), tune] as const);
          const offer = await a.evaluate((t) => (window as any).offer(t), tune);
          const answer = await b.evaluate(([o, t]) => (window as any).answer(o, t), [offer, tune] as const);
          await a.evaluate((s) => (window as any).accept(s), answer);
          const snap = (p: Page) => p.evaluate(() => (window as any).stats()) as Promise<Snap>;
          const deadline = Date.now() + 20_000;
          while (((await snap(a)).packetsReceived ?? 0) < 10 || ((await snap(b)).packetsReceived ?? 0) < 10) {
            if (Date.now() > deadline) throw new Error(`${c}/${v}: no audio within 20 s (${JSON.stringify(await snap(b))})`);
            await new Promise((r) => setTimeout(r, 200));
          }
          await new Promise((r) => setTimeout(r, 1000)); // the window starts after the first second
          const [a0, b0] = [await snap(a), await snap(b)];
          await new Promise((r) => setTimeout(r, seconds * 1000));
          const [a1, b1] = [await snap(a), await snap(b)];
          for (const [dir, s0, s1] of [['to-namespace', b0, b1], ['to-host', a0, a1]] as const) {
            const row = { case: c, variant: v, round, dir, ...delta(s0, s1), state: s1.state, sent: s1.sentCodec };
            rows.push(row);
            console.log(JSON.stringify(row, (_k, x) => typeof x === 'number' ? +x.toFixed(3) : x));
          }
        } finally {
          await a.context().close();
          await b.context().close();
        }
      }
      relay?.close();
    }
    console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const median = (xs: number[]) => { const o = [...xs].sort((p, q) => p - q); return o.length % 2 ? o[(o.length - 1) / 2]! : (o[o.length / 2 - 1]! + o[o.length / 2]!) / 2; };
    type Row = { case: string; variant: string; round: number; dir: string; concealedPct: number; lossPct: number; jbMs: number; mos: number; kbps: number };
    const all = rows as unknown as Row[];
    /** Per round: the two directions' mean concealment and loss, the worse MOS. */
    const perRound = (c: string, v: string) => Array.from({ length: rounds }, (_x, i) => all.filter((r) => r.case === c && r.variant === v && r.round === i + 1))
      .filter((rs) => rs.length === 2).map(([x, y]) => ({ concealed: (x!.concealedPct + y!.concealedPct) / 2, loss: (x!.lossPct + y!.lossPct) / 2, jb: (x!.jbMs + y!.jbMs) / 2, mos: Math.min(x!.mos, y!.mos), kbps: (x!.kbps + y!.kbps) / 2 }));
    console.log(`\nmedian of ${rounds} round(s), ${seconds} s each; concealed = % of samples played that were concealed (mean of both directions), MOS = the worse direction`);
    console.log('case  config       concealed %  (range)        loss seen %  jitter buf ms  kbps   MOS    stock/this concealed');
    for (const c of cases) {
      const stock = median(perRound(c, 'stock').map((r) => r.concealed));
      for (const v of variants) {
        const rs = perRound(c, v);
        if (rs.length === 0) continue;
        const conc = median(rs.map((r) => r.concealed));
        const range = `${Math.min(...rs.map((r) => r.concealed)).toFixed(2)}-${Math.max(...rs.map((r) => r.concealed)).toFixed(2)}`;
        console.log([c.padEnd(5), v.padEnd(12), conc.toFixed(2).padEnd(12), `(${range})`.padEnd(14), median(rs.map((r) => r.loss)).toFixed(1).padEnd(12),
          median(rs.map((r) => r.jb)).toFixed(0).padEnd(14), median(rs.map((r) => r.kbps)).toFixed(0).padEnd(6), median(rs.map((r) => r.mos)).toFixed(2).padEnd(6),
          v === 'stock' ? '' : conc > 0 ? `${(stock / conc).toFixed(1)}×` : '∞'].join(' '));
      }
    }
  } finally {
    for (const f of cleanup) await Promise.resolve().then(f).catch((err: unknown) => console.error('cleanup:', err));
  }
}

await main();
