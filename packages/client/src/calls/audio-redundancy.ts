/**
 * Deeper audio redundancy for bursty loss, carried inside each encoded audio frame (R165's sender
 * and receiver halves; pure, so Node tests drive it).
 *
 * Chromium's RED (RFC 2198) repeats exactly one earlier Opus frame, so a burst of k lost packets
 * still loses k − 1 frames (docs/BENCHMARKS.md, "RED distance"). Here the sender appends copies of
 * the `depth` Opus frames before the one RED already repeats, and the receiver, seeing a frame whose
 * earlier frames never arrived, hands those copies to the decoder's jitter buffer as frames of their
 * own (`RTCEncodedAudioFrame`'s copy constructor with the lost frame's RTP timestamp) before the
 * frame that carried them. With SFrame the copies are encrypted with the frame.
 *
 * Trailer after the frame's own payload, read from the end:
 *   copy_1 … copy_n (Opus bytes) · per copy: back (u16, RTP samples before this frame) · len (u16)
 *   · n (u8) · MAGIC (2 bytes)
 * A sender adds it only when every receiver said it reads it (R165: `audioCopies` in the call's
 * offer, answer or group join): a decoder without this would play the trailer as audio. A
 * receiver strips a trailer wherever it finds one, and passes a frame without one on as it is.
 */

/** The trailer's last two bytes (two, so a frame from a sender without R165 is taken for one at most 1 in 65,536 times). */
export const REDUNDANCY_MAGIC = [0xc6, 0xa7] as const;
/** How many extra frames a sender repeats by default (60 ms more cover on top of RED's 20 ms). */
export const DEFAULT_REDUNDANCY_DEPTH = 2;
/** At most this many copies (each ~80 bytes at Opus's speech rates: a packet stays far under the MTU). */
export const MAX_REDUNDANCY_DEPTH = 3;
/** Opus frames in WebRTC are 20 ms: 960 samples at 48 kHz. */
const FRAME_SAMPLES = 960;
/** A recovered frame older than this (RTP samples) is too late for any jitter buffer: not written. */
const MAX_BACK = FRAME_SAMPLES * 8;

/** A RED packet's primary (last) block and its payload type (RFC 2198 §3). */
export function redPrimary(payload: Uint8Array): { pt: number; primary: Uint8Array; offsets: number[] } | undefined {
  let at = 0;
  let redundant = 0;
  const offsets: number[] = [];
  while (at < payload.length && (payload[at]! & 0x80) !== 0) {
    if (at + 4 > payload.length) return undefined;
    offsets.push((payload[at + 1]! << 6) | (payload[at + 2]! >> 2));
    redundant += ((payload[at + 2]! & 0x03) << 8) | payload[at + 3]!;
    at += 4;
  }
  if (at >= payload.length) return undefined;
  const pt = payload[at]! & 0x7f;
  const start = at + 1 + redundant;
  if (start > payload.length) return undefined;
  return { pt, primary: payload.subarray(start), offsets };
}

/** A RED packet with only a primary block: what a recovered frame is when the call's audio is RED. */
function redOf(pt: number, opus: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + opus.length);
  out[0] = pt & 0x7f;
  out.set(opus, 1);
  return out;
}

export interface RedundancyFrame { payload: Uint8Array; rtpTimestamp: number; mimeType?: string | undefined }

/** The sender's half: remembers the last frames' Opus and appends the trailer. */
export class RedundancySender {
  readonly #history: Array<{ ts: number; opus: Uint8Array }> = [];
  #depth = 0;
  constructor(depth = DEFAULT_REDUNDANCY_DEPTH) { this.depth = depth; }

