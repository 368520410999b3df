import { STICKER_MIMES, type Attachment, type AttachmentKind, type MessageEntity } from '@parley/protocol';
import type { ParleyClient, TimelineItem } from '@parley/client';
import { BotApiError, badRequest } from './bot-api-error.ts';
import type { BotFiles, FileUpload } from './files/bot-files.ts';
import { imageInfo } from './files/image-info.ts';
import { URL_FETCH_ERRORS, UrlFetchError } from './files/url-fetch.ts';
import type { Params } from './params.ts';
import { fromTelegramMarkup, type TelegramObjects } from './telegram-objects.ts';
import { fromTelegramForceReply, fromTelegramReplyKeyboard, selectiveTargets } from './telegram-keyboards.ts';

type Obj = Record<string, unknown>;
type Method = (p: Params) => Promise<unknown>;

/** What the file methods use of TelegramMethods: its parsing of texts and replies, the send limit, the error mapping. */
export interface SendHelpers {
  text(p: Params, field: string): { text: string; entities: MessageEntity[] };
  replyTo(p: Params, chatId: string): string | undefined;
  checkPending(): void;
  call<T>(fn: () => Promise<T>): Promise<T>;
  readonly client: ParleyClient;
  /** The bot's own message that `chat_id` and `message_id` name (400 otherwise). */
  ownMessage(p: Params, what: 'edit' | 'delete'): { chatId: string; item: TimelineItem };
}

const NOT_A_STICKER = 'wrong file type: a sticker is a WebP or PNG picture on the Parley gateway (animated .tgs and video .webm stickers are not supported)';

/** Each send method: its file field and the Parley attachment kind it makes. */
const SENDS = { sendphoto: ['photo', 'image'], senddocument: ['document', 'file'], sendvoice: ['voice', 'voice'], sendaudio: ['audio', 'audio'], sendvideo: ['video', 'video'] } as const;

/** Telegram's file_path folders, by attachment kind. */
const FOLDERS: Record<AttachmentKind, string> = { image: 'photos', file: 'documents', voice: 'voice', audio: 'music', video: 'videos' };

export const EXT_MIME: Record<string, string> = {
  txt: 'text/plain', csv: 'text/csv', pdf: 'application/pdf', json: 'application/json', zip: 'application/zip',
  ogg: 'audio/ogg', oga: 'audio/ogg', opus: 'audio/ogg', mp3: 'audio/mpeg', m4a: 'audio/mp4', wav: 'audio/wav',
  mp4: 'video/mp4', webm: 'video/webm', mov: 'video/quicktime', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
};

const DEFAULT_NAME: Record<AttachmentKind, [string, string]> = {
  image: ['photo.jpg', 'image/jpeg'], file: ['document', 'application/octet-stream'], voice: ['voice.ogg', 'audio/ogg'], audio: ['audio.mp3', 'audio/mpeg'], video: ['video.mp4', 'video/mp4'],
};

/**
 * R94 (files): sendPhoto, sendDocument, sendVoice, sendAudio, sendVideo (a multipart upload, or a
 * file_id the bot got before: sent again without upload), getFile, and the `/file/bot<token>/…`
 * download (gateway.ts). A file_id is the Parley blob id; its key stays in the gateway's data dir.
 */
