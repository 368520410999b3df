import { mentionsUser, type ParleyClient } from '@parley/client';
import type { MessageEntity } from '@parley/protocol';

/** How long the bot's privacy setting, as last read from the server, is used before it is read again. */
export const PRIVACY_REFRESH_MS = 10_000;

/**
 * R105: privacy mode in groups, enforced by the gateway (the bot's device is an MLS member and
 * decrypts every message of its chats: this keeps what the bot's code sees to what it needs, it does
 * not keep anything from whoever runs the gateway). With it on, a group's message reaches the bot's
 * code only if it is a command (`/cmd`, or `/cmd@this_bot`), a reply to one of the bot's messages,
 * or mentions the bot (`@its_handle`). Direct chats and presses of the bot's buttons always do.
 * The setting is the owner's (stored with the bot on the server), read through `GET /bots/self`.
 * Shared by the Telegram and Max facades.
 */
export class GroupPrivacy {
  readonly #client: ParleyClient;
  readonly #botUserId: string;
  #on = true;
  #readAt = -Infinity;
  #handle: string | undefined;

  constructor(client: ParleyClient, botUserId: string) {
    this.#client = client;
    this.#botUserId = botUserId;
  }

  /** Whether privacy mode is on now (read again from the server once PRIVACY_REFRESH_MS passed; on if that fails). */
  async on(): Promise<boolean> {
    if (Date.now() - this.#readAt < PRIVACY_REFRESH_MS) return this.#on;
    try {
      this.#on = (await this.#client.bots.self()).groupPrivacy;
      this.#readAt = Date.now();
    } catch {
      // Unknown: keep the last answer (on, before any).
    }
    return this.#on;
  }

  /** Whether this message of a person goes to the bot's code. */
  async admits(chatId: string, m: { senderUserId: string; text: string; entities?: readonly MessageEntity[] | undefined; replyTo?: string | undefined }): Promise<boolean> {
    const chat = this.#client.chat(chatId);
    if (!chat || chat.kind === 'direct') return true;
    if (!(await this.on())) return true;
    this.#handle ??= (await this.#client.me()).user.handle;
    const command = /^\/[A-Za-z0-9_]+(?:@([A-Za-z0-9_]+))?(?:\s|$)/.exec(m.text);
    if (command) return command[1] === undefined || command[1].toLowerCase() === this.#handle.toLowerCase();
    const repliesToMine = m.replyTo !== undefined && this.#client.timeline(chatId).find((i) => i.id === m.replyTo)?.senderUserId === this.#botUserId;
    return mentionsUser({ chat, myUserId: this.#botUserId, senderUserId: m.senderUserId, text: m.text, entities: m.entities, repliesToMine })
      || new RegExp(`(^|[^A-Za-z0-9_])@${this.#handle}(?![A-Za-z0-9_])`, 'i').test(m.text);
  }
}
