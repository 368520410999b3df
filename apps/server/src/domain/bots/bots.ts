import { ParleyError, RESERVED_HANDLES, type BotAvatarRequest, type BotCommand, type BotCreated, type BotDeviceResponse, type BotInfo, type BotSelfResponse, type CreateBotRequest, type NewDevice } from '@parley/protocol';
import type { BotLimits } from '../../config-types.ts';
import type { BlobStorage } from '../../storage/blob-storage.ts';
import type { BotAvatarRow, BotRow, BotStorage } from '../../storage/bot-storage.ts';
import type { Storage, UserRow } from '../../storage/storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { Clock, Random } from '../ports.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import { sha256Hex } from '../secrets.ts';
import { IMAGE_HEAD_BYTES, looksLike } from './avatar-image.ts';

export interface BotsDeps {
  storage: Storage;
  bots: BotStorage;
  /** R143: avatars are uploads of their owner's. */
  blobs: BlobStorage;
  /** R143: the first `n` bytes of a complete blob (n ≤ its length). */
  head(blobId: string, n: number): Promise<Uint8Array>;
  clock: Clock;
  random: Random;
  limiter: RateLimiter;
  limits: BotLimits;
  /** Adds a device to an account (Accounts.addDevice: rate-checked, chats told). */
  addDevice(userId: string, device: NewDevice): Promise<string>;
  /** Signs a device out at once (Accounts.revokeDevice, as its own user). */
  revokeDevice(userId: string, deviceId: string): Promise<void>;
}

/** Remembered answers of `isBot`: whether an account is a bot never changes. */
const KNOWN_MAX = 10_000;

/**
 * R90-R92: bots. A bot is an account of its own with an owner (a person); its token (shown once,
 * kept as a hash) lets a bot gateway register a device, which then signs in like any device. A bot
 * talks only to people who wrote to it, and sends at a bounded rate.
 */
export class Bots {
  readonly #d: BotsDeps;
  readonly #known = new Map<string, boolean>();
  constructor(deps: BotsDeps) {
    this.#d = deps;
  }

