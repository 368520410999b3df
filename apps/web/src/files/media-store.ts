import { useEffect, useReducer, useRef } from 'react';
import { ParleyError, type ParleyClient } from '@parley/client';
import type { Attachment } from '@parley/protocol';
import { files } from './sdk.ts';

/**
 * Decrypted attachments of this page as Blob URLs, one download per blob however many places show
 * it (bubble, viewer, media view). Only what the SDK checked (every chunk's tag, and the whole
 * blob's hash) becomes a URL; a file that fails keeps its error (`file_damaged`) and is never shown.
 * URLs of the least recently used files are revoked past MAX_CACHED_BYTES.
 */
export interface Decrypted {
  state: 'idle' | 'loading' | 'ready' | 'failed';
  url?: string;
  blob?: Blob;
  received: number;
  total: number;
  error?: unknown;
}

/** The SDK's word for a file that failed its check (a chunk's tag or the blob's hash): shown as "File damaged", never opened. */
export const isDamaged = (err: unknown) => err instanceof ParleyError && err.code === 'file_damaged';

const MAX_CACHED_BYTES = 300 * 1024 * 1024;

interface Entry extends Decrypted { listeners: Set<() => void>; used: number; abort?: AbortController }
const entries = new Map<string, Entry>();
let clock = 0;

function entry(blobId: string): Entry {
  let e = entries.get(blobId);
  if (!e) {
    e = { state: 'idle', received: 0, total: 0, listeners: new Set(), used: ++clock };
    entries.set(blobId, e);
  }
  return e;
}

function notify(e: Entry): void {
  for (const fn of e.listeners) fn();
}

function evict(): void {
  let total = 0;
  for (const e of entries.values()) if (e.blob) total += e.blob.size;
  const old = [...entries.entries()].filter(([, e]) => e.state === 'ready' && e.listeners.size === 0).sort((a, b) => a[1].used - b[1].used);
  for (const [id, e] of old) {
    if (total <= MAX_CACHED_BYTES) break;
    total -= e.blob?.size ?? 0;
    if (e.url) URL.revokeObjectURL(e.url);
    entries.delete(id);
  }
}

/** Starts (or joins) the download of an attachment; resolves with its checked, decrypted Blob. */
export function load(client: ParleyClient, att: Attachment): void {
  const e = entry(att.blobId);
  e.used = ++clock;
  if (e.state === 'loading' || e.state === 'ready') return;
  e.state = 'loading';
  e.received = 0;
  e.total = att.size;
  delete e.error;
  e.abort = new AbortController();
  notify(e);
  let last = 0;
  files(client).downloadAttachment(att, {
    signal: e.abort.signal,
    onProgress: (received, total) => {
      e.received = received;
      e.total = total;
      const now = performance.now();
      if (now - last > 100) { last = now; notify(e); }
    },
  }).then((blob) => {
    e.state = 'ready';
    e.blob = blob;
    e.url = URL.createObjectURL(blob);
    e.received = e.total = blob.size;
    notify(e);
    evict();
  }, (err: unknown) => {
    console.warn('parley: download failed', err);
    e.state = 'failed';
    e.error = err;
    notify(e);
  });
}

/** A download in progress is stopped (its listeners see it idle again). */
export function cancelLoad(blobId: string): void {
  const e = entries.get(blobId);
  if (e?.state !== 'loading') return;
  e.abort?.abort();
  e.state = 'idle';
  notify(e);
}

/** The attachment's decrypted state, re-rendering as it loads; `auto`: start the download at once. */
export function useDecrypted(client: ParleyClient, att: Attachment | undefined, auto = false): Decrypted & { load(): void } {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  const id = att?.blobId;
  useEffect(() => {
    if (!id) return;
    const e = entry(id);
    e.listeners.add(bump);
    return () => { e.listeners.delete(bump); };
  }, [id]);
  const current = useRef(att);
  current.current = att;
  useEffect(() => {
    if (current.current && auto) load(client, current.current);
  }, [client, id, auto]);
  if (!att) return { state: 'idle', received: 0, total: 0, load: () => {} };
  const e = entry(att.blobId);
  return { state: e.state, ...(e.url ? { url: e.url } : {}), ...(e.blob ? { blob: e.blob } : {}), received: e.received, total: e.total,
    ...(e.error !== undefined ? { error: e.error } : {}), load: () => load(client, att) };
}

/** Hands a decrypted file to the browser as a download under its (sanitized) name. */
export function saveAs(url: string, name: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
}
