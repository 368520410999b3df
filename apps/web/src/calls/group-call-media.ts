import type { CallPeer, GroupCall, GroupCallView, ParleyClient } from '@parley/client';
import { MicUnavailable } from './call-errors.ts';
import type { InputSwitch } from './device-picker.tsx';
import { inputOf, MIC_CONSTRAINTS, switchInput } from './device-switch.ts';
import { GroupScreenShare } from './group-screen-share.ts';

/** The camera's width a group call asks for (and assumes of the others', R123's layer choice). */
export const CAMERA_WIDTH = 640;

/** A remote participant's tracks as the subscriber peer delivers them. */
export interface FeedMedia {
  audio?: MediaStreamTrack;
  video?: MediaStreamTrack;
  /** R133: the screen it shares, beside its camera. */
  screen?: MediaStreamTrack;
}

/**
 * This tab's one group call (R62, through the SDK's `client.calls.joinGroup`): the microphone and
 * camera it publishes, the tracks that arrive for each other participant (Janus's stream list maps
 * the subscriber peer's mids to publisher ids), mute and camera state. Lives outside React so the
 * call goes on while the person moves between chats.
 */
class GroupCallMedia {
  #call: GroupCall | undefined;
  #view: GroupCallView | undefined;
  #chatId: string | undefined;
  #media: 'audio' | 'video' = 'video';
  #local: MediaStream | undefined;
  /** Tracks by the subscriber transceiver's mid. */
  readonly #tracks = new Map<string, MediaStreamTrack>();
  #joining = false;
  /** Leave was pressed while still joining: the call is left as soon as it is joined. */
  #leaveWhenJoined = false;
  #muted = false;
  #cameraOff = false;
  readonly #listeners = new Set<() => void>();
  /** R123: the simulcast layer asked of Janus per remote feed. */
  readonly #substreams = new Map<number, number>();
  #encodings: ((width: number) => RTCRtpEncodingParameters[]) | undefined;
  /** R133: the screen this call publishes beside the camera (video calls). */
  readonly screen = new GroupScreenShare(() => this.#changed());
  /** The camera's sender on the publishing peer (camera off: it carries nothing). */
  #cameraSender: RTCRtpSender | undefined;

  get chatId(): string | undefined { return this.#chatId; }
  get view(): GroupCallView | undefined { return this.#view; }
  get media(): 'audio' | 'video' { return this.#media; }
  get joining(): boolean { return this.#joining; }
  get muted(): boolean { return this.#muted; }
  get cameraOff(): boolean { return this.#cameraOff; }
  /** This device's camera (the own tile), when it sends video. */
  get local(): MediaStream | undefined { return this.#local?.getVideoTracks().length ? this.#local : undefined; }

  /** R133: publishes a screen beside the camera (through the SFU, SFrame-encrypted like the camera). */
  shareScreen(): Promise<void> {
    return this.screen.start(this.#publisher(), this.#republish);
  }

  stopScreen(): Promise<void> {
    return this.screen.stop(this.#republish);
  }

  readonly #republish = (screenMid: () => string | null): Promise<void> => this.#call?.republishTracks(screenMid) ?? Promise.resolve();

  #publisher(): RTCPeerConnection | undefined {
    return this.#view?.publisher as unknown as RTCPeerConnection | undefined;
  }

  /** Whether this tab is in (or joining) a group call. */
  get live(): boolean { return this.#joining || this.#view?.state === 'joined'; }

  /** Each other participant's tracks, by publisher id. */
  feeds(): Map<number, FeedMedia> {
    const out = new Map<number, FeedMedia>();
    for (const s of this.#view?.streams ?? []) {
      const track = this.#tracks.get(s.mid);
      if (!track || track.readyState === 'ended') continue;
      const m = out.get(s.feedId) ?? {};
      m[s.screen ? 'screen' : s.kind] = track;
      out.set(s.feedId, m);
    }
    return out;
  }

  /** The subscriber peer (for getStats), while in the call. */
  get subscriber(): RTCPeerConnection | undefined {
    return this.#view?.subscriber as unknown as RTCPeerConnection | undefined;
  }

  /** Joins `chatId`'s group call with the microphone (and camera for `video`). */
  async join(client: ParleyClient, chatId: string, media: 'audio' | 'video'): Promise<void> {
    if (this.live) return;
    this.#joining = true;
    this.#leaveWhenJoined = false;
    this.#chatId = chatId;
    this.#media = media;
    this.#changed();
    try {
      const local = await navigator.mediaDevices.getUserMedia({
        audio: MIC_CONSTRAINTS,
        video: media === 'video' ? { width: { ideal: CAMERA_WIDTH }, height: { ideal: 360 } } : false,
      }).catch((err: unknown) => { throw new MicUnavailable(err); });
      this.#local = local;
      // R123: loaded with the call, not with the app (the chat screen's size budget).
      const { simulcastEncodings } = await import('./group-call-simulcast.ts');
      this.#encodings = simulcastEncodings;
      this.#call = await client.calls.joinGroup(chatId, {
        media: { audio: true, video: media === 'video' },
        prepare: (peer, role) => this.#prepare(peer, role),
        screenMid: () => this.screen.mid(),
        onChange: (view) => {
          this.#view = view;
          if (view.state === 'left') this.#release();
          this.#changed();
        },
      });
      this.#view = this.#call.view;
      if (this.#leaveWhenJoined) await this.leave();
    } catch (err) {
      this.#release();
      throw err;
    } finally {
      this.#joining = false;
      this.#changed();
    }
  }

  async leave(): Promise<void> {
    if (this.#joining && !this.#call) {
      this.#leaveWhenJoined = true;
      return;
    }
    const call = this.#call;
    this.#release();
    this.#changed();
    await call?.leave();
  }

  setMuted(muted: boolean): void {
    this.#muted = muted;
    for (const track of this.#local?.getAudioTracks() ?? []) track.enabled = !muted;
    this.#changed();
  }

  setCameraOff(off: boolean): void {
    this.#cameraOff = off;
    const camera = this.#local?.getVideoTracks()[0];
    if (camera) camera.enabled = !off;
    // No frames at all (not black ones): the others' copy of the track goes muted and their tile shows the avatar.
    void this.#cameraSender?.replaceTrack(off ? null : camera ?? null).catch(() => undefined);
    this.#changed();
  }

  /** The device picker's view of this call's microphone and camera. */
  readonly inputs: InputSwitch = {
    current: (kind) => inputOf(this.#local, kind),
    switchTo: async (kind, deviceId) => {
      if (!this.#local) return;
      const publisher = this.#view?.publisher as unknown as RTCPeerConnection | undefined;
      await switchInput(this.#local, [publisher], kind, deviceId, kind === 'audio' ? !this.#muted : !this.#cameraOff);
      this.#changed();
    },
  };

  /** R123: the simulcast layer Janus forwards of a remote feed (the call layer picks it by tile size). */
  setSubstream(feedId: number, substream: 0 | 1 | 2): void {
    if (!this.#call || this.#substreams.get(feedId) === substream) return;
    this.#substreams.set(feedId, substream);
    void this.#call.setSubstream(feedId, substream).catch(() => this.#substreams.delete(feedId));
  }

  on(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #prepare(callPeer: CallPeer, role: 'publisher' | 'subscriber'): void {
    const peer = callPeer as unknown as RTCPeerConnection; // the browser's own (the SDK's default factory)
    if (role === 'publisher') {
      for (const track of this.#local?.getAudioTracks() ?? []) peer.addTrack(track, this.#local!);
      // R123: the camera in simulcast layers, so each receiver gets the one its tile needs.
      for (const track of this.#local?.getVideoTracks() ?? []) {
        const tr = peer.addTransceiver(track, { direction: 'sendonly', streams: [this.#local!], sendEncodings: this.#encodings?.(track.getSettings().width ?? CAMERA_WIDTH) ?? [] });
        this.#cameraSender = tr.sender;
      }
      // R119's republish makes a fresh publishing peer: a shared screen moves to it (after the camera: its own mid).
      this.screen.carryTo(peer);
      return;
    }
    peer.addEventListener('track', (event) => {
      const mid = event.transceiver.mid;
      if (mid === null) return;
      this.#tracks.set(mid, event.track);
      for (const name of ['ended', 'mute', 'unmute']) event.track.addEventListener(name, () => this.#changed());
      this.#changed();
    });
  }

  /** Stops the microphone and camera and forgets the call (its peers are closed by the SDK). */
  #release(): void {
    this.screen.release();
    for (const track of this.#local?.getTracks() ?? []) track.stop();
    this.#local = undefined;
    this.#cameraSender = undefined;
    this.#call = undefined;
    this.#view = undefined;
    this.#chatId = undefined;
    this.#tracks.clear();
    this.#substreams.clear();
    this.#muted = false;
    this.#cameraOff = false;
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }
}

export const groupCallMedia = new GroupCallMedia();
