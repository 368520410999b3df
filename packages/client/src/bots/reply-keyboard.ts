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
 * or none when it is a removal. The timeline sets `replyKeyboard` only on bots' texts.
 */
export function chatKeyboard(items: readonly TimelineItem[], myUserId: string): ChatKeyboard | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    const kb: ReplyKeyboard | undefined = item.replyKeyboard;
    if (!kb || item.deleted) continue;
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
