import type { Attachment, AttachmentKind } from '@parley/protocol';
import type { ParleyClient } from '@parley/client';
import { badRequest } from './bot-api-error.ts';
import type { BotFiles, FileUpload } from './files/bot-files.ts';
import { Params } from './params.ts';
import { describeUpload, fromUrl, type SendHelpers } from './telegram-files.ts';
import { fromTelegramMarkup, type TelegramObjects } from './telegram-objects.ts';

type Obj = Record<string, unknown>;
type Method = (p: Params) => Promise<unknown>;

/** InputMedia types of an album (Telegram's sendMediaGroup), each a Parley attachment kind. */
const ALBUM_KINDS: Record<string, AttachmentKind> = { photo: 'image', video: 'video', document: 'file', audio: 'audio' };
/** InputMedia types editMessageMedia takes (an animation is a video on Parley). */
const EDIT_KINDS: Record<string, AttachmentKind> = { ...ALBUM_KINDS, animation: 'video' };

/**
 * R128: sendMediaGroup and editMessageCaption. An album (2-10 photos/videos, or documents, or audio,
 * as Telegram groups them) is ONE Parley message with several files; the bot gets one Message per
 * file, as Telegram answers, sharing a `media_group_id` (the first holds the Parley message's id,
 * the others ids of their own that name the same message). The album's text is the first caption
 * that is given (Parley has one text a message). editMessageCaption edits that text; the files stay.
 */
