import { useEffect } from 'react';

/**
 * The sound of a ringing call, made with Web Audio (no sound file): `incoming` (two short chimes
 * every 3 s) while a call rings in (1:1, or a group's call, R124), `ringback` (a long 440+480 Hz tone
 * every 6 s) while the caller waits. Each screen that shows a ring asks for it with `useRingTone`
 * and lets go when it unmounts, so every way a ring ends (answered, declined, answered on another
 * device, dismissed, timed out, hung up) stops the sound; an incoming ring wins over a ringback.
 * `<html data-ring-tone>` says what plays and `data-ring-audio` the AudioContext's state
 * ("suspended" where the browser wants a tap before sound): what a test, or a person inspecting, reads.
 */
export type RingKind = 'incoming' | 'ringback';

interface Pattern { cycleS: number; bursts: Array<[start: number, length: number]>; freqs: number[]; volume: number }
const PATTERNS: Record<RingKind, Pattern> = {
  incoming: { cycleS: 3, bursts: [[0, 0.4], [0.55, 0.5]], freqs: [659.25, 987.77], volume: 0.18 },
  ringback: { cycleS: 6, bursts: [[0, 2]], freqs: [440, 480], volume: 0.08 },
};

const wanted = new Map<symbol, RingKind>();
let playing: { kind: RingKind; ctx: AudioContext; timer: ReturnType<typeof setInterval> } | undefined;

function update(): void {
  const kinds = [...wanted.values()];
  const kind: RingKind | undefined = kinds.includes('incoming') ? 'incoming' : kinds[0];
  if (playing?.kind === kind) return;
  if (playing) {
    clearInterval(playing.timer);
    void playing.ctx.close().catch(() => undefined);
    playing = undefined;
  }
  const root = document.documentElement;
  if (!kind || typeof AudioContext === 'undefined') {
    delete root.dataset['ringTone'];
    delete root.dataset['ringAudio'];
    return;
  }
  const ctx = new AudioContext();
  const pattern = PATTERNS[kind];
  let next = ctx.currentTime + 0.05;
  const schedule = () => {
    // Cycles are laid out a little ahead on the audio clock, so a busy main thread doesn't stutter them.
    while (next < ctx.currentTime + pattern.cycleS) {
      for (const [start, length] of pattern.bursts) burst(ctx, next + start, length, pattern);
      next += pattern.cycleS;
    }
  };
  schedule();
  const shown = () => { if (playing?.ctx === ctx) root.dataset['ringAudio'] = ctx.state; };
  ctx.onstatechange = shown;
  void ctx.resume().catch(() => undefined);
  playing = { kind, ctx, timer: setInterval(schedule, 1000) };
  root.dataset['ringTone'] = kind;
  shown();
}

function burst(ctx: AudioContext, at: number, length: number, p: Pattern): void {
  const gain = ctx.createGain();
  gain.gain.setValueAtTime(0, at);
  gain.gain.linearRampToValueAtTime(p.volume, at + 0.02);
  gain.gain.setValueAtTime(p.volume, at + length - 0.06);
  gain.gain.linearRampToValueAtTime(0, at + length);
  gain.connect(ctx.destination);
  for (const f of p.freqs) {
    const osc = ctx.createOscillator();
    osc.frequency.value = f;
    osc.connect(gain);
    osc.start(at);
    osc.stop(at + length);
  }
}

/** Plays `kind` while the calling component is mounted with it (undefined: nothing). */
export function useRingTone(kind: RingKind | undefined): void {
  useEffect(() => {
    if (!kind) return;
    const id = Symbol(kind);
    wanted.set(id, kind);
    update();
    return () => {
      wanted.delete(id);
      update();
    };
  }, [kind]);
}
