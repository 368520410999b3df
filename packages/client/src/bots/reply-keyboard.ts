import type { ReplyKeyboard } from '@parley/protocol';
import type { TimelineItem } from '../timeline.ts';

/** R121: the reply keyboard that applies in a chat, as `client.bots.keyboard(chatId)` gives it. */
export interface ChatKeyboard {
  /** The bot's message that brought it. */
  messageId: string;
  botUserId: string;
  rows: { text: string }[][];
  resize: boolean;
  oneTime: boolean;
  placeholder?: string;
  /** R121: a one-time keyboard this user already pressed (sent one of its texts after it): show it hidden. */
  used: boolean;
}

/**
 * R121: the latest bot text in the chat (not deleted) that carries a reply keyboard decides: its rows,
 * or none when it is a removal. The timeline sets `replyKeyboard` only on bots' texts. One for some
 * members only (`only`, R128) is passed over by everyone else.
 */
export function chatKeyboard(items: readonly TimelineItem[], myUserId: string): ChatKeyboard | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    const kb: ReplyKeyboard | undefined = item.replyKeyboard;
    if (!kb || item.deleted) continue;
    if (kb.only && !kb.only.includes(myUserId)) continue; // R128: selective, for others: what was before stays
    if ('remove' in kb) return undefined;
    const texts = new Set(kb.rows.flat().map((b) => b.text));
    const used = kb.oneTime === true && items.slice(i + 1).some((later) => later.senderUserId === myUserId && !later.deleted && texts.has(later.text));
    return {
      messageId: item.id, botUserId: item.senderUserId, rows: kb.rows.map((row) => row.map((b) => ({ text: b.text }))),
      resize: kb.resize === true, oneTime: kb.oneTime === true, ...(kb.placeholder !== undefined ? { placeholder: kb.placeholder } : {}), used,
    };
  }
  return undefined;
}

/** R144: a bot's text that asks this user for a reply, not answered yet (`client.bots.forceReply`). */
export interface PendingForceReply {
  messageId: string;
  placeholder?: string;
}

/**
 * R144: the bot's force_reply that applies now: the latest bot text in the chat (not deleted) asks for
 * a reply (for this user: R128's `only`) and this user has not replied to it yet. A newer bot text
 * without one ends it, as Telegram's app leaves the reply once the next message comes.
 */
export function pendingForceReply(items: readonly TimelineItem[], myUserId: string): PendingForceReply | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.deleted || item.system || item.senderUserId === myUserId) continue;
    const fr = item.forceReply;
    if (!fr || (fr.only && !fr.only.includes(myUserId))) return undefined;
    if (items.slice(i + 1).some((later) => later.senderUserId === myUserId && later.replyTo?.id === item.id)) return undefined;
    return { messageId: item.id, ...(fr.placeholder !== undefined ? { placeholder: fr.placeholder } : {}) };
  }
  return undefined;
}
