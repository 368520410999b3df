import type Database from 'better-sqlite3';
import { BotCommands, ParleyError, type BotCommand } from '@parley/protocol';
import type { BotAvatarRow, BotRow, BotStorage } from '../bot-storage.ts';
import type { UserRow } from '../storage.ts';
import { statementCache } from './statement-cache.ts';

type Row = Record<string, unknown>;

/** Row ↔ domain for the bots table; the column shapes are the same in both dialects. */
export function toBot(r: Row): BotRow {
  return {
    botUserId: String(r['bot_user_id']), ownerUserId: String(r['owner_user_id']), description: String(r['description']),
    tokenHash: r['token_hash'] == null ? null : String(r['token_hash']), createdAt: Number(r['created_at']),
    deletedAt: r['deleted_at'] == null ? null : Number(r['deleted_at']),
    commands: BotCommands.parse(JSON.parse(String(r['commands'] ?? '[]'))),
    groupPrivacy: r['group_privacy'] === true || Number(r['group_privacy']) === 1,
    ...(r['avatar_blob_id'] == null ? {} : { avatar: { blobId: String(r['avatar_blob_id']), mime: String(r['avatar_mime']) } }),
  };
}

/** The bot's user row, from a listBots join. */
export function botUser(r: Row): UserRow {
  return {
    userId: String(r['user_id']), handle: String(r['handle']), displayName: String(r['display_name']),
    createdAt: Number(r['user_created_at']), recoveryHash: String(r['recovery_hash']),
  };
}

/** Bots (R90-R92) in the single node's SQLite database. */
export class SqliteBots implements BotStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  async createBot(user: UserRow, bot: BotRow): Promise<void> {
    try {
      this.#db.transaction(() => {
        this.#q('INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash) VALUES (?, ?, ?, ?, ?)')
          .run(user.userId, user.handle, user.displayName, user.createdAt, user.recoveryHash);
        this.#q('INSERT INTO bots (bot_user_id, owner_user_id, description, token_hash, created_at, deleted_at, commands) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(bot.botUserId, bot.ownerUserId, bot.description, bot.tokenHash, bot.createdAt, bot.deletedAt, JSON.stringify(bot.commands));
      }).immediate();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && String(err).includes('users.handle')) {
        throw new ParleyError('handle_taken', 'this handle is taken');
      }
      throw err;
    }
  }

  async getBot(botUserId: string): Promise<BotRow | undefined> {
    const r = this.#q('SELECT * FROM bots WHERE bot_user_id = ?').get(botUserId) as Row | undefined;
    return r && toBot(r);
  }

  async getBotByTokenHash(tokenHash: string): Promise<BotRow | undefined> {
    const r = this.#q('SELECT * FROM bots WHERE token_hash = ? AND deleted_at IS NULL').get(tokenHash) as Row | undefined;
    return r && toBot(r);
  }

  async listBots(ownerUserId: string): Promise<{ bot: BotRow; user: UserRow }[]> {
    const rows = this.#q(`SELECT b.*, u.user_id, u.handle, u.display_name, u.created_at AS user_created_at, u.recovery_hash
      FROM bots b JOIN users u ON u.user_id = b.bot_user_id WHERE b.owner_user_id = ? AND b.deleted_at IS NULL ORDER BY b.created_at, b.bot_user_id`)
      .all(ownerUserId) as Row[];
    return rows.map((r) => ({ bot: toBot(r), user: botUser(r) }));
  }

  async setBotToken(botUserId: string, tokenHash: string | null): Promise<void> {
    this.#q('UPDATE bots SET token_hash = ? WHERE bot_user_id = ?').run(tokenHash, botUserId);
  }

  async setBotCommands(botUserId: string, commands: readonly BotCommand[]): Promise<void> {
    this.#q('UPDATE bots SET commands = ? WHERE bot_user_id = ?').run(JSON.stringify(commands), botUserId);
  }

  async deleteBot(botUserId: string, at: number): Promise<void> {
    this.#q('UPDATE bots SET token_hash = NULL, deleted_at = ? WHERE bot_user_id = ? AND deleted_at IS NULL').run(at, botUserId);
  }

  async botsAmong(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = this.#db.prepare(`SELECT bot_user_id FROM bots WHERE bot_user_id IN (${userIds.map(() => '?').join(', ')})`).all(...userIds) as Row[];
    return new Set(rows.map((r) => String(r['bot_user_id'])));
  }

  async setBotPrivacy(botUserId: string, on: boolean): Promise<void> {
    this.#q('UPDATE bots SET group_privacy = ? WHERE bot_user_id = ?').run(on ? 1 : 0, botUserId);
  }

  async setHostedDevice(botUserId: string, deviceId: string): Promise<void> {
    this.#q('UPDATE bots SET hosted_device_id = ? WHERE bot_user_id = ?').run(deviceId, botUserId);
  }

  async hostedAmong(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = this.#db.prepare(`SELECT b.bot_user_id FROM bots b WHERE b.bot_user_id IN (${userIds.map(() => '?').join(', ')}) AND ${HOSTED}`).all(...userIds) as Row[];
    return new Set(rows.map((r) => String(r['bot_user_id'])));
  }

  async setBotAvatar(botUserId: string, avatar: BotAvatarRow | null): Promise<void> {
    this.#q('UPDATE bots SET avatar_blob_id = ?, avatar_mime = ? WHERE bot_user_id = ?').run(avatar?.blobId ?? null, avatar?.mime ?? null, botUserId);
  }

  async avatarsAmong(userIds: readonly string[]): Promise<Map<string, string>> {
    if (userIds.length === 0) return new Map();
    const rows = this.#db.prepare(`SELECT bot_user_id, avatar_blob_id FROM bots WHERE bot_user_id IN (${userIds.map(() => '?').join(', ')}) AND ${WITH_AVATAR}`).all(...userIds) as Row[];
    return new Map(rows.map((r) => [String(r['bot_user_id']), String(r['avatar_blob_id'])]));
  }
}

/** R143: a bot that shows an avatar. Both dialects. */
export const WITH_AVATAR = 'deleted_at IS NULL AND avatar_blob_id IS NOT NULL';

/** R129: the bot `b` runs on this server: its hosted device is live and no other device of it is. Both dialects. */
export const HOSTED = `b.deleted_at IS NULL AND b.hosted_device_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM devices d WHERE d.device_id = b.hosted_device_id AND d.user_id = b.bot_user_id AND d.revoked_at IS NULL)
  AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.user_id = b.bot_user_id AND d.revoked_at IS NULL AND d.device_id <> b.hosted_device_id)`;
