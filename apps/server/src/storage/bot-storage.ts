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
  /** R143: its avatar (an uploaded, public blob and the image type it is served as); absent: none. */
  avatar?: BotAvatarRow;
}

/** R143: a bot's avatar. */
export interface BotAvatarRow {
  blobId: string;
  mime: string;
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
  /** R129: the device of the gateway this server runs for the bot (the operator hosts it). */
  setHostedDevice(botUserId: string, deviceId: string): Promise<void>;
  /**
   * R129: of these users, the bots that run on this server: not deleted, with a hosted device that is
   * not revoked and no other device that is not revoked (a gateway of the owner's beside it: not).
   */
  hostedAmong(userIds: readonly string[]): Promise<Set<string>>;
  /** R143: sets (or with null removes) the bot's avatar; the old blob is no longer kept for it. */
  setBotAvatar(botUserId: string, avatar: BotAvatarRow | null): Promise<void>;
  /** R143: of these users, the bots that are not deleted and have an avatar: their avatar's blob id. */
  avatarsAmong(userIds: readonly string[]): Promise<Map<string, string>>;
}
