import {
  DEFAULT_IMPORT_LIMITS, ImportError, kindOfFile, safeMediaPath,
  type ImportedAttachment, type ImportedChat, type ImportedMessage, type ImportLimits, type TextChunks,
} from './types.ts';

/**
 * A Telegram Desktop export's `result.json`, streamed: both its forms — one chat ("Export chat
 * history": `{name, type, id, messages: […]}`) and the whole account ("Export Telegram data":
 * `{…, chats: {list: [{name, …, messages: […]}, …]}}`) — in any export language. Each message
 * object is parsed on its own as the text streams by, so a big export never sits in memory whole.
 */
export interface TelegramOptions extends ImportLimits {
  /** In an account export, the chat to read (its `id`); default the first one. */
  chatId?: string | number;
}

/** A message object of the export, as far as the parser reads it. */
interface TelegramMessage {
  id?: number;
  type?: string;
  date?: string;
  date_unixtime?: string;
  edited_unixtime?: string;
  from?: string | null;
  from_id?: string;
  actor?: string | null;
  action?: string;
  title?: string;
  members?: (string | null)[];
  text?: string | (string | { text?: string })[];
  reply_to_message_id?: number;
  forwarded_from?: string | null;
  photo?: string;
  file?: string;
  file_name?: string;
  media_type?: string;
  mime_type?: string;
  width?: number;
  height?: number;
  duration_seconds?: number;
  poll?: { question?: string; answers?: { text?: string }[] };
}

/** The chat of the export and its messages, in order. Throws ImportError for what it can't read. */
export async function parseTelegram(chunks: TextChunks, options: TelegramOptions = {}): Promise<{ chat: ImportedChat; messages: AsyncGenerator<ImportedMessage> }> {
  const scanner = new MessageScanner(chunks, options.maxItemChars ?? DEFAULT_IMPORT_LIMITS.maxItemChars, options.chatId);
  const first = await scanner.next();
  const chat: ImportedChat = { source: 'telegram', ...(scanner.chatName !== undefined ? { name: scanner.chatName } : {}) };
  const maxMessages = options.maxMessages ?? DEFAULT_IMPORT_LIMITS.maxMessages;
  async function* messages(): AsyncGenerator<ImportedMessage> {
    let count = 0;
    for (let raw = first; raw !== undefined; raw = await scanner.next()) {
      count += 1;
      if (count > maxMessages) throw new ImportError('import_too_large', `more than ${maxMessages} messages`);
      const m = toMessage(raw);
      if (m) yield m;
    }
    if (count === 0) throw new ImportError('import_malformed', 'no messages in this export (a result.json with a "messages" list)');
  }
  return { chat, messages: messages() };
}

function toMessage(raw: unknown): ImportedMessage | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ImportError('import_malformed', 'a message that is not an object');
  const m = raw as TelegramMessage;
  const sourceId = String(m.id ?? '');
  const sentAt = dateOf(m);
  const text = flatten(m.text);
  if (m.type === 'service') {
    const who = m.actor ?? '';
    const what = [m.action?.replace(/_/g, ' '), m.title, m.members?.filter((x): x is string => typeof x === 'string').join(', ')].filter(Boolean).join(' ');
    return { sourceId, sentAt, text: [who, what, text].filter(Boolean).join(' ').trim(), attachments: [], system: true };
  }
  if (m.type !== undefined && m.type !== 'message') return undefined; // a kind this parser doesn't know: skipped, not guessed
  const attachments: ImportedAttachment[] = [];
  if (typeof m.photo === 'string') attachments.push({ kind: 'photo', ...file(m.photo), ...size(m) });
  if (typeof m.file === 'string') {
    const kind = kindOf(m);
    attachments.push({
      kind, ...file(m.file, m.file_name), ...(m.mime_type ? { mimeType: m.mime_type } : {}), ...size(m),
      ...(typeof m.duration_seconds === 'number' ? { durationMs: m.duration_seconds * 1000 } : {}),
    });
  }
  const poll = m.poll?.question ? `📊 ${m.poll.question}\n${(m.poll.answers ?? []).map((a) => `• ${a.text ?? ''}`).join('\n')}` : '';
  const edited = Number(m.edited_unixtime);
  return {
    sourceId, sentAt, text: [text, poll].filter(Boolean).join('\n'), attachments,
    ...(typeof m.from === 'string' ? { author: m.from } : m.from === null ? { author: '' } : {}),
    ...(typeof m.from_id === 'string' ? { authorId: m.from_id } : {}),
    ...(typeof m.reply_to_message_id === 'number' ? { replyTo: String(m.reply_to_message_id) } : {}),
    ...(Number.isFinite(edited) && edited > 0 ? { editedAt: edited * 1000 } : {}),
    ...(typeof m.forwarded_from === 'string' ? { forwardedFrom: m.forwarded_from } : {}),
  };
}

