import { MAX_ATTACHMENTS, MAX_IMPORTED_NAME_CHARS, ParleyError, type ChatSummary, type Content, type Imported, type Message } from '@parley/protocol';
import type { FileToSend, UploadProgress } from '../files/types.ts';
import { frank } from '../moderation/franking.ts';
import type { OutboxItem } from '../store.ts';
import type { ImportedChat, ImportedMessage } from './types.ts';

/**
 * R104: sending a parsed export into a chat, on the importing device: each message of the export
 * becomes an ordinary end-to-end encrypted message of the importer, marked `imported` with its
 * original author's name and time, its files uploaded through the files path (R52). Client ids are
 * made from the chat and the export's message, so a run that was interrupted (or run again) sends
 * only what is not in the chat yet (R1 keeps the server from taking one twice).
 */

/** A file an export holds: its size up front, its bytes only when it is sent. */
export interface ImportMedia {
  size: number;
  name: string;
  mime: string;
  source(): Promise<Blob | { path: string }>;
}

/** An export ready to import: its chat, its messages (read from the start on each call), its files by path. */
export interface ImportSource {
  chat: ImportedChat;
  messages(): AsyncIterable<ImportedMessage>;
  /** The file a media path of a message names, or undefined when the export does not hold it. */
  media(path: string): ImportMedia | undefined;
}

/** R104: what one import may send; the import is refused whole (`import_too_large`) over either. */
export interface ImportSendLimits {
  /** Messages of the export (default 100,000). */
  maxMessages?: number;
  /** Bytes of the export's files together (default 2 GiB). */
  maxFileBytes?: number;
}
export const DEFAULT_IMPORT_SEND_LIMITS: Required<ImportSendLimits> = { maxMessages: 100_000, maxFileBytes: 2 * 1024 ** 3 };

/** What the import screen shows before anything is sent. */
export interface ImportPreview {
  chat: ImportedChat;
  messages: number;
  firstAt?: number;
  lastAt?: number;
  /** The export's authors, most messages first. */
  authors: { name: string; messages: number }[];
  files: number;
  fileBytes: number;
  /** Files the export names but does not hold (left out when exporting, or not in the folder picked). */
  missingFiles: number;
}

export interface ImportProgress {
  /** Messages of the export. */
  total: number;
  /** Messages handed to the outbox (or found in the chat already). */
  queued: number;
  /** Messages the server acknowledged, or found in the chat already. */
  done: number;
  /** Found in the chat already (an earlier run). */
  skipped: number;
}

export interface ImportHistoryOptions extends ImportSendLimits {
  /** The export's author names mapped to members' user ids (a label on each message, R104). */
  authorMap?: Readonly<Record<string, string>>;
  onProgress?: (progress: ImportProgress) => void;
  /** Stops queuing more; what is in the outbox already still goes (a later run continues after it). */
  signal?: AbortSignal;
  /** Messages in the outbox at a time (default 50): the store never holds the whole export. */
  window?: number;
}

export interface ImportHistoryDeps {
  chat(chatId: string): ChatSummary | undefined;
  createGroup(name: string): Promise<ChatSummary>;
  log(chatId: string): readonly Message[];
  hasOlder(chatId: string): boolean;
  loadOlder(chatId: string): Promise<void>;
  outbox(): readonly OutboxItem[];
  uploads(): UploadProgress[];
  post(chatId: string, content: Content, opts: { clientMsgId: string; frank?: string }): Promise<string>;
  sendFiles(chatId: string, files: FileToSend[], opts: { text: string; clientMsgId: string; imported: Imported; replyTo?: string }): Promise<string>;
  /** The client's events: `change` (outbox, log) and `uploads`. */
  on(event: 'change' | 'uploads', handler: () => void): () => void;
}

/** Resolves at the next change of the outbox, the log or the uploads, or after a second. */
function nextChange(deps: ImportHistoryDeps): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const off of offs) off();
      resolve();
    };
    const offs = [deps.on('change', done), deps.on('uploads', done)];
    const timer = setTimeout(done, 1000);
  });
}

const TEXT_MAX = 16_000;

