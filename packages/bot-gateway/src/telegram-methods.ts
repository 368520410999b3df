import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ParleyError, type MessageEntity } from '@parley/protocol';
import type { ParleyClient, TimelineItem } from '@parley/client';
import { BotApiError, badRequest } from './bot-api-error.ts';
import type { Params } from './params.ts';
import { ParseError, parseHtml } from './parse-mode.ts';
import { parseMarkdownV2 } from './markdown-v2.ts';
import { fromTelegramMarkup, type TelegramObjects } from './telegram-objects.ts';
import { fromTelegramForceReply, fromTelegramReplyKeyboard, selectiveTargets } from './telegram-keyboards.ts';
import type { UpdateQueue } from './updates.ts';
import type { WebhookSender } from './webhook.ts';
import type { BotFiles } from './files/bot-files.ts';
import type { GroupPrivacy } from './privacy.ts';
import { telegramFileMethods, type SendHelpers } from './telegram-files.ts';
import { telegramChatMethods } from './telegram-chats.ts';
import { telegramMediaMethods } from './telegram-media.ts';
import { telegramPlaceMethods } from './telegram-places.ts';
import type { IdMap } from './id-map.ts';

export interface MethodsDeps {
  client: ParleyClient;
  objects: TelegramObjects;
  updates: UpdateQueue;
  /** Where setMyCommands keeps the bot's commands (the data dir). */
  commandsPath: string;
  /** R94: past this many of the bot's messages not yet accepted by the server, sends answer 429 with retry_after. */
  maxPending: number;
  /** R94b: the webhook, when the bot set one (getUpdates then answers 409, as Telegram's). */
  webhook: WebhookSender;
  /** Keeps the webhook in the data dir (undefined: none), so a restart delivers to it again. */
  saveWebhook(hook: { url: string; secret?: string; allowed?: string[] } | undefined): void;
  /** Which chat a callback query was asked in (queries are answered in their chat). */
  queryChat(queryId: string): string | undefined;
  files: BotFiles;
  privacy: GroupPrivacy;
  ids: IdMap;
}

const NOT_MODIFIED = () => badRequest('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');

/** Longest long poll, in seconds (Telegram's own bound). */
const MAX_POLL_SECONDS = 50;

type Method = (p: Params, signal: AbortSignal) => Promise<unknown>;

/**
 * R94: the Telegram Bot API methods this gateway serves (docs/BOTS.md), each over the bot's own
 * Parley device: what it sends is end-to-end encrypted by the SDK like any message.
 */
export class TelegramMethods implements SendHelpers {
  readonly #d: MethodsDeps;
  readonly methods: ReadonlyMap<string, Method>;

