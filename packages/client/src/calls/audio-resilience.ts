/**
 * R65: what the client does so a call's voice survives lossy links. Pure SDP rewriting (testable
 * in Node) plus feature-detected calls on the browser's RTCPeerConnection; a peer without those
 * (the SDK's Node tests' fake) is left as it is. Each choice was measured: bench/call-quality.ts,
 * docs/BENCHMARKS.md "Call quality on lossy links".
 */
export interface AudioResilience {
  /** Send RED (RFC 2198) with Opus inside, first in the codec order, where the browser offers `red/48000/2`. */
  red: boolean;
  /** Opus in-band FEC (LBRR): each packet carries a low-rate copy of the previous frame. */
  fec: boolean;
  /** Opus DTX: almost nothing is sent during silence (saves bandwidth; measured to cost concealment under loss). */
  dtx: boolean;
  /** The receiver's jitter buffer target (ms) so a late copy still arrives in time; undefined: the browser's own. */
  jitterBufferTargetMs?: number | undefined;
  /**
   * R165: earlier frames each RED packet carries (audio-redundancy.ts, in the app's frame
   * transform; the browser's own RED carries 1); undefined: the browser's RED as it is.
   */
  redDepth?: number | undefined;
}

/**
 * RED and FEC on, DTX off. Chromium 156 sends one earlier frame per RED packet whatever the RED
 * fmtp says (measured: the bitrate is the same for `111/111` and `111/111/111`), so the fmtp is left
 * as the browser writes it. DTX was measured to cost clarity under loss (10% random loss, 3 rounds
 * interleaved: 1.86% of samples concealed with DTX against 0.66% without) for ~1 kbps saved on
 * speech, so it is asked off (`usedtx=0`). R165: the frame transform puts three earlier frames into
 * each RED packet (audio-redundancy.ts): bursty loss (runs of 2-4 packets) is what the browser's
 * one-frame RED leaves (docs/BENCHMARKS.md).
 */
export const AUDIO_RESILIENCE: AudioResilience = { red: true, fec: true, dtx: false, redDepth: 3 };

/** Rewrites the Opus fmtp line of every audio section (what this side asks the other to send). */
export function tuneAudioSdp(sdp: string, opts: AudioResilience = AUDIO_RESILIENCE): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const sections = sdp.split(/\r?\nm=/);
  return sections.map((section, i) => {
    if (i === 0 || !section.startsWith('audio ')) return section;
    const lines = section.split(/\r?\n/);
    const opus = payloadOf(lines, 'opus/48000');
    const out = lines.map((line) => {
      if (opus !== undefined && line.startsWith(`a=fmtp:${opus} `)) {
        const params = parseFmtp(line.slice(`a=fmtp:${opus} `.length));
        params.set('useinbandfec', opts.fec ? '1' : '0');
        params.set('usedtx', opts.dtx ? '1' : '0');
        params.set('stereo', '0');
        return `a=fmtp:${opus} ${[...params].map(([k, v]) => `${k}=${v}`).join(';')}`;
      }
      return line;
    });
    return out.join(eol);
  }).join(`${eol}m=`);
}

function payloadOf(lines: string[], codec: string): string | undefined {
  const line = lines.find((l) => l.startsWith('a=rtpmap:') && l.toLowerCase().includes(` ${codec}`));
  return line?.slice('a=rtpmap:'.length).split(' ')[0];
}

function parseFmtp(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of text.split(';')) {
    const [k, v] = part.trim().split('=');
    if (k) params.set(k, v ?? '');
  }
  return params;
}

/** The parts of the browser's RTCPeerConnection used here (all optional: feature-detected). */
interface TunablePeer {
  getTransceivers?: () => Array<{
    receiver: { track?: { kind: string } | null; jitterBufferTarget?: number | null };
    sender: { track?: { kind: string } | null; getParameters?: () => { encodings?: Array<Record<string, unknown>> }; setParameters?: (p: unknown) => Promise<void> };
    setCodecPreferences?: (codecs: unknown[]) => void;
  }>;
}

interface Capabilities { codecs: Array<{ mimeType: string; clockRate: number; channels?: number; sdpFmtpLine?: string }> }

/**
 * On the browser's peer, before createOffer/createAnswer: RED first then Opus in the audio codec
 * order, audio senders at high priority (audio keeps its share when video competes for bandwidth),
 * and the jitter buffer target when one is set.
 */
export async function tuneAudioPeer(peer: unknown, opts: AudioResilience = AUDIO_RESILIENCE): Promise<void> {
  const p = peer as TunablePeer;
  if (typeof p.getTransceivers !== 'function') return;
  const caps = (globalThis as { RTCRtpReceiver?: { getCapabilities?: (kind: string) => Capabilities | null } }).RTCRtpReceiver?.getCapabilities?.('audio');
  for (const t of p.getTransceivers()) {
    if ((t.sender.track ?? t.receiver.track)?.kind !== 'audio') continue;
    if (caps && typeof t.setCodecPreferences === 'function') {
      const rank = (c: Capabilities['codecs'][number]) => {
        const mime = c.mimeType.toLowerCase();
        if (mime === 'audio/red') return opts.red ? 0 : 2;
        if (mime === 'audio/opus') return 1;
        return 3;
      };
      t.setCodecPreferences([...caps.codecs].sort((a, b) => rank(a) - rank(b)));
    }
    if (typeof t.sender.getParameters === 'function' && typeof t.sender.setParameters === 'function') {
      const params = t.sender.getParameters();
      if (params.encodings && params.encodings.length > 0) {
        params.encodings = params.encodings.map((e) => ({ ...e, priority: 'high', networkPriority: 'high' }));
        await t.sender.setParameters(params).catch(() => undefined); // before negotiation some browsers refuse: the default stays
      }
    }
    if (opts.jitterBufferTargetMs !== undefined && 'jitterBufferTarget' in t.receiver) t.receiver.jitterBufferTarget = opts.jitterBufferTargetMs;
  }
}

/** The part of a call's peer connection that makes its local description. */
interface DescribingPeer {
  createOffer(): Promise<{ type: string; sdp?: string }>;
  createAnswer(): Promise<{ type: string; sdp?: string }>;
  setLocalDescription(description: { type: 'offer' | 'answer'; sdp?: string }): Promise<void>;
}

/**
 * Makes and sets this side's offer or answer with the R65 tuning (`false`: the browser's stock
 * audio, for comparisons); returns the SDP to send.
 */
export async function setTunedLocalDescription(peer: DescribingPeer, type: 'offer' | 'answer', opts: AudioResilience | false = AUDIO_RESILIENCE): Promise<string> {
  if (opts) await tuneAudioPeer(peer, opts);
  const made = type === 'offer' ? await peer.createOffer() : await peer.createAnswer();
  const sdp = made.sdp !== undefined && opts ? tuneAudioSdp(made.sdp, opts) : made.sdp;
  await peer.setLocalDescription({ type, ...(sdp !== undefined ? { sdp } : {}) });
  return sdp ?? '';
}
