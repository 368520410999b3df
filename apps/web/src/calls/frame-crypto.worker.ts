/// <reference lib="webworker" />
import { FrameKeys, RedDeepener } from '@parley/client';
import { clearPrefix, type EncodedFrame, type FrameCryptoMessage, type FrameSide } from './frame-crypto-shared.ts';

/**
 * R64: encrypts this device's encoded audio and video frames and decrypts the other side's, with
 * SFrame and the chat's MLS epoch keys (FrameKeys), off the main thread. Frames reach it through
 * RTCRtpScriptTransform (the `rtctransform` event) or, in browsers without it, as the streams of
 * createEncodedStreams. A frame that can't be encrypted (no key yet) or decrypted (wrong key,
 * changed on the way, replayed, an epoch past its grace) is dropped: nothing goes out or plays in
 * the clear. R165: before encryption, each RED audio packet gets the earlier frames it carries
 * deepened (RedDeepener) while the page says the call loses packets: a standard RED packet any
 * receiver's jitter buffer splits.
 */
const scope = self as unknown as DedicatedWorkerGlobalScope & { onrtctransform: ((event: { transformer: { options: { side: FrameSide }; readable: ReadableStream<EncodedFrame>; writable: WritableStream<EncodedFrame> } }) => void) | null };
const keys = new FrameKeys();
/** R165: this worker's senders' RED (the page says how deep, from the loss it sees). */
const deepeners = new Set<RedDeepener>();
let redDepth = 1;
/** Frames this second: the page tells the person when the other side's keep failing (FrameStats). */
let stats = { sent: 0, decrypted: 0, refused: 0 };
setInterval(() => {
  if (stats.sent + stats.decrypted + stats.refused === 0) return;
  scope.postMessage(stats);
  stats = { sent: 0, decrypted: 0, refused: 0 };
}, 1000);

scope.onmessage = (event: MessageEvent<FrameCryptoMessage>) => {
  const m = event.data;
  if (m.type === 'epoch') keys.setEpoch(m.key);
  else if (m.type === 'redDepth') {
    redDepth = m.depth;
    for (const d of deepeners) d.depth = m.depth;
  }
  else if (m.type === 'streams') pipe(m.side, m.readable, m.writable);
  else keys.clear();
};

scope.onrtctransform = (event) => {
  const t = event.transformer;
  pipe(t.options.side, t.readable, t.writable);
};

function pipe(side: FrameSide, readable: ReadableStream<EncodedFrame>, writable: WritableStream<EncodedFrame>): void {
  let transform = decryptFrame;
  if (side === 'send') {
    const red = new RedDeepener(redDepth); // one per sender: its own frames' history
    deepeners.add(red);
    transform = (frame, out) => encryptFrame(deepened(frame, red), out);
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

/** R165: an audio frame in RED carries more earlier frames (video and plain Opus as they are). */
function deepened(frame: EncodedFrame, red: RedDeepener): EncodedFrame {
  if (frame.type !== undefined || frame.data.byteLength === 0) return frame;
  const { rtpTimestamp, mimeType } = frame.getMetadata();
  if (rtpTimestamp === undefined) return frame;
  const payload = new Uint8Array(frame.data);
  const out = red.add({ payload, rtpTimestamp, mimeType });
  if (out !== payload) frame.data = out.buffer as ArrayBuffer;
  return frame;
}

async function decryptFrame(frame: EncodedFrame, out: TransformStreamDefaultController<EncodedFrame>): Promise<void> {
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
    out.enqueue(frame);
    stats.decrypted++;
  } catch {
    // Not decryptable: dropped (the decoder conceals it as a lost frame).
    stats.refused++;
  }
}
