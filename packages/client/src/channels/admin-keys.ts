import { ParleyError, type ChatSummary, type Community, type Content } from '@parley/protocol';
import { base64ToBytes, bytesToBase64 } from '../encoding.ts';
import { rightsInLog } from '../moderation/rights-in-log.ts';
import type { RestFn } from '../session.ts';
import type { StoredMessage } from '../store.ts';

export interface AdminKeysDeps {
  rest: RestFn;
  /** A chat's log as this device holds it, decrypted (R170's key messages are read from it). */
  log(chatId: string): readonly StoredMessage[];
  /** The chat's summary as this device holds it (who holds which right, R80), for judging each key message's sender. */
  chat(chatId: string): ChatSummary | undefined;
  /** Sends content into a chat through the outbox (encrypted in its MLS group; R34 holds it while a removed leaf is in the tree). */
  post(chatId: string, content: Content): Promise<string>;
}

/**
 * R170-R171: a wrapped channel's epoch keys through its admins' MLS group. In wrapped mode the
 * channel's announcements chat holds its admins (the server keeps every holder of `postAnnouncements`
 * in it and takes out one who loses the right, R171), so the admin device that opens an epoch sends
 * the key there as an application message, and the other admins' devices take it from their log at
 * once, without waiting for a wrap. Wraps stay the fallback (a device added to the group later does
 * not read messages from before it joined).
 */
export class AdminKeys {
  readonly #d: AdminKeysDeps;
  /** communityId → its announcements chat (never changes). */
  readonly #chats = new Map<string, string>();
  /** Per chat: the log length last read and the keys found in it (`communityId:epoch`), read again when the log changed. */
  readonly #read = new Map<string, { length: number; keys: Map<string, Uint8Array> }>();

  constructor(deps: AdminKeysDeps) {
    this.#d = deps;
  }

  async #chat(communityId: string): Promise<string> {
    let chatId = this.#chats.get(communityId);
    if (!chatId) {
      chatId = (await this.#d.rest<{ community: Community }>('GET', `/communities/${encodeURIComponent(communityId)}`)).community.announcementsChatId;
      this.#chats.set(communityId, chatId);
    }
    return chatId;
  }

  /** Sends the epoch's key to the admins' group (queued in the outbox; it goes out in the group's next epoch after any pending removal, R34). */
  async share(communityId: string, epoch: number, key: Uint8Array): Promise<void> {
    try {
      await this.#d.post(await this.#chat(communityId), { kind: 'channel_epoch_key', communityId, epoch, key: bytesToBase64(key) });
    } catch (err) {
      // Not in the chat (an admin made before R171, until their rights change again): the others get wraps.
      if (!(err instanceof ParleyError && err.code === 'not_member')) throw err;
    }
  }

  /**
   * R178: the server put these holders of `postAnnouncements` in the admins' group as this device opened
   * an epoch (admins promoted before R171): this user's word admits them there (R152), so the group's
   * devices go on sending to it (the outbox sends an admission before what waits in that chat).
   */
  async admit(communityId: string, userIds: readonly string[]): Promise<void> {
    await this.#d.post(await this.#chat(communityId), { kind: 'community_admit', communityId, userIds: [...userIds] });
  }

  /**
   * The epoch's key as this device read it in the admins' group, if it did: the first such message
   * in the log from a holder of `postAnnouncements` at that point of the log (R80's fold, with the
   * owner's signed statements, R138). A subscriber still in the group (one from before the switch,
   * R171) may send there as a response (`vote`, R69); a key from them is ignored, never used.
   */
  async find(communityId: string, epoch: number): Promise<Uint8Array | undefined> {
    const chatId = await this.#chat(communityId);
    const log = this.#d.log(chatId);
    const chat = this.#d.chat(chatId);
    let read = this.#read.get(chatId);
    if (chat && (!read || read.length !== log.length)) {
      // (Read whole again: a message decoded late, R32, may sit anywhere in the log.)
      read = { length: log.length, keys: new Map() };
      const rights = rightsInLog(chat, log);
      for (const m of log) {
        rights.pass(m.system);
        const c = m.decoded?.kind === 'content' ? m.decoded.content : undefined;
        if (c?.kind === 'community_rights') rights.signed(m.senderUserId, c);
        if (c?.kind !== 'channel_epoch_key' || !rights.holds(m.senderUserId, 'postAnnouncements')) continue;
        const at = `${c.communityId}:${c.epoch}`;
        if (c.communityId === communityId && !read.keys.has(at)) read.keys.set(at, base64ToBytes(c.key));
      }
      this.#read.set(chatId, read);
    }
    return read?.keys.get(`${communityId}:${epoch}`);
  }
}