/** Reads the whole export once: counts, dates, authors, files; refuses it over a limit. */
export async function previewImport(source: ImportSource, limits: ImportSendLimits = {}): Promise<ImportPreview> {
  const maxMessages = limits.maxMessages ?? DEFAULT_IMPORT_SEND_LIMITS.maxMessages;
  const maxFileBytes = limits.maxFileBytes ?? DEFAULT_IMPORT_SEND_LIMITS.maxFileBytes;
  const authors = new Map<string, number>();
  const preview: ImportPreview = { chat: source.chat, messages: 0, authors: [], files: 0, fileBytes: 0, missingFiles: 0 };
  for await (const m of source.messages()) {
    preview.messages += 1;
    if (preview.messages > maxMessages) throw new ParleyError('import_too_large', `more than ${maxMessages} messages in this export (the import's limit)`);
    preview.firstAt = Math.min(preview.firstAt ?? m.sentAt, m.sentAt);
    preview.lastAt = Math.max(preview.lastAt ?? m.sentAt, m.sentAt);
    if (!m.system && m.author) authors.set(m.author, (authors.get(m.author) ?? 0) + 1);
    for (const a of m.attachments) {
      const file = a.path === undefined ? undefined : source.media(a.path);
      if (!file) preview.missingFiles += 1;
      else {
        preview.files += 1;
        preview.fileBytes += file.size;
      }
    }
    if (preview.fileBytes > maxFileBytes) throw new ParleyError('import_too_large', `the export's files are over ${maxFileBytes} bytes (the import's limit)`);
  }
  preview.authors = [...authors].map(([name, messages]) => ({ name, messages })).sort((a, b) => b.messages - a.messages);
  return preview;
}

/** The client id of one part of an imported message in a chat: the same on every run. */
export async function importedMessageId(chatId: string, source: string, m: ImportedMessage, part: number): Promise<string> {
  const key = [chatId, source, m.sourceId, m.sentAt, m.author ?? '', part].join('\n');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
  let b64 = '';
  for (const byte of digest) b64 += String.fromCharCode(byte);
  return `imp${btoa(b64).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '').slice(0, 29)}`;
}

/**
 * Imports the export into `target` (a chat this user is in, or a new group of that name): previews
 * it first (limits), then sends each message in order. Resolves once the server acknowledged all.
 */
export async function importHistory(
  deps: ImportHistoryDeps, target: string | { newChat: string }, source: ImportSource, opts: ImportHistoryOptions = {},
): Promise<{ chatId: string; sent: number; skipped: number }> {
  const preview = await previewImport(source, opts);
  opts.signal?.throwIfAborted();
  let chatId: string;
  if (typeof target === 'string') {
    const chat = deps.chat(target);
    if (!chat) throw new ParleyError('not_member', 'unknown chat');
    const members = new Set(chat.members.map((m) => m.userId));
    const stranger = Object.values(opts.authorMap ?? {}).find((id) => !members.has(id));
    if (stranger) throw new ParleyError('bad_request', `an author is mapped to ${stranger}, who is not a member of the chat`);
    chatId = chat.chatId;
    // An earlier run's messages may be older than what this device holds: all of the log is read first.
    while (deps.hasOlder(chatId)) await deps.loadOlder(chatId);
  } else {
    if (opts.authorMap && Object.keys(opts.authorMap).length > 0) throw new ParleyError('bad_request', 'a new chat has no members to map authors to yet');
    chatId = (await deps.createGroup(target.newChat.trim() || source.chat.name || 'Imported chat')).chatId;
  }

  const window = Math.max(1, opts.window ?? 50);
  const ours = new Set<string>();
  const progress: ImportProgress = { total: preview.messages, queued: 0, done: 0, skipped: 0 };
  const waiting = () => {
    const inOutbox = deps.outbox().filter((o) => o.chatId === chatId && ours.has(o.clientMsgId));
    const failed = inOutbox.find((o) => o.failedCode);
    if (failed) throw new ParleyError(failed.failedCode as 'forbidden', `the server refused an imported message: ${failed.failedCode}`);
    const uploading = deps.uploads().filter((u) => u.chatId === chatId && ours.has(u.clientMsgId) && u.state !== 'done');
    const upFailed = uploading.find((u) => u.state === 'failed');
    if (upFailed) throw new ParleyError((upFailed.error ?? 'internal') as 'internal', `a file of the export could not be uploaded: ${upFailed.error ?? 'failed'}`);
    return { messages: inOutbox.length, uploads: uploading.map((u) => u.clientMsgId) };
  };
  let lastDone = -1;
  const report = () => {
    progress.done = progress.queued - waiting().messages;
    if (progress.done !== lastDone) opts.onProgress?.({ ...progress });
    lastDone = progress.done;
  };
  const known = new Set(deps.log(chatId).map((m) => m.clientMsgId));
  for (const o of deps.outbox()) known.add(o.clientMsgId);
  for (const u of deps.uploads()) if (u.state !== 'cancelled' && u.state !== 'failed') known.add(u.clientMsgId);

  // The export's ids of the messages sent so far → their client ids, for replies (they point back).
  const sentIds = new Map<string, string>();
  for await (const m of source.messages()) {
    opts.signal?.throwIfAborted();
    const parts = await messageParts(chatId, source, m, opts.authorMap, m.replyTo === undefined ? undefined : sentIds.get(m.replyTo));
    if (parts[0]) sentIds.set(m.sourceId, parts[0].clientMsgId);
    const already = parts.length > 0 && parts.every((p) => known.has(p.clientMsgId));
    for (const p of parts) {
      if (known.has(p.clientMsgId)) continue;
      ours.add(p.clientMsgId);
      if (p.files.length > 0) {
        const files: FileToSend[] = [];
        for (const f of p.files) files.push({ source: await f.media.source(), name: f.media.name, mime: f.media.mime, size: f.media.size, ...f.size });
        await deps.sendFiles(chatId, files, { text: p.content.text, clientMsgId: p.clientMsgId, imported: p.content.imported!, ...(p.content.replyTo ? { replyTo: p.content.replyTo } : {}) });
        // Order: the next message waits until this one's files are up and it is in the outbox.
        while (waiting().uploads.includes(p.clientMsgId)) await nextChange(deps);
      } else if (deps.chat(chatId)?.community && p.content.text !== '') {
        // R83: in a community's chat a text is franked like any other, so it can be reported (R84).
        const { key, tag } = await frank(chatId, p.clientMsgId, p.content.text);
        await deps.post(chatId, { ...p.content, frank: key }, { clientMsgId: p.clientMsgId, frank: tag });
      } else {
        await deps.post(chatId, p.content, { clientMsgId: p.clientMsgId });
      }
    }
    progress.queued += 1;
    if (already) progress.skipped += 1;
    report();
    while (waiting().messages >= window) {
      await nextChange(deps);
      report();
    }
  }
  while (waiting().messages > 0) {
    await nextChange(deps);
    report();
  }
  report();
  return { chatId, sent: progress.queued - progress.skipped, skipped: progress.skipped };
}

