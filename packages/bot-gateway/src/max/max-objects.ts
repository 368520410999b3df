import { MAX_CALLBACK_DATA_BYTES, Place, type Attachment, type MessageEntity, type ReplyMarkup } from '@parley/protocol';
import type { ChatView, ParleyClient } from '@parley/client';
import type { IdMap } from '../id-map.ts';
import type { TelegramObjects } from '../telegram-objects.ts';
import { MaxError } from './max-error.ts';
import type { MaxFiles, MaxMedia, MaxUploadType } from './max-files.ts';

type Obj = Record<string, unknown>;

/**
 * The Max Bot API's objects (User, Message, Recipient, inline_keyboard attachments) made from Parley's,
 * with the same integer ids as the Telegram facade (one id map per gateway, R94). A message id is
 * Max's string `mid`, here `mid.<integer>`.
 */
export class MaxObjects {
  readonly #client: ParleyClient;
  readonly #tg: TelegramObjects;
  readonly #ids: IdMap;
  readonly files: MaxFiles;
  constructor(client: ParleyClient, tg: TelegramObjects, ids: IdMap, files: MaxFiles) {
    this.#client = client;
    this.#tg = tg;
    this.#ids = ids;
    this.files = files;
  }

  get botUserId(): string { return this.#tg.botUserId; }
  /** The chat index's direct chat with a person (set by MaxApi). */
  dialogIndex: ((userId: string) => string | undefined) | undefined;

  async user(userId: string): Promise<Obj> {
    const u = await this.#tg.user(userId);
    return {
      user_id: u['id'], first_name: u['first_name'], name: u['first_name'], is_bot: u['is_bot'], last_activity_time: Date.now(),
      ...(u['username'] ? { username: u['username'] } : {}),
    };
  }

  /** The chat's integer id: the Telegram facade's (groups negative). */
  chatInt(view: ChatView): number { return this.#ids.int('chat', view.chatId, view.kind !== 'direct'); }

  mid(chatId: string, clientMsgId: string): string { return `mid.${this.#tg.messageId(chatId, clientMsgId)}`; }

  /** The chat and message a `mid` names (of the bot's chats), or Max's 404. */
  message(mid: string): { chatId: string; clientMsgId: string } {
    const n = /^mid\.(-?\d+)$/.exec(mid)?.[1];
    const found = n === undefined ? undefined : this.#tg.message(Number(n));
    if (!found || !this.#client.chat(found.chatId)) throw new MaxError(404, 'not.found', `Message ${mid} not found`);
    return found;
  }

  chatOf(chatInt: number): string {
    try {
      return this.#tg.chatIdOf(chatInt);
    } catch {
      throw new MaxError(404, 'chat.not.found', `Chat ${chatInt} not found`);
    }
  }

  /** The direct chat with a person (the bot opens none: R91), by their Max user id. */
  dialogWith(userInt: number): string {
    const userId = this.#ids.parley('user', userInt);
    const chatId = userId === undefined ? undefined : this.dialogIndex?.(userId);
    if (!chatId) throw new MaxError(403, 'chat.denied', 'The bot can write only to people who opened a chat with it');
    return chatId;
  }

  async recipient(view: ChatView): Promise<Obj> {
    if (view.kind === 'direct') {
      const other = view.members.find((m) => m.userId !== this.botUserId)?.userId ?? this.botUserId;
      return { chat_id: this.chatInt(view), chat_type: 'dialog', user_id: (await this.user(other))['user_id'] };
    }
    return { chat_id: this.chatInt(view), chat_type: 'chat' };
  }

  async chat(view: ChatView): Promise<Obj> {
    const base = { chat_id: this.chatInt(view), status: 'active', last_event_time: Date.now(), participants_count: view.members.length, is_public: false };
    if (view.kind === 'direct') {
      const other = view.members.find((m) => m.userId !== this.botUserId)?.userId ?? this.botUserId;
      return { ...base, type: 'dialog', title: null, dialog_with_user: await this.user(other) };
    }
    return { ...base, type: 'chat', title: view.title };
  }

  /** A Max Message of a line of the chat as the bot's device holds it now. */
  async messageOf(chatId: string, itemId: string): Promise<Obj | undefined> {
    const item = this.#client.timeline(chatId).find((i) => i.id === itemId);
    if (!item || item.deleted) return undefined;
    return this.messageFrom(chatId, { id: item.id, senderUserId: item.senderUserId, sentAt: item.sentAt, text: item.text, entities: item.entities, replyTo: item.replyTo?.id, replyMarkup: item.replyMarkup, attachments: item.attachments, place: item.place });
  }

  async messageFrom(chatId: string, m: { id: string; senderUserId: string; sentAt: number; text: string; entities?: readonly MessageEntity[] | undefined; replyTo?: string | undefined; replyMarkup?: ReplyMarkup | undefined; attachments?: readonly Attachment[] | undefined; place?: Place | undefined }): Promise<Obj | undefined> {
    const view = this.#client.chat(chatId);
    if (!view) return undefined;
    const mid = this.mid(chatId, m.id);
    // R127: files first (their tokens and URLs on the gateway), then the keyboard, as Max orders them.
    if (m.attachments?.length) this.#tg.rememberFiles(m.attachments);
    // R151: a place is Max's `location` attachment (its name and address are not in Max's object).
    const location = m.place ? [{ type: 'location', latitude: m.place.lat, longitude: m.place.lon }] : [];
    const attachments = [...(m.attachments ?? []).map((a) => this.files.toMax(a)), ...location, ...(m.replyMarkup ? [toMaxKeyboard(m.replyMarkup)] : [])];
    return {
      sender: await this.user(m.senderUserId),
      recipient: await this.recipient(view),
      timestamp: m.sentAt,
      body: { mid, seq: Number(mid.slice(4)), text: m.text, attachments },
      ...(m.replyTo ? { link: { type: 'reply', message: { mid: this.mid(chatId, m.replyTo) } } } : {}),
    };
  }
}

export function toMaxKeyboard(markup: ReplyMarkup): Obj {
  return {
    type: 'inline_keyboard',
    payload: { buttons: markup.inlineKeyboard.map((row) => row.map((b) => (b.callbackData !== undefined ? { type: 'callback', text: b.text, payload: b.callbackData } : { type: 'link', text: b.text, url: b.url }))) },
  };
}

/** Max's `attachments` of a message the bot sends: one `inline_keyboard`, and files by upload token (R127). */
export interface MaxOutgoing {
  replyMarkup: ReplyMarkup | undefined;
  media: MaxMedia[];
  /** R151: a `location` attachment (`latitude`, `longitude`). */
  place?: Place;
}

const MEDIA = new Set(['image', 'video', 'audio', 'file']);

/**
 * Max's `attachments` to Parley's keyboard (R93) and files (R127): one `inline_keyboard` with `callback`
 * and `link` buttons; `image`/`video`/`audio`/`file` with a `payload.token` (an upload's, or a file the
 * bot got or sent) or a `payload.url` (R163: the gateway fetches it); `location` (R151) with `latitude`
 * and `longitude`, as a place. Stickers, contacts and other buttons are not supported: 400.
 */
export function parseMaxAttachments(raw: unknown): MaxOutgoing {
  const out: MaxOutgoing = { replyMarkup: undefined, media: [] };
  if (raw === undefined || raw === null) return out;
  if (!Array.isArray(raw)) throw new MaxError(400, 'proto.payload', 'attachments must be an array');
  for (const a of raw as Obj[]) {
    const type = a?.['type'];
    if (typeof type === 'string' && MEDIA.has(type)) {
      const { token, url } = (a['payload'] ?? {}) as Obj;
      if (typeof token === 'string' && token !== '') out.media.push({ type: type as MaxUploadType, token });
      else if (typeof url === 'string' && url !== '') out.media.push({ type: type as MaxUploadType, url }); // R163: fetched by the gateway
      else throw new MaxError(400, 'proto.payload', `an ${type} attachment needs payload.token (upload the file: POST /uploads) or payload.url`);
      continue;
    }
    if (type === 'location') {
      const place = Place.safeParse({ lat: a['latitude'], lon: a['longitude'] });
      if (!place.success || out.place) throw new MaxError(400, 'proto.payload', 'a location needs latitude (-90..90) and longitude (-180..180), one a message');
      out.place = place.data;
      continue;
    }
    if (type !== 'inline_keyboard') throw new MaxError(400, 'attachment.not.supported', `attachments of type ${String(type)} are not supported by the Parley gateway (docs/BOTS.md)`);
    const rows = (a['payload'] as Obj | undefined)?.['buttons'];
    if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r))) throw new MaxError(400, 'proto.payload', 'payload.buttons must be an array of arrays');
    const inlineKeyboard = (rows as Obj[][]).map((row) => row.map((b) => {
      const text = b?.['text'];
      if (typeof text !== 'string' || text === '') throw new MaxError(400, 'proto.payload', 'a button needs text');
      if (b['type'] === 'callback' && typeof b['payload'] === 'string') {
        if (b['payload'] === '' || new TextEncoder().encode(b['payload']).length > MAX_CALLBACK_DATA_BYTES) throw new MaxError(400, 'proto.payload', `callback payload is 1-${MAX_CALLBACK_DATA_BYTES} bytes here`);
        return { text, callbackData: b['payload'] };
      }
      if (b['type'] === 'link' && typeof b['url'] === 'string' && /^https?:\/\//i.test(b['url'])) return { text, url: b['url'] };
      throw new MaxError(400, 'button.not.supported', `buttons of type ${String(b['type'])} are not supported by the Parley gateway (callback and link are)`);
    })).filter((row) => row.length > 0);
    out.replyMarkup = inlineKeyboard.length > 0 ? { inlineKeyboard } : undefined;
  }
  return out;
}

/** The keyboard of `attachments` for an edit; the message's files may be named again, not changed (400). */
export function fromMaxAttachments(raw: unknown, current: readonly Attachment[] = []): ReplyMarkup | undefined {
  const { replyMarkup, media, place } = parseMaxAttachments(raw);
  if (place) throw new MaxError(400, 'attachment.not.supported', 'an edit cannot add or move a location on Parley\'s Max facade (docs/BOTS.md)');
  if (media.some((m) => !current.some((a) => a.blobId === m.token))) throw new MaxError(400, 'attachment.not.supported', 'an edit cannot change a message\'s files on Parley: send a new message (docs/BOTS.md)');
  return replyMarkup;
}
