/**
 * Chat history brought in from another messenger's export (issue 12): what the parsers in this
 * folder make of a Telegram Desktop or WhatsApp export, on the importing device, before anything is
 * encrypted and sent. Pure data; the files an attachment names are read later, one at a time.
 */

export type ImportedAttachmentKind = 'photo' | 'video' | 'voice' | 'audio' | 'sticker' | 'file';

export interface ImportedAttachment {
  kind: ImportedAttachmentKind;
  /**
   * Where the file is inside the export (a relative path with `/` separators, checked: no `..`, no
   * absolute path, no drive letter, no control characters); undefined when the export left it out
   * ("media omitted", "file not included").
   */
  path?: string;
  /** The file name to show (the original one where the export says it, else the path's last part). */
  name?: string;
  mimeType?: string;
  width?: number;
  height?: number;
  durationMs?: number;
}

export interface ImportedMessage {
  /** The export's id of the message (Telegram) or its first line's number (WhatsApp). */
  sourceId: string;
  /** When it was sent, ms since the epoch. */
  sentAt: number;
  /** The author's name as the export writes it; undefined for a system line. */
  author?: string;
  /** The export's stable id of the author (Telegram's `from_id`), for mapping names to members. */
  authorId?: string;
  /** Plain text (formatting flattened); '' for a message that is only an attachment. */
  text: string;
  attachments: ImportedAttachment[];
  /** A line the app wrote, not a person ("created the group", "messages are encrypted"). */
  system?: boolean;
  /** The sourceId of the message this one replies to. */
  replyTo?: string;
  /** When it was last edited, ms since the epoch. */
  editedAt?: number;
  /** The name of whom it was forwarded from. */
  forwardedFrom?: string;
}

/** What an export is about: its chat's name where the export says it. */
export interface ImportedChat {
  name?: string;
  /** 'telegram' or 'whatsapp'. */
  source: 'telegram' | 'whatsapp';
}

export type ImportErrorCode =
  /** Not an export of the expected kind, or broken beyond reading (bad JSON, no message lines). */
  | 'import_malformed'
  /** A line, a message or the whole export is over its limit (ImportLimits). */
  | 'import_too_large'
  /** A media path that leaves the export's folder (`..`, absolute, drive letters, control characters). */
  | 'import_unsafe_path';

/** An export the parsers refuse: nothing of it is imported; `at` says where (a line, a message id). */
export class ImportError extends Error {
  readonly code: ImportErrorCode;
  constructor(code: ImportErrorCode, message: string) {
    super(message);
    this.name = 'ImportError';
    this.code = code;
  }
}

/** Bounds on what a parser reads, so a hostile export can't make it hold unbounded text. */
export interface ImportLimits {
  /** The longest line (WhatsApp) or message object (Telegram JSON) in characters; default 1 MiB. */
  maxItemChars?: number;
  /** The most messages one export may hold; default 2,000,000. */
  maxMessages?: number;
}

export const DEFAULT_IMPORT_LIMITS: Required<ImportLimits> = { maxItemChars: 1 << 20, maxMessages: 2_000_000 };

/**
 * A media path as the export writes it, checked: relative, inside the export, `/`-separated.
 * Throws `import_unsafe_path` for anything that could reach outside it.
 */
export function safeMediaPath(raw: string): string {
  const path = raw.replace(/\\/g, '/');
  // eslint-disable-next-line no-control-regex
  if (path === '' || path.length > 1024 || /[\u0000-\u001f\u007f]/.test(path) || path.startsWith('/') || /^[a-zA-Z]:/.test(path)
    || path.split('/').some((part) => part === '..')) {
    throw new ImportError('import_unsafe_path', `unsafe media path in the export: ${JSON.stringify(raw.slice(0, 80))}`);
  }
  return path.split('/').filter((part) => part !== '' && part !== '.').join('/');
}

/** The kind of a media file by its name, as both exporters name them. */
export function kindOfFile(name: string, mimeType?: string): ImportedAttachmentKind {
  const lower = name.toLowerCase();
  if (/^ptt-|\.opus$/.test(lower) || mimeType === 'audio/ogg') return 'voice';
  if (/^stk-|\.webp$|\.tgs$/.test(lower)) return 'sticker';
  if (mimeType?.startsWith('image/') || /^img-|photo|\.(jpe?g|png|gif|heic)$/.test(lower)) return 'photo';
  if (mimeType?.startsWith('video/') || /^vid-|video|\.(mp4|mov|3gp|webm)$/.test(lower)) return 'video';
  if (mimeType?.startsWith('audio/') || /^aud-|audio|\.(m4a|mp3|aac|wav|ogg)$/.test(lower)) return 'audio';
  return 'file';
}

/** Text from chunks, in the order they come: a File's stream, a fetch body, strings in tests. */
export type TextChunks = AsyncIterable<string> | Iterable<string>;
