import type { CallEpochKey, CallPeer, FrameKeySink, PeerFactory } from '@parley/client';
import workerUrl from './frame-crypto.worker.ts?worker&url';
import { trustedWorkerUrl } from '../trusted-worker.ts';
import type { FrameCryptoMessage, FrameSide, FrameStats } from './frame-crypto-shared.ts';

/** The browser can't encrypt call media end to end: the call does not start rather than go out without it. */
export class FrameCryptoUnavailable extends Error {
  constructor() {
    super('this browser cannot encrypt call media end to end (no encoded transforms)');
    this.name = 'FrameCryptoUnavailable';
  }
}

type ScriptTransformCtor = new (worker: Worker, options: { side: FrameSide }) => unknown;
interface WithTransform { transform: unknown }
interface WithEncodedStreams { createEncodedStreams(): { readable: ReadableStream; writable: WritableStream } }

const ScriptTransform = (globalThis as { RTCRtpScriptTransform?: ScriptTransformCtor }).RTCRtpScriptTransform;
/** Chromium before RTCRtpScriptTransform: Insertable Streams, which must be asked for when the connection is made. */
const insertableStreams = !ScriptTransform && typeof RTCRtpSender !== 'undefined' && 'createEncodedStreams' in RTCRtpSender.prototype;

/** For ClientOptions.calls.peer: the browser's RTCPeerConnection, with Insertable Streams on where the fallback needs them. */
export const framePeerFactory: PeerFactory = (config) => new RTCPeerConnection({ ...config, ...(insertableStreams ? { encodedInsertableStreams: true } : {}) } as RTCConfiguration) as unknown as CallPeer;

/** Seconds in a row the other side's frames came in and none decrypted: after this many the call bar says so. */
export const UNDECRYPTABLE_AFTER_S = 3;
const troubleListeners = new Set<(undecryptable: boolean) => void>();
let undecryptable = false;
function setUndecryptable(value: boolean): void {
  if (value === undecryptable) return;
  undecryptable = value;
  for (const l of troubleListeners) l(value);
}

/** Whether the current call's incoming frames keep failing to decrypt (keys that don't match); `listener` hears changes. */
export function onUndecryptable(listener: (undecryptable: boolean) => void): () => void {
  troubleListeners.add(listener);
  listener(undecryptable);
  return () => troubleListeners.delete(listener);
}

/**
 * R64: every encoded frame this peer connection sends is SFrame-encrypted, and every one it
 * receives decrypted, in a worker, with the chat's MLS epoch keys (the SDK hands each epoch's key
 * to the returned sink: the keys go to the worker and nowhere else). Senders present when it is
 * called, and every one added later through addTrack/addTransceiver, are covered (a group call
 * attaches it before `prepare` adds the tracks); receivers from the `track` event.
 */
export function attachFrameCrypto(peerLike: CallPeer): FrameKeySink {
  if (!ScriptTransform && !insertableStreams) throw new FrameCryptoUnavailable();
  const peer = peerLike as unknown as RTCPeerConnection;
  const worker = new Worker(trustedWorkerUrl(workerUrl), { name: 'parley-call-frames' });
  const post = (m: FrameCryptoMessage, transfer: Transferable[] = []) => worker.postMessage(m, transfer);
  let failing = 0;
  setUndecryptable(false);
  worker.onmessage = (event: MessageEvent<FrameStats>) => {
    const s = event.data;
    if (s.decrypted > 0) failing = 0;
    else if (s.refused > 0) failing++;
    setUndecryptable(failing >= UNDECRYPTABLE_AFTER_S);
  };
  const done = new WeakSet<object>();
  const attach = (end: RTCRtpSender | RTCRtpReceiver, side: FrameSide) => {
    if (done.has(end)) return;
    done.add(end);
    if (ScriptTransform) (end as unknown as WithTransform).transform = new ScriptTransform(worker, { side });
    else {
      const { readable, writable } = (end as unknown as WithEncodedStreams).createEncodedStreams();
      post({ type: 'streams', side, readable, writable }, [readable, writable]);
    }
  };
  // R165: deeper RED while the call loses audio packets (either way), the browser's own otherwise;
  // loaded with the first call (it stays out of the chat screen's code).
  let stopLossWatch: (() => void) | undefined;
  let closed = false;
  void import('./red-depth.ts').then((m) => {
    if (!closed) stopLossWatch = m.watchAudioLoss(peer, (depth) => post({ type: 'redDepth', depth }));
  }, () => undefined);
  for (const sender of peer.getSenders()) attach(sender, 'send');
  for (const receiver of peer.getReceivers()) attach(receiver, 'receive');
  peer.addEventListener('track', (event) => {
    attach(event.receiver, 'receive');
    // A transceiver the other side's offer made (a voice call's idle video line, R103) has a sender
    // this side may put a track on later (a shared screen): it gets its transform now, before any track.
    attach(event.transceiver.sender, 'send');
  });
  // A sender whose transform is set in a later task than its track was added sends its frames
  // around the transform, in the clear to the SFU (seen in Chromium 156): senders made from now on
  // get it in the same call.
  const addTrack = peer.addTrack.bind(peer);
  peer.addTrack = (track, ...streams) => {
    const sender = addTrack(track, ...streams);
    attach(sender, 'send');
    return sender;
  };
  const addTransceiver = peer.addTransceiver.bind(peer);
  peer.addTransceiver = (trackOrKind, init) => {
    const transceiver = addTransceiver(trackOrKind, init);
    attach(transceiver.sender, 'send');
    return transceiver;
  };
  return {
    setEpoch: (key: CallEpochKey) => post({ type: 'epoch', key }),
    close: () => {
      closed = true;
      stopLossWatch?.();
      post({ type: 'close' });
      worker.terminate();
      setUndecryptable(false);
    },
  };
}
