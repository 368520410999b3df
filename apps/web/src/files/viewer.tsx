import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { Attachment } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { errorText } from '../i18n/errors.ts';
import { Icon } from '../components/icons.tsx';
import { thumbUrl } from './attachments.tsx';
import { isDamaged, saveAs, useDecrypted } from './media-store.ts';
import { sanitizeFileName } from './sdk.ts';

const ZOOMS = [1, 1.5, 2, 3, 4] as const;

/**
 * The full-screen viewer for a chat's photos and videos: zoom, previous/next across the chat's
 * media (what this device has loaded), download. A modal dialog: focus moves into it and stays
 * there (Tab cycles), Esc closes it and focus goes back where it was; ←/→ move, +/− zoom.
 */
export function Viewer({ client, items, start, onClose }: {
  client: ParleyClient; items: readonly Attachment[]; start: number; onClose: () => void;
}) {
  const { t } = useI18n();
  const [index, setIndex] = useState(start);
  const [zoom, setZoom] = useState(0);
  const [box, setBox] = useState({ w: 0, h: 0 });
  const dialog = useRef<HTMLDivElement>(null);
  const stage = useRef<HTMLDivElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);
  const att = items[index];
  const data = useDecrypted(client, att, true);
  const keyHandler = useRef<(e: globalThis.KeyboardEvent) => void>(() => {});
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => keyHandler.current(e);
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    closeButton.current?.focus();
    return () => before?.focus?.();
  }, []);
  useLayoutEffect(() => {
    const el = stage.current;
    if (!el) return;
    const measure = () => setBox({ w: el.clientWidth, h: el.clientHeight });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  useEffect(() => setZoom(0), [index]);
  if (!att) return null;

  const name = sanitizeFileName(att.name);
  const go = (d: number) => setIndex((i) => Math.min(items.length - 1, Math.max(0, i + d)));
  const scale = ZOOMS[zoom] ?? 1;
  // The picture fits the screen at 1×; zooming grows it and the stage scrolls.
  const ratio = att.width && att.height ? att.width / att.height : 4 / 3;
  const fitW = Math.min(box.w, box.h * ratio, att.width ?? Infinity);
  const size = { width: Math.round(fitW * scale), height: Math.round((fitW / ratio) * scale) };

  // Keys are heard on the window: a button that became disabled under the focus (Next on the last
  // photo) drops the focus to the body, and Esc must still close.
  keyHandler.current = (e: globalThis.KeyboardEvent) => {
    if (e.key === 'Escape') { e.preventDefault(); onClose(); }
    else if (e.key === 'ArrowLeft' && !(e.target instanceof HTMLVideoElement)) { e.preventDefault(); go(-1); }
    else if (e.key === 'ArrowRight' && !(e.target instanceof HTMLVideoElement)) { e.preventDefault(); go(1); }
    else if (e.key === '+' || e.key === '=') setZoom((z) => Math.min(ZOOMS.length - 1, z + 1));
    else if (e.key === '-') setZoom((z) => Math.max(0, z - 1));
    else if (e.key === 'Tab') {
      const focusable = [...(dialog.current?.querySelectorAll<HTMLElement>('button:not(:disabled), video, [tabindex="0"]') ?? [])];
      const first = focusable[0];
      const last = focusable.at(-1);
      const inside = dialog.current?.contains(document.activeElement) ?? false;
      if (!inside || (e.shiftKey && document.activeElement === first)) { e.preventDefault(); (e.shiftKey ? last : first)?.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first?.focus(); }
    }
  };

  const image = att.kind === 'image';
  const thumb = thumbUrl(att);
  return (
    <div className="viewer" role="dialog" aria-modal="true" aria-label={t('viewer')} ref={dialog} data-testid="viewer">
      <div className="viewer-bar">
        <span className="grow viewer-title">
          <span className="ellipsis" dir="auto">{name}</span>
          <span className="muted small" data-testid="viewer-position">{t('viewerPosition', { index: index + 1, count: items.length })}</span>
        </span>
        {image && (
          <>
            <button type="button" className="icon" aria-label={t('zoomOut')} title={t('zoomOut')} disabled={zoom === 0} onClick={() => setZoom((z) => Math.max(0, z - 1))}><Icon name="zoomOut" /></button>
            <span className="viewer-zoom small" aria-live="polite">{Math.round(scale * 100)}%</span>
            <button type="button" className="icon" aria-label={t('zoomIn')} title={t('zoomIn')} disabled={zoom === ZOOMS.length - 1} onClick={() => setZoom((z) => Math.min(ZOOMS.length - 1, z + 1))}><Icon name="zoomIn" /></button>
          </>
        )}
        <button type="button" className="icon" aria-label={t('download', { name })} title={t('download', { name })} disabled={!data.url}
          onClick={() => { if (data.url) saveAs(data.url, name); }}><Icon name="download" /></button>
        <button type="button" className="icon" ref={closeButton} aria-label={t('close')} title={t('close')} onClick={onClose} data-testid="viewer-close"><Icon name="close" /></button>
      </div>
      <div className="viewer-stage" ref={stage} tabIndex={zoom > 0 ? 0 : -1}>
        {data.state === 'failed' ? (
          <p className="viewer-error" role="alert">{isDamaged(data.error) ? t('fileDamaged') : errorText(t, data.error)}</p>
        ) : image ? (
          <img key={att.blobId} className={data.url ? 'viewer-image' : 'viewer-image blurred'} src={data.url ?? thumb} alt={name} style={size} data-testid="viewer-image" />
        ) : data.url ? (
          <video key={att.blobId} className="viewer-video" src={data.url} controls autoPlay playsInline aria-label={name} />
        ) : (
          thumb && <img className="viewer-image blurred" src={thumb} alt={name} style={size} />
        )}
        {data.state === 'loading' && (
          <span className="viewer-loading" role="status">{t('loadingMedia')} {data.total > 0 ? `${Math.floor((data.received / data.total) * 100)}%` : ''}</span>
        )}
      </div>
      <button type="button" className="viewer-nav prev" aria-label={t('prevMedia')} title={t('prevMedia')} disabled={index === 0} onClick={() => go(-1)}><Icon name="prev" size={28} /></button>
      <button type="button" className="viewer-nav next" aria-label={t('nextMedia')} title={t('nextMedia')} disabled={index === items.length - 1} onClick={() => go(1)}><Icon name="next" size={28} /></button>
    </div>
  );
}
