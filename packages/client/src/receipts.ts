import type { ChatSummary, Message } from '@parley/protocol';
import type { StoredMessage } from './store.ts';

/** A receipt moves a member's delivered/read marks forward, never back. False if the member is unknown. */
export function applyReceipt(chat: ChatSummary, r: { userId: string; kind: 'delivered' | 'read'; upToSeq: number }): boolean {
  const member = chat.members.find((m) => m.userId === r.userId);
  if (!member) return false;
  if (r.kind === 'read') member.readSeq = Math.max(member.readSeq, r.upToSeq);
  member.deliveredSeq = Math.max(member.deliveredSeq, r.upToSeq);
  return true;
}

/** A summary read before a newer receipt must not move marks back: keeps the higher of each. */
export function keepNewerReceipts(incoming: ChatSummary, local: ChatSummary | undefined): void {
  for (const old of local?.members ?? []) {
    applyReceipt(incoming, { userId: old.userId, kind: 'read', upToSeq: old.readSeq });
    applyReceipt(incoming, { userId: old.userId, kind: 'delivered', upToSeq: old.deliveredSeq });
  }
}

/** Unread texts from others after my read mark; the server's count when the log doesn't reach back that far. */
export function unreadCount(chat: ChatSummary, log: readonly Message[], myUserId: string): number {
  const readSeq = chat.members.find((m) => m.userId === myUserId)?.readSeq ?? 0;
  if ((log[0]?.seq ?? 1) > readSeq + 1) return chat.unread;
  return log.filter((m) => {
    const d = (m as StoredMessage).decoded;
    return m.seq > readSeq && m.senderUserId !== myUserId && d?.kind === 'content' && d.content.kind === 'text';
  }).length;
}
