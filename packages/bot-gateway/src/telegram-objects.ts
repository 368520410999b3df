import { MAX_CALLBACK_DATA_BYTES, type Attachment, type MessageEntity, type Place, type ReplyMarkup, type UserProfile } from '@parley/protocol';
import type { ChatView, ParleyClient } from '@parley/client';
import { badRequest } from './bot-api-error.ts';
import type { FileIds } from './files/file-ids.ts';
import type { IdMap } from './id-map.ts';
import { commandEntities } from './parse-mode.ts';
import { mediaFields } from './telegram-files.ts';

type Obj = Record<string, unknown>;

/**
 * Telegram's objects (User, Chat, Message, InlineKeyboardMarkup) made from Parley's, with the
 * integer ids of the IdMap (R94). People's profiles are asked of the server once and kept.
 */
export class TelegramObjects {
  readonly #client: ParleyClient;
  readonly #ids: IdMap;
  readonly #files: FileIds;
  readonly #profiles = new Map<string, Promise<UserProfile>>();
  readonly botUserId: string;

  constructor(client: ParleyClient, ids: IdMap, files: FileIds, botUserId: string) {
    this.#client = client;
    this.#ids = ids;
    this.#files = files;
    this.botUserId = botUserId;
  }

  /** Files the bot's device can now open (received or sent): their file ids work for downloads and resends. */
  rememberFiles(attachments: readonly Attachment[]): void {
    this.#files.remember(attachments);
  }

  messageId(chatId: string, clientMsgId: string): number {
    return this.#ids.int('message', `${chatId}/${clientMsgId}`);
  }

