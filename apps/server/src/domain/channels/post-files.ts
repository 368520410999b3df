import { ParleyError, type ChannelAttachment } from '@parley/protocol';
import type { ChannelLimits } from '../../config.ts';
import type { BlobStorage } from '../../storage/blob-storage.ts';
import type { ChannelMediaRow } from '../../storage/channel-storage.ts';

/**
 * R110 (and R192, a scheduled post's): the files a public post names, checked: at most
 * PARLEY_CHANNEL_MAX_ATTACHMENTS, none over PARLEY_CHANNEL_MAX_ATTACHMENT_BYTES (`channel_post_too_large`);
 * each a complete upload of exactly the signed size, by the caller or in `kept` (named by this post, or
 * this scheduled post, already: another admin's edit keeps them), else `blob_not_found` /
 * `blob_incomplete` / `channel_post_invalid`. The bytes' hash is the readers' to check.
 */
export async function checkPostFiles(
  d: { blobs: Pick<BlobStorage, 'getBlob'>; limits: Pick<ChannelLimits, 'maxAttachments' | 'maxAttachmentBytes'>; maxFileBytes: number },
  userId: string, files: readonly ChannelAttachment[], kept: ReadonlySet<string>,
): Promise<ChannelMediaRow[]> {
  if (files.length === 0) return [];
  const { maxAttachments, maxAttachmentBytes } = d.limits;
  if (files.length > maxAttachments) throw new ParleyError('channel_post_too_large', `a post has at most ${maxAttachments} photos and files`);
  if (new Set(files.map((f) => f.blobId)).size !== files.length) throw new ParleyError('channel_post_invalid', 'a file is named twice');
  const max = Math.min(maxAttachmentBytes, d.maxFileBytes);
  return Promise.all(files.map(async (f): Promise<ChannelMediaRow> => {
    if (f.size > max) throw new ParleyError('channel_post_too_large', `a photo or file of a post is at most ${max} bytes`);
    const blob = await d.blobs.getBlob(f.blobId);
    if (!blob || (blob.ownerUserId !== userId && !kept.has(f.blobId))) throw new ParleyError('blob_not_found', 'no such file');
    if (blob.completedAt === null) throw new ParleyError('blob_incomplete', 'the upload is not finished');
    if (blob.length !== f.size) throw new ParleyError('channel_post_invalid', `file ${f.blobId}: signed as ${f.size} bytes, the upload has ${blob.length}`);
    return { blobId: f.blobId, mime: f.mime };
  }));
}