export function telegramMediaMethods(h: SendHelpers, objects: TelegramObjects, files: BotFiles, client: ParleyClient): Record<string, Method> {
  return {
    sendmediagroup: async (p) => {
      const chatId = objects.chatIdOf(p.int('chat_id'));
      h.checkPending();
      const raw = p.json('media');
      if (!Array.isArray(raw) || raw.length < 2 || raw.length > 10) throw badRequest('media must be an Array of 2-10 InputMedia');
      const items = (raw as Obj[]).map((m, i) => {
        const kind = ALBUM_KINDS[String(m?.['type'])];
        if (!kind) throw badRequest(`media[${i}]: the type must be photo, video, document or audio`);
        if (typeof m['media'] !== 'string' || m['media'] === '') throw badRequest(`media[${i}]: media is empty`);
        return { kind, m, given: p.attached(m['media']) };
      });
      for (const x of items) x.given = await fromUrl(files, x.given); // R163
      const kinds = new Set(items.map((x) => x.kind));
      if ((kinds.has('file') || kinds.has('audio')) && kinds.size > 1) throw badRequest('documents and audio can\'t be mixed with other media types');
      const captioned = items.find((x) => typeof x.m['caption'] === 'string' && x.m['caption'] !== '');
      const caption = captioned ? h.text(new Params(captioned.m), 'caption') : { text: '', entities: [] };
      const replyTo = h.replyTo(p, chatId);
      const opts = { text: caption.text, entities: caption.entities, ...(replyTo ? { replyTo } : {}) };
      let id: string;
      let attachments: readonly Attachment[];
      if (items.every((x) => typeof x.given === 'string')) {
        const ids = items.map((x) => x.given as string);
        if (ids.some((f) => !files.ids.get(f))) throw badRequest('wrong file identifier/HTTP URL specified');
        id = await h.call(() => files.resend(chatId, ids, opts));
        attachments = ids.map((f) => files.ids.get(f)!);
      } else {
        if (items.some((x) => typeof x.given === 'string')) throw badRequest('an album is all new uploads or all file_ids on the Parley gateway (docs/BOTS.md)');
        const uploads: FileUpload[] = [];
        for (const x of items) uploads.push(describeUpload(x.kind, x.given as File, new Uint8Array(await (x.given as File).arrayBuffer()), new Params(x.m)));
        const item = await h.call(() => files.upload(chatId, uploads, opts));
        id = item.id;
        attachments = item.attachments ?? [];
      }
      return objects.messagesFrom(chatId, { id, senderUserId: objects.botUserId, sentAt: Date.now(), text: caption.text, entities: caption.entities, replyTo, attachments });
    },
    editmessagemedia: async (p) => {
      // R150: the file that message_id names (an album's i-th, R128) is replaced; caption and keyboard are the edit's.
      const { chatId, item } = h.ownMessage(p, 'edit');
      const old = item.attachments ?? [];
      if (old.length === 0) throw badRequest('there is no media in the message to edit');
      const m = p.json('media') as Obj | undefined;
      if (!m || typeof m !== 'object') throw badRequest('media must be an InputMedia');
      const kind = EDIT_KINDS[String(m['type'])];
      if (!kind) throw badRequest('the InputMedia type must be photo, video, animation, document or audio');
      if (typeof m['media'] !== 'string' || m['media'] === '') throw badRequest('media is empty');
      const index = Math.min(objects.message(p.int('message_id'), chatId)?.fileIndex ?? 0, old.length - 1);
      const caption = typeof m['caption'] === 'string' && m['caption'] !== '' ? h.text(new Params(m), 'caption') : { text: '', entities: [] };
      // An album keeps its one text unless the first file's caption is edited (Telegram's captions are per file).
      const text = old.length > 1 && index > 0 ? { text: item.text, entities: [...(item.entities ?? [])] } : caption;
      const replyMarkup = fromTelegramMarkup(p.json('reply_markup'));
      const opts = { text: text.text, entities: text.entities, ...(replyMarkup ? { replyMarkup } : {}) };
      h.checkPending();
      const given = await fromUrl(files, p.attached(m['media'])); // R163
      if (typeof given === 'string') {
        const next = files.ids.get(given);
        if (!next) throw badRequest('wrong file identifier/HTTP URL specified');
        if (old[index]?.blobId === given && item.text === text.text && JSON.stringify(item.replyMarkup) === JSON.stringify(replyMarkup)) throw badRequest('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
        const attachments = old.map((a, i) => (i === index ? next : a));
        if (new Set(attachments.map((a) => a.blobId)).size !== attachments.length) throw badRequest('the file is in the message already');
        await h.call(() => client.bots.editFiles(chatId, item.id, attachments, opts));
      } else {
        const bytes = new Uint8Array(await given.arrayBuffer());
        if (bytes.length === 0) throw badRequest('file must be non-empty');
        const upload = describeUpload(kind, given, bytes, new Params(m));
        // The other files of an album stay: re-shared by their attachments, the new one uploaded.
        if (old.length > 1) throw badRequest('a new upload replaces a message of one file on the Parley gateway; for an album send a file_id (docs/BOTS.md)');
        await h.call(() => files.uploadEdit(chatId, item.id, [upload], opts));
      }
      return objects.messageOf(chatId, item.id, { edit_date: Math.floor(Date.now() / 1000) });
    },
    editmessagecaption: async (p) => {
      const { chatId, item } = h.ownMessage(p, 'edit');
      if (!item.attachments?.length) throw badRequest('there is no caption in the message to edit');
      const caption = p.has('caption') ? h.text(p, 'caption') : { text: '', entities: [] };
      if (caption.text === '') throw badRequest('a caption can\'t be removed on Parley: an edit carries a text (docs/BOTS.md)');
      const replyMarkup = fromTelegramMarkup(p.json('reply_markup'));
      if (item.text === caption.text && JSON.stringify(item.replyMarkup) === JSON.stringify(replyMarkup)) throw badRequest('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
      h.checkPending();
      await h.call(() => client.bots.editText(chatId, item.id, caption.text, { ...(replyMarkup ? { replyMarkup } : {}), ...(caption.entities.length > 0 ? { entities: caption.entities } : {}) }));
      return objects.messageOf(chatId, item.id, { edit_date: Math.floor(Date.now() / 1000) });
    },
  };
}
