import { fitName, kindOf, MAX_MIME } from './names.ts';

const MAX_SIDE = 100_000;
import type { FileToSend } from './sdk.ts';
import { mediaInfo, type ThumbnailMaker } from './thumbnails.ts';

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
    // An attachment states at most 100,000 px a side (R52): a stranger picture goes as a plain file.
    if (!thumb || thumb.width > MAX_SIDE || thumb.height > MAX_SIDE) return base;
    return { ...base, kind, width: thumb.width, height: thumb.height, thumbnail: thumb.thumbnail };
  }
  if (kind === 'video' || kind === 'audio') {
    const info = await mediaInfo(file, kind, maker);
    if (!info || (info.width ?? 0) > MAX_SIDE || (info.height ?? 0) > MAX_SIDE) return base;
    return { ...base, kind, ...info };
  }
  return base;
}
