import type { BotCommand } from '@parley/protocol';
import type { UserRow } from './storage.ts';

/** R90: a bot account: a user row (handle, name) plus who owns it and its token's hash. */
export interface BotRow {
  botUserId: string;
  ownerUserId: string;
  description: string;
  /** sha256 of the token, hex; null while revoked. The token itself is never stored (R90b). */
  tokenHash: string | null;
  createdAt: number;
  /** R108: its command menu (public). */
  commands: BotCommand[];
  /** Set when the owner deleted it: its handle stays taken, nothing signs in as it again. */
  deletedAt: number | null;
  /** R105: privacy mode in groups; on unless the owner turned it off (absent when writing: on). */
  groupPrivacy?: boolean;
}

/**
 * Where bots live (R90-R92), beside the users they are. SQLite and PostgreSQL implement it and pass
 * one suite (`bot-storage.suite.ts`). Every write resolves after its commit.
 */
export interface BotStorage {
  /** Creates the bot's user row (no device yet) and its bot row in one transaction; a taken handle is `handle_taken`. */
  createBot(user: UserRow, bot: BotRow): Promise<void>;
  /** Deleted bots too (callers check `deletedAt`). */
  getBot(botUserId: string): Promise<BotRow | undefined>;
  /** The bot whose current token hashes to this, unless deleted. */
  getBotByTokenHash(tokenHash: string): Promise<BotRow | undefined>;
  /** The owner's bots that are not deleted, oldest first, with their user rows. */
  listBots(ownerUserId: string): Promise<{ bot: BotRow; user: UserRow }[]>;
  /** Replaces the token hash (null: revoked). */
  setBotToken(botUserId: string, tokenHash: string | null): Promise<void>;
  /** R108: replaces its command menu. */
  setBotCommands(botUserId: string, commands: readonly BotCommand[]): Promise<void>;
  /** Marks it deleted and drops its token. */
  deleteBot(botUserId: string, at: number): Promise<void>;
  /** Of these users, those that are bots (deleted ones too). */
  botsAmong(userIds: readonly string[]): Promise<Set<string>>;
  /** R105: turns the bot's privacy mode in groups on or off. */
  setBotPrivacy(botUserId: string, on: boolean): Promise<void>;
}
