import { sanitizeFileName, type TimelineItem } from '@parley/client';

/**
 * One message as a JSON line. An unreadable one has `unreadable: {reason, detail?}` instead of
 * `text` (an empty text is a message too). Attachments list what a script needs to pick one for
 * `parley download`, never the key.
 */
export function itemJson(item: TimelineItem) {
  const body = item.unreadable
    ? { unreadable: { reason: item.unreadableReason ?? 'unknown_format', ...(item.unreadableDetail !== undefined ? { detail: item.unreadableDetail } : {}) } }
    : { text: item.text, ...(item.entities ? { entities: item.entities } : {}) };
  return {
    chatId: item.chatId, seq: item.seq, id: item.id, from: item.senderUserId, sentAt: item.sentAt,
    ...body, ...(item.replyTo ? { replyTo: item.replyTo.id } : {}),
    ...(item.attachments?.length ? { attachments: item.attachments.map((a, index) => ({
      index, name: sanitizeFileName(a.name), mime: a.mime, size: a.size, kind: a.kind, blobId: a.blobId,
      ...(a.width !== undefined ? { width: a.width } : {}), ...(a.height !== undefined ? { height: a.height } : {}),
      ...(a.durationMs !== undefined ? { durationMs: a.durationMs } : {}),
    })) } : {}),
    ...(item.edited ? { edited: true } : {}), ...(item.deleted ? { deleted: true } : {}),
    ...(item.reactions.length ? { reactions: item.reactions } : {}), ...(item.system ? { system: item.system } : {}),
    ...(item.forwarded ? { forwarded: item.forwarded } : {}), ...(item.pinned ? { pinned: true } : {}),
    ...(item.notice ? { notice: item.notice } : {}), ...(item.pinOf ? { pinOf: item.pinOf.id } : {}),
  };
}