interface Part {
  clientMsgId: string;
  content: Extract<Content, { kind: 'text' }>;
  files: { media: ImportMedia; size: { width?: number; height?: number; durationMs?: number } }[];
}

/** One export message as Parley messages: its text in parts of at most 16,000 characters, its files with the first. */
async function messageParts(chatId: string, source: ImportSource, m: ImportedMessage, authorMap: ImportHistoryOptions['authorMap'], replyTo: string | undefined): Promise<Part[]> {
  const files: Part['files'] = [];
  let omitted = 0;
  for (const a of m.attachments) {
    const media = a.path === undefined ? undefined : source.media(a.path);
    if (!media || files.length >= MAX_ATTACHMENTS) omitted += 1;
    else files.push({ media, size: { ...(a.width ? { width: a.width } : {}), ...(a.height ? { height: a.height } : {}), ...(a.durationMs ? { durationMs: a.durationMs } : {}) } });
  }
  const from = (m.author ?? '').slice(0, MAX_IMPORTED_NAME_CHARS);
  const userId = m.author !== undefined && !m.system ? authorMap?.[m.author] : undefined;
  const texts: string[] = [];
  for (let i = 0; i < m.text.length; i += TEXT_MAX) texts.push(m.text.slice(i, i + TEXT_MAX));
  if (texts.length === 0) texts.push('');
  const parts: Part[] = [];
  for (const [i, text] of texts.entries()) {
    const first = i === 0;
    if (text === '' && !(first && (files.length > 0 || omitted > 0))) continue; // nothing to show
    const imported: Imported = {
      source: source.chat.source, from, at: Math.max(0, Math.round(m.sentAt)),
      ...(userId ? { userId } : {}), ...(m.system ? { system: true as const } : {}), ...(first && omitted > 0 ? { omitted: Math.min(omitted, 10) } : {}),
      ...(m.editedAt !== undefined && m.editedAt > 0 ? { editedAt: Math.round(m.editedAt) } : {}),
      ...(m.forwardedFrom ? { forwardedFrom: m.forwardedFrom.slice(0, MAX_IMPORTED_NAME_CHARS) } : {}),
    };
    const content: Part['content'] = { kind: 'text', text, imported, ...(first && replyTo ? { replyTo } : {}) };
    parts.push({ clientMsgId: await importedMessageId(chatId, source.chat.source, m, i), content, files: first ? files : [] });
  }
  return parts;
}
