import pg from 'pg';
import { ParleyError, type BotCommand } from '@parley/protocol';
import type { BotAvatarRow, BotRow, BotStorage } from '../bot-storage.ts';
import type { UserRow } from '../storage.ts';
import { HOSTED, WITH_AVATAR, botUser, toBot } from '../sqlite/sqlite-bots.ts';
import { inTransaction } from './transaction.ts';

type Row = Record<string, unknown>;

/** Bots (R90-R92) in the cluster's PostgreSQL database. */
export class PostgresBots implements BotStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async #rows(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(sql, params)).rows;
  }

  async createBot(user: UserRow, bot: BotRow): Promise<void> {
    try {
      await inTransaction(this.#pool, async (c) => {
        await c.query('INSERT INTO users (user_id, handle, display_name, created_at, recovery_hash) VALUES ($1, $2, $3, $4, $5)',
          [user.userId, user.handle, user.displayName, user.createdAt, user.recoveryHash]);
        await c.query('INSERT INTO bots (bot_user_id, owner_user_id, description, token_hash, created_at, deleted_at, commands) VALUES ($1, $2, $3, $4, $5, $6, $7)',
          [bot.botUserId, bot.ownerUserId, bot.description, bot.tokenHash, bot.createdAt, bot.deletedAt, JSON.stringify(bot.commands)]);
      });
    } catch (err) {
      if (err instanceof pg.DatabaseError && err.code === '23505' && err.constraint === 'users_handle_unique') {
        throw new ParleyError('handle_taken', 'this handle is taken');
      }
      throw err;
    }
  }

  async getBot(botUserId: string): Promise<BotRow | undefined> {
    const r = (await this.#rows('SELECT * FROM bots WHERE bot_user_id = $1', [botUserId]))[0];
    return r && toBot(r);
  }

  async getBotByTokenHash(tokenHash: string): Promise<BotRow | undefined> {
    const r = (await this.#rows('SELECT * FROM bots WHERE token_hash = $1 AND deleted_at IS NULL', [tokenHash]))[0];
    return r && toBot(r);
  }

  async listBots(ownerUserId: string): Promise<{ bot: BotRow; user: UserRow }[]> {
    const rows = await this.#rows(`SELECT b.*, u.user_id, u.handle, u.display_name, u.created_at AS user_created_at, u.recovery_hash
      FROM bots b JOIN users u ON u.user_id = b.bot_user_id WHERE b.owner_user_id = $1 AND b.deleted_at IS NULL ORDER BY b.created_at, b.bot_user_id`, [ownerUserId]);
    return rows.map((r) => ({ bot: toBot(r), user: botUser(r) }));
  }

  async setBotToken(botUserId: string, tokenHash: string | null): Promise<void> {
    await this.#pool.query('UPDATE bots SET token_hash = $2 WHERE bot_user_id = $1', [botUserId, tokenHash]);
  }

  async setBotCommands(botUserId: string, commands: readonly BotCommand[]): Promise<void> {
    await this.#pool.query('UPDATE bots SET commands = $2 WHERE bot_user_id = $1', [botUserId, JSON.stringify(commands)]);
  }

  async deleteBot(botUserId: string, at: number): Promise<void> {
    await this.#pool.query('UPDATE bots SET token_hash = NULL, deleted_at = $2 WHERE bot_user_id = $1 AND deleted_at IS NULL', [botUserId, at]);
  }

  async botsAmong(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await this.#rows('SELECT bot_user_id FROM bots WHERE bot_user_id = ANY($1)', [[...userIds]]);
    return new Set(rows.map((r) => String(r['bot_user_id'])));
  }

  async setBotPrivacy(botUserId: string, on: boolean): Promise<void> {
    await this.#pool.query('UPDATE bots SET group_privacy = $2 WHERE bot_user_id = $1', [botUserId, on]);
  }

  async setHostedDevice(botUserId: string, deviceId: string): Promise<void> {
    await this.#pool.query('UPDATE bots SET hosted_device_id = $2 WHERE bot_user_id = $1', [botUserId, deviceId]);
  }

  async hostedAmong(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await this.#rows(`SELECT b.bot_user_id FROM bots b WHERE b.bot_user_id = ANY($1) AND ${HOSTED}`, [[...userIds]]);
    return new Set(rows.map((r) => String(r['bot_user_id'])));
  }

  async setBotAvatar(botUserId: string, avatar: BotAvatarRow | null): Promise<void> {
    await this.#pool.query('UPDATE bots SET avatar_blob_id = $2, avatar_mime = $3 WHERE bot_user_id = $1', [botUserId, avatar?.blobId ?? null, avatar?.mime ?? null]);
  }

  async avatarsAmong(userIds: readonly string[]): Promise<Map<string, string>> {
    if (userIds.length === 0) return new Map();
    const rows = await this.#rows(`SELECT bot_user_id, avatar_blob_id FROM bots WHERE bot_user_id = ANY($1) AND ${WITH_AVATAR}`, [[...userIds]]);
    return new Map(rows.map((r) => [String(r['bot_user_id']), String(r['avatar_blob_id'])]));
  }
}
