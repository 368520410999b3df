import { ForceReply, ReplyKeyboard } from '@parley/protocol';
import type { ParleyClient } from '@parley/client';
import { badRequest } from './bot-api-error.ts';
import type { TelegramObjects } from './telegram-objects.ts';

type Obj = Record<string, unknown>;

/** Keyboard buttons that ask for something other than their text: no Parley counterpart (docs/BOTS.md). */
const ASKING = ['request_contact', 'request_location', 'request_poll', 'request_users', 'request_user', 'request_chat', 'web_app'];

/**
 * R121: Telegram's ReplyKeyboardMarkup (`keyboard`, `resize_keyboard`, `one_time_keyboard`,
 * `input_field_placeholder`) or ReplyKeyboardRemove (`remove_keyboard: true`) to Parley's reply
 * keyboard; undefined for any other markup (inline keyboards are fromTelegramMarkup's). `selective`
 * (R128) makes it for `only` (the members the text @mentions and the sender of the message it replies
 * to, as Telegram; none found: everyone). `is_persistent` is ignored: shown or hidden as people like.
 */
export function fromTelegramReplyKeyboard(raw: unknown, only?: readonly string[]): ReplyKeyboard | undefined {
  if (raw === undefined || raw === null || typeof raw !== 'object') return undefined;
  const markup = raw as Obj;
  const selective = markup['selective'] === true && only && only.length > 0 ? { only: [...only].slice(0, 50) } : {};
  if (markup['remove_keyboard'] === true) return { remove: true, ...selective };
  const rows = markup['keyboard'];
  if (rows === undefined) return undefined;
  if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r))) throw badRequest('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays');
  const buttons = (rows as unknown[][]).map((row) => row.map((b) => {
    if (typeof b === 'string') return { text: b };
    const button = (b ?? {}) as Obj;
    if (typeof button['text'] !== 'string' || button['text'] === '') throw badRequest('keyboard button text must be a non-empty String');
    if (ASKING.some((k) => button[k] !== undefined && button[k] !== false)) throw badRequest('this kind of keyboard button is not supported by the Parley gateway');
    return { text: button['text'] };
  })).filter((row) => row.length > 0);
  if (buttons.length === 0) throw badRequest('keyboard must be non-empty');
  const placeholder = markup['input_field_placeholder'];
  const parsed = ReplyKeyboard.safeParse({
    rows: buttons,
    ...(markup['resize_keyboard'] === true ? { resize: true } : {}),
    ...(markup['one_time_keyboard'] === true ? { oneTime: true } : {}),
    ...(typeof placeholder === 'string' && placeholder !== '' ? { placeholder } : {}),
    ...selective,
  });
  if (!parsed.success) throw badRequest(`reply keyboard: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/**
 * R144: Telegram's ForceReply markup (`force_reply: true`, `input_field_placeholder`, `selective`) to
 * Parley's; undefined for any other markup.
 */
export function fromTelegramForceReply(raw: unknown, only?: readonly string[]): ForceReply | undefined {
  if (raw === null || typeof raw !== 'object' || (raw as Obj)['force_reply'] !== true) return undefined;
  const markup = raw as Obj;
  const placeholder = markup['input_field_placeholder'];
  const parsed = ForceReply.safeParse({
    ...(typeof placeholder === 'string' && placeholder !== '' ? { placeholder } : {}),
    ...(markup['selective'] === true && only && only.length > 0 ? { only: [...only].slice(0, 50) } : {}),
  });
  if (!parsed.success) throw badRequest(`force reply: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/**
 * R128: whom a `selective` keyboard is for, as Telegram: the members the text @mentions and the
 * sender of the message it replies to (not the bot). Empty when the markup is not selective.
 */
export async function selectiveTargets(client: ParleyClient, objects: TelegramObjects, chatId: string, raw: unknown, text: string, replyTo: string | undefined): Promise<string[]> {
  if (raw === null || typeof raw !== 'object' || (raw as Obj)['selective'] !== true) return [];
  const members = client.chat(chatId)?.members ?? [];
  const handles = new Set([...text.matchAll(/@([A-Za-z0-9_]{3,32})/g)].map((m) => m[1]!.toLowerCase()));
  const out = new Set<string>();
  for (const m of members) {
    if (m.userId === objects.botUserId || handles.size === 0) continue;
    const username = (await objects.user(m.userId))['username'];
    if (typeof username === 'string' && handles.has(username.toLowerCase())) out.add(m.userId);
  }
  const target = replyTo ? client.timeline(chatId).find((i) => i.id === replyTo) : undefined;
  if (target && target.senderUserId !== objects.botUserId && members.some((m) => m.userId === target.senderUserId)) out.add(target.senderUserId);
  return [...out];
}
