import { useEffect, useRef, useState } from 'react';
import { MAX_PREVIEW_IMAGE_CHARS, type FetchedLinkPreview, type LinkPreview } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { Icon } from './icons.tsx';

const SETTING_KEY = 'parley.linkPreviews';
const THUMBNAIL_SIDES = [320, 240, 160];
const DEBOUNCE_MS = 600;

/** R45: whether this browser asks the server for link previews (a person's setting; on unless turned off). */
export function linkPreviewsOn(): boolean {
  return localStorage.getItem(SETTING_KEY) !== 'off';
}

export function setLinkPreviewsOn(on: boolean): void {
  localStorage.setItem(SETTING_KEY, on ? 'on' : 'off');
}

/** The first http(s) link in a text, without the punctuation that usually ends a sentence after it. */
export function firstLink(text: string): string | undefined {
  const match = /\bhttps?:\/\/[^\s<>"']+/i.exec(text);
  if (!match) return undefined;
  const url = match[0].replace(/[.,;:!?)\]}'"»]+$/, '');
  try {
    return new URL(url).href;
  } catch {
    return undefined;
  }
}

/**
 * The page's image as a small JPEG the message can carry (at most MAX_PREVIEW_IMAGE_CHARS of
 * base64): drawn on a canvas at 320, 240 or 160 px on its longer side; none if it won't decode.
 */
async function thumbnail(image: NonNullable<FetchedLinkPreview['image']>): Promise<LinkPreview['image']> {
  try {
    const bytes = Uint8Array.from(atob(image.data), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: image.mediaType }));
    for (const side of THUMBNAIL_SIDES) {
      const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const data = canvas.toDataURL('image/jpeg', 0.72).split(',')[1] ?? '';
      if (data.length >= 4 && data.length <= MAX_PREVIEW_IMAGE_CHARS) return { mediaType: 'image/jpeg', data };
    }
  } catch {
    // an image the browser can't decode: the preview goes without it
  }
  return undefined;
}

async function forMessage(fetched: FetchedLinkPreview): Promise<LinkPreview> {
  const { image, ...rest } = fetched;
  const small = image ? await thumbnail(image) : undefined;
  return small ? { ...rest, image: small } : rest;
}

/**
 * The preview of the first link in a draft: asked for (debounced) when the text has a link, kept
 * per URL, dropped when the person removes it (×) or the link. `preview` is what goes with the message.
 */
export function useDraftPreview(text: string, fetchPreview: ((url: string) => Promise<FetchedLinkPreview>) | undefined): {
  preview: LinkPreview | undefined; dismiss: () => void; reset: () => void;
} {
  const url = fetchPreview && linkPreviewsOn() ? firstLink(text) : undefined;
  const cache = useRef(new Map<string, LinkPreview | null>());
  const [dismissed, setDismissed] = useState<string | undefined>();
  const [, rerender] = useState(0);
  useEffect(() => {
    if (!url || !fetchPreview || cache.current.has(url)) return;
    const timer = setTimeout(() => {
      cache.current.set(url, null);
      fetchPreview(url).then(forMessage).then((p) => cache.current.set(url, p), () => cache.current.set(url, null)).finally(() => rerender((n) => n + 1));
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [url, fetchPreview]);
  const preview = url && url !== dismissed ? cache.current.get(url) ?? undefined : undefined;
  return { preview, dismiss: () => setDismissed(url), reset: () => setDismissed(undefined) };
}

/** A preview as a card: every field shown as text, the link only to an http(s) URL, opened without an opener. */
export function LinkPreviewCard({ preview, onDismiss }: { preview: LinkPreview; onDismiss?: () => void }) {
  const { t } = useI18n();
  const safe = /^https?:\/\//i.test(preview.url);
  let host = '';
  try {
    host = new URL(preview.url).host;
  } catch {
    // shown without a host
  }
  const body = (
    <>
      {preview.image && <img className="link-preview-image" src={`data:${preview.image.mediaType};base64,${preview.image.data}`} alt="" />}
      <span className="link-preview-text">
        <span className="link-preview-site">{preview.siteName ?? host}</span>
        {preview.title && <strong className="link-preview-title">{preview.title}</strong>}
        {preview.description && <span className="link-preview-description">{preview.description}</span>}
      </span>
    </>
  );
  return (
    <div className={`link-preview${onDismiss ? ' draft' : ''}`} data-testid={onDismiss ? 'draft-preview' : 'link-preview'}>
      {safe && !onDismiss ? <a href={preview.url} target="_blank" rel="noopener noreferrer" className="link-preview-body">{body}</a> : <span className="link-preview-body">{body}</span>}
      {onDismiss && (
        <button type="button" className="icon small" aria-label={t('removePreview')} title={t('removePreview')} onClick={onDismiss}>
          <Icon name="close" size={16} />
        </button>
      )}
    </div>
  );
}