  /** The chat and client id a message id stands for, if it is of `chatId` (when given). */
  message(n: number, chatId?: string): { chatId: string; clientMsgId: string; fileIndex: number } | undefined {
    const key = this.#ids.parley('message', n);
    const at = key?.indexOf('/') ?? -1;
    if (key === undefined || at < 0) return undefined;
    const file = /#(\d+)$/.exec(key);
    // `#i`: an album's i-th file (R128); `fileIndex` 0 for the message itself.
    const found = { chatId: key.slice(0, at), clientMsgId: key.slice(at + 1).replace(/#\d+$/, ''), fileIndex: file ? Number(file[1]) : 0 };
    return chatId === undefined || found.chatId === chatId ? found : undefined;
  }

  chatIdOf(n: number): string {
    const chatId = this.#ids.parley('chat', n);
    if (chatId === undefined || !this.#client.chat(chatId)) throw badRequest('chat not found');
    return chatId;
  }

  async user(userId: string): Promise<Obj> {
    let p = this.#profiles.get(userId);
    if (!p) {
      p = this.#client.getUser(userId);
      this.#profiles.set(userId, p);
      p.catch(() => this.#profiles.delete(userId));
    }
    const profile = await p;
    return {
      id: this.#ids.int('user', userId), is_bot: userId === this.botUserId || profile.bot === true, first_name: profile.displayName,
      ...(profile.handle ? { username: profile.handle } : {}),
    };
  }

  async chat(view: ChatView): Promise<Obj> {
    if (view.kind === 'direct') {
      const other = view.members.find((m) => m.userId !== this.botUserId)?.userId ?? this.botUserId;
      const u = await this.user(other);
      return { id: this.#ids.int('chat', view.chatId), type: 'private', first_name: u['first_name'], ...(u['username'] ? { username: u['username'] } : {}) };
    }
    return { id: this.#ids.int('chat', view.chatId, true), type: 'group', title: view.title };
  }

  /** A Message of a line of the chat's timeline as the bot's device holds it now (edits, presses). */
  async messageOf(chatId: string, itemId: string, extra: Obj = {}): Promise<Obj | undefined> {
    const item = this.#client.timeline(chatId).find((i) => i.id === itemId);
    if (!item) return undefined;
    return this.messageFrom(chatId, { id: item.id, senderUserId: item.senderUserId, sentAt: item.sentAt, text: item.text, entities: item.entities, replyTo: item.replyTo?.id, replyMarkup: item.replyMarkup, edited: item.edited, attachments: item.attachments, place: item.place }, extra);
  }

  /**
   * A Message from what was just sent or received, without folding the chat's timeline (which costs
   * the whole log each time: per message, that would make a busy chat quadratic). Only a reply looks
   * its target up.
   */
  async messageFrom(chatId: string, m: { id: string; senderUserId: string; sentAt: number; text: string; entities?: readonly MessageEntity[] | undefined; replyTo?: string | undefined; replyMarkup?: ReplyMarkup | undefined; edited?: boolean; attachments?: readonly Attachment[] | undefined; place?: Place | undefined }, extra: Obj = {}): Promise<Obj | undefined> {
    const view = this.#client.chat(chatId);
    if (!view) return undefined;
    // With files, the text is the caption (R52), as Telegram's caption and caption_entities.
    const file = m.attachments?.[0];
    if (m.attachments?.length) this.#files.remember(m.attachments);
    const entities = m.text.length > 0 ? [...(m.entities ?? []).map((e) => ({ ...e })), ...commandEntitiesOf(m.text, m.senderUserId !== this.botUserId)] : [];
    const reply = m.replyTo ? await this.messageOf(chatId, m.replyTo) : undefined;
    return {
      message_id: this.messageId(chatId, m.id),
      from: await this.user(m.senderUserId),
      chat: await this.chat(view),
      date: Math.floor(m.sentAt / 1000),
      ...(m.edited ? { edit_date: Math.floor(Date.now() / 1000) } : {}),
      ...(file ? { ...mediaFields(file), ...(m.text ? { caption: m.text } : {}), ...(entities.length > 0 ? { caption_entities: entities } : {}) }
        : m.place ? placeFields(m.place) : { text: m.text, ...(entities.length > 0 ? { entities } : {}) }),
      ...(reply ? { reply_to_message: reply } : {}),
      ...(m.replyMarkup ? { reply_markup: toTelegramMarkup(m.replyMarkup) } : {}),
      ...extra,
    };
  }

  /**
   * R107, R128: the Messages of a message as Telegram gives an album: one a file, sharing a
   * `media_group_id`; the caption and keyboard on the first; the others with ids of their own
   * (`<clientMsgId>#i`) that name the same message. A message with one file or none is one Message.
   */
  async messagesFrom(chatId: string, m: Parameters<TelegramObjects['messageFrom']>[1]): Promise<Obj[]> {
    const files = m.attachments ?? [];
    if (files.length < 2) {
      const one = await this.messageFrom(chatId, m);
      return one ? [one] : [];
    }
    const group = String(this.messageId(chatId, m.id));
    const messages: Obj[] = [];
    for (const [i, a] of files.entries()) {
      const first = i === 0;
      const message = await this.messageFrom(chatId, { ...m, text: first ? m.text : '', entities: first ? m.entities : [], replyMarkup: first ? m.replyMarkup : undefined, attachments: [a] }, { media_group_id: group });
      if (message && !first) message['message_id'] = this.messageId(chatId, `${m.id}#${i}`);
      if (message) messages.push(message);
    }
    return messages;
  }
}

/** People's commands are marked as Telegram marks them; the bot's own texts are sent back as they were. */
function commandEntitiesOf(text: string, fromPerson: boolean): Obj[] {
  return fromPerson ? commandEntities(text) : [];
}

export function toTelegramMarkup(markup: ReplyMarkup): Obj {
  return {
    inline_keyboard: markup.inlineKeyboard.map((row) => row.map((b) => ({ text: b.text, ...(b.callbackData !== undefined ? { callback_data: b.callbackData } : { url: b.url }) }))),
  };
}

/**
 * Telegram's reply_markup to Parley's (R93): inline keyboards with callback and URL buttons. Reply
 * keyboards and their removal are fromTelegramReplyKeyboard's (R121); force_reply is fromTelegramForceReply's (R144).
 * Callback data over 64 bytes is Telegram's own BUTTON_DATA_INVALID.
 */
export function fromTelegramMarkup(raw: unknown): ReplyMarkup | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object') throw badRequest('can\'t parse reply keyboard markup JSON object');
  const rows = (raw as Obj)['inline_keyboard'];
  if (rows === undefined) return undefined;
  if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r))) throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
  const inlineKeyboard = (rows as unknown[][]).map((row) => row.map((b) => {
    const button = (b ?? {}) as Obj;
    const text = button['text'];
    if (typeof text !== 'string' || text === '') throw badRequest('text buttons are unallowed in the inline keyboard');
    if (typeof button['callback_data'] === 'string') {
      const data = button['callback_data'];
      if (data === '' || new TextEncoder().encode(data).length > MAX_CALLBACK_DATA_BYTES) throw badRequest('BUTTON_DATA_INVALID');
      return { text, callbackData: data };
    }
    if (typeof button['url'] === 'string') {
      if (!/^https?:\/\//i.test(button['url'])) throw badRequest('inline keyboard button URL is invalid');
      return { text, url: button['url'] };
    }
    throw badRequest('this kind of inline keyboard button is not supported by the Parley gateway');
  })).filter((row) => row.length > 0);
  return inlineKeyboard.length > 0 ? { inlineKeyboard } : undefined;
}

/** R151: Telegram's `location`, and `venue` when the place has a name and an address. R157: a live one's `live_period`, accuracy and heading. */
export function placeFields(place: Place): Obj {
  const location = {
    latitude: place.lat, longitude: place.lon, ...(place.accuracy !== undefined ? { horizontal_accuracy: place.accuracy } : {}),
    ...(place.live ? { live_period: place.live.period } : {}), ...(place.heading !== undefined ? { heading: place.heading } : {}),
  };
  return { location, ...(place.title && place.address ? { venue: { location, title: place.title, address: place.address } } : {}) };
}
