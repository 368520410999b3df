import { memberDigest, type ChatSummary, type ServerFrame } from '@parley/protocol';

type MembersFrame = Extract<ServerFrame, { type: 'members' }>;

/**
 * R117: a large group's joins and leaves come as `members` frames (who joined, who left) rather than
 * a whole summary. This turns one into the `chat` frame the client would have had, built from the
 * summary it holds: O(members) in memory, no request, nothing per member over the network. A frame
 * for a chat the client does not hold yet passes through unchanged (its summary comes with the list).
 * R131: when the patched list's digest is not the frame's, a frame was missed (one the server could
 * not send, a lost one): `reread(chatId)` reads the whole chat again, now, not at the next sign-in.
 * R137: a frame that adds and removes no one (the digest repeated after a burst) is only checked.
 */
export function withMemberDelta(frame: ServerFrame, chats: ReadonlyMap<string, ChatSummary>, reread?: (chatId: string) => void): ServerFrame {
  if (frame.type !== 'members') return frame;
  const chat = chats.get(frame.chatId);
  if (!chat) return frame;
  if (frame.added.length === 0 && frame.removed.length === 0) {
    // R137: the digest again after a burst, nothing changed: only the check (the frame goes on as is and is ignored).
    if (frame.digest !== undefined && memberDigest(chat.members.map((m) => m.userId)) !== frame.digest) reread?.(frame.chatId);
    return frame;
  }
  const next = applyMemberDelta(chat, frame);
  if (frame.digest !== undefined && memberDigest(next.members.map((m) => m.userId)) !== frame.digest) reread?.(frame.chatId);
  return { type: 'chat', chat: next };
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
