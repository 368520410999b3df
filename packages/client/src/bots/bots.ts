import {
  CallbackAnswerContent, CallbackContent, ParleyError,
  type BotAvatarRequest, type BotCommand, type BotCommandsBody, type BotCreated, type BotDeviceResponse, type BotInfo, type BotSelfResponse, type BotListResponse, type BotTokenResponse, type Content, type CreateBotRequest,
  type Attachment, type ForceReply, type Place, type LivePlace, type MessageEntity, type ReplyKeyboard, type ReplyMarkup,
} from '@parley/protocol';
import { RestApi } from '../api.ts';
import { uploadPublicFile, type MediaEndpoint } from '../channels/media.ts';
import type { AddOptions } from '../outbox.ts';
import type { FileToSend } from '../files/types.ts';
import type { DeviceKey } from '../device-key.ts';
import { randomId } from '../encoding.ts';
import { checkedContent, withEntities } from '../formatting/checked-content.ts';
import type { RestFn } from '../session.ts';
import type { StoredMessage } from '../store.ts';
import { isLive, type TimelineItem } from '../timeline.ts';
import { chatKeyboard, pendingForceReply, type ChatKeyboard, type PendingForceReply } from './reply-keyboard.ts';

export interface BotsDeps extends MediaEndpoint {
  rest: RestFn;
  userId: string;
  post(chatId: string, content: Content, opts?: AddOptions): Promise<string>;
  /** R150: queues files whose message is an edit of `editOf` (the upload outbox, R58). */
  upload(chatId: string, files: readonly FileToSend[], opts: { text?: string; entities?: readonly MessageEntity[]; replyMarkup?: ReplyMarkup; editOf: string }): Promise<string>;
  timeline(chatId: string): readonly TimelineItem[];
  log(chatId: string): readonly StoredMessage[];
}

/** What a bot gateway reads of a press (R93): which button of which message, by whom. */
export interface BotCallback {
  chatId: string;
  queryId: string;
  target: string;
  data: string;
  fromUserId: string;
}

/**
 * R90-R93: bots. A person creates and manages the bots they own (create, list, rotate or revoke a
 * token, delete); a person presses a bot's inline buttons and reads its answer; a bot's device
 * (packages/bot-gateway) sends texts with keyboards, edits them and answers presses. Every content
 * is checked here first (`bad_request`): nothing malformed is queued.
 */
export class Bots {
  readonly #d: BotsDeps;
  constructor(deps: BotsDeps) {
    this.#d = deps;
  }

