// A load process of bench/sfu-light.ts: light WebRTC participants (werift, pure TypeScript, no
// codecs) in one Janus VideoRoom call, each joined through the SDK's GroupCall with a grant the
// Parley server issued, publishing pre-made RTP (no capture, no encoder) and counting the RTP
// packets its subscriber peer receives per stream (no decoder). Driven over IPC:
//   {op:'join', key, chatId, grant}  → {op:'joined', key} once its publisher peer is connected
//   {op:'send', audio, video}        → what every participant here sends from now on
//   {op:'stats'}                     → {op:'stats', streams, cpuS, sent}
//   {op:'leave'}                     → {op:'left'}
import { randomBytes } from 'node:crypto';
import type { GroupCallRoom } from '@parley/protocol';
import { RTCDtlsTransport, RTCPeerConnection, RtpHeader, RtpPacket, SrtpAuthenticationError, useAbsSendTime, useOPUS, useSdesMid, useTransportWideCC, useVP8, type RTCRtpSender } from 'werift';
import { GroupCall } from '../../packages/client/src/calls/group-call.ts';
import type { CallPeer } from '../../packages/client/src/calls/calls.ts';

/** Opus at ~40 kbit/s with SFrame's header and tag: 100 bytes every 20 ms. */
const AUDIO_BYTES = 100;
const AUDIO_PPS = 50;
/** VP8-shaped video: 30 frames/s of ~1,250 bytes (300 kbit/s), two packets each; a key frame every 3 s. */
const VIDEO_FPS = 30;
const VIDEO_FRAME_BYTES = 1250;
const KEY_EVERY = 90;

interface Participant {
  key: string;
  call: GroupCall;
  audio?: RTCRtpSender;
  video?: RTCRtpSender;
  seq: { audio: number; video: number };
  frame: number;
  /** Received RTP packets per subscriber track (by mid), with its kind. */
  received: Map<string, { kind: string; packets: number }>;
  /** R119: times its call said it was reconnecting (a peer lost its path: a starved process misses ICE consent checks). */
  reconnects?: number;
  reconnecting?: boolean;
}

const participants: Participant[] = [];
const DECRYPT = process.env.BENCH_SFU_DECRYPT === '1';

/**
 * The light receive path: a subscriber's transport counts each SRTP packet (SSRC and payload type
 * are in the clear) and drops it as werift drops one that fails authentication, before any
 * decryption or parsing. Publishers receive only RTCP (SRTCP, untouched).
 */
const counters = new WeakMap<RTCDtlsTransport, (packet: Buffer) => void>();
const UNREAD = new SrtpAuthenticationError('counted, not read (bench)');
const updateSrtp = RTCDtlsTransport.prototype.updateSrtpSession;
RTCDtlsTransport.prototype.updateSrtpSession = function (this: RTCDtlsTransport) {
  updateSrtp.call(this);
  const count = counters.get(this);
  if (count) this.srtp.decrypt = (packet: Buffer) => { count(packet); throw UNREAD; };
};

/** Payload type → kind, from the m-lines of Janus's offer. */
function kindsOf(sdp: string): Map<number, string> {
  const kinds = new Map<number, string>();
  for (const m of sdp.matchAll(/^m=(audio|video) \d+ \S+ ([\d ]+)/gm)) for (const pt of m[2]!.trim().split(' ')) kinds.set(Number(pt), m[1]!);
  return kinds;
}
const noise = randomBytes(64 * 1024);
let sending = { audio: false, video: false };
const sent = { audio: 0, video: 0 };

/** A slice of random bytes (ciphertext to Janus, which never decodes media). */
const payload = (bytes: number, at: number) => {
  const from = at % (noise.length - bytes);
  return noise.subarray(from, from + bytes);
};

function peerFactory(): CallPeer {
  return new RTCPeerConnection({
    iceServers: [], iceUseIpv6: false,
    codecs: { audio: [useOPUS()], video: [useVP8()] },
    // As Chromium's: transport-wide sequence numbers (Janus answers with transport-cc feedback) and abs-send-time on video.
    headerExtensions: { audio: [useSdesMid(), useTransportWideCC()], video: [useSdesMid(), useAbsSendTime(), useTransportWideCC()] },
  }) as unknown as CallPeer;
}

function sendAudio(p: Participant): void {
  if (!p.audio) return;
  const seq = p.seq.audio++;
  const header = new RtpHeader({ sequenceNumber: seq & 0xffff, timestamp: (seq * 960) >>> 0, payloadType: 111, marker: false });
  void p.audio.sendRtp(new RtpPacket(header, payload(AUDIO_BYTES, seq * 7))).catch(() => undefined);
  sent.audio++;
}

