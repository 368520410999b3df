import { ParleyError, type ParleyClient } from '@parley/client';
import type { Attachment } from '@parley/protocol';
import { files } from './sdk.ts';

/**
 * R59: a video plays while it downloads, and seeks without downloading what lies before. The
 * <video> gets a same-origin URL, `/__media/<token>`, that only the service worker (public/sw.js)
 * answers: for each HTTP Range request the browser makes, the worker asks this page, which reads
 * just those plaintext bytes with the SDK (`readAttachmentRange`: the chunks that hold them are
 * fetched with Range from the server and each one's tag checked) and hands them back. Nothing
 * decrypted leaves the browser or lands in a cache. The token is random, lives as long as the
 * element, and only this page knows what it stands for. Without a controlling service worker
 * (first visit, blocked) there is no stream: the caller downloads the whole file instead.
 */
export const MEDIA_PATH = '/__media/';
/** At most this much plaintext per answer; the browser asks again for what follows. */
const MAX_ANSWER_BYTES = 1024 * 1024;

interface Stream { client: ParleyClient; att: Attachment }
const streams = new Map<string, Stream>();
let listening = false;

/** A URL the <video> can play from, or undefined where no service worker controls the page. */
export function streamUrl(client: ParleyClient, att: Attachment): string | undefined {
  if (typeof navigator === 'undefined' || !navigator.serviceWorker?.controller) return undefined;
  listen();
  const token = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  streams.set(token, { client, att });
  return `${MEDIA_PATH}${token}`;
}

/** The element is gone: its token stops answering. */
export function endStream(url: string): void {
  streams.delete(url.slice(MEDIA_PATH.length));
}

/** What the service worker asks (`parley-media-range`) and what the page answers on the port. */
export interface RangeAsk { type: 'parley-media-range'; token: string; start: number; end?: number }
export type RangeAnswer =
  | { bytes: ArrayBuffer; start: number; size: number; mime: string }
  | { error: 'not_found' | 'range' | 'file_damaged' | 'failed'; size?: number };

function listen(): void {
  if (listening) return;
  listening = true;
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent) => {
    const ask = event.data as Partial<RangeAsk> | null;
    const port = event.ports[0];
    if (ask?.type !== 'parley-media-range' || !port) return;
    void answer(ask).then((reply) => port.postMessage(reply, 'bytes' in reply ? [reply.bytes] : []));
  });
}

async function answer(ask: Partial<RangeAsk>): Promise<RangeAnswer> {
  const stream = typeof ask.token === 'string' ? streams.get(ask.token) : undefined;
  if (!stream) return { error: 'not_found' };
  const { client, att } = stream;
  const start = Number(ask.start);
  if (!Number.isSafeInteger(start) || start < 0 || start >= att.size) return { error: 'range', size: att.size };
  const wanted = typeof ask.end === 'number' && Number.isSafeInteger(ask.end) && ask.end > start ? ask.end : att.size;
  const end = Math.min(wanted, att.size, start + MAX_ANSWER_BYTES);
  try {
    const bytes = await files(client).readAttachmentRange(att, start, end);
    // A copy of exactly these bytes, to transfer (the SDK's view may share a larger buffer).
    const own = bytes.slice().buffer as ArrayBuffer;
    return { bytes: own, start, size: att.size, mime: /^video\/[\w.+-]+$/i.test(att.mime) ? att.mime : 'application/octet-stream' };
  } catch (err) {
    return { error: err instanceof ParleyError && err.code === 'file_damaged' ? 'file_damaged' : 'failed' };
  }
}
