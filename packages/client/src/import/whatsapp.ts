import {
  DEFAULT_IMPORT_LIMITS, ImportError, kindOfFile, safeMediaPath,
  type ImportedAttachment, type ImportedMessage, type ImportLimits, type TextChunks,
} from './types.ts';

/**
 * A WhatsApp chat export (`_chat.txt` or `WhatsApp Chat with X.txt`), streamed line by line: the
 * Android form (`31.12.2023, 21:41 - Ann: text`, `12/31/23, 9:41 PM - Ann: text`) and the iOS form
 * (`[31.12.2023, 21:41:05] Ann: text`), in Russian and English, with 12- or 24-hour times, lines of
 * a message after its first, system lines, and media lines (attached, omitted).
 */
export interface WhatsAppOptions extends ImportLimits {
  /**
   * Day and month order of the dates. Default: read from the export (a first number over 12 means
   * day first, a second one means month first); when nothing tells, day first for `31.12.2023` and
   * for four-digit years with `/`, month first for `12/31/23` (the US form).
   */
  dateOrder?: 'dmy' | 'mdy';
  /**
   * The exporting phone's offset from UTC in minutes (Moscow: 180): the export writes local times
   * without a zone. Default: this device's own zone for each date.
   */
  utcOffsetMinutes?: number;
}

// Leading marks iOS puts before system text and attachments (LRM), and the spaces newer exports put before AM/PM.
const LRM = /^[\u200e\u200f\u202a-\u202e]+/;
const DATE = String.raw`(\d{1,2})([./-])(\d{1,2})\2(\d{2}|\d{4}),?\s(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:[\s\u202f\u00a0]*([AaPp])\.?\s?[Mm]\.?)?`;
const ANDROID = new RegExp(String.raw`^${DATE}\s[-–]\s(.*)$`);
const IOS = new RegExp(String.raw`^\[${DATE}\]\s(.*)$`);

const ATTACHED = [
  /^(.+?)\s\((?:file attached|файл добавлен|файл прикреплён|файл прикреплен)\)(?:\n([\s\S]*))?$/i, // Android
  /^<(?:attached|прикреплено|вложение):\s*([^>]+)>(?:\n([\s\S]*))?$/i, // iOS
];
const OMITTED = /^(?:<Media omitted>|<Без медиафайлов>|<Медиафайлы опущены>|<медиа пропущено>|(image|video|audio|sticker|GIF|document|изображение|видео|аудиофайл|аудио|стикер|документ) (?:omitted|отсутствует|пропущено))$/i;

interface Head {
  line: number;
  parts: { a: number; sep: string; b: number; year: number; hour: number; minute: number; second: number; ampm?: string };
  rest: string;
  ios: boolean;
}

/** The messages of a WhatsApp export, in order. Throws ImportError for what it can't read. */
export async function* parseWhatsApp(chunks: TextChunks, options: WhatsAppOptions = {}): AsyncGenerator<ImportedMessage> {
  const maxMessages = options.maxMessages ?? DEFAULT_IMPORT_LIMITS.maxMessages;
  let order = options.dateOrder;
  /** Messages read before the date order is known (at most ORDER_WINDOW). */
  const pending: { head: Head; body: string[] }[] = [];
  let current: { head: Head; body: string[] } | undefined;
  let count = 0;
  let sawLine = false;
  const ORDER_WINDOW = 2000;

  const finish = (m: { head: Head; body: string[] }): ImportedMessage => {
    count += 1;
    if (count > maxMessages) throw new ImportError('import_too_large', `more than ${maxMessages} messages`);
    return toMessage(m.head, m.body, order ?? guessOrder(m.head), options.utcOffsetMinutes);
  };

  for await (const { text, number } of lines(chunks, options.maxItemChars ?? DEFAULT_IMPORT_LIMITS.maxItemChars)) {
    const line = text.replace(LRM, '');
    const head = header(line, number);
    if (!head) {
      if (current) current.body.push(text);
      else if (line.trim() !== '') sawLine = true; // text before the first dated line: not an export we know
      continue;
    }
    if (current) {
      if (order) yield finish(current);
      else pending.push(current);
    }
    current = { head, body: [] };
    if (!order) {
      order = orderFrom(head);
      if (!order && pending.length >= ORDER_WINDOW) order = guessOrder(head);
      if (order) for (const p of pending.splice(0)) yield finish(p);
    }
  }
  if (current) pending.push(current);
  order ??= pending[0] ? guessOrder(pending[0].head) : undefined;
  for (const p of pending) yield finish(p);
  if (count === 0) throw new ImportError('import_malformed', sawLine ? 'no WhatsApp message line in this file (a dated line like "31.12.2023, 21:41 - Name: text")' : 'the file is empty');
}

function header(line: string, number: number): Head | undefined {
  const ios = IOS.exec(line);
  const m = ios ?? ANDROID.exec(line);
  if (!m) return undefined;
  const [, a, sep, b, year, hour, minute, second, ampm, rest] = m;
  return {
    line: number,
    parts: { a: Number(a), sep: sep!, b: Number(b), year: Number(year), hour: Number(hour), minute: Number(minute), second: Number(second ?? 0), ...(ampm ? { ampm: ampm.toLowerCase() } : {}) },
    rest: rest ?? '',
    ios: ios !== null,
  };
}