/** `file` paths the export left out read "(File not included. Change data exporting settings to download.)" in its language. */
function file(path: string, fileName?: string): { path?: string; name?: string } {
  if (/^\(.*\)$/.test(path.trim())) return fileName ? { name: fileName } : {};
  const safe = safeMediaPath(path);
  return { path: safe, name: fileName ?? safe.split('/').at(-1)! };
}

function size(m: TelegramMessage): { width?: number; height?: number } {
  return { ...(typeof m.width === 'number' ? { width: m.width } : {}), ...(typeof m.height === 'number' ? { height: m.height } : {}) };
}

function kindOf(m: TelegramMessage): ImportedAttachment['kind'] {
  switch (m.media_type) {
    case 'voice_message': return 'voice';
    case 'video_file': case 'video_message': case 'animation': return 'video';
    case 'audio_file': return 'audio';
    case 'sticker': return 'sticker';
    default: return kindOfFile(m.file_name ?? m.file ?? '', m.mime_type);
  }
}

/** `date_unixtime` (exports since 2021), else `date`, local time without a zone, read as this device's. */
function dateOf(m: TelegramMessage): number {
  const unix = Number(m.date_unixtime);
  if (m.date_unixtime !== undefined && Number.isFinite(unix) && unix > 0) return unix * 1000;
  const local = typeof m.date === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(m.date) ? new Date(m.date).getTime() : NaN;
  if (!Number.isFinite(local)) throw new ImportError('import_malformed', `message ${String(m.id)}: no date`);
  return local;
}

/** Telegram's text: a string, or a list of strings and `{type, text}` pieces (links, bold…), flattened. */
function flatten(text: TelegramMessage['text']): string {
  if (typeof text === 'string') return text;
  if (!Array.isArray(text)) return '';
  return text.map((piece) => (typeof piece === 'string' ? piece : typeof piece?.text === 'string' ? piece.text : '')).join('');
}

/** An open JSON container: for objects the key being read or last read; the chosen `messages` array is marked. */
interface Frame {
  kind: '{' | '[';
  key?: string;
  messages?: boolean;
  name?: string;
  id?: string;
}

/**
 * Finds the elements of the `messages` array of the export (of the chosen chat in an account export)
 * in a stream of JSON text and parses each alone. It tracks strings, escapes and nesting only; the
 * elements themselves go to JSON.parse. The chat's `name` is read when it comes before `messages`
 * (as Telegram writes it).
 */
class MessageScanner {
  chatName: string | undefined;
  readonly #source: AsyncIterator<string> | Iterator<string>;
  readonly #max: number;
  readonly #chatId: string | undefined;
  #buf = '';
  #pos = 0;
  #done = false;
  /** Open containers: for objects the key being read or last read; the `messages` array is marked. */
  readonly #stack: Frame[] = [];
  #inString = false;
  #escape = false;
  #string = '';
  #lastString: string | undefined;
  /** Characters of the scalar after a key (numbers, for `id`). */
  #scalar = '';
  /** Inside an element of the messages array: its text so far and the depth it started at. */
  #element: { depth: number; start: number; text: string } | undefined;
  #skipRest = false;

  constructor(chunks: TextChunks, maxChars: number, chatId: string | number | undefined) {
    this.#source = Symbol.asyncIterator in chunks ? (chunks as AsyncIterable<string>)[Symbol.asyncIterator]() : (chunks as Iterable<string>)[Symbol.iterator]();
    this.#max = maxChars;
    this.#chatId = chatId === undefined ? undefined : String(chatId);
  }

