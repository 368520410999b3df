import { blobSource } from '../files/file-crypto.ts';
import type { ImportMedia, ImportSource } from './import-history.ts';
import { parseTelegram } from './telegram.ts';
import { ImportError, safeMediaPath, type ImportedChat, type ImportLimits } from './types.ts';
import { parseWhatsApp, type WhatsAppOptions } from './whatsapp.ts';
import { ExportZip, type ZipEntry, type ZipLimits } from './zip.ts';

/**
 * R104: what a person picked (a Telegram export folder, a WhatsApp .txt, a WhatsApp .zip with its
 * media) as an ImportSource: which file is the chat, its parser, and its media by the paths the
 * messages name. Browser: Files (a directory picker's `webkitRelativePath` as `path`); Node: Blobs
 * of files on disk (`fs.openAsBlob`).
 */
export interface ExportFile {
  /** The path inside what was picked, `/`-separated ("ChatExport_2024-01-01/result.json", "photos/a.jpg"). */
  path: string;
  blob: Blob;
}

export interface ExportSourceOptions extends ImportLimits, Pick<WhatsAppOptions, 'dateOrder' | 'utcOffsetMinutes'> {
  zip?: ZipLimits;
}

const MIME: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', heic: 'image/heic',
  mp4: 'video/mp4', mov: 'video/quicktime', webm: 'video/webm', '3gp': 'video/3gpp',
  opus: 'audio/ogg', ogg: 'audio/ogg', oga: 'audio/ogg', m4a: 'audio/mp4', mp3: 'audio/mpeg', aac: 'audio/aac', wav: 'audio/wav',
  pdf: 'application/pdf', txt: 'text/plain', zip: 'application/zip', doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};
export const mimeOfName = (name: string): string => MIME[name.toLowerCase().split('.').at(-1) ?? ''] ?? 'application/octet-stream';

const baseName = (path: string) => path.split('/').at(-1)!;
const dirOf = (path: string) => path.split('/').slice(0, -1).join('/');
/** WhatsApp's chat text in what was picked: `_chat.txt` (iOS) first, else the first .txt. */
const chatText = <T extends { path: string }>(list: readonly T[]) => list.find((f) => /(^|\/)_chat\.txt$/i.test(f.path)) ?? list.find((f) => /\.txt$/i.test(f.path));

/** A WhatsApp chat's name from its export's file name ("WhatsApp Chat with X.txt", "Чат WhatsApp с X.txt", "WhatsApp Chat - X.zip"). */
function whatsAppChatName(fileName: string): string | undefined {
  const m = /^(?:WhatsApp Chat (?:with|-)|Чат WhatsApp (?:с|-)|WhatsApp-чат с)\s*(.+?)\.(?:txt|zip)$/i.exec(fileName);
  return m?.[1]?.trim() || undefined;
}

async function* blobText(blob: Blob): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  const step = 256 * 1024;
  for (let at = 0; at < blob.size; at += step) yield decoder.decode(new Uint8Array(await blob.slice(at, at + step).arrayBuffer()), { stream: true });
  const rest = decoder.decode();
  if (rest) yield rest;
}

/** Reads what was picked; throws ImportError when there is no chat export in it. */
export async function exportSource(files: readonly ExportFile[], options: ExportSourceOptions = {}): Promise<ImportSource> {
  const zipFile = files.length === 1 && /\.zip$/i.test(files[0]!.path) ? files[0]! : undefined;
  if (zipFile) return zipSource(zipFile, options);
  const paths = files.map((f) => ({ ...f, path: safeMediaPath(f.path) }));
  const json = paths.find((f) => baseName(f.path) === 'result.json');
  const txt = json ? undefined : chatText(paths);
  const chatFile = json ?? txt;
  if (!chatFile) throw new ImportError('import_malformed', 'no result.json (Telegram) or .txt (WhatsApp) among the files');
  const base = dirOf(chatFile.path);
  const byPath = new Map(paths.map((f) => [f.path, f]));
  const byName = new Map(paths.map((f) => [baseName(f.path), f]));
  const media = (path: string): ImportMedia | undefined => {
    const f = byPath.get(base ? `${base}/${path}` : path) ?? (path.includes('/') ? undefined : byName.get(path));
    if (!f || f === chatFile) return undefined;
    return { size: f.blob.size, name: baseName(f.path), mime: f.blob.type || mimeOfName(f.path), source: async () => f.blob };
  };
  return textSource(chatFile.path, () => blobText(chatFile.blob), media, options);
}

async function zipSource(file: ExportFile, options: ExportSourceOptions): Promise<ImportSource> {
  const zip = await ExportZip.open(blobSource(file.blob), options.zip);
  const json = zip.entries.find((e) => baseName(e.path) === 'result.json');
  const txt = json ? undefined : chatText(zip.entries);
  const chatEntry = json ?? txt;
  if (!chatEntry) throw new ImportError('import_malformed', 'no result.json (Telegram) or .txt (WhatsApp) in the zip');
  const base = dirOf(chatEntry.path);
  const media = (path: string): ImportMedia | undefined => {
    const entry: ZipEntry | undefined = zip.find(base ? `${base}/${path}` : path);
    if (!entry || entry === chatEntry) return undefined;
    const name = baseName(entry.path);
    const mime = mimeOfName(name);
    return {
      size: entry.size, name, mime,
      // One file at a time, inflated as it streams (zip-bomb checks in ExportZip), then sent as a Blob.
      source: async () => {
        const parts: Uint8Array[] = [];
        for await (const piece of zip.bytes(entry)) parts.push(piece);
        return new Blob(parts as BlobPart[], { type: mime });
      },
    };
  };
  const fallbackName = whatsAppChatName(baseName(file.path));
  return textSource(chatEntry.path, () => zip.text(chatEntry), media, options, fallbackName);
}

async function textSource(
  path: string, text: () => AsyncIterable<string>, media: ImportSource['media'], options: ExportSourceOptions, fallbackName?: string,
): Promise<ImportSource> {
  const limits: ImportLimits = { ...(options.maxItemChars ? { maxItemChars: options.maxItemChars } : {}), ...(options.maxMessages ? { maxMessages: options.maxMessages } : {}) };
  if (baseName(path) === 'result.json') {
    const { chat } = await parseTelegram(text(), limits);
    return { chat, media, messages: async function* () { yield* (await parseTelegram(text(), limits)).messages; } };
  }
  const wa: WhatsAppOptions = { ...limits, ...(options.dateOrder ? { dateOrder: options.dateOrder } : {}), ...(options.utcOffsetMinutes !== undefined ? { utcOffsetMinutes: options.utcOffsetMinutes } : {}) };
  const name = whatsAppChatName(baseName(path)) ?? fallbackName;
  const chat: ImportedChat = { source: 'whatsapp', ...(name ? { name } : {}) };
  return { chat, media, messages: () => parseWhatsApp(text(), wa) };
}
