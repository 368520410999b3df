import { useEffect, useReducer } from 'react';
import type { ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { noFocusOnClick } from './pointer.ts';
import { codeText } from '../i18n/errors.ts';
import { Icon } from '../components/icons.tsx';
import { formatBytes, formatDuration } from './format.ts';
import { files, type UploadProgress } from './sdk.ts';

const report = (what: string) => (err: unknown) => console.warn(`parley: ${what} failed`, err);

/**
 * The sender's own message while its files go up: a bar with bytes, speed and time left, pause or
 * resume, and cancel (which deletes the upload and the message). Offline it waits and says so; a
 * failed upload says why (an error code: quota_exceeded, file_too_large…).
 */
export function UploadBar({ client, upload }: { client: ParleyClient; upload: UploadProgress }) {
  const { t, locale } = useI18n();
  const api = files(client);
  const percent = upload.totalBytes > 0 ? Math.floor((upload.sentBytes / upload.totalBytes) * 100) : 0;
  const sent = t('uploadProgress', { sent: formatBytes(upload.sentBytes, locale), total: formatBytes(upload.totalBytes, locale) });
  // The SDK calls an upload "waiting" once tus's own retries are spent (~20 s); the connection says sooner.
  const state = upload.state === 'uploading' && client.connectionState === 'offline' ? 'waiting' : upload.state;
  let status: string;
  switch (state) {
    case 'waiting': status = t('uploadWaiting'); break;
    case 'paused': status = t('uploadPaused'); break;
    case 'sending': case 'done': status = t('uploadSending'); break;
    case 'failed': status = t('uploadFailed', { reason: codeText(t, upload.error ?? 'failed') }); break;
    case 'cancelled': status = ''; break;
    case 'uploading':
      status = upload.bytesPerSec > 0
        ? t('uploadSpeed', { speed: formatBytes(upload.bytesPerSec, locale), eta: formatDuration(upload.etaMs ?? 0) })
        : t('uploadStarting');
      break;
  }
  const movable = upload.state === 'uploading' || upload.state === 'waiting' || upload.state === 'paused' || upload.state === 'failed';
  return (
    <div className={`upload-bar upload-${state}`} data-testid="upload" data-state={state} data-sent={upload.sentBytes} data-total={upload.totalBytes}>
      <div className="upload-track" role="progressbar" aria-label={t('uploadLabel')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} aria-valuetext={`${percent}% · ${sent}`}>
        <div className="upload-fill" style={{ width: `${percent}%` }} />
      </div>
      <div className="upload-line">
        <span className="grow small">
          <span className="upload-sent">{sent}</span>
          {status && <span className={state === 'failed' ? 'error-text' : 'muted'} role={state === 'failed' ? 'alert' : undefined} data-testid="upload-status"> · {status}</span>}
        </span>
        {movable && (upload.state === 'paused' || upload.state === 'failed'
          ? <button type="button" className="icon small" {...noFocusOnClick} aria-label={t('uploadResume')} title={t('uploadResume')} onClick={() => api.resumeUpload(upload.clientMsgId)}><Icon name={upload.state === 'failed' ? 'retry' : 'play'} size={16} /></button>
          : <button type="button" className="icon small" {...noFocusOnClick} aria-label={t('uploadPause')} title={t('uploadPause')} onClick={() => api.pauseUpload(upload.clientMsgId)}><Icon name="pause" size={16} /></button>)}
        {movable && (
          <button type="button" className="icon small" {...noFocusOnClick} aria-label={t('uploadCancel')} title={t('uploadCancel')}
            onClick={() => { api.cancelUpload(upload.clientMsgId).catch(report('cancel upload')); }}><Icon name="close" size={16} /></button>
        )}
      </div>
    </div>
  );
}

/** This device's uploads by message id, re-rendering on the SDK's `uploads` event. */
export function useUploads(client: ParleyClient): Map<string, UploadProgress> {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => files(client).on('uploads', bump), [client]);
  return new Map(files(client).uploads().map((u) => [u.clientMsgId, u]));
}
