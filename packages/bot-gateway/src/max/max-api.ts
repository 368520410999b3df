import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { ParleyError, type Message } from '@parley/protocol';
import { parseMarkdown, type ParleyClient, type StoredMessage } from '@parley/client';
import { MAX_BODY_BYTES } from '../http-server.ts';
import { ParseError, parseHtml } from '../parse-mode.ts';
import { UpdateQueue } from '../updates.ts';
import { MaxError } from './max-error.ts';
import type { BotFiles } from '../files/bot-files.ts';
import { fromMaxAttachments, parseMaxAttachments, type MaxObjects } from './max-objects.ts';
import { MaxSubscriptions } from './max-subscriptions.ts';
import { MaxChatIndex } from './max-chats.ts';

type Obj = Record<string, unknown>;

/** R109: update types this facade produces (docs/BOTS.md, "Max Bot API"). */
export const MAX_UPDATE_TYPES = ['message_created', 'message_edited', 'message_removed', 'message_callback', 'bot_started', 'bot_added', 'bot_removed', 'user_added', 'user_removed'] as const;
/** Longest long poll, in seconds (Max's own bound is 90). */
const MAX_POLL_SECONDS = 90;
const MAX_TEXT_CHARS = 4000;

export interface MaxApiDeps {
  client: ParleyClient;
  objects: MaxObjects;
  /** Uploads and resends through the SDK (shared with the Telegram facade). */
  files: BotFiles;
  token: string;
  authorized(): boolean;
  maxUpdates: number;
  /** R94: sends answer 429 while this many of the bot's messages wait for the server. */
  maxPending: number;
  /** R108: publishes the bot's command menu (PATCH /me/commands). */
  setCommands(commands: { command: string; description: string }[]): Promise<void>;
  /** Which chat a callback was asked in (shared with the Telegram facade's answerCallbackQuery). */
  queryChat(queryId: string): string | undefined;
  webhook: { timeoutMs: number; retryMinMs: number; ca?: string };
  log(line: string): void;
}

/**
 * R109: the Max Bot API on the gateway's port, beside Telegram's: every path that is not
 * `/bot<token>/…` (optionally under `/max/`), the token in the `Authorization` header (or the old
 * `access_token` query parameter). Updates come from the same SDK events as Telegram's, kept in a
 * queue of their own (a bot uses one API or the other).
 */
export class MaxApi {
  readonly #d: MaxApiDeps;
  readonly #expected: Buffer;
  /** Max updates, wrapped as `{ update_id, [update_type]: update }` so the bounded queue serves both facades. */
  readonly updates: UpdateQueue;
  readonly subscriptions: MaxSubscriptions;
  #nextId = 1;
  /** The bot's chats as last seen, with their ids: one that goes is `bot_removed` (its device sees no more of it). */
  readonly chats: MaxChatIndex;

