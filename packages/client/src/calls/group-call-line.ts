import type { CallContent } from '@parley/protocol';
import type { TimelineItem } from '../timeline.ts';

/**
 * R63: a group call's line in the chat (at the first join while nobody was in the call): who is in
 * it now (by person and the publisher id their device joined the SFU room with, R62), when it
 * started, and once the last one left, how long it ran.
 */
export interface GroupCallLine {
  participants: GroupCallMember[];
  startedAt: number;
  endedAt?: number;
}

export interface GroupCallMember {
  userId: string;
  feedId: number;
  /** The join entry's id (one per join of a device). */
  joinId: string;
  since: number;
}

/**
 * A join with no leave for this long counts as gone (its device crashed or lost the chat): the
 * line closes without it. Longer than any SFU token lives (R62: at most two TTLs of at most a day).
 */
export const GROUP_CALL_STALE_MS = 6 * 60 * 60 * 1000;

/** Key of the open group call line in the fold's map of call lines. */
const OPEN = 'group:open';

/** Folds one `group_join` / `group_leave` entry into the chat's open group call line (a new one if none). */
export function foldGroupCall(
  lines: Map<string, TimelineItem>, senderUserId: string, content: CallContent,
  add: (item: TimelineItem) => void, base: Omit<TimelineItem, 'text' | 'edited' | 'deleted' | 'reactions'>,
): void {
  if (content.feedId === undefined) return;
  let line = lines.get(OPEN);
  const group = line?.call?.group;
  if (line && group) {
    // Joins gone stale by this entry's time are dropped; a line left empty by them ended then.
    group.participants = group.participants.filter((p) => base.sentAt - p.since < GROUP_CALL_STALE_MS);
    if (group.participants.length === 0) {
      close(line, base.sentAt);
      lines.delete(OPEN);
      line = undefined;
    }
  }
  if (content.action === 'group_leave') {
    const open = line?.call?.group;
    if (!line || !open) return;
    open.participants = open.participants.filter((p) => !(p.joinId === content.callId && p.userId === senderUserId));
    if (open.participants.length === 0) {
      close(line, base.sentAt);
      lines.delete(OPEN);
    }
    return;
  }
  const member: GroupCallMember = { userId: senderUserId, feedId: content.feedId, joinId: content.callId, since: base.sentAt };
  if (line?.call?.group) {
    line.call.group.participants = [...line.call.group.participants.filter((p) => p.joinId !== content.callId), member];
    return;
  }
  const item: TimelineItem = {
    ...base, text: '', edited: false, deleted: false, reactions: [],
    call: { callId: content.callId, media: content.media ?? 'video', outcome: 'answered', answeredAt: base.sentAt, group: { participants: [member], startedAt: base.sentAt } },
  };
  lines.set(OPEN, item);
  add(item);
}

/** The chat's group call in progress at `now`, if any: its line (participants whose join went stale left out). */
export function groupCallInProgress(items: readonly TimelineItem[], now: number): TimelineItem | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const group = items[i]?.call?.group;
    if (!group) continue;
    if (group.endedAt !== undefined) return undefined;
    const fresh = group.participants.filter((p) => now - p.since < GROUP_CALL_STALE_MS);
    return fresh.length > 0 ? items[i] : undefined;
  }
  return undefined;
}

/** A member left or was removed from the chat: the server dropped their devices from the call (R62). */
export function groupMemberGone(lines: Map<string, TimelineItem>, userId: string, at: number): void {
  const line = lines.get(OPEN);
  const group = line?.call?.group;
  if (!line || !group) return;
  group.participants = group.participants.filter((p) => p.userId !== userId);
  if (group.participants.length === 0) {
    close(line, at);
    lines.delete(OPEN);
  }
}

function close(line: TimelineItem, at: number): void {
  const call = line.call;
  if (!call?.group) return;
  call.outcome = 'ended';
  call.group.endedAt = at;
  call.durationMs = Math.max(0, at - call.group.startedAt);
}