export function telegramFileMethods(h: SendHelpers, objects: TelegramObjects, files: BotFiles): Record<string, Method> {
  const methods: Record<string, Method> = {
    getfile: async (p) => {
      const fileId = p.str('file_id');
      const a = files.ids.get(fileId);
      if (!a) throw badRequest('invalid file_id');
      return { file_id: fileId, file_unique_id: fileId, file_size: a.size, file_path: filePath(a) };
    },
  };
  for (const [name, [field, kind]] of Object.entries(SENDS)) methods[name] = (p) => send(p, field, kind);
  methods['sendsticker'] = (p) => sendSticker(p);
  return methods;

  /** R158: a sticker: an uploaded WebP or PNG, or the file_id of one the bot holds (a sticker or a picture), sent alone. */
  async function sendSticker(p: Params): Promise<unknown> {
    const chatId = objects.chatIdOf(p.int('chat_id'));
    h.checkPending();
    const emoji = p.optStr('emoji');
    if (emoji !== undefined && [...emoji].length > 16) throw badRequest('emoji must be at most 16 characters');
    const sticker = emoji ? { emoji } : {};
    const replyMarkup = fromTelegramMarkup(p.json('reply_markup'));
    const replyTo = h.replyTo(p, chatId);
    const opts = { text: '', ...(replyTo ? { replyTo } : {}), ...(replyMarkup ? { replyMarkup } : {}) };
    const given = await fromUrl(files, p.file('sticker'));
    if (typeof given === 'string') {
      const known = files.ids.get(given);
      if (!known) throw badRequest('wrong file identifier/HTTP URL specified');
      if (known.kind !== 'image' || !STICKER_MIMES.includes(known.mime)) throw badRequest(NOT_A_STICKER);
      const attachment = { ...known, sticker: emoji ? sticker : (known.sticker ?? {}) };
      const sentAt = Date.now();
      const id = await h.call(() => h.client.bots.sendAttachments(chatId, [attachment], opts));
      return objects.messageFrom(chatId, { id, senderUserId: objects.botUserId, sentAt, ...opts, attachments: [attachment] });
    }
    const bytes = new Uint8Array(await given.arrayBuffer());
    if (bytes.length === 0) throw badRequest('file must be non-empty');
    const info = imageInfo(bytes.subarray(0, 64 * 1024));
    if (!info || !STICKER_MIMES.includes(info.mime)) throw badRequest(NOT_A_STICKER);
    return uploadOne(chatId, { ...describeUpload('image', given, bytes, p), sticker }, opts);
  }

  async function send(p: Params, field: string, kind: AttachmentKind): Promise<unknown> {
    const chatId = objects.chatIdOf(p.int('chat_id'));
    h.checkPending();
    const caption = p.has('caption') ? h.text(p, 'caption') : { text: '', entities: [] };
    const replyMarkup = fromTelegramMarkup(p.json('reply_markup'));
    const replyTo = h.replyTo(p, chatId);
    const only = await selectiveTargets(h.client, objects, chatId, p.json('reply_markup'), caption.text, replyTo);
    const replyKeyboard = fromTelegramReplyKeyboard(p.json('reply_markup'), only); // R121 on files too (R128)
    const forceReply = fromTelegramForceReply(p.json('reply_markup'), only); // R144 on files too (R150)
    const opts = { text: caption.text, entities: caption.entities, ...(replyTo ? { replyTo } : {}), ...(replyMarkup ? { replyMarkup } : {}), ...(replyKeyboard ? { replyKeyboard } : {}), ...(forceReply ? { forceReply } : {}) };
    const given = await fromUrl(files, p.file(field));
    if (typeof given === 'string') {
      const attachment = files.ids.get(given);
      if (!attachment) throw badRequest('wrong file identifier/HTTP URL specified');
      const sentAt = Date.now();
      const id = await h.call(() => files.resend(chatId, [given], opts));
      return objects.messageFrom(chatId, { id, senderUserId: objects.botUserId, sentAt, ...opts, attachments: [attachment] });
    }
    const bytes = new Uint8Array(await given.arrayBuffer());
    if (bytes.length === 0) throw badRequest('file must be non-empty');
    return uploadOne(chatId, describeUpload(kind, given, bytes, p), opts);
  }

  /** Uploads one file as a message; too large for the server is Telegram's 413. */
  async function uploadOne(chatId: string, upload: Parameters<typeof files.upload>[1][number], opts: Parameters<typeof files.upload>[2]): Promise<unknown> {
    try {
      const item = await h.call(() => files.upload(chatId, [upload], opts));
      return objects.messageOf(chatId, item.id);
    } catch (err) {
      if (err instanceof BotApiError && /file_too_large/.test(err.message)) throw new BotApiError(413, 'Request Entity Too Large');
      throw err;
    }
  }
}

