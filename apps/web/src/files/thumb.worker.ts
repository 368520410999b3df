/// <reference lib="webworker" />
import { probeImageSize } from './image-probe.ts';
import { THUMB, type ThumbReply, type ThumbRequest } from './thumb-limits.ts';

/**
 * Makes thumbnails off the main thread: decodes an image (or takes a video frame the page grabbed),
 * scales it into an OffscreenCanvas and encodes a small picture that fits the message (R52). It
 * refuses, before decoding, what would cost too much (more pixels than THUMB.maxPixels, more bytes
 * than THUMB.maxImageBytes, zero bytes); the page kills this worker if a job runs over its time.
 */
const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = async (e: MessageEvent<ThumbRequest>) => {
  const req = e.data;
  let reply: ThumbReply;
  try {
    reply = { id: req.id, ok: true, ...(req.kind === 'image' ? await fromImage(req.blob, req.maxChars) : await encode(req.bitmap, req.maxChars)) };
  } catch (err) {
    reply = { id: req.id, ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  scope.postMessage(reply);
};

async function fromImage(blob: Blob, maxChars: number): Promise<{ width: number; height: number; thumbnail: ThumbReplyThumb }> {
  if (blob.size === 0) throw new Error('empty');
  if (blob.size > THUMB.maxImageBytes) throw new Error('too many bytes');
  const header = new Uint8Array(await blob.slice(0, THUMB.probeBytes).arrayBuffer());
  const size = probeImageSize(header);
  if (!size) throw new Error('unknown image format');
  if (size.width * size.height > THUMB.maxPixels) throw new Error(`too many pixels: ${size.width}x${size.height}`);
  const bitmap = await createImageBitmap(blob); // EXIF orientation applied: these are the shown dimensions
  return encode(bitmap, maxChars);
}

type ThumbReplyThumb = { mediaType: 'image/jpeg' | 'image/webp'; data: string };

async function encode(bitmap: ImageBitmap, maxChars: number): Promise<{ width: number; height: number; thumbnail: ThumbReplyThumb }> {
  const { width, height } = bitmap;
  try {
    if (width === 0 || height === 0) throw new Error('no pixels');
    for (const [side, quality] of THUMB.attempts) {
      const scale = Math.min(1, side / Math.max(width, height));
      const w = Math.max(1, Math.round(width * scale));
      const h = Math.max(1, Math.round(height * scale));
      const canvas = new OffscreenCanvas(w, h);
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error('no 2d context');
      ctx.fillStyle = '#fff'; // a transparent image on JPEG's missing alpha
      ctx.fillRect(0, 0, w, h);
      ctx.drawImage(bitmap, 0, 0, w, h);
      let out = await canvas.convertToBlob({ type: 'image/webp', quality });
      if (out.type !== 'image/webp') out = await canvas.convertToBlob({ type: 'image/jpeg', quality });
      const data = base64(new Uint8Array(await out.arrayBuffer()));
      if (data.length <= maxChars) return { width, height, thumbnail: { mediaType: out.type === 'image/webp' ? 'image/webp' : 'image/jpeg', data } };
    }
    throw new Error('thumbnail too large');
  } finally {
    bitmap.close();
  }
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
