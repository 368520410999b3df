import { useEffect, useState, type CSSProperties } from 'react';
import type { ParleyClient } from '@parley/client';
import { STICKER_MIMES, STICKER_SIDE_PX, type Attachment } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { noFocusOnClick } from './pointer.ts';
import { errorText } from '../i18n/errors.ts';
import { Icon } from '../components/icons.tsx';
import { FileIcon } from './file-icon.tsx';
import { formatBytes, formatDuration } from './format.ts';
import { cancelLoad, isDamaged, saveAs, useDecrypted } from './media-store.ts';
import { endStream, streamUrl } from './media-stream.ts';
import { sanitizeFileName } from './sdk.ts';
import { VoicePlayer } from './voice-player.tsx';

/** Photos up to this size are fetched as soon as they are shown; larger ones wait for a click. */
const AUTO_IMAGE_BYTES = 25 * 1024 * 1024;

/** R52: shown as a picture or a video only when its MIME type agrees with its kind (both are the sender's word). */
export function isVisual(att: Attachment): boolean {
  return (att.kind === 'image' && /^image\/(png|jpeg|gif|webp|bmp|avif)$/i.test(att.mime))
    || (att.kind === 'video' && /^video\//i.test(att.mime));
}
export const isVoice = (att: Attachment) => att.kind === 'voice' && /^audio\//i.test(att.mime);
export const isAudio = (att: Attachment) => att.kind === 'audio' && /^audio\//i.test(att.mime);

export const thumbUrl = (att: Attachment) => att.thumbnail ? `data:${att.thumbnail.mediaType};base64,${att.thumbnail.data}` : undefined;

/**
 * A message's attachments: photos and videos as an album (one: its own aspect ratio; several: a grid),
 * voice messages as a player, other files as cards. `uploading`: the sender's own files still going
 * up, shown from their thumbnails and never fetched.
 */
export function Attachments({ client, atts, uploading, onOpen }: {
  client: ParleyClient; atts: Attachment[]; uploading: boolean; onOpen: (att: Attachment) => void;
}) {
  const visual = atts.filter(isVisual);
  const rest = atts.filter((a) => !isVisual(a));
  return (
    <div className="attachments">
      {visual.length > 0 && (
        <div className={`album album-${Math.min(visual.length, 4)}`} data-testid="album" style={singleWidth(visual)}>
          {visual.map((att, i) => <MediaTile key={`${i}:${att.blobId}`} client={client} att={att} single={visual.length === 1} uploading={uploading} onOpen={onOpen} />)}
        </div>
      )}
      {rest.map((att, i) => isVoice(att)
        ? <VoicePlayer key={`${i}:${att.blobId}`} client={client} att={att} disabled={uploading} />
        : <FileCard key={`${i}:${att.blobId}`} client={client} att={att} disabled={uploading} />)}
    </div>
  );
}

export function MediaTile({ client, att, single, uploading, onOpen }: {
  client: ParleyClient; att: Attachment; single: boolean; uploading: boolean; onOpen: (att: Attachment) => void;
}) {
  const { t } = useI18n();
  const image = att.kind === 'image';
  // While uploading, the sender's own attachment has no blob yet: nothing to fetch.
  const data = useDecrypted(client, uploading ? undefined : att, image && att.size <= AUTO_IMAGE_BYTES);
  const thumb = thumbUrl(att);
  const ratio = att.width && att.height ? att.width / att.height : 4 / 3;
  const name = sanitizeFileName(att.name);
  // Very tall or wide pictures are cropped to 1:3 … 3:1 in the bubble; the viewer shows them whole.
  const shown = Math.min(3, Math.max(1 / 3, ratio));
  // A video streams through the service worker (media-stream.ts) where one controls the page; else, or
  // when the stream fails (a chunk that fails its check), it is downloaded whole and checked first.
  const [stream, setStream] = useState<string | undefined>();
  useEffect(() => () => { if (stream) endStream(stream); }, [stream]);
  const play = () => {
    const url = streamUrl(client, att);
    if (url) setStream(url);
    else data.load();
  };
  const src = stream ?? (!image && data.state === 'ready' ? data.url : undefined);
  return (
    <div className={`media-tile${single ? ' single' : ''}`} style={single ? { aspectRatio: String(shown) } : undefined}
      data-testid="media-tile" data-kind={att.kind} data-width={att.width} data-height={att.height}>
      {src ? (
        // The browser plays only what it can decode.
        <video src={src} controls autoPlay playsInline className="media-full" aria-label={name} data-testid="inline-video"
          data-streamed={stream ? 'yes' : 'no'} onError={stream ? () => { setStream(undefined); data.load(); } : undefined} />
      ) : (
        <button type="button" className="media-open" {...noFocusOnClick} aria-label={t('openMedia', { name: `${image ? t('photo') : t('video')}: ${name}${!image && att.durationMs !== undefined ? `, ${formatDuration(att.durationMs)}` : ''}` })}
          disabled={uploading} onClick={() => { if (image) onOpen(att); else play(); }}>
          {thumb && <img className={`media-thumb${data.state === 'ready' && image ? ' hidden' : ''}`} src={thumb} alt="" data-testid="media-thumb" />}
          {image && data.url && <img className="media-full" src={data.url} alt="" data-testid="media-full" />}
          {!image && data.state !== 'loading' && <span className="media-play" aria-hidden="true"><Icon name="play" size={28} /></span>}
          {!image && att.durationMs !== undefined && <span className="media-badge">{formatDuration(att.durationMs)}</span>}
          {data.state === 'loading' && <Progress received={data.received} total={data.total} />}
          {data.state === 'failed' && <span className="media-error" role="alert">{isDamaged(data.error) ? t('fileDamaged') : errorText(t, data.error)}</span>}
        </button>
      )}
    </div>
  );
}

/** R158: a message that is one sticker (a WebP or PNG image marked so, no caption): shown alone, without the bubble. */
export function stickerOf(atts: readonly Attachment[], text: string): Attachment | undefined {
  const [only] = atts;
  return atts.length === 1 && only?.sticker && only.kind === 'image' && STICKER_MIMES.includes(only.mime) && text === '' ? only : undefined;
}

/** R158: a sticker at most STICKER_SIDE_PX a side, its ratio kept; named by its emoji for screen readers. */
export function StickerImage({ client, att, uploading }: { client: ParleyClient; att: Attachment; uploading: boolean }) {
  const { t } = useI18n();
  const data = useDecrypted(client, uploading ? undefined : att, att.size <= AUTO_IMAGE_BYTES);
  const ratio = att.width && att.height ? att.width / att.height : 1;
  const size = ratio >= 1 ? { width: STICKER_SIDE_PX, height: Math.round(STICKER_SIDE_PX / ratio) } : { width: Math.round(STICKER_SIDE_PX * ratio), height: STICKER_SIDE_PX };
  const label = att.sticker?.emoji ? t('stickerOf', { emoji: att.sticker.emoji }) : t('sticker');
  return (
    <div className="sticker-image" role="img" aria-label={label} style={size} data-testid="sticker" data-emoji={att.sticker?.emoji}>
      {data.url ? <img src={data.url} alt="" /> : thumbUrl(att) && <img src={thumbUrl(att)} alt="" />}
      {data.state === 'failed' && <span className="media-error" role="alert">{isDamaged(data.error) ? t('fileDamaged') : errorText(t, data.error)}</span>}
    </div>
  );
}

/** Bubble pictures are at most this tall; a single portrait one is narrowed to keep its ratio. */
const MAX_TILE_HEIGHT_PX = 480;

function singleWidth(visual: Attachment[]): CSSProperties | undefined {
  const [only] = visual;
  if (visual.length !== 1 || !only) return undefined;
  const ratio = Math.min(3, Math.max(1 / 3, only.width && only.height ? only.width / only.height : 4 / 3));
  return { width: `min(420px, 62vw, ${Math.round(MAX_TILE_HEIGHT_PX * ratio)}px)` };
}

function Progress({ received, total }: { received: number; total: number }) {
  const { t } = useI18n();
  const percent = total > 0 ? Math.floor((received / total) * 100) : 0;
  return (
    <span className="media-progress" role="progressbar" aria-label={t('loadingMedia')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
      {percent}%
    </span>
  );
}

/** A file: type icon, name (sanitized, R52), size, and a download button that shows its progress. */
export function FileCard({ client, att, disabled }: { client: ParleyClient; att: Attachment; disabled: boolean }) {
  const { t, locale } = useI18n();
  const data = useDecrypted(client, disabled ? undefined : att);
  const name = sanitizeFileName(att.name);
  const percent = data.total > 0 ? Math.floor((data.received / data.total) * 100) : 0;
  const audio = isAudio(att) && data.state === 'ready' && data.url;
  const download = () => {
    if (data.state === 'ready' && data.url) saveAs(data.url, name);
    else if (data.state === 'loading') cancelLoad(att.blobId);
    else {
      data.load();
      wantSave.add(att.blobId);
    }
  };
  useEffect(() => {
    if (data.state === 'ready' && data.url && wantSave.delete(att.blobId) && !isAudio(att)) saveAs(data.url, name);
  }, [data.state, data.url, att, name]);
  return (
    <div className="file-card" data-testid="file-card" data-state={data.state}>
      <button type="button" className="file-button" {...noFocusOnClick} disabled={disabled} onClick={download}
        aria-label={data.state === 'loading' ? t('downloadProgress', { name, percent }) : t('download', { name })} data-testid="file-download">
        <FileIcon name={name} size={40} />
        {data.state === 'loading'
          ? <span className="file-ring" style={{ '--p': `${percent}%` } as CSSProperties} aria-hidden="true" />
          : <span className="file-action" aria-hidden="true"><Icon name={data.state === 'ready' ? 'check' : 'download'} size={16} /></span>}
      </button>
      <span className="file-text">
        <span className="file-name" dir="auto" data-testid="file-name" title={name}>{name}</span>
        <span className="muted small">
          {data.state === 'loading' ? `${formatBytes(data.received, locale)} / ${formatBytes(att.size, locale)}` : formatBytes(att.size, locale)}
        </span>
        {data.state === 'failed' && <span className="error small" role="alert" data-testid="file-error">{isDamaged(data.error) ? t('fileDamaged') : errorText(t, data.error)}</span>}
        {audio && <audio src={data.url} controls className="file-audio" aria-label={name} />}
      </span>
    </div>
  );
}

/** Downloads the person asked to save (not only to play): saved once they are ready. */
const wantSave = new Set<string>();
