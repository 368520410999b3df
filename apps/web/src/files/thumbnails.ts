import { MAX_THUMBNAIL_CHARS } from '@parley/protocol';
import workerUrl from './thumb.worker.ts?worker&url';
import { THUMB, type ThumbReply, type ThumbRequest } from './thumb-limits.ts';
import { trustedWorkerUrl } from '../trusted-worker.ts';

type Thumb = Extract<ThumbReply, { ok: true }>;
type Job = { kind: 'image'; blob: Blob } | { kind: 'frame'; bitmap: ImageBitmap };

/**
 * Thumbnails in a Web Worker, one job at a time, each with a time limit: a job that runs over it
 * (a decoder stuck on a hostile file) gets the worker terminated, and the next job a fresh one.
 * Every failure answers `undefined`: the file is then sent without a thumbnail.
 */
export class ThumbnailMaker {
  #worker: Worker | undefined;
  #nextId = 1;
  #queue: Promise<unknown> = Promise.resolve();

  image(blob: Blob): Promise<Thumb | undefined> {
    return this.#run({ kind: 'image', blob });
  }

  frame(bitmap: ImageBitmap): Promise<Thumb | undefined> {
    return this.#run({ kind: 'frame', bitmap });
  }

  dispose(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
  }

  #run(job: Job): Promise<Thumb | undefined> {
    const run = this.#queue.then(() => this.#once(job));
    this.#queue = run.catch(() => {});
    return run;
  }

  #once(job: Job): Promise<Thumb | undefined> {
    const id = this.#nextId++;
    let worker: Worker;
    try {
      worker = this.#worker ??= new Worker(trustedWorkerUrl(workerUrl), { name: 'parley-thumbnails' });
    } catch (err) {
      console.warn('parley: no thumbnail worker', err);
      if (job.kind === 'frame') job.bitmap.close();
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      const done = (value: Thumb | undefined) => {
        clearTimeout(timer);
        worker.removeEventListener('message', onMessage);
        worker.removeEventListener('error', onError);
        resolve(value);
      };
      const onMessage = (e: MessageEvent<ThumbReply>) => {
        if (e.data.id !== id) return;
        if (!e.data.ok) console.info('parley: no thumbnail:', e.data.reason);
        done(e.data.ok ? e.data : undefined);
      };
      const onError = (e: ErrorEvent) => {
        console.warn('parley: thumbnail worker failed', e.message);
        this.dispose();
        done(undefined);
      };
      const timer = setTimeout(() => {
        console.warn('parley: thumbnail took too long; worker stopped');
        this.dispose();
        done(undefined);
      }, THUMB.timeoutMs);
      worker.addEventListener('message', onMessage);
      worker.addEventListener('error', onError);
      const request: ThumbRequest = job.kind === 'image'
        ? { id, kind: 'image', blob: job.blob, maxChars: MAX_THUMBNAIL_CHARS }
        : { id, kind: 'frame', bitmap: job.bitmap, maxChars: MAX_THUMBNAIL_CHARS };
      worker.postMessage(request, job.kind === 'frame' ? [job.bitmap] : []);
    });
  }
}

/**
 * A video's or an audio file's dimensions and duration, and for a video its first frame (at 10% or
 * 1 s in), read by a media element the page never shows; `undefined` when the browser can't play
 * it within the time limit. The frame is handed to the worker to scale and encode. A media element
 * that fails to open is given one more try with a fresh element (a busy or briefly starved media
 * pipeline fails a first open now and then); a video whose dimensions were read but whose frame
 * can't be taken still goes as a video, only without its poster.
 */
export async function mediaInfo(blob: Blob, kind: 'video' | 'audio', maker: ThumbnailMaker): Promise<MediaInfo | undefined> {
  if (blob.size === 0) return undefined;
  const first = await readMedia(blob, kind, maker);
  if (first !== 'failed') return first;
  const second = await readMedia(blob, kind, maker);
  return second === 'failed' ? undefined : second;
}

type MediaInfo = { width?: number; height?: number; durationMs?: number; thumbnail?: Thumb['thumbnail'] };

async function readMedia(blob: Blob, kind: 'video' | 'audio', maker: ThumbnailMaker): Promise<MediaInfo | undefined | 'failed'> {
  const el = document.createElement(kind);
  el.muted = true;
  el.preload = 'metadata';
  const url = URL.createObjectURL(blob);
  const deadline = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms));
  const once = (event: string) => new Promise<Event>((resolve, reject) => {
    el.addEventListener(event, resolve, { once: true });
    el.addEventListener('error', () => reject(new Error(`cannot read this ${kind} (${el.error?.code ?? '?'}: ${el.error?.message ?? ''})`)), { once: true });
  });
  let base: { width?: number; height?: number; durationMs?: number } | undefined;
  try {
    el.src = url;
    const meta = await Promise.race([once('loadedmetadata'), deadline(THUMB.timeoutMs)]);
    if (meta === 'timeout') return undefined;
    const durationMs = Number.isFinite(el.duration) ? Math.round(el.duration * 1000) : undefined;
    if (!(el instanceof HTMLVideoElement)) return durationMs === undefined ? {} : { durationMs };
    const width = el.videoWidth || undefined;
    const height = el.videoHeight || undefined;
    base = { ...(width && height ? { width, height } : {}), ...(durationMs !== undefined ? { durationMs } : {}) };
    if (!width || !height || width * height > THUMB.maxPixels) return base;
    el.currentTime = Math.min(1, (el.duration || 0) / 10);
    const seeked = await Promise.race([once('seeked'), deadline(THUMB.timeoutMs)]).catch(() => 'timeout' as const);
    if (seeked === 'timeout') return base;
    if (el.readyState < 2) {
      // The frame at the new position may still be decoding: wait for it within the same limit.
      const data = await Promise.race([once('loadeddata'), once('canplay'), deadline(THUMB.timeoutMs)]).catch(() => 'timeout' as const);
      if (data === 'timeout' || el.readyState < 2) return base;
    }
    const thumb = await maker.frame(await createImageBitmap(el));
    return thumb ? { ...base, thumbnail: thumb.thumbnail } : base;
  } catch (err) {
    console.info(`parley: no ${kind} ${base ? 'poster' : 'details'}:`, err instanceof Error ? err.message : err);
    // Dimensions read, frame not: still a video. Nothing read: one more try, then a plain file.
    if (base) return base;
    return 'failed';
  } finally {
    el.removeAttribute('src');
    el.load();
    URL.revokeObjectURL(url);
  }
}