  constructor(deps: MaxApiDeps) {
    this.#d = deps;
    this.#expected = Buffer.from(deps.token);
    this.updates = new UpdateQueue(deps.maxUpdates, MAX_UPDATE_TYPES);
    this.subscriptions = new MaxSubscriptions(this.updates, { ...deps.webhook, maxRetryMs: 60_000, log: deps.log });
    // who removed the bot is not known to its device
    this.chats = new MaxChatIndex(deps.client, deps.objects.botUserId, (v) => deps.objects.chatInt(v), (_chatId, chat_id) => this.#push('bot_removed', { chat_id, is_channel: false }));
    deps.objects.dialogIndex = (userId) => this.chats.dialogWith(userId);
  }

  #push(type: (typeof MAX_UPDATE_TYPES)[number], body: Obj): void {
    this.updates.push({ update_id: this.#nextId++, [type]: { update_type: type, timestamp: Date.now(), ...body } });
  }

  /** The client's state changed: a chat the bot was in and no longer is was left or removed it. */
  onChange(): void {
    this.chats.changed();
  }

  /** One message of the bot's chats as Max updates (the gateway calls it in log order). */
  async onMessage(m: Message, queryChat: (queryId: string, chatId: string) => void): Promise<void> {
    const { objects } = this.#d;
    if (m.system) return this.#onSystem(m, m.system);
    if (m.senderUserId === objects.botUserId) return;
    const decoded = (m as StoredMessage).decoded;
    if (decoded?.kind !== 'content') return;
    const c = decoded.content;
    if (c.kind === 'text') {
      const message = await objects.messageFrom(m.chatId, { id: m.clientMsgId, senderUserId: m.senderUserId, sentAt: m.sentAt, text: c.text, entities: c.entities, replyTo: c.replyTo, replyMarkup: c.replyMarkup, attachments: c.attachments, place: c.place });
      if (message) this.#push('message_created', { message, user_locale: 'en' });
    } else if (c.kind === 'edit') {
      const message = await objects.messageOf(m.chatId, c.target);
      if (message) this.#push('message_edited', { message });
    } else if (c.kind === 'delete') {
      const view = this.#d.client.chat(m.chatId);
      if (view) this.#push('message_removed', { message_id: objects.mid(m.chatId, c.target), chat_id: objects.chatInt(view), user_id: (await objects.user(m.senderUserId))['user_id'] });
    } else if (c.kind === 'callback') {
      const message = await objects.messageOf(m.chatId, c.target);
      if (!message) return;
      queryChat(c.queryId, m.chatId);
      this.#push('message_callback', { callback: { timestamp: m.sentAt, callback_id: c.queryId, payload: c.data, user: await objects.user(m.senderUserId) }, message, user_locale: 'en' });
    }
  }

  /**
   * The chat's log says who came and went: a direct chat opened with the bot is `bot_started`, the bot
   * added to a group (or a group made with it) `bot_added`, removed `bot_removed`; others `user_*`.
   */
  async #onSystem(m: Message, s: NonNullable<Message['system']>): Promise<void> {
    const { objects, client } = this.#d;
    const view = client.chat(m.chatId);
    if (!view) return;
    const chat_id = objects.chatInt(view);
    const by = await objects.user(m.senderUserId);
    if (s.kind === 'created') {
      if (m.senderUserId === objects.botUserId) return;
      if (view.kind === 'direct') this.#push('bot_started', { chat_id, user: by, payload: null, user_locale: 'en' });
      else this.#push('bot_added', { chat_id, user: by, is_channel: false });
      return;
    }
    if (!('userId' in s)) return;
    const who = s.userId === objects.botUserId;
    if (s.kind === 'member_added' || s.kind === 'member_joined') {
      if (who) this.#push('bot_added', { chat_id, user: by, is_channel: false });
      else this.#push('user_added', { chat_id, user: await objects.user(s.userId), ...(s.kind === 'member_added' ? { inviter_id: by['user_id'] } : {}), is_channel: false });
    } else if (s.kind === 'member_left' || s.kind === 'member_removed') {
      if (who) this.#push('bot_removed', { chat_id, user: by, is_channel: false });
      else this.#push('user_removed', { chat_id, user: await objects.user(s.userId), ...(s.kind === 'member_removed' ? { admin_id: by['user_id'] } : {}), is_channel: false });
    }
  }

  /**
   * Serves one request if it is Max's: a path of the Max API (with or without `/max/`), or any path
   * with an `Authorization` header; false leaves it to the Telegram facade (its 404).
   */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname.replace(/^\/max(?=\/|$)/, '') || '/';
    // R127: the upload URL and people's file URLs carry no token (they are capabilities, as Max's are).
    if (url.pathname.startsWith('/max/upload/') || url.pathname.startsWith('/max/files/')) {
      try {
        if (await this.#d.objects.files.handle(req, res, path)) return true;
        throw new MaxError(404, 'not.found', 'Not Found');
      } catch (err) {
        if (err instanceof MaxError) sendJson(res, err.status, { code: err.code, message: err.message });
        else { this.#d.log(`max ${req.method} ${path} failed: ${String(err)}`); sendJson(res, 500, { code: 'internal', message: 'Internal Server Error' }); }
        return true;
      }
    }
    const maxPath = url.pathname.startsWith('/max/') || /^\/(me|updates|messages|answers|subscriptions|chats|uploads|videos)(\/|$)/.test(path);
    if (!maxPath && req.headers.authorization === undefined) return false;
    await this.#serve(req, res, url, path);
    return true;
  }

  async #serve(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
    try {
      const given = Buffer.from(req.headers.authorization ?? url.searchParams.get('access_token') ?? '');
      if (given.length !== this.#expected.length || !timingSafeEqual(given, this.#expected) || !this.#d.authorized()) {
        throw new MaxError(401, 'verify.token', 'Invalid access_token');
      }
      const aborted = new AbortController();
      res.on('close', () => aborted.abort());
      const body = req.method === 'GET' || req.method === 'DELETE' ? {} : await readJson(req);
      const result = await this.#route(req.method ?? 'GET', path, url.searchParams, body, aborted.signal);
      if (!res.headersSent && !res.destroyed) sendJson(res, 200, result);
    } catch (err) {
      if (err instanceof MaxError) return sendJson(res, err.status, { code: err.code, message: err.message });
      if (err instanceof ParleyError) {
        if (err.code === 'rate_limited') return sendJson(res, 429, { code: 'too.many.requests', message: `Too many requests: retry after ${err.retryAfter ?? 1} s` });
        if (err.status === 403) return sendJson(res, 403, { code: 'access.denied', message: err.message });
        if (err.status >= 400 && err.status < 500) return sendJson(res, 400, { code: 'proto.payload', message: err.message });
      }
      this.#d.log(`max ${req.method} ${path} failed: ${String(err)}`);
      sendJson(res, 500, { code: 'internal', message: 'Internal Server Error' });
    }
  }

  async #route(method: string, path: string, q: URLSearchParams, body: Obj, signal: AbortSignal): Promise<unknown> {
    const { client, objects } = this.#d;
    const route = `${method} ${path.replace(/\/+$/, '') || '/'}`;
    switch (route) {
      case 'GET /me': {
        const me = await objects.user(objects.botUserId);
        return { ...me, commands: (await client.bots.commands(objects.botUserId)).map((c) => ({ name: c.command, description: c.description })) };
      }
      case 'PATCH /me':
      case 'PATCH /me/commands': {
        const raw = body['commands'];
        if (raw === undefined) return objects.user(objects.botUserId);
        if (!Array.isArray(raw) || raw.length > 32) throw new MaxError(400, 'proto.payload', 'commands: an array of at most 32');
        const commands = (raw as Obj[]).map((c) => {
          const command = typeof c?.['name'] === 'string' ? c['name'].replace(/^\//, '') : '';
          const description = typeof c?.['description'] === 'string' ? c['description'] : '';
          if (!/^[a-z0-9_]{1,32}$/.test(command) || description.length < 1 || description.length > 256) throw new MaxError(400, 'proto.payload', `bad command ${command}`);
          return { command, description };
        });
        await this.#d.setCommands(commands);
        return { ...(await objects.user(objects.botUserId)), commands: commands.map((c) => ({ name: c.command, description: c.description })) };
      }
      case 'GET /updates': {
        if (this.subscriptions.active) throw new MaxError(409, 'conflict', 'Long polling is not available while a webhook subscription is active');
        const limit = Math.min(1000, Math.max(1, intOf(q, 'limit') ?? 100));
        const timeoutSec = Math.min(MAX_POLL_SECONDS, Math.max(0, intOf(q, 'timeout') ?? 30));
        const marker = intOf(q, 'marker');
        const types = q.get('types');
        const taken = await this.updates.take({ limit, timeoutSec, signal, ...(marker !== undefined ? { offset: marker } : {}), ...(types ? { allowed: types.split(',').filter(Boolean) } : {}) });
        const last = taken.at(-1)?.update_id;
        return { updates: taken.map(unwrap), marker: last !== undefined ? last + 1 : marker ?? this.#nextId };
      }
      case 'POST /messages': {
        const chatId = q.get('chat_id') ? objects.chatOf(Number(q.get('chat_id'))) : q.get('user_id') ? objects.dialogWith(Number(q.get('user_id'))) : undefined;
        if (!chatId) throw new MaxError(400, 'proto.payload', 'chat_id or user_id is required');
        this.#checkPending();
        const { text, entities } = textOf(body);
        const { replyMarkup, media, place } = parseMaxAttachments(body['attachments']);
        if (place && media.length > 0) throw new MaxError(400, 'attachment.not.supported', 'a location goes alone, without files, on Parley (docs/BOTS.md)');
        const link = body['link'] as Obj | undefined;
        const replyTo = link?.['type'] === 'reply' && typeof link['mid'] === 'string' ? objects.message(link['mid']).clientMsgId : undefined;
        if (!text && !replyMarkup && media.length === 0 && !place) throw new MaxError(400, 'proto.payload', 'text or attachments is required');
        const sentAt = Date.now();
        if (media.length > 0) {
          // R127: files by upload token (encrypted and uploaded now) or by a token the bot saw (re-shared, R54).
          const opts = { text, entities, ...(replyMarkup ? { replyMarkup } : {}), ...(replyTo ? { replyTo } : {}) };
          const found = await objects.files.resolve(media);
          if ('uploads' in found) {
            const item = await this.#d.files.upload(chatId, found.uploads, opts);
            objects.files.sent(found.uploads.map((u) => u.token), item.attachments ?? []);
            return { message: await objects.messageOf(chatId, item.id) };
          }
          const id = await this.#d.files.resend(chatId, found.fileIds, opts);
          return { message: await objects.messageOf(chatId, id) ?? await objects.messageFrom(chatId, { id, senderUserId: objects.botUserId, sentAt, text, entities, replyTo, replyMarkup }) };
        }
        const id = await client.bots.sendText(chatId, text, { ...(replyMarkup ? { replyMarkup } : {}), ...(replyTo ? { replyTo } : {}), ...(entities.length > 0 ? { entities } : {}), ...(place ? { place } : {}) });
        return { message: await objects.messageFrom(chatId, { id, senderUserId: objects.botUserId, sentAt, text, entities, replyTo, replyMarkup, place }) };
      }
      case 'PUT /messages': {
        const { chatId, item } = this.#own(q.get('message_id') ?? '');
        const { text, entities } = body['text'] === undefined ? { text: item.text, entities: item.entities ?? [] } : textOf(body);
        const replyMarkup = body['attachments'] === undefined ? item.replyMarkup : fromMaxAttachments(body['attachments'], item.attachments);
        this.#checkPending();
        await client.bots.editText(chatId, item.id, text, { ...(replyMarkup ? { replyMarkup } : {}), ...(entities.length > 0 ? { entities } : {}) });
        return { success: true };
      }
      case 'DELETE /messages': {
        const { chatId, item } = this.#own(q.get('message_id') ?? '');
        await client.deleteMessage(chatId, item.id);
        return { success: true };
      }
      case 'POST /answers': {
        const queryId = q.get('callback_id') ?? '';
        const chatId = this.#d.queryChat(queryId);
        if (!chatId) throw new MaxError(404, 'not.found', 'callback_id is unknown or too old');
        const message = body['message'] as Obj | undefined | null;
        if (message) {
          const target = this.#callbackTarget(chatId, queryId);
          const { text, entities } = message['text'] === undefined ? { text: target.text, entities: target.entities ?? [] } : textOf(message);
          const replyMarkup = message['attachments'] === undefined ? target.replyMarkup : fromMaxAttachments(message['attachments'], target.attachments);
          await client.bots.editText(chatId, target.id, text, { ...(replyMarkup ? { replyMarkup } : {}), ...(entities.length > 0 ? { entities } : {}) });
        }
        const note = body['notification'];
        await client.bots.answer(chatId, queryId, typeof note === 'string' && note ? { text: note.slice(0, 200) } : {});
        return { success: true };
      }
      case 'POST /uploads':
        return objects.files.create(q.get('type'));
      case 'GET /subscriptions':
        return { subscriptions: this.subscriptions.list() };
      case 'POST /subscriptions': {
        const hookUrl = body['url'];
        if (typeof hookUrl !== 'string' || !/^https?:\/\/\S+$/i.test(hookUrl) || hookUrl.length > 2048) throw new MaxError(400, 'proto.payload', 'url: an http(s) URL');
        const types = Array.isArray(body['update_types']) ? (body['update_types'] as unknown[]).filter((t): t is string => typeof t === 'string') : undefined;
        const secret = typeof body['secret'] === 'string' ? body['secret'] : undefined;
        if (secret !== undefined && !/^[A-Za-z0-9_-]{5,256}$/.test(secret)) throw new MaxError(400, 'proto.payload', 'secret: 5-256 of A-Z a-z 0-9 _ -');
        await this.subscriptions.set(hookUrl, { ...(secret ? { secret } : {}), ...(types && types.length > 0 ? { allowed: types } : {}) });
        return { success: true };
      }
      case 'DELETE /subscriptions':
        if (this.subscriptions.url === q.get('url')) await this.subscriptions.delete({ dropPending: false });
        return { success: true };
      case 'GET /chats':
        return { chats: await Promise.all(client.chats().map((v) => objects.chat(v))), marker: null };
      default: {
        const chat = /^GET \/chats\/(-?\d+)$/.exec(route);
        if (chat) return objects.chat(client.chat(objects.chatOf(Number(chat[1])))!);
        throw new MaxError(404, 'not.found', `Path ${path} is not supported by the Parley gateway (docs/BOTS.md)`);
      }
    }
  }

  #checkPending(): void {
    const waiting = this.#d.client.outbox().length;
    if (waiting >= this.#d.maxPending) throw new MaxError(429, 'too.many.requests', 'Too many requests: retry after 1 s');
  }

  #own(mid: string) {
    const { chatId, clientMsgId } = this.#d.objects.message(mid);
    const item = this.#d.client.timeline(chatId).find((i) => i.id === clientMsgId);
    if (!item || item.deleted) throw new MaxError(404, 'not.found', `Message ${mid} not found`);
    if (item.senderUserId !== this.#d.objects.botUserId) throw new MaxError(403, 'access.denied', 'The bot edits and deletes only its own messages');
    return { chatId, item };
  }

  /** The message a press was on: a callback content of the chat names it. */
  #callbackTarget(chatId: string, queryId: string) {
    for (const m of this.#d.client.log(chatId)) {
      const decoded = (m as StoredMessage).decoded;
      const c = decoded?.kind === 'content' ? decoded.content : undefined;
      if (c?.kind === 'callback' && c.queryId === queryId) {
        const item = this.#d.client.timeline(chatId).find((i) => i.id === c.target);
        if (item && !item.deleted && item.senderUserId === this.#d.objects.botUserId) return item;
      }
    }
    throw new MaxError(404, 'not.found', 'the message of this callback is gone');
  }
}

const unwrap = (u: { update_id: number } & Obj): unknown => Object.entries(u).find(([k]) => k !== 'update_id')?.[1];

function intOf(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new MaxError(400, 'proto.payload', `${name} is not a number`);
  return Number(v);
}

/** Max's `text` with `format`: `html` (Telegram's HTML subset) or `markdown` (Parley's Markdown-like marks); plain otherwise. */
function textOf(body: Obj): { text: string; entities: ReturnType<typeof parseHtml>['entities'] } {
  const raw = body['text'];
  if (raw === undefined || raw === null) return { text: '', entities: [] };
  if (typeof raw !== 'string') throw new MaxError(400, 'proto.payload', 'text must be a string');
  if (raw.length > MAX_TEXT_CHARS) throw new MaxError(400, 'proto.payload', `text is at most ${MAX_TEXT_CHARS} characters`);
  try {
    if (body['format'] === 'html') return parseHtml(raw);
    if (body['format'] === 'markdown') { const f = parseMarkdown(raw); return { text: f.text, entities: [...f.entities] }; }
  } catch (err) {
    if (err instanceof ParseError) throw new MaxError(400, 'proto.payload', `can't parse the text: ${err.message}`);
    throw err;
  }
  return { text: raw, entities: [] };
}

async function readJson(req: IncomingMessage): Promise<Obj> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new MaxError(413, 'too.large', 'Request Entity Too Large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new MaxError(400, 'proto.payload', 'can\'t parse JSON body');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MaxError(400, 'proto.payload', 'the JSON body must be an object');
  return parsed as Obj;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length });
  res.end(bytes);
}
