import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ParleyError, type Attachment, type AttachmentKind, type ForceReply, type MessageEntity, type ReplyKeyboard, type ReplyMarkup } from '@parley/protocol';
import type { ParleyClient, TimelineItem } from '@parley/client';
import type { FileIds } from './file-ids.ts';
import { fetchUrl, type UrlFetchOptions } from './url-fetch.ts';

/** A file a bot uploads: its bytes (from the bot API request) and what the message says of it. */
export interface FileUpload {
  bytes: Uint8Array;
  name: string;
  mime: string;
  kind: AttachmentKind;
  width?: number;
  height?: number;
  durationMs?: number;
  /** R158: a sticker (a WebP or PNG image). */
  sticker?: { emoji?: string };
}

export interface SendOptions {
  text?: string;
  entities?: readonly MessageEntity[];
  replyTo?: string;
  replyMarkup?: ReplyMarkup;
  /** R121: a reply keyboard on the files (R128). */
  replyKeyboard?: ReplyKeyboard;
  /** R144 on a message with files (R150). */
  forceReply?: ForceReply;
}

/** How often the upload's progress is looked at while a bot API call waits for it. */
const POLL_MS = 25;

/**
 * Files for a bot's device, for both bot API facades: uploads go through the SDK's encrypted-file
 * path (R52-R58: a fresh key per file, AES-GCM chunks, a resumable tus upload) from a copy in the
 * data dir's `uploads/`, removed once the message is sent; sending again by file id re-shares the
 * blob (R54); downloads are decrypted and checked by the SDK (R55, R58). The call that uploads waits
 * until the message left the upload outbox, so it can answer with the message and its file ids.
 */
export class BotFiles {
  readonly #client: ParleyClient;
  readonly #ids: FileIds;
  readonly #dir: string;
  readonly #urlFetch: UrlFetchOptions;

  /** `urlFetch`: R163's limits for files the bot names by URL (`maxBytes`: the upload limit). */
  constructor(client: ParleyClient, ids: FileIds, dataDir: string, urlFetch: UrlFetchOptions) {
    this.#client = client;
    this.#ids = ids;
    this.#urlFetch = urlFetch;
    this.#dir = join(dataDir, 'uploads');
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
  }

  get ids(): FileIds { return this.#ids; }

  /** R163: the file at an http(s) URL the bot gave, fetched by the gateway (UrlFetchError when it gives none). */
  fromUrl(url: string): Promise<File> {
    return fetchUrl(url, this.#urlFetch);
  }

  /** Uploads and sends; resolves with the sent message's timeline item once every file is stored. */
  async upload(chatId: string, files: readonly FileUpload[], opts: SendOptions = {}): Promise<TimelineItem> {
    const paths = files.map((f) => {
      const path = join(this.#dir, randomUUID());
      writeFileSync(path, f.bytes, { mode: 0o600 });
      return path;
    });
    try {
      const id = await this.#client.sendFiles(chatId, files.map((f, i) => ({
        source: { path: paths[i]! }, name: f.name, mime: f.mime, size: f.bytes.length, kind: f.kind,
        ...(f.width !== undefined ? { width: f.width } : {}), ...(f.height !== undefined ? { height: f.height } : {}),
        ...(f.durationMs !== undefined ? { durationMs: f.durationMs } : {}), ...(f.sticker ? { sticker: f.sticker } : {}),
      })), {
        ...(opts.text ? { text: opts.text } : {}), ...(opts.entities?.length ? { entities: [...opts.entities] } : {}),
        ...(opts.replyTo ? { replyTo: opts.replyTo } : {}), ...(opts.replyMarkup ? { replyMarkup: opts.replyMarkup } : {}),
        ...(opts.replyKeyboard ? { replyKeyboard: opts.replyKeyboard } : {}), ...(opts.forceReply ? { forceReply: opts.forceReply } : {}),
      });
      const item = await this.#uploaded(chatId, id);
      this.#ids.remember(item.attachments ?? []);
      return item;
    } finally {
      for (const path of paths) rmSync(path, { force: true });
    }
  }

  /**
   * R150: uploads files that replace those of the bot's message `target` (an edit); resolves with the
   * message's timeline item once the edit is out of the upload outbox (its new files are known).
   */
  async uploadEdit(chatId: string, target: string, files: readonly FileUpload[], opts: Pick<SendOptions, 'text' | 'entities' | 'replyMarkup'>): Promise<TimelineItem> {
    const paths = files.map((f) => {
      const path = join(this.#dir, randomUUID());
      writeFileSync(path, f.bytes, { mode: 0o600 });
      return path;
    });
    try {
      const id = await this.#client.bots.editUpload(chatId, target, files.map((f, i) => ({
        source: { path: paths[i]! }, name: f.name, mime: f.mime, size: f.bytes.length, kind: f.kind,
        ...(f.width !== undefined ? { width: f.width } : {}), ...(f.height !== undefined ? { height: f.height } : {}),
        ...(f.durationMs !== undefined ? { durationMs: f.durationMs } : {}),
      })), { text: opts.text ?? '', ...(opts.entities?.length ? { entities: [...opts.entities] } : {}), ...(opts.replyMarkup ? { replyMarkup: opts.replyMarkup } : {}) });
      const item = await this.#uploaded(chatId, id, target);
      this.#ids.remember(item.attachments ?? []);
      return item;
    } finally {
      for (const path of paths) rmSync(path, { force: true });
    }
  }

  /** Sends files the bot's device can read already, by file id (no upload). */
  async resend(chatId: string, fileIds: readonly string[], opts: SendOptions = {}): Promise<string> {
    const attachments = fileIds.map((id) => this.#ids.get(id));
    if (attachments.some((a) => a === undefined)) throw new ParleyError('not_found', 'wrong file identifier');
    return (await this.#client.bots.sendAttachments(chatId, attachments as Attachment[], opts));
  }

  /** A file's plaintext, decrypted and checked (`file_damaged` otherwise). */
  async read(fileId: string): Promise<{ attachment: Attachment; bytes: Uint8Array }> {
    const attachment = this.#ids.get(fileId);
    if (!attachment) throw new ParleyError('not_found', 'wrong file identifier');
    const blob = await this.#client.downloadAttachment(attachment);
    return { attachment, bytes: new Uint8Array(await blob.arrayBuffer()) };
  }

  /** `editOf`: the upload is an edit of that message (R150): done once the edit is applied to it. */
  async #uploaded(chatId: string, id: string, editOf?: string): Promise<TimelineItem> {
    for (;;) {
      const progress = this.#client.uploads().find((u) => u.clientMsgId === id);
      if (progress?.state === 'failed' || progress?.state === 'cancelled') {
        await this.#client.cancelUpload(id).catch(() => undefined);
        throw new ParleyError(progress.error === 'file_too_large' ? 'file_too_large' : 'bad_request', `the upload failed: ${progress.error ?? progress.state}`);
      }
      if (!progress || progress.state === 'done') {
        const item = this.#client.timeline(chatId).find((i) => i.id === (editOf ?? id));
        if (item && editOf !== undefined && item.editIds?.includes(id)) return item;
        if (item && editOf === undefined && !item.upload && item.attachments?.length) return item;
        if (!item) throw new ParleyError('not_found', 'the message with the files is gone');
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}
