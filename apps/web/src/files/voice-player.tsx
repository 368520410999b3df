import { useEffect, useMemo, useRef, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { Attachment } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { noFocusOnClick } from './pointer.ts';
import { errorText } from '../i18n/errors.ts';
import { Icon } from '../components/icons.tsx';
import { formatDuration } from './format.ts';
import { isDamaged, useDecrypted, type Decrypted } from './media-store.ts';
import { decodeWaveform, squeeze } from './waveform.ts';

const SPEEDS = [1, 1.5, 2] as const;
/** Bars drawn (the waveform's 128 samples are read in groups). */
const BARS = 42;

/**
 * A voice message: play/pause, the waveform as the seek bar (a range input over the bars, so the
 * keyboard and screen readers get a real slider), position or length, and 1× / 1.5× / 2×. The
 * audio is fetched and decrypted on the first play. The same player for sender and recipient.
 */
export function VoicePlayer({ client, att, disabled }: { client: ParleyClient; att: Attachment; disabled: boolean }) {
  const data = useDecrypted(client, disabled ? undefined : att);
  return <VoicePlayerView data={data} att={att} disabled={disabled} />;
}

/** The audio a voice player plays: fetched (and checked) on `load()`, then at `url`. */
export type VoiceSource = Pick<Decrypted, 'state' | 'url' | 'error'> & { load(): void };

/** The player itself, for any source of the audio: a chat's encrypted file, or (R199) a public post's checked one. */
export function VoicePlayerView({ data, att, disabled }: { data: VoiceSource; att: Pick<Attachment, 'waveform' | 'durationMs'>; disabled: boolean }) {
  const { t } = useI18n();
  const audio = useRef<HTMLAudioElement>(null);
  const [playing, setPlaying] = useState(false);
  const [position, setPosition] = useState(0);
  const [speed, setSpeed] = useState<(typeof SPEEDS)[number]>(1);
  const [wantPlay, setWantPlay] = useState(false);
  const bars = useMemo(() => squeeze(decodeWaveform(att.waveform, BARS), BARS), [att.waveform]);
  const durationMs = att.durationMs ?? 0;
  const played = durationMs > 0 ? Math.min(1, position / durationMs) : 0;

  // The first press fetches the file; it plays as soon as it is here.
  useEffect(() => {
    const el = audio.current;
    if (!wantPlay || !el || data.state !== 'ready') return;
    setWantPlay(false);
    el.playbackRate = speed;
    el.play().catch((err: unknown) => console.warn('parley: voice message does not play', err));
  }, [wantPlay, data.state, speed]);
  useEffect(() => { if (audio.current) audio.current.playbackRate = speed; }, [speed]);

  const toggle = () => {
    const el = audio.current;
    if (playing && el) { el.pause(); return; }
    if (data.state !== 'ready') data.load();
    setWantPlay(true);
  };
  const seek = (ms: number) => {
    setPosition(ms);
    if (audio.current && data.state === 'ready') audio.current.currentTime = ms / 1000;
  };

  return (
    <div className="voice" data-testid="voice-player" data-playing={playing ? 'yes' : 'no'}>
      <button type="button" className="voice-play" {...noFocusOnClick} disabled={disabled} onClick={toggle}
        aria-label={playing ? t('voicePause') : t('voicePlay')} title={playing ? t('voicePause') : t('voicePlay')} data-testid="voice-play">
        {data.state === 'loading' ? <span className="spinner small-spinner" aria-hidden="true" /> : <Icon name={playing ? 'pause' : 'play'} size={18} />}
      </button>
      <div className="voice-body">
        <div className="voice-wave">
          <div className="voice-bars" aria-hidden="true">
            {bars.map((v, i) => (
              <span key={i} className={(i + 0.5) / bars.length <= played ? 'on' : ''} style={{ height: `${Math.max(12, Math.round(v * 100))}%` }} />
            ))}
          </div>
          <input type="range" className="voice-seek" min={0} max={Math.max(1, durationMs)} step={100} value={Math.round(position)} disabled={disabled}
            aria-label={t('voiceSeek')} aria-valuetext={`${formatDuration(position)} / ${formatDuration(durationMs)}`}
            onChange={(e) => seek(Number(e.target.value))} data-testid="voice-seek" />
        </div>
        <div className="voice-meta small muted">
          <span data-testid="voice-time">{playing || position > 0 ? formatDuration(position) : formatDuration(durationMs)}</span>
          {data.state === 'failed' && <span className="error-text" role="alert">{isDamaged(data.error) ? t('fileDamaged') : errorText(t, data.error)}</span>}
        </div>
      </div>
      <button type="button" className="voice-speed small" {...noFocusOnClick} aria-label={`${t('voiceSpeed')}: ${speed}×`} title={t('voiceSpeed')} data-testid="voice-speed"
        onClick={() => setSpeed(SPEEDS[(SPEEDS.indexOf(speed) + 1) % SPEEDS.length] ?? 1)}>
        {speed}×
      </button>
      {data.url && (
        <audio ref={audio} src={data.url} preload="auto" data-testid="voice-audio"
          onPlay={() => setPlaying(true)} onPause={() => setPlaying(false)}
          onEnded={() => { setPlaying(false); setPosition(0); }}
          onTimeUpdate={(e) => setPosition(e.currentTarget.currentTime * 1000)}
          onLoadedMetadata={(e) => { e.currentTarget.playbackRate = speed; if (position > 0) e.currentTarget.currentTime = position / 1000; }} />
      )}
    </div>
  );
}
