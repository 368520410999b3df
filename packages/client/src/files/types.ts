import type { Attachment, AttachmentKind, Forwarded, Imported, MessageEntity, ReplyKeyboard, ReplyMarkup, ForceReply } from '@parley/protocol';
import type { WrappedUpload } from '../channels/wrapped-files.ts';

/** A file to send. Browser: `source` is a Blob/File. Node: `{ path }` of a file on disk. */
export interface FileToSend {
  source: Blob | { path: string };
  name: string;
  mime: string;
  size: number;
  /** Default from mime: image/* image, video/* video, audio/* audio, else file. */
  kind?: AttachmentKind;
  width?: number;
  height?: number;
  durationMs?: number;
  thumbnail?: { mediaType: 'image/jpeg' | 'image/webp' | 'image/png'; data: string };
  /** base64, one byte per sample, at most MAX_WAVEFORM_SAMPLES (voice). */
  waveform?: string;
  /** R158: a sticker (a WebP or PNG image), with the emoji it stands for. */
  sticker?: { emoji?: string };
}

export type UploadState = 'uploading' | 'paused' | 'waiting' | 'sending' | 'failed' | 'cancelled' | 'done';

/** One message's upload as the person sees it: all its files together. */
export interface UploadProgress {
  clientMsgId: string;
  chatId: string;
  state: UploadState;
  /** Ciphertext bytes over all files of the message. */
  sentBytes: number;
  totalBytes: number;
  /** Recent speed (smoothed), 0 when not moving. */
  bytesPerSec: number;
  /** Time left at that speed. */
  etaMs?: number;
  /** An error code (quota_exceeded, file_too_large, …) when failed. */
  error?: string;
}

/** The attachment as it will be sent, less what the upload settles (blob id, hash). */
export type AttachmentDraft = Omit<Attachment, 'blobId' | 'sha256'>;

/** One file of a pending upload, as the store keeps it. */
export interface PendingFile {
  attachment: AttachmentDraft;
  /** Where the plaintext is: the Blob itself (browser, kept in IndexedDB) or a path (Node). */
  source: Blob | { path: string };
  /** The tus upload's URL once created: a restart resumes there (HEAD tells the offset). */
  uploadUrl?: string;
  /** Set when the upload is complete. */
  blobId?: string;
  sha256?: string;
}

/**
 * A message with files that is still uploading (the upload outbox). When every file is complete it
 * becomes an ordinary outbox item with the same client id, sent with `blobs` (R54).
 */
export interface PendingUpload {
  clientMsgId: string;
  chatId: string;
  createdAt: number;
  text: string;
  entities?: MessageEntity[];
  replyTo?: string;
  /** R89: a reply in that message's thread. */
  thread?: string;
  noForwardName?: true;
  /** R202: a public channel's post forwarded with its photos (uploaded anew, encrypted for this chat). */
  forwarded?: Forwarded;
  /** R104: a message of an imported export (its original author and time). */
  imported?: Imported;
  /** R93: a bot's inline keyboard under the files (a bot gateway's sendPhoto with reply_markup). */
  replyMarkup?: ReplyMarkup;
  /** R121: a bot's reply keyboard on its message with files. */
  replyKeyboard?: ReplyKeyboard;
  /** R144: a bot asks for a reply to its message with files (R150). */
  forceReply?: ForceReply;
  /** R150: the files replace those of this message of this user (an `edit`), not a new message. */
  editOf?: string;
  /**
   * R162: a post of this wrapped channel, not a chat message (`chatId` is `wrappedUploadChat`'s): once
   * its files are complete it is posted there (channels/wrapped-files.ts), never put in the outbox.
   */
  wrapped?: WrappedUpload;
  files: PendingFile[];
  /** Paused by the person: not resumed at start. */
  paused?: true;
  /** Refused for good (an error code): kept to be shown as failed until cancelled. */
  failedCode?: string;
}

/** One attachment of a chat, for the "Media and files" view. */
export interface MediaItem {
  messageId: string;
  chatId: string;
  senderUserId: string;
  sentAt: number;
  /** The attachment's place in its message. */
  index: number;
  attachment: Attachment;
}

export type MediaFilter = 'media' | 'files' | 'voice';