  /** The next message object, or undefined at the end of the chosen chat's messages. */
  async next(): Promise<unknown> {
    if (this.#skipRest) return undefined;
    for (;;) {
      if (this.#pos >= this.#buf.length) {
        if (this.#element) this.#element.text += this.#buf.slice(this.#element.start);
        if (this.#element) this.#element.start = 0;
        if (this.#element && this.#element.text.length > this.#max) throw new ImportError('import_too_large', `a message longer than ${this.#max} characters`);
        if (this.#done) {
          if (this.#stack.length > 0 || this.#inString) throw new ImportError('import_malformed', 'the JSON ends in the middle');
          return undefined;
        }
        const r = await this.#source.next();
        if (r.done) {
          this.#done = true;
          this.#buf = '';
        } else {
          this.#buf = r.value;
        }
        this.#pos = 0;
        continue;
      }
      const c = this.#buf[this.#pos]!;
      this.#pos += 1;
      const found = this.#step(c);
      if (found !== undefined) return found.value;
    }
  }

  #step(c: string): { value: unknown } | undefined {
    if (this.#inString) {
      if (this.#escape) {
        this.#escape = false;
        if (!this.#element) this.#string += c === 'n' ? '\n' : c === 't' ? '\t' : c;
      } else if (c === '\\') {
        this.#escape = true;
      } else if (c === '"') {
        this.#inString = false;
        this.#lastString = this.#string;
      } else if (!this.#element && this.#string.length < 4096) {
        this.#string += c;
      }
      return undefined;
    }
    const top = this.#stack.at(-1);
    switch (c) {
      case '"':
        this.#inString = true;
        this.#string = '';
        return undefined;
      case ':':
        if (top?.kind === '{' && this.#lastString !== undefined) top.key = this.#lastString;
        this.#lastString = undefined;
        this.#scalar = '';
        return undefined;
      case '{':
      case '[': {
        if (top?.messages && !this.#element) this.#element = { depth: this.#stack.length, start: this.#pos - 1, text: '' };
        const messages = c === '[' && top?.kind === '{' && top.key === 'messages' && !this.#element && this.#wanted(top);
        this.#stack.push({ kind: c, ...(messages ? { messages } : {}) });
        this.#lastString = undefined;
        return undefined;
      }
      case '}':
      case ']': {
        this.#scalarEnd(top);
        const closed = this.#stack.pop();
        if (!closed || closed.kind !== (c === '}' ? '{' : '[')) throw new ImportError('import_malformed', 'brackets that do not match: not JSON');
        const parent = this.#stack.at(-1);
        if (parent?.kind === '{' && parent.key === 'messages' && closed.messages) this.#skipRest = true; // the chosen chat's messages end
        if (this.#element && this.#stack.length === this.#element.depth) {
          const text = this.#element.text + this.#buf.slice(this.#element.start, this.#pos);
          this.#element = undefined;
          if (text.length > this.#max) throw new ImportError('import_too_large', `a message longer than ${this.#max} characters`);
          try {
            return { value: JSON.parse(text) as unknown };
          } catch {
            throw new ImportError('import_malformed', 'a message that is not JSON');
          }
        }
        if (this.#skipRest) return { value: undefined };
        return undefined;
      }
      case ',':
        this.#scalarEnd(top);
        return undefined;
      default:
        if (top?.kind === '{' && !this.#element && !/\s/.test(c) && this.#scalar.length < 64) this.#scalar += c;
        return undefined;
    }
  }

  /** A scalar after a key ended: keep the chat's `name` and `id` (they come before its messages). */
  #scalarEnd(top: Frame | undefined): void {
    if (top?.kind === '{' && !this.#element) {
      if (top.key === 'name' && this.#lastString !== undefined) top.name = this.#lastString;
      if (top.key === 'id') top.id = this.#lastString ?? this.#scalar;
    }
    this.#lastString = undefined;
    this.#scalar = '';
  }

  /** The messages of this object are the ones to read (the chosen chat, or the first one seen). */
  #wanted(chat: { name?: string; id?: string }): boolean {
    if (this.#chatId !== undefined && chat.id !== this.#chatId) return false;
    this.chatName = chat.name;
    return true;
  }
}
