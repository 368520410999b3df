import { pickScreen } from './screen-share.ts';

/**
 * R133: a screen shared in a group call goes out as its own video stream beside the camera: a second
 * video transceiver of the publishing peer (one layer, no simulcast, content hint `detail`), added
 * through the peer's patched addTransceiver so it gets the call's SFrame transform in the same task
 * (R64/R76/R120: the same frame keys and counter as the camera). Stopping (the button, or the
 * browser's own "Stop sharing" ending the track) turns that transceiver inactive; sharing again
 * reuses it. Each change is renegotiated with Janus by `republish` (the SDK's `republishTracks`, which
 * labels the screen's mid, known once the offer is made). When R119 publishes afresh on a new peer,
 * the screen moves to it and stays shared.
 */
export class GroupScreenShare {
  #track: MediaStreamTrack | undefined;
  #stream: MediaStream | undefined;
  #transceiver: RTCRtpTransceiver | undefined;
  readonly #changed: () => void;

  constructor(changed: () => void) {
    this.#changed = changed;
  }

  get sharing(): boolean {
    return this.#track !== undefined;
  }

  /** The shared screen (this device's own preview tile). */
  get stream(): MediaStream | undefined {
    return this.#stream;
  }

  /** Asks the person for a screen and publishes it on `peer` as a second video stream. */
  async start(peer: RTCPeerConnection | undefined, republish: (screenMid: () => string | null) => Promise<void>): Promise<void> {
    if (this.#track) return;
    if (!peer) throw new Error('this call has no connection to share the screen through');
    const picked = await pickScreen();
    if (!picked) return;
    const { stream, track } = picked;
    let tr = this.#transceiver;
    if (tr && tr.currentDirection !== 'stopped') {
      tr.direction = 'sendonly';
      await tr.sender.replaceTrack(track);
    } else {
      tr = peer.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
      this.#transceiver = tr;
    }
    this.#track = track;
    this.#stream = stream;
    track.addEventListener('ended', () => void this.stop(republish));
    this.#changed();
    const shared = tr;
    await republish(() => shared.mid).catch(async (err: unknown) => {
      await this.stop(republish);
      throw err;
    });
  }

  /** Stops sharing: the others' screen tile goes away. */
  async stop(republish: (screenMid: () => string | null) => Promise<void>): Promise<void> {
    const track = this.#track;
    if (!track) return;
    this.#track = undefined;
    this.#stream = undefined;
    track.stop();
    const tr = this.#transceiver;
    this.#changed();
    if (!tr) return;
    await tr.sender.replaceTrack(null).catch(() => undefined);
    tr.direction = 'inactive';
    await republish(() => tr.mid).catch(() => undefined); // a closed call: nothing to tell
  }

  /**
   * R119 published afresh on `peer` (the old publishing peer is gone): the shared screen goes on, as
   * its own video stream of the new peer (added while the SDK prepares it, so it gets the frame
   * transform in the same task; the publish labels its mid, `mid()`).
   */
  carryTo(peer: RTCPeerConnection): void {
    const track = this.#track;
    if (!track || !this.#stream) return;
    if (track.readyState === 'ended') {
      this.release();
      return;
    }
    this.#transceiver = peer.addTransceiver(track, { direction: 'sendonly', streams: [this.#stream] });
  }

  /** The shared screen's mid on the publishing peer (none while not sharing). */
  mid(): string | null {
    return this.#track ? (this.#transceiver?.mid ?? null) : null;
  }

  /** The call ended: the screen stops being captured. */
  release(): void {
    const was = this.#track !== undefined;
    this.#track?.stop();
    this.#track = undefined;
    this.#stream = undefined;
    this.#transceiver = undefined;
    if (was) this.#changed();
  }
}
