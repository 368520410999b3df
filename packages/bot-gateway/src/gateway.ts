import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import {
  ParleyClient, exportDeviceKey, generateDeviceKey, importDeviceKey, registerBotDevice,
  type ClientStore, type DeviceKey, type StoredMessage, type WebSocketCtor,
} from '@parley/client';
import { FileStore } from '@parley/cli';
import type { Message } from '@parley/protocol';
import { BotFiles } from './files/bot-files.ts';
import { DEFAULT_MAX_FILES, FileIds } from './files/file-ids.ts';
import type { UrlFetchOptions } from './files/url-fetch.ts';
import { DEFAULT_MAX_UPLOAD_BYTES, botApiServer } from './http-server.ts';
import { IdMap } from './id-map.ts';
import { GroupPrivacy } from './privacy.ts';
import { MembershipWatch } from './telegram-membership.ts';
import { fileIdOfPath } from './telegram-files.ts';
import { TelegramMethods } from './telegram-methods.ts';
import { TelegramObjects } from './telegram-objects.ts';
import { pollUpdates } from './telegram-polls.ts';
import { UpdateQueue } from './updates.ts';
import { Params } from './params.ts';
import { WebhookSender } from './webhook.ts';
import { MaxApi } from './max/max-api.ts';
import { MaxFiles } from './max/max-files.ts';
import { MaxObjects } from './max/max-objects.ts';

export interface GatewayOptions {
  /** The Parley server's URL. */
  server: string;
  /** The bot's token (R90b), as its owner got it; the bot code uses the same one against this gateway. */
  token: string;
  /** Where the Bot API listens: loopback by default (the bot code runs beside the gateway). */
  listen?: { host: string; port: number };
  /** Holds the bot's device key, MLS state, id map and commands (mode 0700). */
  dataDir: string;
  /** R94: updates kept for getUpdates at most; the oldest are dropped past it. */
  maxUpdates?: number;
  /** R94: the bot's messages waiting for the server at most; sends past it answer 429. */
  maxPending?: number;
  /** R94b: a webhook POST unanswered this long failed; retries wait from `webhookRetryMinMs`, doubling up to a minute. */
  webhookTimeoutMs?: number;
  webhookRetryMinMs?: number;
  /** R94b: certificates (PEM) trusted for https webhook URLs besides the system's (`--webhook-ca`). */
  webhookCa?: string;
  /** The largest file the bot code may upload (default DEFAULT_MAX_UPLOAD_BYTES); past it 413. The server's own limit (R56) applies too. */
  maxUploadBytes?: number;
  /** R163: files the bot names by http(s) URL: fetched with these limits (the size limit is `maxUploadBytes`). */
  urlFetch?: Omit<UrlFetchOptions, 'maxBytes'>;
  /** Files remembered at most (files.json; default DEFAULT_MAX_FILES), the least recently used forgotten first. */
  maxFiles?: number;
  log?: (line: string) => void;
  /** The bot device's local store; default a FileStore (`store.json`) in the data dir. Benchmarks compare a MemoryStore. */
  store?: ClientStore;
}

export interface RunningGateway extends AsyncDisposable {
  /** The Bot API root for bot libraries (`apiRoot` in grammY, `telegram.apiRoot` in telegraf, `baseApiUrl` in node-telegram-bot-api). */
  url: string;
  botUserId: string;
  client: ParleyClient;
  close(): Promise<void>;
}

interface DeviceFile {
  server: string;
  userId: string;
  deviceId: string;
  key: { publicJwk: JsonWebKey; privateJwk: JsonWebKey };
}

export const DEFAULT_MAX_UPDATES = 1000;
export const DEFAULT_MAX_PENDING = 100;
/** Callback queries remembered for answerCallbackQuery (the newest). */
const QUERIES_KEPT = 1000;

