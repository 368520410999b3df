/**
 * R165: deeper RED against bursty loss. Chromium's RED encoder (RFC 2198) repeats exactly one
 * earlier Opus frame per packet, so a run of k lost packets still loses k − 1 frames of speech
 * (docs/BENCHMARKS.md, "RED distance"). The sender's encoded transform rewrites each RED packet
 * to carry the `depth` frames before it (n−depth … n−1) ahead of the primary, from the primaries it
 * sent: still a standard RED packet, so every receiver that negotiated RED (any browser, any
 * version of this client) splits it in its jitter buffer and plays a lost frame from a later
 * packet's copy, with no change and no negotiation on its side. Pure, so Node tests drive it; the
 * web client's frame worker runs it before SFrame (R64), so the copies are encrypted with the frame.
 */

/** Earlier frames each RED packet carries by default (Chromium's own RED: 1). */
export const DEFAULT_RED_DEPTH = 3;
/** At most this many (each ~80 bytes at Opus's speech rates: a packet stays far under the MTU). */
export const MAX_RED_DEPTH = 4;
/** Opus frames in WebRTC are 20 ms: 960 samples at 48 kHz. */
const FRAME_SAMPLES = 960;
/** RFC 2198: a block's length has 10 bits, its timestamp offset 14. */
const MAX_BLOCK = 1023;

export interface RedBlock { pt: number; offset: number; data: Uint8Array }
export interface RedPacket { pt: number; blocks: RedBlock[]; primary: Uint8Array }

/** A RED payload's redundant blocks (oldest first, as sent) and primary; undefined when it is not one. */
export function parseRed(payload: Uint8Array): RedPacket | undefined {
  let at = 0;
  const heads: Array<{ pt: number; offset: number; len: number }> = [];
  while (at < payload.length && (payload[at]! & 0x80) !== 0) {
    if (at + 4 > payload.length) return undefined;
    heads.push({ pt: payload[at]! & 0x7f, offset: (payload[at + 1]! << 6) | (payload[at + 2]! >> 2), len: ((payload[at + 2]! & 0x03) << 8) | payload[at + 3]! });
    at += 4;
  }
  if (at >= payload.length) return undefined;
  const pt = payload[at]! & 0x7f;
  let pos = at + 1;
  const blocks: RedBlock[] = [];
  for (const h of heads) {
    if (pos + h.len > payload.length) return undefined;
    blocks.push({ pt: h.pt, offset: h.offset, data: payload.subarray(pos, pos + h.len) });
    pos += h.len;
  }
  return { pt, blocks, primary: payload.subarray(pos) };
}

/** The RED payload of these blocks (oldest first) and primary. */
export function buildRed(packet: RedPacket): Uint8Array {
  const size = packet.blocks.reduce((n, b) => n + 4 + b.data.length, 0) + 1 + packet.primary.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const b of packet.blocks) {
    out[at] = 0x80 | (b.pt & 0x7f);
    out[at + 1] = (b.offset >> 6) & 0xff;
    out[at + 2] = ((b.offset & 0x3f) << 2) | (b.data.length >> 8);
    out[at + 3] = b.data.length & 0xff;
    at += 4;
  }
  out[at++] = packet.pt & 0x7f;
  for (const b of packet.blocks) {
    out.set(b.data, at);
    at += b.data.length;
  }
  out.set(packet.primary, at);
  return out;
}

export interface AudioFrameIn { payload: Uint8Array; rtpTimestamp: number; mimeType?: string | undefined }

/** The sender's half: remembers the last primaries and puts them into each RED packet. */
export class RedDeepener {
  readonly #sent: Array<{ ts: number; data: Uint8Array }> = [];
  #depth = 1;
  constructor(depth = DEFAULT_RED_DEPTH) { this.depth = depth; }

  /** Earlier frames per packet (1-MAX_RED_DEPTH); 1 leaves the browser's RED as it is. */
  get depth(): number { return this.#depth; }
  set depth(value: number) { this.#depth = Math.max(1, Math.min(MAX_RED_DEPTH, Math.floor(value))); }

  /** The payload to send: a RED packet with up to `depth` earlier frames; anything else unchanged. */
  add(frame: AudioFrameIn): Uint8Array {
    if (frame.mimeType?.toLowerCase() !== 'audio/red') return frame.payload;
    const red = parseRed(frame.payload);
    if (!red) return frame.payload;
    const ts = frame.rtpTimestamp >>> 0;
    let out = frame.payload;
    if (this.#depth > 1) {
      // The browser's own blocks stay; the primaries this sender sent 1…depth frames ago fill the rest.
      const blocks = [...red.blocks];
      for (let k = 1; k <= this.#depth; k++) {
        const offset = k * FRAME_SAMPLES;
        const kept = this.#sent.find((x) => ((ts - x.ts) >>> 0) === offset);
        if (kept && kept.data.length <= MAX_BLOCK && !blocks.some((b) => b.offset === offset)) blocks.push({ pt: red.pt, offset, data: kept.data });
      }
      blocks.sort((x, y) => y.offset - x.offset); // oldest first
      out = buildRed({ pt: red.pt, blocks, primary: red.primary });
    }
    if (red.primary.length > 0) {
      this.#sent.unshift({ ts, data: red.primary.slice() });
      this.#sent.length = Math.min(this.#sent.length, MAX_RED_DEPTH);
    }
    return out;
  }
}

/** Loss at or above this share of audio packets (either direction) turns the deeper RED on. */
export const RED_LOSS_ON = 0.01;
/** It stays on this long after the last loss was seen (bursts come and go on a bad link). */
export const RED_HOLD_MS = 20_000;

/**
 * R165: when a call's RED goes deeper. Deeper RED doubles the audio's bitrate, so a call on a clean
 * link keeps the browser's own RED (depth 1); as soon as either side's receiver reports loss (the
 * other side's receiver reports, this side's own inbound audio), the sender carries `depth` frames,
 * and keeps them until no loss was seen for RED_HOLD_MS.
 */
export class RedDepthPolicy {
  #lastLossAt: number | undefined;
  constructor(private readonly deep = DEFAULT_RED_DEPTH) {}

  /** A new reading: the share of audio packets lost since the last one, in either direction. */
  update(nowMs: number, lostShare: number): number {
    if (lostShare >= RED_LOSS_ON) this.#lastLossAt = nowMs;
    return this.#lastLossAt !== undefined && nowMs - this.#lastLossAt < RED_HOLD_MS ? this.deep : 1;
  }
}
