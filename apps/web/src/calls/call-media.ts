import type { CallPeer, ParleyClient } from '@parley/client';

/** getUserMedia refused or found no microphone (the person is told so, not "something failed"). */
export class MicUnavailable extends Error {
  constructor(cause: unknown) {
    super('microphone unavailable', { cause });
    this.name = 'MicUnavailable';
  }
}

/**
 * The microphone and the other person's audio of this tab's one call. The SDK hands the call's
 * RTCPeerConnection to `prepare` before any SDP is made: the microphone's track goes in, the remote
 * stream comes out to the call bar's <audio autoplay>. Tracks are stopped when the call ends.
 */
class CallMedia {
  #local: MediaStream | undefined;
  #remote: MediaStream | undefined;
  #muted = false;
  readonly #listeners = new Set<() => void>();

  /** For the SDK's `prepare(peer)`: asks for the microphone and wires both directions. */
  readonly prepare = async (callPeer: CallPeer): Promise<void> => {
    const peer = callPeer as unknown as RTCPeerConnection; // the browser's own (the SDK's default factory)
    this.stop();
    const local = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true }, video: false })
      .catch((err: unknown) => { throw new MicUnavailable(err); });
    this.#local = local;
    for (const track of local.getAudioTracks()) {
      track.enabled = !this.#muted;
      peer.addTrack(track, local);
    }
    peer.addEventListener('track', (event) => {
      this.#remote = event.streams[0] ?? new MediaStream([event.track]);
      this.#changed();
    });
    this.#changed();
  };

  get remote(): MediaStream | undefined {
    return this.#remote;
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
    for (const track of this.#local?.getTracks() ?? []) track.stop();
    this.#local = undefined;
    this.#remote = undefined;
    this.#muted = false;
    this.#changed();
  }

  on(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }
}

export const callMedia = new CallMedia();

/** Starts a voice call in a direct chat (the call bar shows it from the `calls` event). */
export function startCall(client: ParleyClient, chatId: string): Promise<unknown> {
  return client.calls.start(chatId, { media: 'audio', prepare: callMedia.prepare }).catch((err: unknown) => {
    callMedia.stop();
    throw err;
  });
}

export function acceptCall(client: ParleyClient, callId: string): Promise<void> {
  return client.calls.accept(callId, { prepare: callMedia.prepare }).catch((err: unknown) => {
    callMedia.stop();
    throw err;
  });
}
