import { useEffect, useReducer, type RefObject } from 'react';

/** The getUserMedia constraints calls use for the microphone and the camera. */
export const MIC_CONSTRAINTS = { echoCancellation: true, noiseSuppression: true, autoGainControl: true } as const;

/**
 * Switches a call's microphone or camera to `deviceId`: a new track from getUserMedia takes the old
 * one's place in `local` and in every sender of `peers` that carried it (replaceTrack: no
 * renegotiation), keeps its muted / camera-off state, and the old track is stopped.
 */
export async function switchInput(local: MediaStream, peers: readonly (RTCPeerConnection | undefined)[], kind: 'audio' | 'video', deviceId: string, enabled: boolean): Promise<void> {
  const constraints = kind === 'audio'
    ? { audio: { ...MIC_CONSTRAINTS, deviceId: { exact: deviceId } } }
    : { video: { deviceId: { exact: deviceId }, width: { ideal: 640 }, height: { ideal: 480 } } };
  const fresh = (await navigator.mediaDevices.getUserMedia(constraints)).getTracks()[0];
  if (!fresh) return;
  fresh.enabled = enabled;
  const old = kind === 'audio' ? local.getAudioTracks()[0] : local.getVideoTracks()[0];
  for (const peer of peers) {
    for (const sender of peer?.getSenders() ?? []) {
      if (old && sender.track === old) await sender.replaceTrack(fresh);
    }
  }
  if (old) {
    local.removeTrack(old);
    old.stop();
  }
  local.addTrack(fresh);
}

/** The device id of the input a call's track comes from (for the picker's current choice). */
export function inputOf(local: MediaStream | undefined, kind: 'audio' | 'video'): string {
  const track = kind === 'audio' ? local?.getAudioTracks()[0] : local?.getVideoTracks()[0];
  return track?.getSettings().deviceId ?? '';
}

/** Where calls play their sound (HTMLMediaElement.setSinkId; '' is the system default). One per tab. */
class AudioOutput {
  #sinkId = '';
  readonly #listeners = new Set<() => void>();
  get sinkId(): string { return this.#sinkId; }
  /** Whether this browser can choose the output (Firefox and Safari may not). */
  get supported(): boolean { return typeof (HTMLMediaElement.prototype as { setSinkId?: unknown }).setSinkId === 'function'; }
  set(sinkId: string): void {
    this.#sinkId = sinkId;
    for (const l of this.#listeners) l();
  }
  on(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

export const audioOutput = new AudioOutput();

/** Plays the referenced element through the chosen output (checked after every render; changes re-render). */
export function useSink(ref: RefObject<HTMLAudioElement | null>): void {
  const [, bump] = useReducer((x: number) => x + 1, 0);
  useEffect(() => audioOutput.on(bump), []);
  useEffect(() => {
    const el = ref.current as (HTMLAudioElement & { sinkId?: string; setSinkId?: (id: string) => Promise<void> }) | null;
    if (!el?.setSinkId || el.sinkId === audioOutput.sinkId) return;
    el.setSinkId(audioOutput.sinkId).catch((err: unknown) => console.warn('parley: setSinkId failed', err));
  });
}
