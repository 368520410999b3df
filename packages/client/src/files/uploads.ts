import { Attachment, FILE_CHUNK_BYTES, MAX_ATTACHMENTS, ParleyError, cipherSize, type AttachmentKind, type Forwarded, type Imported, type MessageEntity, type ReplyMarkup, type ReplyKeyboard, type ForceReply } from '@parley/protocol';
import { base64ToBytes, bytesToBase64, randomId } from '../encoding.ts';
import type { WrappedUpload } from '../channels/wrapped-files.ts';
import type { ClientStore } from '../store.ts';
import { CipherReader, importFileKey, newFileKey } from './file-crypto.ts';
import { sanitizeFileName } from './file-name.ts';
import { openSource } from './sources.ts';
import { UploadFailed, type TusEndpoint, type TusRun } from './tus-run.ts';
import type { AttachmentDraft, FileToSend, PendingFile, PendingUpload, UploadProgress, UploadState } from './types.ts';

export interface UploadsDeps extends TusEndpoint {
  store: ClientStore;
  /** Every file of the message is complete: it goes into the outbox (same client id) with these attachments. */
  complete(upload: PendingUpload, attachments: Attachment[]): Promise<void>;
  /** Whether the outbox holds this message already (a crash after the hand-off, before the upload record was dropped). */
  inOutbox(clientMsgId: string): boolean;
  /** The message's timeline item changed (progress, state). */
  changed(chatId: string): void;
  /** The list of uploads changed (ClientEvents 'uploads'). */
  emit(uploads: UploadProgress[]): void;
  now?: () => number;
  /** Chunk size for new files (R52); default FILE_CHUNK_BYTES. */
  chunkBytes?: number;
}

/** After tus's own retries failed (offline), the upload tries again after these waits (ms), the last repeating. */
const WAITING_RETRY_MS = [2000, 5000, 10000, 30000];
/** Messages whose files upload at the same time (each uploads its files one after the other). */
const MAX_PARALLEL_UPLOADS = 2;
/** Progress events reach the app at most this often. */
const EMIT_EVERY_MS = 200;

interface Entry {
  upload: PendingUpload;
  state: UploadState;
  error?: string;
  /** Ciphertext bytes the server has, per file. */
  sent: number[];
  total: number;
  bytesPerSec: number;
  lastSample?: { at: number; bytes: number };
  run?: TusRun;
  /** Bumped on every start, pause and cancel: a run that is no longer current stops reporting. */
  generation: number;
  waitTimer?: ReturnType<typeof setTimeout>;
  waits: number;
}

/** R162: the upload outbox groups uploads by chat: a wrapped channel's posts are under this name, no chat's, so no chat's timeline shows them. */
export const wrappedUploadChat = (communityId: string): string => `wrapped:${communityId}`;

const kindOf = (mime: string): AttachmentKind =>
  mime.startsWith('image/') ? 'image' : mime.startsWith('video/') ? 'video' : mime.startsWith('audio/') ? 'audio' : 'file';

/**
 * A file's attachment less what its upload settles (blob id, hash), with a fresh key (R52); checked now,
 * with the blob id and hash it will get, so nothing malformed is ever uploaded or sent (`bad_request`).
 */
