import type { CallPeer, ParleyClient } from '@parley/client';
import { attachFrameCrypto } from './frame-crypto.ts';
import type { InputSwitch } from './device-picker.tsx';
import { inputOf, MIC_CONSTRAINTS, switchInput } from './device-switch.ts';
import { ScreenShare, videoSender } from './screen-share.ts';
import { callMediaState, MicUnavailable } from './call-errors.ts';

export { MicUnavailable };
callMediaState.loaded = true;


/**
 * The microphone and the other person's audio of this tab's one call. The SDK hands the call's
 * RTCPeerConnection to `prepare` before any SDP is made: the microphone's track goes in, the remote
 * stream comes out to the call bar's <audio autoplay>. Tracks are stopped when the call ends.
 */
class CallMedia {
  #local: MediaStream | undefined;
  #peer: RTCPeerConnection | undefined;
  #remote: MediaStream | undefined;
  #muted = false;
  #cameraOff = false;
  readonly #listeners = new Set<() => void>();
  /** R103: the screen this call shares in the camera's place (video calls). */
  readonly screen = new ScreenShare(() => this.#changed());

  /** For the SDK's `prepare(peer)`: asks for the microphone (and the camera for a video call) and wires both directions. */
  prepareFor(media: 'audio' | 'video', role: 'caller' | 'callee'): (peer: CallPeer) => Promise<void> {
    return (peer) => this.#prepare(peer as unknown as RTCPeerConnection, media, role); // the browser's own (the SDK's default factory)
  }

  async #prepare(peer: RTCPeerConnection, media: 'audio' | 'video', role: 'caller' | 'callee'): Promise<void> {
    this.stop();
    const audio = MIC_CONSTRAINTS;
    const video = media === 'video' ? { width: { ideal: 640 }, height: { ideal: 480 } } : false;
    const local = await navigator.mediaDevices.getUserMedia({ audio, video })
      .catch((err: unknown) => { throw new MicUnavailable(err); });
    this.#local = local;
    this.#peer = peer;
    for (const track of local.getTracks()) peer.addTrack(track, local);
    // R103: a voice call carries an idle video line both ways (no track: nothing is sent), so either
    // side can share a screen later without a renegotiation. The caller offers it; the callee makes
    // its side of it send-capable before answering.
    if (media === 'audio' && role === 'caller') peer.addTransceiver('video', { direction: 'sendrecv', streams: [local] });
    peer.addEventListener('track', (event) => {
      if (event.track.kind === 'video' && role === 'callee' && event.transceiver.direction === 'recvonly') event.transceiver.direction = 'sendrecv';
      // A new stream object for each track: an <audio autoplay> given a stream starts playing it then
      // (tracks added to a stream it already holds would not start it).
      const tracks = this.#remote?.getTracks() ?? [];
      if (!tracks.includes(event.track)) this.#remote = new MediaStream([...tracks, event.track]);
      for (const name of ['mute', 'unmute', 'ended']) event.track.addEventListener(name, () => this.#changed());
      this.#changed();
    });
    this.#changed();
  }

  /** This device's camera while a video call runs (the small preview), or the screen it shares. */
  get local(): MediaStream | undefined {
    if (this.screen.stream) return this.screen.stream;
    return this.#local?.getVideoTracks().length ? this.#local : undefined;
  }

  /** R103: shares a screen in the camera's place; `stopScreen` (or the browser's own stop) puts the camera back. */
  shareScreen(): Promise<void> {
    return this.screen.start(videoSender(this.#peer), () => this.#cameraTrack());
  }

  stopScreen(): Promise<void> {
    return this.screen.stop(this.#cameraTrack());
  }

  #cameraTrack(): MediaStreamTrack | null {
    return this.#local?.getVideoTracks()[0] ?? null;
  }

  get cameraOff(): boolean {
    return this.#cameraOff;
  }

  setCameraOff(off: boolean): void {
    this.#cameraOff = off;
    for (const track of this.#local?.getVideoTracks() ?? []) track.enabled = !off;
    this.#changed();
  }

  get remote(): MediaStream | undefined {
    return this.#remote;
  }

  /** Whether this call can share a screen (it has a video line). */
  get canShare(): boolean {
    return videoSender(this.#peer) !== undefined;
  }

  get muted(): boolean {
    return this.#muted;
  }

  setMuted(muted: boolean): void {
    this.#muted = muted;
    for (const track of this.#local?.getAudioTracks() ?? []) track.enabled = !muted;
    this.#changed();
  }

  /** Stops the microphone (the browser's indicator goes off) and lets go of the remote audio. */
  stop(): void {
    this.screen.release();
    for (const track of this.#local?.getTracks() ?? []) track.stop();
    this.#local = undefined;
    this.#peer = undefined;
    this.#remote = undefined;
    this.#muted = false;
    this.#cameraOff = false;
    this.#changed();
  }

  /** The device picker's view of this call's microphone and camera. */
  readonly inputs: InputSwitch = {
    current: (kind) => inputOf(this.#local, kind),
    switchTo: async (kind, deviceId) => {
      if (!this.#local) return;
      await switchInput(this.#local, [this.#peer], kind, deviceId, kind === 'audio' ? !this.#muted : !this.#cameraOff);
      this.#changed();
    },
  };

  on(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }
}

export const callMedia = new CallMedia();

/** Starts a voice or video call in a direct chat (the call bar shows it from the `calls` event). */
export function startCall(client: ParleyClient, chatId: string, media: 'audio' | 'video'): Promise<unknown> {
  return client.calls.start(chatId, { media, prepare: callMedia.prepareFor(media, 'caller'), frameCrypto: attachFrameCrypto }).catch((err: unknown) => {
    callMedia.stop();
    throw err;
  });
}

export function acceptCall(client: ParleyClient, callId: string): Promise<void> {
  const media = client.calls.get(callId)?.media ?? 'audio';
  return client.calls.accept(callId, { prepare: callMedia.prepareFor(media, 'callee'), frameCrypto: attachFrameCrypto }).catch((err: unknown) => {
    callMedia.stop();
    throw err;
  });
}
