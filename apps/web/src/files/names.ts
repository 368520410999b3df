import type { AttachmentKind } from '@parley/protocol';

const MAX_NAME = 255;
export const MAX_MIME = 127;

/** A name that fits the attachment's 255 characters, keeping its extension. */
export function fitName(name: string): string {
  const clean = name.trim() || 'file';
  if (clean.length <= MAX_NAME) return clean;
  const dot = clean.lastIndexOf('.');
  const ext = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
  return clean.slice(0, MAX_NAME - ext.length - 1) + '…' + ext;
}

/** The kind a MIME type suggests; only raster images, video and audio are shown as media (SVG is a file: it may hold scripts). */
export function kindOf(mime: string): AttachmentKind {
  if (/^image\/(png|jpeg|gif|webp|bmp|avif)$/i.test(mime)) return 'image';
  if (/^video\//i.test(mime)) return 'video';
  if (/^audio\//i.test(mime)) return 'audio';
  return 'file';
}