export function attachmentDraft(f: FileToSend, chunkBytes: number): AttachmentDraft {
  const attachment = {
    key: bytesToBase64(newFileKey()), size: f.size, chunkBytes, kind: f.kind ?? kindOf(f.mime),
    name: sanitizeFileName(f.name).slice(0, 255) || 'file', mime: (f.mime || 'application/octet-stream').slice(0, 127),
    ...(f.width !== undefined ? { width: f.width } : {}), ...(f.height !== undefined ? { height: f.height } : {}),
    ...(f.durationMs !== undefined ? { durationMs: Math.round(f.durationMs) } : {}),
    ...(f.thumbnail ? { thumbnail: f.thumbnail } : {}), ...(f.waveform ? { waveform: f.waveform } : {}), ...(f.sticker ? { sticker: f.sticker } : {}),
  };
  const checked = Attachment.safeParse({ ...attachment, blobId: 'A'.repeat(22), sha256: '0'.repeat(64) });
  if (!checked.success) throw new ParleyError('bad_request', `file "${attachment.name}": ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return attachment;
}

/**
 * The upload outbox (R52/R53): messages with files, kept in the store from the moment they are
 * queued until every file is uploaded, then handed to the ordinary outbox. Each file is encrypted
 * on the fly as tus reads it; its key, metadata, tus URL and source are stored, so after a restart
 * the upload resumes from the offset the server reports (HEAD) without sending stored bytes again.
 */
export class Uploads {
  readonly #d: UploadsDeps;
  readonly #entries = new Map<string, Entry>();
  #emitTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(deps: UploadsDeps) {
    this.#d = deps;
  }

  #now(): number {
    return this.#d.now?.() ?? Date.now();
  }

  /** Takes in what the store kept and resumes each upload that was not paused or failed. */
  async load(): Promise<void> {
    for (const upload of await this.#d.store.listPendingUploads()) {
      if (this.#entries.has(upload.clientMsgId)) continue; // queued in this run already (sendFiles before start)
      // R162: a wrapped post is not handed to the outbox; posted again, the server answers the stored post.
      if (!upload.wrapped && this.#d.inOutbox(upload.clientMsgId)) {
        await this.#d.store.deletePendingUpload(upload.clientMsgId);
        continue;
      }
      const entry = this.#entry(upload);
      if (upload.failedCode) {
        entry.state = 'failed';
        entry.error = upload.failedCode;
      } else if (upload.paused) entry.state = 'paused';
      this.#entries.set(upload.clientMsgId, entry);
    }
    for (const entry of this.#entries.values()) if (entry.state === 'uploading' && !entry.run && entry.generation === 0) void this.#run(entry);
    this.#emitSoon();
  }

  /**
   * Queues a message with files: checks and keeps it (so it survives a restart), then uploads in the
   * background. Resolves with its client id once it is stored.
   */
  async add(chatId: string, files: readonly FileToSend[], opts: { text?: string; entities?: readonly MessageEntity[]; replyTo?: string; thread?: string; noForwardName?: boolean; forwarded?: Forwarded; clientMsgId?: string; imported?: Imported; replyMarkup?: ReplyMarkup; replyKeyboard?: ReplyKeyboard; forceReply?: ForceReply; editOf?: string; wrapped?: WrappedUpload } = {}): Promise<string> {
    if (files.length === 0 || files.length > MAX_ATTACHMENTS) throw new ParleyError('bad_request', `1 to ${MAX_ATTACHMENTS} files in a message`);
    const chunkBytes = this.#d.chunkBytes ?? FILE_CHUNK_BYTES;
    const pending: PendingFile[] = files.map((f) => ({ attachment: attachmentDraft(f, chunkBytes), source: f.source }));
    const upload: PendingUpload = {
      clientMsgId: opts.clientMsgId ?? randomId(), chatId, createdAt: this.#now(), text: opts.text ?? '', files: pending,
      ...(opts.imported ? { imported: opts.imported } : {}), ...(opts.replyMarkup ? { replyMarkup: opts.replyMarkup } : {}), ...(opts.replyKeyboard ? { replyKeyboard: opts.replyKeyboard } : {}), ...(opts.forceReply ? { forceReply: opts.forceReply } : {}), ...(opts.editOf ? { editOf: opts.editOf } : {}), ...(opts.wrapped ? { wrapped: opts.wrapped } : {}),
      ...(opts.entities?.length ? { entities: [...opts.entities] } : {}), ...(opts.replyTo ? { replyTo: opts.replyTo } : {}),
      ...(opts.thread ? { thread: opts.thread } : {}), ...(opts.noForwardName ? { noForwardName: true as const } : {}), ...(opts.forwarded ? { forwarded: opts.forwarded } : {}),
    };
    await this.#d.store.putPendingUpload(upload);
    const entry = this.#entry(upload);
    this.#entries.set(upload.clientMsgId, entry);
    this.#d.changed(chatId);
    void this.#run(entry);
    return upload.clientMsgId;
  }

  /** Every upload of this device, oldest first. */
  list(): UploadProgress[] {
    return [...this.#entries.values()].map((e) => this.#progress(e));
  }

  /** The pending messages of a chat with their progress, oldest first (the timeline shows them). */
  pending(chatId: string): { upload: PendingUpload; progress: UploadProgress }[] {
    return [...this.#entries.values()].filter((e) => e.upload.chatId === chatId).map((e) => ({ upload: e.upload, progress: this.#progress(e) }));
  }

  pause(clientMsgId: string): void {
    const entry = this.#entries.get(clientMsgId);
    if (!entry || (entry.state !== 'uploading' && entry.state !== 'waiting')) return;
    this.#halt(entry);
    entry.state = 'paused';
    entry.upload.paused = true;
    void this.#save(entry);
    this.#emitSoon(entry);
  }

  resume(clientMsgId: string): void {
    const entry = this.#entries.get(clientMsgId);
    if (!entry || (entry.state !== 'paused' && entry.state !== 'failed' && entry.state !== 'waiting')) return;
    delete entry.upload.paused;
    delete entry.upload.failedCode;
    delete entry.error;
    entry.waits = 0;
    void this.#save(entry);
    void this.#run(entry);
  }

  /** Stops the upload, deletes what the server holds of it (tus termination) and drops the message. */
  async cancel(clientMsgId: string): Promise<void> {
    const entry = this.#entries.get(clientMsgId);
    if (!entry) return;
    const run = entry.run;
    this.#halt(entry);
    entry.state = 'cancelled';
    this.#entries.delete(clientMsgId);
    this.#finished.push(entry);
    await this.#d.store.deletePendingUpload(clientMsgId);
    this.#emitSoon(entry);
    // Terminate whatever the server started: the running one, and those of files kept from a previous run.
    const urls = entry.upload.files.filter((f) => f.uploadUrl && !f.blobId).map((f) => f.uploadUrl!);
    await run?.abort(true).catch(() => undefined);
    await Promise.all(urls.map((url) => this.#terminate(url)));
  }

  /** The device came online: uploads waiting for the network try now. */
  online(): void {
    for (const entry of this.#entries.values()) {
      if (entry.state !== 'waiting') continue;
      clearTimeout(entry.waitTimer);
      void this.#run(entry);
    }
  }

  /** Stops every upload without deleting anything: the next start resumes them. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#emitTimer);
    for (const entry of this.#entries.values()) this.#halt(entry);
  }

  #entry(upload: PendingUpload): Entry {
    const sizes = upload.files.map((f) => cipherSize(f.attachment.size, f.attachment.chunkBytes));
    return {
      upload, state: 'uploading', sent: upload.files.map((f, i) => (f.blobId ? sizes[i]! : 0)), total: sizes.reduce((a, b) => a + b, 0),
      bytesPerSec: 0, generation: 0, waits: 0,
    };
  }

  #halt(entry: Entry): void {
    entry.generation += 1;
    clearTimeout(entry.waitTimer);
    const run = entry.run;
    delete entry.run;
    delete entry.lastSample;
    entry.bytesPerSec = 0;
    void run?.abort(false).catch(() => undefined);
  }

  async #save(entry: Entry): Promise<void> {
    if (this.#entries.get(entry.upload.clientMsgId) !== entry) return; // cancelled meanwhile
    await this.#d.store.putPendingUpload(entry.upload);
  }

  async #terminate(url: string): Promise<void> {
    try {
      await fetch(url, { method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0', Authorization: `Bearer ${await this.#d.token(false)}` } });
    } catch {
      // offline: the server deletes an unfinished upload after its TTL (R56)
    }
  }

  /** Uploads the message's files one after the other, then hands it to the outbox. */
  async #run(entry: Entry): Promise<void> {
    if (this.#stopped) return;
    const generation = ++entry.generation;
    const current = () => entry.generation === generation && !this.#stopped;
    entry.state = 'uploading';
    this.#emitSoon(entry);
    await this.#acquire();
    try {
      if (!current()) return;
      await this.#runFiles(entry, current);
    } finally {
      this.#release();
    }
  }

  /** At most MAX_PARALLEL_UPLOADS messages upload at once (the server allows a few per device); the others queue. */
  async #acquire(): Promise<void> {
    if (this.#active < MAX_PARALLEL_UPLOADS) {
      this.#active += 1;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  #release(): void {
    const next = this.#waiters.shift();
    if (next) next(); // the slot passes on
    else this.#active -= 1;
  }

  #active = 0;
  readonly #waiters: (() => void)[] = [];

  async #runFiles(entry: Entry, current: () => boolean): Promise<void> {
    try {
      for (const [i, file] of entry.upload.files.entries()) {
        if (file.blobId) continue;
        await this.#uploadFile(entry, i, file, current);
        if (!current()) return;
      }
      entry.state = 'sending';
      this.#emitSoon(entry);
      const attachments = entry.upload.files.map((f) => ({ ...f.attachment, blobId: f.blobId!, sha256: f.sha256! }));
      await this.#d.complete(entry.upload, attachments);
      this.#entries.delete(entry.upload.clientMsgId);
      await this.#d.store.deletePendingUpload(entry.upload.clientMsgId);
      entry.state = 'done';
      this.#finished.push(entry); // listed once more, as done
      this.#emitSoon(entry);
    } catch (err) {
      if (!current()) return;
      const failed = err instanceof UploadFailed ? err : new UploadFailed(err instanceof ParleyError ? err.code : 'internal', false, (err as Error).message);
      delete entry.run;
      entry.bytesPerSec = 0;
      delete entry.lastSample;
      if (failed.retry) {
        // Offline or the server is away: resumes by itself, sooner when the device comes online.
        entry.state = 'waiting';
        const wait = WAITING_RETRY_MS[Math.min(entry.waits++, WAITING_RETRY_MS.length - 1)]!;
        entry.waitTimer = setTimeout(() => { if (current()) void this.#run(entry); }, wait);
      } else {
        entry.state = 'failed';
        entry.error = failed.code;
        entry.upload.failedCode = failed.code;
        await this.#save(entry);
      }
      this.#emitSoon(entry);
    }
  }

  async #uploadFile(entry: Entry, index: number, file: PendingFile, current: () => boolean): Promise<void> {
    const [{ runTus }, source] = await Promise.all([import('./tus-upload.ts'), openSource(file.source, file.attachment.size)]);
    const reader = new CipherReader(await importFileKey(base64ToBytes(file.attachment.key)), source, file.attachment.chunkBytes);
    try {
      // Kept URLs are taken by their path against today's server address (the app may reach it another way now).
      const resumeAt = file.uploadUrl ? new URL(new URL(file.uploadUrl).pathname, this.#d.endpoint).toString() : undefined;
      const run = runTus(reader, this.#d, {
        ...(resumeAt ? { uploadUrl: resumeAt } : {}),
        onUrl: (url) => {
          if (!current() || file.uploadUrl === url) return;
          file.uploadUrl = url;
          void this.#save(entry);
        },
        onProgress: (sent) => {
          if (!current()) return;
          entry.sent[index] = sent;
          this.#sample(entry);
          this.#emitSoon(entry);
        },
      });
      entry.run = run;
      const url = await run.done;
      if (!current()) return;
      file.blobId = new URL(url).pathname.split('/').pop()!;
      file.sha256 = await reader.digest();
      entry.sent[index] = reader.layout.cipherSize;
      await this.#save(entry);
    } finally {
      await reader.close().catch(() => undefined);
    }
  }

  /** Smoothed speed: each sample at least 250 ms after the last weighs 30%. */
  #sample(entry: Entry): void {
    const now = this.#now();
    const bytes = entry.sent.reduce((a, b) => a + b, 0);
    const last = entry.lastSample;
    if (!last) {
      entry.lastSample = { at: now, bytes };
      return;
    }
    if (now - last.at < 250) return;
    const speed = Math.max(0, ((bytes - last.bytes) * 1000) / (now - last.at));
    entry.bytesPerSec = entry.bytesPerSec === 0 ? speed : 0.7 * entry.bytesPerSec + 0.3 * speed;
    entry.lastSample = { at: now, bytes };
  }

  #progress(e: Entry): UploadProgress {
    const sentBytes = e.sent.reduce((a, b) => a + b, 0);
    const moving = e.state === 'uploading' && e.bytesPerSec > 0;
    return {
      clientMsgId: e.upload.clientMsgId, chatId: e.upload.chatId, state: e.state, sentBytes, totalBytes: e.total,
      bytesPerSec: moving ? Math.round(e.bytesPerSec) : 0,
      ...(moving ? { etaMs: Math.round(((e.total - sentBytes) / e.bytesPerSec) * 1000) } : {}),
      ...(e.error ? { error: e.error } : {}),
    };
  }

  /** Tells the app (and the chat's timeline) at most every EMIT_EVERY_MS; state changes at once. */
  #emitSoon(entry?: Entry): void {
    const changedChat = entry?.upload.chatId;
    if (changedChat) this.#dirty.add(changedChat);
    const urgent = entry !== undefined && entry.state !== 'uploading';
    if (this.#emitTimer && !urgent) return;
    clearTimeout(this.#emitTimer);
    this.#emitTimer = setTimeout(() => {
      this.#emitTimer = undefined;
      for (const chatId of this.#dirty) this.#d.changed(chatId);
      this.#dirty.clear();
      const finished = this.#finished.splice(0).map((e) => this.#progress(e));
      this.#d.emit([...this.list(), ...finished]);
    }, urgent ? 0 : EMIT_EVERY_MS);
  }

  readonly #dirty = new Set<string>();
  /** Uploads that ended (done, cancelled) since the last emit: the app hears how each ended. */
  readonly #finished: Entry[] = [];
}
