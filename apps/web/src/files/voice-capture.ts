import type { FileToSend } from './sdk.ts';
import { encodeWaveform, rms } from './waveform.ts';

/** Loudness is read this often while recording; the waveform is made from these readings. */
const LEVEL_EVERY_MS = 50;
const SHORTEST_MS = 300;

/** A recording under way: `stop(true)` gives the voice message (none when too short), `stop(false)` drops it. */
export interface Recording { stop(send: boolean): Promise<FileToSend | undefined> }

function preferredMime(): string | undefined {
  for (const m of ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4']) if (MediaRecorder.isTypeSupported(m)) return m;
  return undefined;
}

/**
 * Records Opus from `stream` with MediaRecorder and reads the loudness from an AnalyserNode for the
 * waveform (≤128 bytes); `onTick` hears the time recorded. Lazy: `voice-recorder.tsx` loads it on a press.
 */
export function record(stream: MediaStream, onTick: (ms: number) => void): Recording {
  const mimeType = preferredMime();
  const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : {});
  const audio = new AudioContext();
  const analyser = audio.createAnalyser();
  analyser.fftSize = 1024;
  audio.createMediaStreamSource(stream).connect(analyser);
  const frame = new Uint8Array(analyser.fftSize);
  const chunks: Blob[] = [];
  const levels: number[] = [];
  const startedAt = performance.now();
  const timer = setInterval(() => {
    analyser.getByteTimeDomainData(frame);
    levels.push(rms(frame));
    onTick(performance.now() - startedAt);
  }, LEVEL_EVERY_MS);
  recorder.ondataavailable = (e) => { if (e.data.size > 0) chunks.push(e.data); };
  recorder.start(1000);
  return {
    async stop(send) {
      clearInterval(timer);
      const stopped = new Promise<void>((resolve) => { recorder.onstop = () => resolve(); });
      if (recorder.state !== 'inactive') recorder.stop();
      await stopped;
      for (const track of stream.getTracks()) track.stop();
      void audio.close();
      const durationMs = Math.round(performance.now() - startedAt);
      if (!send || durationMs < SHORTEST_MS || chunks.length === 0) return undefined;
      const mime = (recorder.mimeType || 'audio/webm').split(';')[0] ?? 'audio/webm';
      const blob = new Blob(chunks, { type: mime });
      const ext = mime.includes('ogg') ? 'ogg' : mime.includes('mp4') ? 'm4a' : 'webm';
      const waveform = encodeWaveform(levels);
      const stamp = new Date().toISOString().slice(0, 19).replace(/[T:]/g, '-');
      return { source: blob, name: `voice-${stamp}.${ext}`, mime, size: blob.size, kind: 'voice', durationMs, ...(waveform ? { waveform } : {}) };
    },
  };
}
