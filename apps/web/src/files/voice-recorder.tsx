import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n/index.ts';
import { Icon } from '../components/icons.tsx';
import { formatDuration } from './format.ts';
import type { FileToSend } from './sdk.ts';
import type { Recording } from './voice-capture.ts';

/** A press held this long is hold-to-record: releasing sends. A shorter one is a tap: tap again to send. */
const HOLD_MS = 400;
/** Voice messages end here by themselves (they are sent as they are). */
const MAX_RECORDING_MS = 30 * 60 * 1000;

/**
 * The composer's microphone: tap to start and tap Send to send (or hold, and release to send);
 * Cancel drops it. Records Opus with MediaRecorder and reads the loudness from an AnalyserNode
 * for the waveform (≤128 bytes); sends it as a `voice` attachment with its duration.
 */
export function VoiceRecorder({ onSend, onError }: { onSend: (file: FileToSend) => void; onError: (message: string) => void }) {
  const { t } = useI18n();
  const rec = useRef<Recording | undefined>(undefined);
  const [elapsed, setElapsed] = useState<number | undefined>(undefined);
  const pressedAt = useRef(0);
  useEffect(() => () => { void stop(false); }, []); // leaving the chat drops a recording

  async function start(): Promise<void> {
    if (rec.current) return;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    } catch (err) {
      onError(t('voiceMicError', { reason: err instanceof Error ? err.message : String(err) }));
      return;
    }
    // The recording itself is a chunk of its own, fetched on the first press (the chat screen's budget).
    const { record } = await import('./voice-capture.ts');
    rec.current = record(stream, (ms) => {
      setElapsed(ms);
      if (ms > MAX_RECORDING_MS) void stop(true);
    });
    setElapsed(0);
  }

  async function stop(send: boolean): Promise<void> {
    const r = rec.current;
    if (!r) return;
    rec.current = undefined;
    setElapsed(undefined);
    const file = await r.stop(send);
    if (file) onSend(file);
  }

  if (elapsed === undefined) {
    return (
      <button type="button" className="send voice-mic" aria-label={t('voiceRecord')} title={t('voiceRecord')} data-testid="voice-record"
        onPointerDown={(e) => {
          if (e.button !== 0) return;
          pressedAt.current = performance.now();
          // The button is replaced by the recording bar at once: the release is heard on the window.
          addEventListener('pointerup', () => { if (performance.now() - pressedAt.current > HOLD_MS) void stop(true); }, { once: true });
          void start();
        }}
        onClick={(e) => { if (e.detail === 0) void start(); /* keyboard: Enter or Space */ }}>
        <Icon name="mic" />
      </button>
    );
  }
  return (
    <div className="voice-recording" role="group" aria-label={t('voiceRecording')} data-testid="voice-recording">
      <button type="button" className="icon" aria-label={t('voiceCancel')} title={t('voiceCancel')} onClick={() => void stop(false)} data-testid="voice-cancel">
        <Icon name="trash" />
      </button>
      <span className="rec-dot" aria-hidden="true" />
      <span className="grow" role="timer" aria-live="off">{t('voiceRecording')} {formatDuration(elapsed)}</span>
      <button type="button" className="send" aria-label={t('voiceSend')} title={t('voiceSend')} onClick={() => void stop(true)} data-testid="voice-send"
>
        <Icon name="send" />
      </button>
    </div>
  );
}
