import type { ChatSummary } from '@parley/protocol';

/**
 * The user's note-to-self chat ("Saved messages"): a direct chat whose only member is the user and
 * that asks nobody in. A direct chat waiting for the other person to accept (R44) also has one
 * member, but lists them in `requested`.
 */
export function isNoteToSelf(chat: ChatSummary, userId: string): boolean {
  return chat.kind === 'direct' && chat.members.length === 1 && chat.members[0]?.userId === userId && (chat.requested ?? []).length === 0;
}
