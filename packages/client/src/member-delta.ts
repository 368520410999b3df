import type { ChatSummary, ServerFrame } from '@parley/protocol';

type MembersFrame = Extract<ServerFrame, { type: 'members' }>;

/**
 * R117: a large group's joins and leaves come as `members` frames (who joined, who left) rather than
 * a whole summary. This turns one into the `chat` frame the client would have had, built from the
 * summary it holds: O(members) in memory, no request, nothing per member over the network. A frame
 * for a chat the client does not hold yet passes through unchanged (its summary comes with the list).
 */
export function withMemberDelta(frame: ServerFrame, chats: ReadonlyMap<string, ChatSummary>): ServerFrame {
  if (frame.type !== 'members') return frame;
  const chat = chats.get(frame.chatId);
  return chat ? { type: 'chat', chat: applyMemberDelta(chat, frame) } : frame;
}

/**
 * A new summary: `removed` and re-added members out, `added` in (in the order they came), lastSeq
 * forward only; someone asked to join (R44) who is now a member is no longer listed as asked.
 */
export function applyMemberDelta(chat: ChatSummary, delta: Pick<MembersFrame, 'added' | 'removed' | 'lastSeq'>): ChatSummary {
  const out = new Set([...delta.removed, ...delta.added.map((m) => m.userId)]);
  const { requested, ...rest } = chat;
  const stillAsked = requested?.filter((r) => !out.has(r.userId));
  return {
    ...rest,
    ...(stillAsked && stillAsked.length > 0 ? { requested: stillAsked } : {}),
    members: [...chat.members.filter((m) => !out.has(m.userId)).map((m) => ({ ...m })), ...delta.added],
    lastSeq: Math.max(chat.lastSeq, delta.lastSeq),
  };
}
