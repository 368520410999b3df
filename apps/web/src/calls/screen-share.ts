/**
 * R103: sharing the screen in a call. The screen's track takes the camera's place in the call's
 * video sender (`replaceTrack`: no renegotiation, no new transceiver), so it goes out through the
 * same sender and the same SFrame transform as the camera did (R64/R76: encrypted end to end, the
 * SFU sees one more video stream's sizes, nothing new). Stopping (the button, or the browser's own
 * "Stop sharing" ending the track) puts the camera back, or nothing while the camera is off.
 */
/** The browser could not capture a screen (not a cancelled picker, which is no error). */
export class ScreenUnavailable extends Error {
  constructor(cause: unknown) {
    super('screen capture unavailable', { cause });
    this.name = 'ScreenUnavailable';
  }
}

/**
 * The browser's screen picker: the chosen screen's stream and video track, hinted for detail (text
 * stays sharp: the encoder drops frames before resolution); undefined when the person closed the picker.
 */
export async function pickScreen(): Promise<{ stream: MediaStream; track: MediaStreamTrack } | undefined> {
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'NotAllowedError') return undefined;
    throw new ScreenUnavailable(err);
  }
  const track = stream.getVideoTracks()[0];
  if (!track) return undefined;
  track.contentHint = 'detail';
  return { stream, track };
}

export class ScreenShare {
  #track: MediaStreamTrack | undefined;
  #stream: MediaStream | undefined;
  #sender: RTCRtpSender | undefined;
  #stopping = false;
  readonly #changed: () => void;

  constructor(changed: () => void) {
    this.#changed = changed;
  }

  /** Whether this browser can share a screen at all (phones can't). */
  static get supported(): boolean {
    return typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getDisplayMedia === 'function';
  }

  get sharing(): boolean {
    return this.#track !== undefined;
  }

  /** The shared screen as a stream (this device's own preview). */
  get stream(): MediaStream | undefined {
    return this.#stream;
  }

  /**
   * Asks the person for a screen (the browser's picker) and sends it through `sender` in place of
   * its track; `back()` is what the sender carries again when sharing stops (the camera, or null).
   */
  async start(sender: RTCRtpSender | undefined, back: () => MediaStreamTrack | null): Promise<void> {
    if (this.#track) return;
    if (!sender) throw new Error('this call has no video to share the screen through');
    const picked = await pickScreen();
    if (!picked) return;
    const { stream, track } = picked;
    await sender.replaceTrack(track);
    this.#track = track;
    this.#stream = stream;
    this.#sender = sender;
    track.addEventListener('ended', () => void this.stop(back()));
    this.#changed();
  }

  /**
   * Stops sharing; the sender carries `back` again. `sharing` turns false only once the sender no longer
   * carries the screen, so a render in between never shows "not sharing" while it still does.
   */
  async stop(back: MediaStreamTrack | null): Promise<void> {
    const track = this.#track;
    if (!track || this.#stopping) return;
    this.#stopping = true;
    track.stop();
    await this.#sender?.replaceTrack(back).catch(() => undefined); // a closed call: nothing to put back
    this.#track = undefined;
    this.#stream = undefined;
    this.#sender = undefined;
    this.#stopping = false;
    this.#changed();
  }

  /** The call ended: the screen stops being captured. */
  release(): void {
    this.#track?.stop();
    this.#track = undefined;
    this.#stream = undefined;
    this.#sender = undefined;
  }
}

/** The sender of a peer connection's video transceiver (the camera's, or the one the camera left). */
export function videoSender(peer: RTCPeerConnection | undefined): RTCRtpSender | undefined {
  return peer?.getTransceivers().find((tr) => tr.sender.track?.kind === 'video' || tr.receiver.track.kind === 'video')?.sender;
}
