import { MAX_WAVEFORM_SAMPLES } from '@parley/protocol';

/** Loudness readings (any count, any scale ≥ 0) → at most 128 bytes, the loudest at 255, base64 (R52). */
export function encodeWaveform(levels: readonly number[]): string | undefined {
  if (levels.length === 0) return undefined;
  const n = Math.min(MAX_WAVEFORM_SAMPLES, levels.length);
  const buckets: number[] = [];
  for (let i = 0; i < n; i++) {
    const from = Math.floor((i * levels.length) / n);
    const to = Math.max(from + 1, Math.floor(((i + 1) * levels.length) / n));
    let peak = 0;
    for (let k = from; k < to; k++) peak = Math.max(peak, levels[k] ?? 0);
    buckets.push(peak);
  }
  const max = Math.max(...buckets);
  const bytes = Uint8Array.from(buckets, (v) => (max > 0 ? Math.round((v / max) * 255) : 0));
  return btoa(String.fromCharCode(...bytes));
}

/** The waveform's samples as 0…1; a missing or unreadable one is a flat line of `fallback` samples. */
export function decodeWaveform(b64: string | undefined, fallback = 48): number[] {
  if (b64) {
    try {
      const raw = atob(b64);
      if (raw.length > 0) return Array.from(raw.slice(0, MAX_WAVEFORM_SAMPLES), (c) => c.charCodeAt(0) / 255);
    } catch { /* not base64: drawn flat */ }
  }
  return new Array<number>(fallback).fill(0.15);
}

/** Root mean square of one analyser frame (time-domain bytes around 128), 0…1. */
export function rms(frame: Uint8Array): number {
  let sum = 0;
  for (const v of frame) {
    const x = (v - 128) / 128;
    sum += x * x;
  }
  return frame.length > 0 ? Math.sqrt(sum / frame.length) : 0;
}

/** At most `n` bars for drawing: each the loudest of the samples it covers. */
export function squeeze(samples: readonly number[], n: number): number[] {
  if (samples.length <= n) return [...samples];
  return Array.from({ length: n }, (_, i) => {
    const from = Math.floor((i * samples.length) / n);
    const to = Math.floor(((i + 1) * samples.length) / n);
    return Math.max(...samples.slice(from, Math.max(from + 1, to)));
  });
}
