import { sanitizeFileName as sdkSanitizeFileName, type ParleyClient, type TimelineItem } from '@parley/client';
import type { Attachment } from '@parley/protocol';

/**
 * The SDK's file API as the web client uses it: the components take files through here only
 * (types, the client's methods, the name rule), so the seam to packages/client is one file.
 */
export type { FileToSend, MediaFilter, MediaItem, UploadProgress, UploadState } from '@parley/client';

export const files = (client: ParleyClient): ParleyClient => client;

export const attachmentsOf = (item: TimelineItem): Attachment[] => item.attachments ?? [];
export const uploadOf = (item: TimelineItem) => item.upload;

/** R52: a file name as it may be shown (the SDK's rule); a name of nothing but removed characters shows as "file". */
export function sanitizeFileName(name: string): string {
  return sdkSanitizeFileName(name) || 'file';
}