/**
 * R94: the bot gateway. Holds the bot's own Parley device (registered with the token on first start,
 * signed in with its key after), decrypts what people send the bot and encrypts what it answers
 * through the SDK, and serves the Telegram Bot API to the bot code on loopback.
 */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const log = opts.log ?? ((line: string) => console.error(`parley-bot-gateway: ${line}`));
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(opts.dataDir, 0o700);
  const botUserId = opts.token.slice(0, opts.token.indexOf(':'));
  let client = await signIn(opts, botUserId, log);
  if (!client) {
    // The device this dir held was signed out (the token was rotated): start over with this token.
    rmSync(join(opts.dataDir, 'device.json'), { force: true });
    for (const f of ['store.json', 'store.json.log']) rmSync(join(opts.dataDir, f), { force: true });
    client = await signIn(opts, botUserId, log);
    if (!client) throw new Error('the bot\'s new device was signed out at once');
  }
  const bot = client;
  let revoked = false;
  bot.on('revoked', () => {
    revoked = true;
    log('the bot\'s device was signed out (its token was rotated or revoked): every call answers 401 until the gateway is started with a new token');
  });

  const ids = new IdMap(join(opts.dataDir, 'ids.json'));
  const updates = new UpdateQueue(opts.maxUpdates ?? DEFAULT_MAX_UPDATES);
  const fileIds = new FileIds(join(opts.dataDir, 'files.json'), opts.maxFiles ?? DEFAULT_MAX_FILES);
  const files = new BotFiles(bot, fileIds, opts.dataDir, { maxBytes: opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES, ...opts.urlFetch });
  const objects = new TelegramObjects(bot, ids, fileIds, botUserId);
  const privacy = new GroupPrivacy(bot, botUserId);
  const queries = new Map<string, string>();
  // R94b: a call in a webhook's answer (telegraf's webhookReply) is made as if the bot had sent it; its result or error goes nowhere, as Telegram's.
  let replyMethods: TelegramMethods['methods'] | undefined;
  const onReply = async (name: string, params: Record<string, unknown>) => {
    const method = replyMethods?.get(name.toLowerCase());
    if (!method) return log(`webhook: the answer's call ${name} is not a method`);
    await method(new Params(params), AbortSignal.timeout(60_000)).catch((err: unknown) => log(`webhook: the answer's call ${name} failed: ${err instanceof Error ? err.message : String(err)}`));
  };
  const webhook = new WebhookSender(updates, { timeoutMs: opts.webhookTimeoutMs ?? 10_000, retryMinMs: opts.webhookRetryMinMs ?? 1000, maxRetryMs: 60_000, log, onReply, ...(opts.webhookCa !== undefined ? { ca: opts.webhookCa } : {}) });
  const hookPath = join(opts.dataDir, 'webhook.json');
  const savedHook = existsSync(hookPath) ? (JSON.parse(readFileSync(hookPath, 'utf8')) as { url: string; secret?: string; allowed?: string[] }) : undefined;
  if (savedHook) await webhook.set(savedHook.url, savedHook);
  const methods = new TelegramMethods({
    client: bot, objects, updates, commandsPath: join(opts.dataDir, 'commands.json'), maxPending: opts.maxPending ?? DEFAULT_MAX_PENDING,
    queryChat: (queryId) => queries.get(queryId), webhook, files, privacy, ids,
    saveWebhook: (hook) => (hook ? writeFileSync(hookPath, JSON.stringify(hook), { mode: 0o600 }) : rmSync(hookPath, { force: true })),
  });
  replyMethods = methods.methods;

  // R109: the Max Bot API on the same port (every path but /bot<token>/…), with its own updates.
  const maxFiles = new MaxFiles(files, opts.dataDir, opts.token, opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES);
  const max = new MaxApi({
    client: bot, objects: new MaxObjects(bot, objects, ids, maxFiles), files, token: opts.token, authorized: () => !revoked,
    maxUpdates: opts.maxUpdates ?? DEFAULT_MAX_UPDATES, maxPending: opts.maxPending ?? DEFAULT_MAX_PENDING,
    setCommands: (commands) => methods.publishCommands(commands), queryChat: (queryId) => queries.get(queryId),
    webhook: { timeoutMs: opts.webhookTimeoutMs ?? 10_000, retryMinMs: opts.webhookRetryMinMs ?? 1000, ...(opts.webhookCa !== undefined ? { ca: opts.webhookCa } : {}) }, log,
  });
  const rememberQuery = (queryId: string, chatId: string) => {
    queries.set(queryId, chatId);
    if (queries.size > QUERIES_KEPT) queries.delete(queries.keys().next().value!);
  };

  // Updates in the order the log gives them, one message at a time.
  let chain = Promise.resolve();
  bot.on('message', (m) => {
    chain = chain.then(async () => { await toUpdate(m); await max.onMessage(m, rememberQuery); }).catch((err: unknown) => log(`an update was lost: ${String(err)}`));
  });
  async function toUpdate(m: Message): Promise<void> {
    if (m.senderUserId === botUserId) return;
    const decoded = (m as StoredMessage).decoded;
    if (decoded?.kind !== 'content') return;
    const c = decoded.content;
    if (c.kind === 'text') {
      if (!(await privacy.admits(m.chatId, { senderUserId: m.senderUserId, text: c.text, entities: c.entities, replyTo: c.replyTo }))) return;
      // R107: a person's album is one update a file, sharing a media_group_id, as Telegram delivers one.
      const messages = await objects.messagesFrom(m.chatId, { id: m.clientMsgId, senderUserId: m.senderUserId, sentAt: m.sentAt, text: c.text, entities: c.entities, replyTo: c.replyTo, replyMarkup: c.replyMarkup, attachments: c.attachments, place: c.place });
      for (const message of messages) updates.push({ update_id: ids.nextUpdateId(), message });
    } else if (c.kind === 'edit') {
      if (!(await privacy.admits(m.chatId, { senderUserId: m.senderUserId, text: c.text, entities: c.entities }))) return;
      const message = await objects.messageOf(m.chatId, c.target, { edit_date: Math.floor(m.sentAt / 1000) });
      if (message) updates.push({ update_id: ids.nextUpdateId(), edited_message: message });
    } else if (c.kind === 'reaction') {
      // R106: one person's reaction changed; Telegram's old/new lists are this one emoji (docs/BOTS.md).
      const target = objects.message(objects.messageId(m.chatId, c.target), m.chatId);
      const view = bot.chat(m.chatId);
      if (!target || !view) return;
      const emoji = [{ type: 'emoji', emoji: c.emoji }];
      updates.push({
        update_id: ids.nextUpdateId(),
        message_reaction: { chat: await objects.chat(view), message_id: objects.messageId(m.chatId, c.target), user: await objects.user(m.senderUserId), date: Math.floor(m.sentAt / 1000), old_reaction: c.on ? [] : emoji, new_reaction: c.on ? emoji : [] },
      });
    } else if (c.kind === 'vote') {
      for (const u of await pollUpdates(bot, objects, m.chatId, m.senderUserId, c)) updates.push({ update_id: ids.nextUpdateId(), ...u });
    } else if (c.kind === 'callback') {
      const message = await objects.messageOf(m.chatId, c.target);
      if (!message) return;
      queries.set(c.queryId, m.chatId);
      if (queries.size > QUERIES_KEPT) queries.delete(queries.keys().next().value!);
      updates.push({
        update_id: ids.nextUpdateId(),
        callback_query: { id: c.queryId, from: await objects.user(m.senderUserId), message, chat_instance: String(ids.int('chat', m.chatId)), data: c.data },
      });
    }
  }
  const membership = new MembershipWatch(bot, objects, (kind, body) => {
    chain = chain.then(() => updates.push({ update_id: ids.nextUpdateId(), [kind]: body }));
  });
  await membership.start();
  bot.on('change', () => {
    max.onChange();
    if (updates.dropped > 0) {
      log(`${updates.dropped} updates were dropped: the bot did not fetch them (at most ${opts.maxUpdates ?? DEFAULT_MAX_UPDATES} are kept)`);
      updates.dropped = 0;
    }
    if (fileIds.forgotten > 0) {
      log(`${fileIds.forgotten} files were forgotten (at most ${opts.maxFiles ?? DEFAULT_MAX_FILES} are kept): their file ids no longer work`);
      fileIds.forgotten = 0;
    }
  });

  const http = botApiServer({
    token: opts.token, authorized: () => !revoked, methods: methods.methods, onError: (err, method) => log(`${method} failed: ${String(err)}`),
    other: (req, res, url) => max.handle(req, res, url),
    maxUploadBytes: opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    download: async (path) => {
      const fileId = fileIdOfPath(path);
      if (!fileId || !fileIds.get(fileId)) return undefined;
      const { attachment, bytes } = await files.read(fileId);
      return { bytes, mime: attachment.mime };
    },
  });
  const listen = opts.listen ?? { host: '127.0.0.1', port: 8081 };
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(listen.port, listen.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  maxFiles.baseUrl = `http://${host}:${port}`;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await webhook.delete({ dropPending: false });
    await max.subscriptions.delete({ dropPending: false });
    updates.wakeAll();
    max.updates.wakeAll();
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
    await membership.stop();
    max.chats.stop();
    await chain;
    maxFiles.clear();
    await bot.stop();
    ids.flush();
    fileIds.flush();
  };
  return { url: `http://${host}:${port}`, botUserId, client: bot, close, [Symbol.asyncDispose]: close };
}