  /** R90: a bot owned by this user; the token is shown this once (the server keeps only its hash). */
  create(input: CreateBotRequest): Promise<BotCreated> { return this.#d.rest('POST', '/bots', input); }
  async list(): Promise<BotInfo[]> { return (await this.#d.rest<BotListResponse>('GET', '/bots')).bots; }
  /** R90b: a new token; the old one, and every device it registered, stop working. */
  async rotateToken(botId: string): Promise<string> { return (await this.#d.rest<BotTokenResponse>('POST', `/bots/${encodeURIComponent(botId)}/token`)).token; }
  /** R90b: no token at all (until a rotation); the bot's devices are signed out. */
  async revoke(botId: string): Promise<void> { await this.#d.rest('DELETE', `/bots/${encodeURIComponent(botId)}/token`); }
  /** R105: the owner turns the bot's privacy mode in groups on (only commands, replies to it, mentions of it) or off. */
  setPrivacy(botId: string, groupPrivacy: boolean): Promise<BotInfo> { return this.#d.rest('PUT', `/bots/${encodeURIComponent(botId)}/privacy`, { groupPrivacy }); }
  /** R105: for a bot's device: its own settings. */
  self(): Promise<BotSelfResponse> { return this.#d.rest('GET', '/bots/self'); }
  /** R90: the bot is gone from the owner's list, its token and devices with it; its handle stays taken. */
  async delete(botId: string): Promise<void> { await this.#d.rest('DELETE', `/bots/${encodeURIComponent(botId)}`); }

  /**
   * R143: makes this image the bot's avatar (its owner only): uploaded as it is (an avatar is public,
   * not encrypted), then named; answers the bot as its owner sees it, `avatar` its new blob id.
   */
  async setAvatar(botId: string, bytes: Uint8Array, mime: BotAvatarRequest['mime']): Promise<BotInfo> {
    const { blobId } = await uploadPublicFile(this.#d, bytes, { mime });
    return this.#d.rest('PUT', `/bots/${encodeURIComponent(botId)}/avatar`, { blobId, mime } satisfies BotAvatarRequest);
  }
  /** R143: removes the bot's avatar (its owner only). */
  async removeAvatar(botId: string): Promise<void> { await this.#d.rest('DELETE', `/bots/${encodeURIComponent(botId)}/avatar`); }
  /** R143: a bot's avatar (anyone signed in): its bytes and type, or undefined when it has none. */
  async avatar(botId: string): Promise<{ bytes: Uint8Array; mime: string } | undefined> {
    const get = async (fresh: boolean) => fetch(`${this.#d.baseUrl.replace(/\/$/, '')}/api/v1/bots/${encodeURIComponent(botId)}/avatar`, { headers: { authorization: `Bearer ${await this.#d.token(fresh)}` } });
    let res = await get(false);
    if (res.status === 401) res = await get(true);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new ParleyError('internal', `the avatar did not load (HTTP ${res.status})`);
    return { bytes: new Uint8Array(await res.arrayBuffer()), mime: res.headers.get('content-type') ?? '' };
  }

  /** R108: replaces a bot's command menu (its owner, or the bot's own device). */
  async setCommands(botId: string, commands: readonly BotCommand[]): Promise<void> {
    await this.#d.rest('PUT', `/bots/${encodeURIComponent(botId)}/commands`, { commands });
  }
  /** R108: a bot's command menu (public), for the `/` menu of a chat with it. */
  async commands(botId: string): Promise<BotCommand[]> { return (await this.#d.rest<BotCommandsBody>('GET', `/bots/${encodeURIComponent(botId)}/commands`)).commands; }

  /**
   * R93: presses the button of `itemId` that carries `callbackData`; resolves with the press's query
   * id (`answerTo` reads the bot's answer). `not_found` when the message has no such button.
   */
  async press(chatId: string, itemId: string, callbackData: string): Promise<string> {
    const item = this.#d.timeline(chatId).find((i) => i.id === itemId);
    const button = item?.replyMarkup?.inlineKeyboard.flat().find((b) => b.callbackData === callbackData);
    if (!item || item.deleted || !button) throw new ParleyError('not_found', 'this message has no such button');
    const content = CallbackContent.safeParse({ kind: 'callback', target: itemId, queryId: randomId(), data: callbackData });
    if (!content.success) throw new ParleyError('bad_request', content.error.issues.map((i) => i.message).join('; '));
    await this.#d.post(chatId, content.data);
    return content.data.queryId;
  }

  /** R93: the bot's answer to a press of this device's user, once it came. */
  async answerTo(chatId: string, queryId: string): Promise<CallbackAnswerContent | undefined> {
    for (const m of this.#d.log(chatId)) {
      const c = m.decoded?.kind === 'content' ? m.decoded.content : undefined;
      if (c?.kind === 'callback_answer' && c.queryId === queryId) return c;
    }
    return undefined;
  }

  /**
   * R121: the bot's reply keyboard that applies in this chat now (undefined: none, or removed). A press
   * is an ordinary `client.sendText(chatId, button.text)`; a one-time keyboard then comes back `used`.
   */
  async keyboard(chatId: string): Promise<ChatKeyboard | undefined> { return chatKeyboard(this.#d.timeline(chatId), this.#d.userId); }
  /** R144: the bot's text this user is asked to reply to now (force_reply), with the message box's placeholder; undefined: none. */
  async forceReply(chatId: string): Promise<PendingForceReply | undefined> { return pendingForceReply(this.#d.timeline(chatId), this.#d.userId); }

  /** For a bot's device: a text with an inline keyboard (R93) or a reply keyboard (R121). */
  sendText(chatId: string, text: string, opts: { replyMarkup?: ReplyMarkup; replyKeyboard?: ReplyKeyboard; forceReply?: ForceReply; replyTo?: string; entities?: readonly MessageEntity[]; place?: Place } = {}): Promise<string> {
    const content = checkedContent({
      kind: 'text', text, ...withEntities(opts.entities), ...(opts.replyTo ? { replyTo: opts.replyTo } : {}), ...(opts.replyMarkup ? { replyMarkup: opts.replyMarkup } : {}),
      ...(opts.replyKeyboard ? { replyKeyboard: opts.replyKeyboard } : {}), ...(opts.forceReply ? { forceReply: opts.forceReply } : {}), ...(opts.place ? { place: opts.place } : {}),
    });
    return this.#d.post(chatId, content);
  }

  /**
   * For a bot's device: files it can read already (received, or sent before) sent again by their
   * attachments, key included, naming their blobs (R54): no upload (Telegram's send by file_id).
   */
  sendAttachments(chatId: string, attachments: readonly Attachment[], opts: { text?: string; replyMarkup?: ReplyMarkup; replyKeyboard?: ReplyKeyboard; forceReply?: ForceReply; replyTo?: string; entities?: readonly MessageEntity[] } = {}): Promise<string> {
    const content = checkedContent({
      kind: 'text', text: opts.text ?? '', ...withEntities(opts.entities), attachments: [...attachments],
      ...(opts.replyTo ? { replyTo: opts.replyTo } : {}), ...(opts.replyMarkup ? { replyMarkup: opts.replyMarkup } : {}), ...(opts.replyKeyboard ? { replyKeyboard: opts.replyKeyboard } : {}),
      ...(opts.forceReply ? { forceReply: opts.forceReply } : {}),
    });
    return this.#d.post(chatId, content, { blobs: attachments.map((a) => a.blobId) });
  }

  /** For a bot's device: replaces a text and its keyboard (none when `replyMarkup` is absent). */
  async editText(chatId: string, target: string, text: string, opts: { replyMarkup?: ReplyMarkup; entities?: readonly MessageEntity[] } = {}): Promise<void> {
    const content = checkedContent({ kind: 'edit', target, text, ...withEntities(opts.entities), ...(opts.replyMarkup ? { replyMarkup: opts.replyMarkup } : {}) });
    await this.#d.post(chatId, content);
  }

  /**
   * R157: for a bot's device: moves its live location `target` to `place` (with `live.stopped`: stops
   * it), with the keyboard (none when absent). Refused unless the message is its own live place, still live.
   */
  async movePlace(chatId: string, target: string, place: Place & { live: LivePlace }, opts: { replyMarkup?: ReplyMarkup } = {}): Promise<void> {
    const item = this.#d.timeline(chatId).find((i) => i.id === target);
    if (!item || item.deleted || item.senderUserId !== this.#d.userId || !isLive(item, Date.now())) throw new ParleyError('bad_request', 'not a live location of this device\'s user that is still live');
    const content = checkedContent({ kind: 'edit', target, text: '', place, ...(opts.replyMarkup ? { replyMarkup: opts.replyMarkup } : {}) });
    await this.#d.post(chatId, content);
  }

  /**
   * R150: for a bot's device: replaces the files of its message `target` (Telegram's editMessageMedia)
   * with files it can read already (no upload, R54), and its text (may be '') and keyboard.
   */
  async editFiles(chatId: string, target: string, attachments: readonly Attachment[], opts: { text?: string; replyMarkup?: ReplyMarkup; entities?: readonly MessageEntity[] } = {}): Promise<string> {
    const content = checkedContent({ kind: 'edit', target, text: opts.text ?? '', ...withEntities(opts.entities), ...(opts.replyMarkup ? { replyMarkup: opts.replyMarkup } : {}), attachments: [...attachments] });
    return this.#d.post(chatId, content, { blobs: attachments.map((a) => a.blobId) });
  }

  /**
   * R150: the same with new files: they are uploaded first (R58's upload outbox), then the edit goes
   * under the id this answers; until then people see the message as it was.
   */
  editUpload(chatId: string, target: string, files: readonly FileToSend[], opts: { text?: string; replyMarkup?: ReplyMarkup; entities?: readonly MessageEntity[] } = {}): Promise<string> {
    return this.#d.upload(chatId, files, { ...opts, editOf: target });
  }

  /** For a bot's device: answers a press (R93). */
  async answer(chatId: string, queryId: string, opts: { text?: string; showAlert?: boolean } = {}): Promise<void> {
    const content = CallbackAnswerContent.safeParse({ kind: 'callback_answer', queryId, ...opts });
    if (!content.success) throw new ParleyError('bad_request', content.error.issues.map((i) => i.message).join('; '));
    await this.#d.post(chatId, content.data);
  }
}

/** R90c: a bot gateway registers its device key with the bot's token (before any session exists). */
export function registerBotDevice(baseUrl: string, input: { token: string; deviceName: string; deviceKey: DeviceKey }): Promise<BotDeviceResponse> {
  return new RestApi(baseUrl).call('POST', '/bots/device', { token: input.token, device: { name: input.deviceName, publicKey: input.deviceKey.publicKey } });
}
