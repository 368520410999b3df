import { ReplyKeyboard } from '@parley/protocol';
import { badRequest } from './bot-api-error.ts';

type Obj = Record<string, unknown>;

/** Keyboard buttons that ask for something other than their text: no Parley counterpart (docs/BOTS.md). */
const ASKING = ['request_contact', 'request_location', 'request_poll', 'request_users', 'request_user', 'request_chat', 'web_app'];

/**
 * R121: Telegram's ReplyKeyboardMarkup (`keyboard`, `resize_keyboard`, `one_time_keyboard`,
 * `input_field_placeholder`) or ReplyKeyboardRemove (`remove_keyboard: true`) to Parley's reply
 * keyboard; undefined for any other markup (inline keyboards are fromTelegramMarkup's). `selective`
 * and `is_persistent` are ignored: everyone in the chat sees the keyboard, hidden or shown as they like.
 */
export function fromTelegramReplyKeyboard(raw: unknown): ReplyKeyboard | undefined {
  if (raw === undefined || raw === null || typeof raw !== 'object') return undefined;
  const markup = raw as Obj;
  if (markup['remove_keyboard'] === true) return { remove: true };
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
  });
  if (!parsed.success) throw badRequest(`reply keyboard: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}