/** One VP8 frame in two packets: payload descriptor (S bit, 15-bit picture id), then random bytes; the first byte of a frame says key (P=0) or delta. */
function sendVideoFrame(p: Participant): void {
  if (!p.video) return;
  const frame = p.frame++;
  const key = frame % KEY_EVERY === 0;
  const halves = [Math.ceil(VIDEO_FRAME_BYTES / 2), Math.floor(VIDEO_FRAME_BYTES / 2)];
  halves.forEach((bytes, i) => {
    const body = Buffer.from(payload(bytes, frame * 13 + i));
    const descriptor = Buffer.from([i === 0 ? 0x90 : 0x80, 0x80, 0x80 | ((frame >> 8) & 0x7f), frame & 0xff]);
    if (i === 0) {
      // VP8 frame tag: P bit 0 for a key frame, whose start code and 320x180 follow.
      body[0] = key ? 0x10 : 0x11;
      if (key) Buffer.from([0x00, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00]).copy(body, 1);
    }
    const seq = p.seq.video++;
    const header = new RtpHeader({ sequenceNumber: seq & 0xffff, timestamp: (frame * 3000) >>> 0, payloadType: 96, marker: i === 1 });
    void p.video!.sendRtp(new RtpPacket(header, Buffer.concat([descriptor, body]))).catch(() => undefined);
    sent.video++;
  });
}

/** Paced by elapsed time (a late tick catches up), so a busy process still sends its rates. */
const started = performance.now();
const due = { audio: 0, video: 0 };
setInterval(() => {
  const t = (performance.now() - started) / 1000;
  const audioNow = Math.floor(t * AUDIO_PPS);
  const videoNow = Math.floor(t * VIDEO_FPS);
  for (; due.audio < audioNow; due.audio++) if (sending.audio) for (const p of participants) sendAudio(p);
  for (; due.video < videoNow; due.video++) if (sending.video) for (const p of participants) sendVideoFrame(p);
}, 10);

async function join(key: string, chatId: string, grant: GroupCallRoom): Promise<void> {
  const p = { key, seq: { audio: 1, video: 1 }, frame: 0, received: new Map() } as unknown as Participant;
  let published: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => { published = resolve; });
  // reconnectMs: a starved load process can miss ICE checks for a while; it restarts ICE (counted) rather than leave.
  p.call = await GroupCall.join({ chatId, room: async () => grant, peer: peerFactory, reconnectMs: 120_000, onChange: (view) => {
    if (view.reconnectingSince !== undefined) p.reconnects = (p.reconnects ?? 0) + (p.reconnecting ? 0 : 1);
    p.reconnecting = view.reconnectingSince !== undefined;
  } }, {
    prepare: (peerLike, role) => {
      const peer = peerLike as unknown as RTCPeerConnection;
      if (role === 'publisher') {
        p.audio = peer.addTransceiver('audio', { direction: 'sendonly' }).sender;
        p.video = peer.addTransceiver('video', { direction: 'sendonly' }).sender;
        peer.connectionStateChange.subscribe((state) => { if (state === 'connected') published(); });
      } else {
        if (!DECRYPT) {
          const setRemote = peer.setRemoteDescription.bind(peer);
          peer.setRemoteDescription = async (d: Parameters<typeof setRemote>[0]) => {
            const done = await setRemote(d);
            const kinds = kindsOf(d.sdp ?? '');
            const count = (packet: Buffer) => {
              const id = `ssrc${packet.readUInt32BE(8)}`;
              let stream = p.received.get(id);
              if (!stream) p.received.set(id, stream = { kind: kinds.get(packet[1]! & 0x7f) ?? 'other', packets: 0 });
              stream.packets++;
            };
            for (const t of peer.dtlsTransports) counters.set(t, count);
            return done;
          };
          return;
        }
        peer.onTrack.subscribe((track) => {
          const mid = `${peer.getTransceivers().find((t) => t.receiver.track === track || t.receiver.tracks.includes(track))?.mid ?? track.id}`;
          const stream = { kind: track.kind, packets: 0 };
          p.received.set(`${mid}:${track.ssrc ?? ''}`, stream);
          track.onReceiveRtp.subscribe(() => { stream.packets++; });
        });
      }
    },
  });
  participants.push(p);
  await connected;
}

process.on('message', (m: { op: string; key?: string; chatId?: string; grant?: GroupCallRoom; audio?: boolean; video?: boolean }) => {
  const reply = (r: unknown) => process.send!(r);
  if (m.op === 'join') {
    join(m.key!, m.chatId!, m.grant!).then(() => reply({ op: 'joined', key: m.key }), (err: unknown) => reply({ op: 'joined', key: m.key, error: String(err) }));
  } else if (m.op === 'send') {
    sending = { audio: m.audio === true, video: m.video === true };
    reply({ op: 'sending' });
  } else if (m.op === 'stats') {
    const cpu = process.cpuUsage();
    reply({
      op: 'stats', cpuS: (cpu.user + cpu.system) / 1e6, sent: { ...sent },
      ended: participants.flatMap((p) => (p.call.view.state === 'left' ? [`${p.key}: ${p.call.view.endReason ?? ''}`] : [])),
      reconnects: participants.reduce((a, p) => a + (p.reconnects ?? 0), 0),
      streams: participants.flatMap((p) => [...p.received].map(([id, s]) => ({ id: `${p.key}/${id}`, kind: s.kind, packets: s.packets }))),
    });
  } else if (m.op === 'leave') {
    Promise.all(participants.map((p) => p.call.leave().catch(() => undefined))).then(() => reply({ op: 'left' }));
  }
});
process.send!({ op: 'ready' });