/**
 * R163: a file given as an http(s) URL is fetched by the gateway (then uploaded as any other); a
 * file id or an upload is passed through. A URL that gives no file: 400 `failed to get HTTP URL
 * content: <URL_FETCH_ERRORS code>`.
 */
export async function fromUrl(files: BotFiles, given: File | string): Promise<File | string> {
  if (typeof given !== 'string' || !/^https?:\/\//i.test(given)) return given;
  try {
    return await files.fromUrl(given);
  } catch (err) {
    if (err instanceof UrlFetchError) throw badRequest(`failed to get HTTP URL content: ${URL_FETCH_ERRORS[err.code].telegram} (${err.message})`);
    throw err;
  }
}

export function describeUpload(kind: AttachmentKind, file: File, bytes: Uint8Array, p: Params): FileUpload {
  const [defaultName, defaultMime] = DEFAULT_NAME[kind];
  const name = file.name && file.name !== 'blob' ? file.name : defaultName;
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  const typed = file.type && file.type !== 'application/octet-stream' ? file.type : undefined;
  const durationSec = p.optInt('duration');
  const base = { bytes, name, kind, ...(durationSec !== undefined && durationSec >= 0 ? { durationMs: durationSec * 1000 } : {}) };
  if (kind === 'image') {
    const info = imageInfo(bytes.subarray(0, 64 * 1024));
    if (!info) throw badRequest('IMAGE_PROCESS_FAILED');
    return { ...base, mime: info.mime, ...(info.width ? { width: info.width, height: info.height! } : {}) };
  }
  const width = p.optInt('width');
  const height = p.optInt('height');
  return {
    ...base, mime: typed ?? (ext ? EXT_MIME[ext] : undefined) ?? defaultMime,
    ...(kind === 'video' && width && height && width > 0 && height > 0 ? { width, height } : {}),
  };
}

/** Telegram's file_path: `<folder>/<file_id>.<ext>`, read back by `fileIdOfPath`. */
export function filePath(a: Attachment): string {
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(a.name)?.[1];
  return `${a.sticker ? 'stickers' : FOLDERS[a.kind]}/${a.blobId}${ext ? `.${ext}` : ''}`;
}

export function fileIdOfPath(path: string): string | undefined {
  return /^[a-z]+\/([A-Za-z0-9_-]{22})(?:\.[A-Za-z0-9]{1,8})?$/.exec(path)?.[1];
}

/** The Message fields of a Parley message's first file (Telegram has one file per message; docs/BOTS.md). */
export function mediaFields(a: Attachment): Obj {
  const ids = { file_id: a.blobId, file_unique_id: a.blobId, file_size: a.size };
  const duration = a.durationMs !== undefined ? Math.round(a.durationMs / 1000) : 0;
  switch (a.kind) {
    case 'image': return a.sticker // R158: Telegram's Sticker (static, of no set)
      ? { sticker: { ...ids, width: a.width ?? 0, height: a.height ?? 0, type: 'regular', is_animated: false, is_video: false, ...(a.sticker.emoji ? { emoji: a.sticker.emoji } : {}) } }
      : { photo: [{ ...ids, width: a.width ?? 0, height: a.height ?? 0 }] };
    case 'voice': return { voice: { ...ids, duration, mime_type: a.mime } };
    case 'audio': return { audio: { ...ids, duration, file_name: a.name, mime_type: a.mime } };
    case 'video': return { video: { ...ids, width: a.width ?? 0, height: a.height ?? 0, duration, file_name: a.name, mime_type: a.mime } };
    case 'file': return { document: { ...ids, file_name: a.name, mime_type: a.mime } };
  }
}