/** The order a date proves: a first number over 12 is a day, a second one over 12 is a day too. */
function orderFrom(head: Head): 'dmy' | 'mdy' | undefined {
  if (head.parts.a > 12) return 'dmy';
  if (head.parts.b > 12) return 'mdy';
  return undefined;
}

function guessOrder(head: Head): 'dmy' | 'mdy' {
  return head.parts.sep === '/' && head.parts.year < 100 ? 'mdy' : 'dmy';
}

function toMessage(head: Head, body: string[], order: 'dmy' | 'mdy', utcOffsetMinutes: number | undefined): ImportedMessage {
  const sentAt = dateOf(head, order, utcOffsetMinutes);
  const sourceId = String(head.line);
  // "Name: text" (a person); anything else is the app's own line. iOS writes the app's lines under
  // the chat's name, their text starting with an LRM mark.
  const colon = head.rest.indexOf(': ');
  const first = colon >= 0 ? head.rest.slice(colon + 2) : head.rest;
  const text = [first, ...body].join('\n');
  if (colon < 0 || (head.ios && LRM.test(first) && !ATTACHED[1]!.test(first.replace(LRM, '')) && !OMITTED.test(first.replace(LRM, '').trim()))) {
    return { sourceId, sentAt, text: text.replace(LRM, ''), attachments: [], system: true };
  }
  const author = head.rest.slice(0, colon).replace(LRM, '');
  const { attachments, caption } = media(text.replace(LRM, ''));
  return { sourceId, sentAt, author, text: caption, attachments };
}

function media(text: string): { attachments: ImportedAttachment[]; caption: string } {
  for (const pattern of ATTACHED) {
    const m = pattern.exec(text);
    if (m) {
      const path = safeMediaPath(m[1]!.trim());
      const name = path.split('/').at(-1)!;
      return { attachments: [{ kind: kindOfFile(name), path, name }], caption: (m[2] ?? '').trim() };
    }
  }
  const omitted = OMITTED.exec(text.trim());
  if (omitted) {
    const word = (omitted[1] ?? '').toLowerCase();
    const kind = /image|изображение|gif/.test(word) ? 'photo' : /video|видео/.test(word) ? 'video' : /audio|аудио/.test(word) ? 'audio' : /sticker|стикер/.test(word) ? 'sticker' : 'file';
    return { attachments: [{ kind }], caption: '' };
  }
  return { attachments: [], caption: text };
}

function dateOf(head: Head, order: 'dmy' | 'mdy', utcOffsetMinutes: number | undefined): number {
  const p = head.parts;
  const [day, month] = order === 'dmy' ? [p.a, p.b] : [p.b, p.a];
  const year = p.year < 100 ? 2000 + p.year : p.year;
  let hour = p.hour;
  if (p.ampm) {
    if (hour < 1 || hour > 12) throw new ImportError('import_malformed', `line ${head.line}: ${hour} o'clock with AM/PM`);
    hour = (hour % 12) + (p.ampm === 'p' ? 12 : 0);
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || p.minute > 59 || p.second > 59) {
    throw new ImportError('import_malformed', `line ${head.line}: not a date: ${day}.${month}.${year} ${hour}:${p.minute}`);
  }
  const utc = Date.UTC(year, month - 1, day, hour, p.minute, p.second);
  if (new Date(utc).getUTCDate() !== day) throw new ImportError('import_malformed', `line ${head.line}: no such day: ${day}.${month}.${year}`);
  if (utcOffsetMinutes !== undefined) return utc - utcOffsetMinutes * 60_000;
  return new Date(year, month - 1, day, hour, p.minute, p.second).getTime();
}

/** Lines of the text (LF or CRLF), numbered from 1; a line over `maxChars` is `import_too_large`. */
async function* lines(chunks: TextChunks, maxChars: number): AsyncGenerator<{ text: string; number: number }> {
  let carry = '';
  let number = 0;
  let first = true;
  for await (let chunk of chunks) {
    if (first) {
      chunk = chunk.replace(/^\ufeff/, '');
      first = false;
    }
    carry += chunk;
    let start = 0;
    for (let nl = carry.indexOf('\n'); nl >= 0; nl = carry.indexOf('\n', start)) {
      number += 1;
      const end = nl > start && carry[nl - 1] === '\r' ? nl - 1 : nl;
      if (end - start > maxChars) throw new ImportError('import_too_large', `line ${number} is longer than ${maxChars} characters`);
      yield { text: carry.slice(start, end), number };
      start = nl + 1;
    }
    carry = carry.slice(start);
    if (carry.length > maxChars) throw new ImportError('import_too_large', `line ${number + 1} is longer than ${maxChars} characters`);
  }
  if (carry !== '') yield { text: carry.replace(/\r$/, ''), number: number + 1 };
}