  get client(): ParleyClient { return this.#d.client; }

  constructor(deps: MethodsDeps) {
    this.#d = deps;
    const m: Record<string, Method> = {
      getme: () => this.#getMe(),
      getupdates: (p, signal) => this.#getUpdates(p, signal),
      sendmessage: (p) => this.#sendMessage(p),
      editmessagetext: (p) => this.#editMessageText(p),
      editmessagereplymarkup: (p) => this.#editMessageReplyMarkup(p),
      deletemessage: (p) => this.#deleteMessage(p),
      answercallbackquery: (p) => this.#answerCallbackQuery(p),
      setmycommands: (p) => this.#setMyCommands(p),
      getmycommands: async () => this.#commands(),
      deletemycommands: async () => { await this.publishCommands([]); return true; },
      sendchataction: (p) => this.#sendChatAction(p),
      setwebhook: (p) => this.#setWebhook(p),
      deletewebhook: async (p) => { await this.#d.webhook.delete({ dropPending: p.bool('drop_pending_updates') }); this.#d.saveWebhook(undefined); return true; },
      getwebhookinfo: async () => this.#d.webhook.info(),
      close: async () => true,
      logout: async () => true,
      ...telegramFileMethods(this, deps.objects, deps.files),
      ...telegramChatMethods(this, deps),
      ...telegramMediaMethods(this, deps.objects, deps.files, deps.client),
      ...telegramPlaceMethods(this, deps.objects),
    };
    this.methods = new Map(Object.entries(m));
  }

  async #getMe(): Promise<unknown> {
    const me = await this.#d.objects.user(this.#d.objects.botUserId);
    return { ...me, can_join_groups: true, can_read_all_group_messages: !(await this.#d.privacy.on()), supports_inline_queries: false, can_connect_to_business: false, has_main_web_app: false };
  }

  async #setWebhook(p: Params): Promise<unknown> {
    const url = p.optStr('url') ?? '';
    const dropPending = p.bool('drop_pending_updates');
    if (url === '') {
      await this.#d.webhook.delete({ dropPending });
      this.#d.saveWebhook(undefined);
      return true;
    }
    if (!/^https?:\/\/[^\s]+$/i.test(url) || url.length > 2048) throw badRequest('bad webhook: an HTTP(S) URL must be provided for webhook');
    const secret = p.optStr('secret_token');
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) throw badRequest('secret token contains unallowed characters');
    const allowed = p.has('allowed_updates') ? p.json('allowed_updates') : undefined;
    if (allowed !== undefined && (!Array.isArray(allowed) || allowed.some((a) => typeof a !== 'string'))) throw badRequest('allowed_updates must be an Array of String');
    const hook = { url, ...(secret ? { secret } : {}), ...(allowed ? { allowed: allowed as string[] } : {}) };
    await this.#d.webhook.set(url, { ...hook, dropPending });
    this.#d.saveWebhook(hook);
    return true;
  }

  async #getUpdates(p: Params, signal: AbortSignal): Promise<unknown> {
    if (this.#d.webhook.active) throw new BotApiError(409, 'Conflict: can\'t use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first');
    const limit = Math.min(100, Math.max(1, p.optInt('limit') ?? 100));
    const timeoutSec = Math.min(MAX_POLL_SECONDS, Math.max(0, p.optInt('timeout') ?? 0));
    const allowed = p.has('allowed_updates') ? p.json('allowed_updates') : undefined;
    if (allowed !== undefined && (!Array.isArray(allowed) || allowed.some((a) => typeof a !== 'string'))) throw badRequest('allowed_updates must be an Array of String');
    const offset = p.optInt('offset');
    return this.#d.updates.take({ limit, timeoutSec, signal, ...(offset !== undefined ? { offset } : {}), ...(allowed ? { allowed: allowed as string[] } : {}) });
  }

  async #sendMessage(p: Params): Promise<unknown> {
    const chatId = this.#d.objects.chatIdOf(p.int('chat_id'));
    this.checkPending();
    const { text, entities } = this.text(p, 'text');
    const replyMarkup = fromTelegramMarkup(p.json('reply_markup'));
    const replyTo = this.replyTo(p, chatId);
    const only = await selectiveTargets(this.#d.client, this.#d.objects, chatId, p.json('reply_markup'), text, replyTo);
    const replyKeyboard = fromTelegramReplyKeyboard(p.json('reply_markup'), only); // R121, R128
    const forceReply = fromTelegramForceReply(p.json('reply_markup'), only); // R144
    const sentAt = Date.now();
    const id = await this.call(() => this.#d.client.bots.sendText(chatId, text, {
      ...(replyMarkup ? { replyMarkup } : {}), ...(replyKeyboard ? { replyKeyboard } : {}), ...(forceReply ? { forceReply } : {}), ...(replyTo ? { replyTo } : {}), ...(entities.length > 0 ? { entities } : {}),
    }));
    return this.#d.objects.messageFrom(chatId, { id, senderUserId: this.#d.objects.botUserId, sentAt, text, entities, replyTo, replyMarkup });
  }

  async #editMessageText(p: Params): Promise<unknown> {
    const { chatId, item } = this.ownMessage(p, 'edit');
    if (item.attachments?.length) throw badRequest('there is no text in the message to edit'); // a file's text is its caption (R128)
    const { text, entities } = this.text(p, 'text');
    const replyMarkup = fromTelegramMarkup(p.json('reply_markup'));
    if (item.text === text && JSON.stringify(item.replyMarkup) === JSON.stringify(replyMarkup)) throw NOT_MODIFIED();
    this.checkPending();
    await this.call(() => this.#d.client.bots.editText(chatId, item.id, text, { ...(replyMarkup ? { replyMarkup } : {}), ...(entities.length > 0 ? { entities } : {}) }));
    return this.#d.objects.messageOf(chatId, item.id, { edit_date: Math.floor(Date.now() / 1000) });
  }

  /** A Parley edit carries the text: the same text (and formatting) again with the new keyboard. */
  async #editMessageReplyMarkup(p: Params): Promise<unknown> {
    const { chatId, item } = this.ownMessage(p, 'edit');
    const replyMarkup = fromTelegramMarkup(p.json('reply_markup'));
    if (JSON.stringify(item.replyMarkup) === JSON.stringify(replyMarkup)) throw NOT_MODIFIED();
    this.checkPending();
    await this.call(() => this.#d.client.bots.editText(chatId, item.id, item.text, { ...(replyMarkup ? { replyMarkup } : {}), ...(item.entities ? { entities: item.entities } : {}) }));
    return this.#d.objects.messageOf(chatId, item.id, { edit_date: Math.floor(Date.now() / 1000) });
  }

  async #deleteMessage(p: Params): Promise<unknown> {
    const { chatId, item } = this.ownMessage(p, 'delete');
    await this.call(() => this.#d.client.deleteMessage(chatId, item.id));
    return true;
  }

  /** The bot's own message that `chat_id` and `message_id` name, as its device shows it now. */
  ownMessage(p: Params, what: 'edit' | 'delete'): { chatId: string; item: TimelineItem } {
    if (p.has('inline_message_id')) throw badRequest('inline messages are not supported by the Parley gateway');
    const chatId = this.#d.objects.chatIdOf(p.int('chat_id'));
    const target = this.#d.objects.message(p.int('message_id'), chatId);
    const item = target && this.#d.client.timeline(chatId).find((i) => i.id === target.clientMsgId);
    if (!target || !item || item.deleted || (item.text === '' && !item.attachments?.length && !item.place)) throw badRequest(`message to ${what} not found`);
    if (item.senderUserId !== this.#d.objects.botUserId) throw badRequest(what === 'edit' ? 'message can\'t be edited' : 'message can\'t be deleted for everyone');
    return { chatId, item };
  }

  async #answerCallbackQuery(p: Params): Promise<unknown> {
    const queryId = p.str('callback_query_id');
    const chatId = this.#d.queryChat(queryId);
    if (!chatId) throw badRequest('query is too old and response timeout expired or query ID is invalid');
    const text = p.optStr('text');
    await this.call(() => this.#d.client.bots.answer(chatId, queryId, { ...(text !== undefined ? { text } : {}), ...(p.bool('show_alert') ? { showAlert: true } : {}) }));
    return true;
  }

  async #setMyCommands(p: Params): Promise<unknown> {
    const raw = p.json('commands');
    if (!Array.isArray(raw) || raw.length > 100) throw badRequest('commands must be an Array of at most 100 BotCommand');
    const commands = raw.map((c: unknown) => {
      const o = (c ?? {}) as Record<string, unknown>;
      const command = typeof o['command'] === 'string' ? o['command'].replace(/^\//, '') : '';
      const description = typeof o['description'] === 'string' ? o['description'] : '';
      if (!/^[a-z0-9_]{1,32}$/.test(command)) throw badRequest('BOT_COMMAND_INVALID');
      if (description.length < 1 || description.length > 256) throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
      return { command, description };
    });
    await this.publishCommands(commands);
    return true;
  }

  /** R108: the menu goes to the bot's public profile on the server (people's `/` menus read it) and the data dir. */
  async publishCommands(commands: readonly { command: string; description: string }[]): Promise<void> {
    await this.call(() => this.#d.client.bots.setCommands(this.#d.client.userId, commands));
    this.#writeCommands(commands);
  }

  #commands(): { command: string; description: string }[] {
    if (!existsSync(this.#d.commandsPath)) return [];
    return JSON.parse(readFileSync(this.#d.commandsPath, 'utf8')) as { command: string; description: string }[];
  }

  #writeCommands(commands: readonly { command: string; description: string }[]): void {
    writeFileSync(`${this.#d.commandsPath}.tmp`, JSON.stringify(commands), { mode: 0o600 });
    renameSync(`${this.#d.commandsPath}.tmp`, this.#d.commandsPath);
  }

  async #sendChatAction(p: Params): Promise<unknown> {
    const chatId = this.#d.objects.chatIdOf(p.int('chat_id'));
    if (p.str('action') === 'typing') this.#d.client.typing(chatId);
    return true;
  }

  /** The text and its entities, through the parse mode when one is given. */
  text(p: Params, field: string): { text: string; entities: MessageEntity[] } {
    const raw = p.str(field);
    const mode = p.optStr('parse_mode');
    if (mode === undefined) return { text: raw, entities: [] };
    const parse = mode === 'HTML' || mode.toLowerCase() === 'html' ? parseHtml : mode === 'MarkdownV2' ? parseMarkdownV2 : undefined;
    if (!parse) throw badRequest(`unsupported parse_mode ${mode}: the Parley gateway takes HTML and MarkdownV2 (docs/BOTS.md)`);
    try {
      const parsed = parse(raw);
      if (parsed.text.trim() === '') throw badRequest('message text is empty');
      return parsed;
    } catch (err) {
      if (err instanceof ParseError) throw badRequest(`can't parse entities: ${err.message}`);
      throw err;
    }
  }

  replyTo(p: Params, chatId: string): string | undefined {
    const params = p.json('reply_parameters') as Record<string, unknown> | undefined;
    const n = params && typeof params === 'object' ? Number(params['message_id']) : p.optInt('reply_to_message_id');
    if (n === undefined || Number.isNaN(n)) return undefined;
    const target = this.#d.objects.message(n, chatId);
    if (!target) {
      if (params?.['allow_sending_without_reply'] === true) return undefined;
      throw badRequest('message to be replied not found');
    }
    return target.clientMsgId;
  }

  checkPending(): void {
    const pending = this.#d.client.outbox().length;
    if (pending >= this.#d.maxPending) throw new BotApiError(429, 'Too Many Requests: retry after 1', { retry_after: 1 });
  }

  /** SDK errors as Bot API ones: a refused content is a 400, a server limit a 429 with retry_after. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ParleyError) {
        if (err.code === 'rate_limited') {
          const after = err.retryAfter ?? 1;
          throw new BotApiError(429, `Too Many Requests: retry after ${after}`, { retry_after: after });
        }
        if (err.status === 403) throw new BotApiError(403, `Forbidden: ${err.message}`);
        if (err.status >= 400 && err.status < 500) throw badRequest(err.message);
      }
      throw err;
    }
  }
}