/** A started, online client for the bot's device, registering one first if this dir has none; undefined if it was signed out. */
async function signIn(opts: GatewayOptions, botUserId: string, log: (line: string) => void): Promise<ParleyClient | undefined> {
  const path = join(opts.dataDir, 'device.json');
  let device: { userId: string; deviceId: string; key: DeviceKey };
  const stored = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as DeviceFile) : undefined;
  if (stored && stored.userId === botUserId && stored.server === opts.server) {
    device = { userId: stored.userId, deviceId: stored.deviceId, key: await importDeviceKey(stored.key) };
  } else {
    const key = await generateDeviceKey({ extractable: true });
    const { userId, deviceId } = await registerBotDevice(opts.server, { token: opts.token, deviceName: 'parley-bot-gateway', deviceKey: key });
    const file: DeviceFile = { server: opts.server, userId, deviceId, key: await exportDeviceKey(key) };
    writeFileSync(path, JSON.stringify(file), { mode: 0o600 });
    for (const f of ['store.json', 'store.json.log']) rmSync(join(opts.dataDir, f), { force: true });
    log(`registered a device for the bot (${deviceId})`);
    device = { userId, deviceId, key };
  }
  const client = new ParleyClient({
    baseUrl: opts.server,
    session: { userId: device.userId, deviceId: device.deviceId },
    deviceKey: device.key,
    store: opts.store ?? new FileStore(join(opts.dataDir, 'store.json'), { journal: true }),
    WebSocket: WebSocket as unknown as WebSocketCtor,
    backoff: { minMs: 100, maxMs: 5000 },
  });
  await client.start();
  const deadline = Date.now() + 30_000;
  while (client.connectionState !== 'online' && client.connectionState !== 'revoked') {
    if (Date.now() > deadline) throw new Error(`cannot reach ${opts.server}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  if (client.connectionState === 'revoked') {
    await client.stop();
    return undefined;
  }
  return client;
}
