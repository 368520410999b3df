/**
 * What the thumbnail worker may spend on one file; past these the file goes without a thumbnail.
 * No imports: the worker's bundle stays small (the protocol's MAX_THUMBNAIL_CHARS comes in each request).
 */
export const THUMB = {
  /** Images larger than this are not decoded here (a photo is a few MB; 60 MB is a panorama or a trick). */
  maxImageBytes: 60 * 1024 * 1024,
  /** Decoded pixels at most (~50 MP photos pass; 200 MB of RGBA): a decompression bomb stops here, before decoding. */
  maxPixels: 50_000_000,
  /** Header bytes read to find an image's dimensions (a JPEG's EXIF block comes before them). */
  probeBytes: 256 * 1024,
  /** One job's time (decode + scale + encode, or a video's first frame) before the worker is killed. */
  timeoutMs: 10_000,
  /** Longest side and quality, tried in order until the picture fits the message. */
  attempts: [[320, 0.72], [240, 0.6], [160, 0.5], [96, 0.5]] as const,
} as const;

export type ThumbRequest =
  | { id: number; kind: 'image'; blob: Blob; maxChars: number }
  | { id: number; kind: 'frame'; bitmap: ImageBitmap; maxChars: number };

export type ThumbReply =
  | { id: number; ok: true; width: number; height: number; thumbnail: { mediaType: 'image/jpeg' | 'image/webp'; data: string } }
  | { id: number; ok: false; reason: string };
