import type { ParleyClient, TimelineItem } from '@parley/client';
import type { Attachment, AttachmentKind, MessageEntity, StorageUsage } from '@parley/protocol';

/**
 * The SDK's file API as the web client uses it (docs/notes contract with packages/client): one
 * seam, so the components never reach into the client for files in any other way.
 */
export interface FileToSend {
  source: Blob;
  name: string; mime: string; size: number;
  kind?: AttachmentKind;
  width?: number; height?: number; durationMs?: number;
  thumbnail?: { mediaType: 'image/jpeg' | 'image/webp' | 'image/png'; data: string };
  waveform?: string;
}

export type UploadState = 'uploading' | 'paused' | 'waiting' | 'sending' | 'failed' | 'cancelled' | 'done';
export interface UploadProgress {
  clientMsgId: string; chatId: string; state: UploadState;
  sentBytes: number; totalBytes: number;
  bytesPerSec: number;
  etaMs?: number;
  error?: string;
}
export interface MediaItem { messageId: string; chatId: string; senderUserId: string; sentAt: number; index: number; attachment: Attachment }
export type MediaFilter = 'media' | 'files' | 'voice';

interface FilesApi {
  sendFiles(chatId: string, files: FileToSend[], opts?: { text?: string; entities?: MessageEntity[]; replyTo?: string; noForwardName?: boolean }): Promise<string>;
  uploads(): UploadProgress[];
  pauseUpload(clientMsgId: string): void;
  resumeUpload(clientMsgId: string): void;
  cancelUpload(clientMsgId: string): Promise<void>;
  downloadAttachment(att: Attachment, opts?: { onProgress?: (received: number, total: number) => void; signal?: AbortSignal }): Promise<Blob>;
  readAttachmentRange(att: Attachment, start: number, end: number, opts?: { signal?: AbortSignal }): Promise<Uint8Array>;
  media(chatId: string, opts: { filter: MediaFilter; before?: string; limit?: number }): Promise<{ items: MediaItem[]; next?: string }>;
  storageUsage(): Promise<StorageUsage>;
  on(event: 'uploads', fn: () => void): () => void;
}

export const files = (client: ParleyClient): FilesApi => client as unknown as FilesApi;

/** A timeline item with what files add to it. */
export type FileItem = TimelineItem & { attachments?: Attachment[]; upload?: UploadProgress };
export const attachmentsOf = (item: TimelineItem): Attachment[] => (item as FileItem).attachments ?? [];
export const uploadOf = (item: TimelineItem): UploadProgress | undefined => (item as FileItem).upload;

// Control characters (C0, DEL, C1), bidirectional controls (LRM/RLM, embeddings and overrides,
// isolates, ALM), zero-width and line/paragraph separators (R52).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** R52: a file name as it may be shown (the SDK's rule; kept here so renderers have one import). */
export function sanitizeFileName(name: string): string {
  const clean = name.replace(UNSAFE, '').trim();
  return clean || 'file';
}
