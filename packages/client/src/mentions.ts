import { mentionHandle, type ChatSummary, type MessageEntity } from '@parley/protocol';

/** R88: the handles that mention everyone in a chat; only its admins and owner may use them. */
export const MENTION_ALL: ReadonlySet<string> = new Set(['all', 'here']);

/**
 * R88: whether a message mentions this user: its text names their handle (a `mention` entity, which
 * the sender's device makes from `@handle`), or `@all` / `@here` from an admin or the owner of a
 * group, or it replies to one of their messages. Never their own message.
 */
export function mentionsUser(input: {
  chat: ChatSummary; myUserId: string; senderUserId: string; text: string; entities?: readonly MessageEntity[] | undefined; repliesToMine?: boolean;
}): boolean {
  const { chat, myUserId, senderUserId } = input;
  if (senderUserId === myUserId) return false;
  if (input.repliesToMine) return true;
  const mine = chat.members.find((m) => m.userId === myUserId)?.handle;
  const sender = chat.members.find((m) => m.userId === senderUserId);
  const mayMentionAll = chat.kind === 'group' && (sender?.role === 'owner' || sender?.role === 'admin');
  for (const e of input.entities ?? []) {
    if (e.type !== 'mention') continue;
    const handle = mentionHandle(input.text.slice(e.offset, e.offset + e.length));
    if (handle === undefined) continue;
    if (handle === mine || (mayMentionAll && MENTION_ALL.has(handle))) return true;
  }
  return false;
}

/** R88: messages that mention this user and that they have not read (the chat list's "@" badge). */
export function unreadMentions(chat: ChatSummary, items: readonly { seq: number | null; mentionsMe?: boolean; deleted: boolean }[], myUserId: string): number {
  const readSeq = chat.members.find((m) => m.userId === myUserId)?.readSeq ?? 0;
  return items.filter((i) => i.mentionsMe && !i.deleted && i.seq !== null && i.seq > readSeq).length;
}
