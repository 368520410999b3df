import type { AttachmentKind } from '@parley/protocol';
import type { FileToSend } from './sdk.ts';
import { mediaInfo, type ThumbnailMaker } from './thumbnails.ts';

const MAX_NAME = 255;
const MAX_MIME = 127;

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

/**
 * What to send for a chosen file: its kind, and for media the dimensions, duration and thumbnail
 * made on this device (R52). A picture that can't be read within the limits (malformed, a
 * decompression bomb, zero bytes) goes as a plain file without a thumbnail.
 */
export async function prepareFile(file: File, maker: ThumbnailMaker): Promise<FileToSend> {
  const mime = (file.type || 'application/octet-stream').slice(0, MAX_MIME);
  const base: FileToSend = { source: file, name: fitName(file.name), mime, size: file.size, kind: 'file' };
  const kind = kindOf(mime);
  if (file.size === 0) return base;
  if (kind === 'image') {
    const thumb = await maker.image(file);
    return thumb ? { ...base, kind, width: thumb.width, height: thumb.height, thumbnail: thumb.thumbnail } : base;
  }
  if (kind === 'video' || kind === 'audio') {
    const info = await mediaInfo(file, kind, maker);
    if (!info) return base;
    return { ...base, kind, ...info };
  }
  return base;
}