  /** Copies per frame (0-MAX_REDUNDANCY_DEPTH); 0: the frame goes out as it is, with no trailer (a receiver in the call can't read one). */
  get depth(): number { return this.#depth; }
  set depth(value: number) { this.#depth = Math.max(0, Math.min(MAX_REDUNDANCY_DEPTH, Math.floor(value))); }

  add(frame: RedundancyFrame): Uint8Array {
    if (this.depth <= 0) {
      this.#history.length = 0;
      return frame.payload;
    }
    const red = frame.mimeType?.toLowerCase() === 'audio/red';
    const opus = red ? redPrimary(frame.payload)?.primary : frame.payload;
    // RED already carries the frame just before this one: the copies start one further back.
    const skip = red ? 1 : 0;
    const copies = this.#history.slice(skip, skip + this.depth)
      .filter((h) => ((frame.rtpTimestamp - h.ts) >>> 0) <= MAX_BACK && h.opus.length <= 0xffff);
    if (opus) {
      this.#history.unshift({ ts: frame.rtpTimestamp, opus: opus.slice() });
      this.#history.length = Math.min(this.#history.length, this.depth + 1);
    }
    const extra = copies.reduce((n, c) => n + c.opus.length + 4, 0);
    const out = new Uint8Array(frame.payload.length + extra + 3);
    out.set(frame.payload);
    let at = frame.payload.length;
    for (const c of copies) { out.set(c.opus, at); at += c.opus.length; }
    const view = new DataView(out.buffer);
    for (const c of copies) {
      view.setUint16(at, (frame.rtpTimestamp - c.ts) >>> 0);
      view.setUint16(at + 2, c.opus.length);
      at += 4;
    }
    out[at] = copies.length;
    out[at + 1] = REDUNDANCY_MAGIC[0];
    out[at + 2] = REDUNDANCY_MAGIC[1];
    return out;
  }
}

/** What the receiver does with one frame: the frame's own payload, and earlier frames to write first. */
export interface Recovered { payload: Uint8Array; recovered: Array<{ rtpTimestamp: number; payload: Uint8Array }>; duplicate: boolean }

/** The receiver's half: strips the trailer and recovers frames that never arrived. */
export class RedundancyReceiver {
  /** RTP timestamps of frames seen (arrived or recovered), the newest last. */
  readonly #seen: number[] = [];
  #newest: number | undefined;
  #first: number | undefined;

  take(frame: RedundancyFrame): Recovered {
    const { payload, copies } = splitTrailer(frame.payload);
    const ts = frame.rtpTimestamp >>> 0;
    if (this.#seen.includes(ts)) return { payload, recovered: [], duplicate: true }; // recovered already: the late original is not played twice
    const red = frame.mimeType?.toLowerCase() === 'audio/red' ? redPrimary(payload) : undefined;
    const recovered: Recovered['recovered'] = [];
    if (this.#newest !== undefined) {
      // Oldest first, so the jitter buffer gets them in order.
      for (const c of [...copies].sort((a, b) => b.back - a.back)) {
        const lost = (ts - c.back) >>> 0;
        const behindNewest = (this.#newest - lost) >>> 0;
        const sinceFirst = (lost - this.#first!) >>> 0;
        // Only a gap this device saw open: after its first frame, not long past, not seen.
        if (this.#seen.includes(lost) || sinceFirst === 0 || sinceFirst >= 0x80000000 || (behindNewest > MAX_BACK && behindNewest < 0x80000000)) continue;
        recovered.push({ rtpTimestamp: lost, payload: red ? redOf(red.pt, c.opus) : c.opus.slice() });
        this.#remember(lost);
      }
    }
    this.#remember(ts);
    for (const back of red?.offsets ?? []) if (back > 0) this.#remember((ts - back) >>> 0); // the decoder recovers RED's own copies
    this.#first ??= ts;
    if (this.#newest === undefined || ((ts - this.#newest) >>> 0) < 0x80000000) this.#newest = ts;
    return { payload, recovered, duplicate: false };
  }

  #remember(ts: number): void {
    this.#seen.push(ts);
    if (this.#seen.length > 64) this.#seen.shift();
  }
}

/** The frame's own payload and the copies its trailer holds; a frame without a trailer as it is. */
export function splitTrailer(data: Uint8Array): { payload: Uint8Array; copies: Array<{ back: number; opus: Uint8Array }> } {
  const none = { payload: data, copies: [] };
  if (data.length < 3 || data[data.length - 2] !== REDUNDANCY_MAGIC[0] || data[data.length - 1] !== REDUNDANCY_MAGIC[1]) return none;
  const n = data[data.length - 3]!;
  const table = data.length - 3 - n * 4;
  if (table < 0) return none;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const entries: Array<{ back: number; len: number }> = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const back = view.getUint16(table + i * 4);
    const len = view.getUint16(table + i * 4 + 2);
    entries.push({ back, len });
    total += len;
  }
  let at = table - total;
  if (at < 0) return none;
  const payload = data.subarray(0, at);
  const copies = entries.map((e) => {
    const opus = data.subarray(at, at + e.len);
    at += e.len;
    return { back: e.back, opus };
  });
  return { payload, copies };
}
