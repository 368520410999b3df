/// <reference lib="webworker" />
import { FrameKeys, RedundancyReceiver, RedundancySender } from '@parley/client';
import { clearPrefix, type EncodedFrame, type FrameCryptoMessage, type FrameSide, type FrameStats } from './frame-crypto-shared.ts';

/**
 * R64: encrypts this device's encoded audio and video frames and decrypts the other side's, with
 * SFrame and the chat's MLS epoch keys (FrameKeys), off the main thread. Frames reach it through
 * RTCRtpScriptTransform (the `rtctransform` event) or, in browsers without it, as the streams of
 * createEncodedStreams. A frame that can't be encrypted (no key yet) or decrypted (wrong key,
 * changed on the way, replayed, an epoch past its grace) is dropped: nothing goes out or plays in
 * the clear. R165: audio frames carry copies of earlier ones (added before encryption, used after
 * decryption: a frame lost on the way is handed to the decoder from a later frame's copy).
 */
const scope = self as unknown as DedicatedWorkerGlobalScope & { onrtctransform: ((event: { transformer: { options: { side: FrameSide }; readable: ReadableStream<EncodedFrame>; writable: WritableStream<EncodedFrame> } }) => void) | null };
const keys = new FrameKeys();
/** R165: this call's audio senders (one per send pipe), told how many copies to add. */
const audioSenders = new Set<RedundancySender>();
let audioCopies = 0;
/** Frames this second: the page tells the person when the other side's keep failing (FrameStats). */
let stats: FrameStats = { sent: 0, decrypted: 0, refused: 0, recovered: 0, copies: 0 };
setInterval(() => {
  if (stats.sent + stats.decrypted + stats.refused === 0) return;
  scope.postMessage({ ...stats, copies: audioCopies });
  stats = { sent: 0, decrypted: 0, refused: 0, recovered: 0, copies: 0 };
}, 1000);

scope.onmessage = (event: MessageEvent<FrameCryptoMessage>) => {
  const m = event.data;
  if (m.type === 'epoch') keys.setEpoch(m.key);
  else if (m.type === 'audioCopies') {
    audioCopies = m.depth;
    for (const s of audioSenders) s.depth = m.depth;
  }
  else if (m.type === 'streams') pipe(m.side, m.readable, m.writable);
  else keys.clear();
};

scope.onrtctransform = (event) => {
  const t = event.transformer;
  pipe(t.options.side, t.readable, t.writable);
};

function pipe(side: FrameSide, readable: ReadableStream<EncodedFrame>, writable: WritableStream<EncodedFrame>): void {
  let transform: (frame: EncodedFrame, out: TransformStreamDefaultController<EncodedFrame>) => Promise<void>;
  if (side === 'send') {
    const copies = new RedundancySender(audioCopies);
    audioSenders.add(copies);
    transform = (frame, out) => encryptFrame(withCopies(frame, copies), out);
  } else {
    const copies = new RedundancyReceiver();
    transform = (frame, out) => decryptFrame(frame, out, copies);
  }
  readable.pipeThrough(new TransformStream<EncodedFrame, EncodedFrame>({ transform })).pipeTo(writable).catch(() => undefined); // ends with the call
}

async function encryptFrame(frame: EncodedFrame, out: TransformStreamDefaultController<EncodedFrame>): Promise<void> {
  const data = new Uint8Array(frame.data);
  if (data.length === 0) return out.enqueue(frame); // an empty video frame carries nothing
  const clear = Math.min(clearPrefix(frame), data.length);
  try {
    const sealed = await keys.encrypt(data.subarray(clear), data.subarray(0, clear));
    const bytes = new Uint8Array(clear + sealed.length);
    bytes.set(data.subarray(0, clear));
    bytes.set(sealed, clear);
    frame.data = bytes.buffer;
    out.enqueue(frame);
    stats.sent++;
  } catch {
    // No key yet: the frame is not sent at all.
  }
}

/** R165: an audio frame gets its copies of earlier frames (none while `depth` is 0). */
function withCopies(frame: EncodedFrame, copies: RedundancySender): EncodedFrame {
  if (frame.type !== undefined || frame.data.byteLength === 0 || copies.depth === 0) return frame; // video, or no copies
  const { rtpTimestamp, mimeType } = frame.getMetadata();
  if (rtpTimestamp === undefined) return frame;
  frame.data = copies.add({ payload: new Uint8Array(frame.data), rtpTimestamp, mimeType }).slice().buffer;
  return frame;
}

type AudioFrameCtor = new (frame: EncodedFrame, options: { metadata: Record<string, unknown> }) => EncodedFrame;
const AudioFrame = (globalThis as { RTCEncodedAudioFrame?: AudioFrameCtor }).RTCEncodedAudioFrame;

/**
 * R165: a decrypted audio frame loses its trailer; frames lost before it that its copies hold go
 * to the decoder first, as frames of their own time (where the browser can make a frame); a late
 * original of a frame played from a copy is dropped.
 */
function withRecovered(frame: EncodedFrame, out: TransformStreamDefaultController<EncodedFrame>, copies: RedundancyReceiver): boolean {
  const metadata = frame.getMetadata();
  if (frame.type !== undefined || metadata.rtpTimestamp === undefined) return true;
  const r = copies.take({ payload: new Uint8Array(frame.data), rtpTimestamp: metadata.rtpTimestamp, mimeType: metadata.mimeType });
  if (r.duplicate) return false;
  if (AudioFrame) {
    for (const lost of r.recovered) {
      try {
        const made = new AudioFrame(frame, { metadata: { ...metadata, rtpTimestamp: lost.rtpTimestamp } });
        made.data = lost.payload.slice().buffer;
        out.enqueue(made);
        stats.recovered++;
      } catch {
        // A browser that refuses the copy: the decoder conceals that frame as before.
      }
    }
  }
  if (r.payload.byteLength !== frame.data.byteLength) frame.data = r.payload.slice().buffer;
  return true;
}

async function decryptFrame(frame: EncodedFrame, out: TransformStreamDefaultController<EncodedFrame>, copies?: RedundancyReceiver): Promise<void> {
  const data = new Uint8Array(frame.data);
  if (data.length === 0) return out.enqueue(frame);
  const clear = clearPrefix(frame);
  if (data.length <= clear) {
    stats.refused++;
    return;
  }
  try {
    const { plaintext } = await keys.decrypt(data.subarray(clear), data.subarray(0, clear));
    const bytes = new Uint8Array(clear + plaintext.length);
    bytes.set(data.subarray(0, clear));
    bytes.set(plaintext, clear);
    frame.data = bytes.buffer;
    stats.decrypted++;
    if (copies && !withRecovered(frame, out, copies)) return;
    out.enqueue(frame);
  } catch {
    // Not decryptable: dropped (the decoder conceals it as a lost frame).
    stats.refused++;
  }
}
