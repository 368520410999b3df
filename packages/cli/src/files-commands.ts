import { existsSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { localFileName, type FileToSend, type ParleyClient, type UploadProgress } from '@parley/client';
import type { MessageEntity } from '@parley/protocol';
import { itemJson } from './item-json.ts';
import { CliError } from './profile.ts';
import { acknowledged, until, type Out } from './run-client.ts';

/** Types by extension for what the CLI sends (receivers check media by its bytes anyway, R52). */
const MIME: Record<string, string> = {
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.gif': 'image/gif', '.webp': 'image/webp', '.avif': 'image/avif',
  '.mp4': 'video/mp4', '.webm': 'video/webm', '.mov': 'video/quicktime', '.mkv': 'video/x-matroska',
  '.mp3': 'audio/mpeg', '.ogg': 'audio/ogg', '.opus': 'audio/ogg', '.m4a': 'audio/mp4', '.wav': 'audio/wav', '.flac': 'audio/flac',
  '.pdf': 'application/pdf', '.txt': 'text/plain', '.md': 'text/markdown', '.csv': 'text/csv', '.json': 'application/json',
  '.zip': 'application/zip', '.gz': 'application/gzip', '.tar': 'application/x-tar',
  '.doc': 'application/msword', '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', '.odt': 'application/vnd.oasis.opendocument.text',
};

export function mimeOf(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** A file on disk as the SDK sends it. */
export function fileToSend(path: string): FileToSend {
  const full = resolve(path);
  let size: number;
  try {
    const st = statSync(full);
    if (!st.isFile()) throw new CliError(`${path}: not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { source: { path: full }, name: basename(full), mime: mimeOf(full), size };
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** One stderr line for an upload's progress. */
export function progressLine(p: UploadProgress): string {
  const pct = p.totalBytes > 0 ? Math.floor((p.sentBytes / p.totalBytes) * 100) : 100;
  const speed = p.bytesPerSec > 0 ? `, ${mb(p.bytesPerSec)}/s` : '';
  const eta = p.etaMs !== undefined ? `, ${Math.ceil(p.etaMs / 1000)} s left` : '';
  return `parley: ${p.state} ${pct}% (${mb(p.sentBytes)} of ${mb(p.totalBytes)}${speed}${eta})`;
}

/**
 * `send CHAT_ID [TEXT] --file PATH…`: uploads the files (progress on stderr, at most once a second
 * and at each change of state), then waits for the server's ack and prints the message as JSON.
 */
export async function sendFiles(c: ParleyClient, chatId: string, paths: readonly string[], caption: { text: string; entities: MessageEntity[] }, noForwardName: boolean, out: Out, err: Out): Promise<void> {
  const files = paths.map(fileToSend);
  const id = await c.sendFiles(chatId, files, { text: caption.text, entities: caption.entities, noForwardName });
  let lastLine = 0;
  let lastState = '';
  let ended: UploadProgress | undefined;
  const listener = (list: UploadProgress[]) => {
    const p = list.find((u) => u.clientMsgId === id);
    if (!p) return;
    if (p.state === 'done' || p.state === 'failed' || p.state === 'cancelled') ended = p;
    if (p.state !== lastState || Date.now() - lastLine >= 1000) {
      err(progressLine(p));
      lastLine = Date.now();
      lastState = p.state;
    }
  };
  const unsubscribe = c.on('uploads', listener);
  try {
    // No overall limit: a large file takes what it takes. A failure ends it; waiting (offline) goes on.
    await until(() => ended !== undefined || !c.uploads().some((u) => u.clientMsgId === id), 365 * 24 * 3600 * 1000, 'the upload');
    const failed = ended?.state === 'failed' ? ended : c.uploads().find((u) => u.clientMsgId === id && u.state === 'failed');
    if (failed) throw new CliError(`upload failed: ${failed.error ?? 'unknown'} (the message is kept; cancel it or resume with any command)`);
  } finally {
    unsubscribe();
  }
  await acknowledged(c, [id]);
  const item = c.timeline(chatId).find((i) => i.id === id);
  out(JSON.stringify(item ? itemJson(item) : { chatId, id }));
}

/**
 * `download CHAT_ID MESSAGE_ID [--index N] [--out PATH] [--force]`: fetches, decrypts and checks one
 * attachment. Default target: its sanitized name in the current directory (never a path elsewhere,
 * whatever the sender named it); an existing file is kept unless --force.
 */
export async function download(c: ParleyClient, chatId: string, messageId: string, opts: { index?: string; out?: string; force?: boolean }, out: Out, err: Out): Promise<void> {
  const item = c.timeline(chatId).find((i) => i.id === messageId);
  if (!item) throw new CliError(`no message ${messageId} in chat ${chatId}`);
  const index = opts.index === undefined ? 0 : Number(opts.index);
  const att = item.attachments?.[index];
  if (!Number.isInteger(index) || !att) throw new CliError(`message ${messageId} has no attachment ${opts.index ?? 0}`);
  if (!att.blobId) throw new CliError('that file is still uploading');
  const safeName = localFileName(att.name);
  let path = opts.out === undefined ? join(process.cwd(), safeName) : resolve(opts.out);
  if (opts.out !== undefined && existsSync(path) && statSync(path).isDirectory()) path = join(path, safeName);
  if (existsSync(path) && !opts.force) throw new CliError(`${path} exists (use --force to replace it)`);
  let lastLine = 0;
  await c.downloadAttachmentTo(att, path, {
    overwrite: opts.force ?? false,
    onProgress: (received, total) => {
      if (Date.now() - lastLine < 1000) return;
      lastLine = Date.now();
      err(`parley: downloading ${Math.floor((received / Math.max(1, total)) * 100)}% (${mb(received)} of ${mb(total)})`);
    },
  });
  out(JSON.stringify({ chatId, id: messageId, index, path, name: safeName, size: att.size, mime: att.mime }));
}