  /** R90: creates a bot owned by the caller, with a first token. */
  async create(auth: AuthContext, input: CreateBotRequest): Promise<BotCreated> {
    if (await this.isBot(auth.userId)) throw new ParleyError('forbidden', 'a bot cannot own bots');
    if (RESERVED_HANDLES.has(input.handle)) throw new ParleyError('handle_taken', 'this handle is reserved');
    if ((await this.#d.bots.listBots(auth.userId)).length >= this.#d.limits.maxPerOwner) {
      throw new ParleyError('bot_limit', `a person owns at most ${this.#d.limits.maxPerOwner} bots`);
    }
    const now = this.#d.clock.now();
    const userId = this.#d.random.id();
    const token = this.#newToken(userId);
    // A bot has no recovery code: its owner rotates the token instead. No code hashes to this.
    const user: UserRow = { userId, handle: input.handle, displayName: input.displayName, createdAt: now, recoveryHash: `bot:${this.#d.random.id()}` };
    const bot: BotRow = { botUserId: userId, ownerUserId: auth.userId, description: input.description ?? '', tokenHash: sha256Hex(token), createdAt: now, deletedAt: null, commands: [] };
    await this.#d.bots.createBot(user, bot);
    this.#known.set(userId, true);
    return { bot: infoOf(bot, user), token };
  }

  async list(auth: AuthContext): Promise<BotInfo[]> {
    return (await this.#d.bots.listBots(auth.userId)).map(({ bot, user }) => infoOf(bot, user));
  }

  /** R90b: a new token; the old one stops working and the devices it registered are signed out. */
  async rotateToken(auth: AuthContext, botUserId: string): Promise<{ token: string }> {
    const bot = await this.#owned(auth, botUserId);
    const token = this.#newToken(bot.botUserId);
    await this.#d.bots.setBotToken(bot.botUserId, sha256Hex(token));
    await this.#signOut(bot.botUserId);
    return { token };
  }

  /** R90b: no token until the next rotation; the bot's devices are signed out. */
  async revokeToken(auth: AuthContext, botUserId: string): Promise<void> {
    const bot = await this.#owned(auth, botUserId);
    await this.#d.bots.setBotToken(bot.botUserId, null);
    await this.#signOut(bot.botUserId);
  }

  /** R90: gone from the owner's list, token and devices with it; its handle stays taken. */
  async delete(auth: AuthContext, botUserId: string): Promise<void> {
    const bot = await this.#owned(auth, botUserId);
    await this.#d.bots.deleteBot(bot.botUserId, this.#d.clock.now());
    await this.#signOut(bot.botUserId);
  }

  /** R108: the owner (Settings → Bots) or the bot itself (its gateway's setMyCommands) replaces its command menu. */
  async setCommands(auth: AuthContext, botUserId: string, commands: readonly BotCommand[]): Promise<void> {
    const bot = auth.userId === botUserId ? await this.#d.bots.getBot(botUserId) : await this.#owned(auth, botUserId);
    if (!bot || bot.deletedAt !== null) throw new ParleyError('bot_not_found', 'no such bot');
    await this.#d.bots.setBotCommands(bot.botUserId, commands);
  }

  /** R108: a bot's command menu is public: anyone signed in reads it (people's clients show it on `/`). */
  async commands(botUserId: string): Promise<BotCommand[]> {
    const bot = await this.#d.bots.getBot(botUserId);
    if (!bot || bot.deletedAt !== null) throw new ParleyError('bot_not_found', 'no such bot');
    return bot.commands;
  }

  /** R105: the owner turns the bot's privacy mode in groups on or off. */
  async setPrivacy(auth: AuthContext, botUserId: string, on: boolean): Promise<BotInfo> {
    const bot = await this.#owned(auth, botUserId);
    await this.#d.bots.setBotPrivacy(bot.botUserId, on);
    return this.#info(auth, bot.botUserId);
  }

  async #info(auth: AuthContext, botUserId: string): Promise<BotInfo> {
    const listed = (await this.#d.bots.listBots(auth.userId)).find((b) => b.bot.botUserId === botUserId);
    if (!listed) throw new ParleyError('bot_not_found', 'you own no such bot');
    return infoOf(listed.bot, listed.user);
  }

  /**
   * R143: the owner makes a complete upload of theirs (public bytes, not encrypted) the bot's avatar:
   * at most `avatarMaxBytes` (`bot_avatar_too_large`), its first bytes those of the type named
   * (`bot_avatar_invalid`). The avatar it replaces is no longer kept (R56 sweeps it).
   */
  async setAvatar(auth: AuthContext, botUserId: string, input: BotAvatarRequest): Promise<BotInfo> {
    const bot = await this.#owned(auth, botUserId);
    const blob = await this.#d.blobs.getBlob(input.blobId);
    if (!blob || blob.ownerUserId !== auth.userId) throw new ParleyError('blob_not_found', 'no such upload of yours');
    if (blob.completedAt === null) throw new ParleyError('blob_incomplete', 'the upload is not finished');
    if (blob.length > this.#d.limits.avatarMaxBytes) throw new ParleyError('bot_avatar_too_large', `a bot's avatar is at most ${this.#d.limits.avatarMaxBytes} bytes`);
    const head = blob.length >= IMAGE_HEAD_BYTES ? await this.#d.head(blob.blobId, IMAGE_HEAD_BYTES) : new Uint8Array();
    if (!looksLike(head, input.mime)) throw new ParleyError('bot_avatar_invalid', `the upload is not a ${input.mime} image`);
    await this.#d.bots.setBotAvatar(bot.botUserId, { blobId: blob.blobId, mime: input.mime });
    return this.#info(auth, bot.botUserId);
  }

  /** R143: the owner removes the bot's avatar (people's clients show its initial again). */
  async removeAvatar(auth: AuthContext, botUserId: string): Promise<void> {
    const bot = await this.#owned(auth, botUserId);
    await this.#d.bots.setBotAvatar(bot.botUserId, null);
  }

  /** R143: a bot's avatar is public like its handle: anyone signed in reads it. `not_found` when it has none. */
  async avatar(botUserId: string): Promise<BotAvatarRow & { length: number }> {
    const bot = await this.#d.bots.getBot(botUserId);
    if (!bot || bot.deletedAt !== null) throw new ParleyError('bot_not_found', 'no such bot');
    const blob = bot.avatar && await this.#d.blobs.getBlob(bot.avatar.blobId);
    if (!bot.avatar || !blob) throw new ParleyError('not_found', 'this bot has no avatar');
    return { ...bot.avatar, length: blob.length };
  }

  /** R105: a bot's own settings, for its gateway; `forbidden` for anyone who is not a bot. */
  async self(auth: AuthContext): Promise<BotSelfResponse> {
    const bot = await this.#d.bots.getBot(auth.userId);
    if (!bot || bot.deletedAt !== null) throw new ParleyError('forbidden', 'only a bot\'s own device asks this');
    return { userId: bot.botUserId, groupPrivacy: bot.groupPrivacy !== false };
  }

  /** R90c: a gateway holding the bot's token adds its device key to the bot's account. */
  async registerDevice(input: { token: string; device: NewDevice }): Promise<BotDeviceResponse> {
    const bot = await this.#d.bots.getBotByTokenHash(sha256Hex(input.token));
    if (!bot) throw new ParleyError('bot_token_invalid', 'unknown or revoked bot token');
    const deviceId = await this.#d.addDevice(bot.botUserId, input.device);
    return { userId: bot.botUserId, deviceId };
  }

  async isBot(userId: string): Promise<boolean> {
    const known = this.#known.get(userId);
    if (known !== undefined) return known;
    const is = (await this.#d.bots.botsAmong([userId])).has(userId);
    if (this.#known.size >= KNOWN_MAX) this.#known.clear();
    this.#known.set(userId, is);
    return is;
  }

  /** Of these users, the bots (R91: they take anyone who writes to them, no request to answer). */
  async botsAmong(userIds: readonly string[]): Promise<Set<string>> {
    return this.#d.bots.botsAmong(userIds);
  }

  /** R129: of these users, the bots whose gateway runs on this server (its operator hosts them). */
  async hostedAmong(userIds: readonly string[]): Promise<Set<string>> {
    return this.#d.bots.hostedAmong(userIds);
  }

  /**
   * R129: the server's own gateway for this bot runs with this device. Called in-process by the
   * hosted-bot runner only (no route: nobody else can claim it); the device must be the bot's.
   */
  async markHosted(botUserId: string, deviceId: string): Promise<void> {
    const device = (await this.#d.storage.listDevices(botUserId)).find((d) => d.deviceId === deviceId && d.revokedAt === null);
    if (!device) throw new ParleyError('not_found', 'no such device of this bot');
    await this.#d.bots.setHostedDevice(botUserId, deviceId);
  }

  /** R92: a bot's messages, over all its chats and devices, are limited (`rate_limited` with retryAfter). */
  async checkSend(userId: string): Promise<void> {
    if (!(await this.isBot(userId))) return;
    await this.#d.limiter.take(`bot-send:${userId}`, this.#d.limits.sendPerSec, this.#d.limits.sendBurst);
  }

  async #owned(auth: AuthContext, botUserId: string): Promise<BotRow> {
    const bot = await this.#d.bots.getBot(botUserId);
    if (!bot || bot.ownerUserId !== auth.userId || bot.deletedAt !== null) throw new ParleyError('bot_not_found', 'you own no such bot');
    return bot;
  }

  async #signOut(botUserId: string): Promise<void> {
    for (const device of await this.#d.storage.listDevices(botUserId)) {
      if (device.revokedAt === null) await this.#d.revokeDevice(botUserId, device.deviceId);
    }
  }

  #newToken(botUserId: string): string {
    return `${botUserId}:${this.#d.random.id(32)}`;
  }
}

function infoOf(bot: BotRow, user: UserRow): BotInfo {
  return { userId: bot.botUserId, handle: user.handle, displayName: user.displayName, description: bot.description, createdAt: bot.createdAt, hasToken: bot.tokenHash !== null, commands: bot.commands, groupPrivacy: bot.groupPrivacy !== false, ...(bot.avatar ? { avatar: bot.avatar.blobId } : {}) };
}
