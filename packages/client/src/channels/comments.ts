import type { TimelineItem } from '../timeline.ts';

/**
 * R114: comments on channel posts, counted on this device from the discussion chat's timeline: a
 * comment is a thread reply (R89) whose root names the post (a public channel's post id, or a private
 * channel's message id). The server never learns which post a comment is on, nor how many there are.
 */
export function commentsOn(items: readonly TimelineItem[], postId: string): TimelineItem[] {
  return items.filter((i) => i.threadRoot === postId && !i.deleted && !i.system && !i.notice);
}

/** R114: "N comments" for each post id (0 for none). */
export function commentCounts(items: readonly TimelineItem[], postIds: readonly string[]): Map<string, number> {
  const counts = new Map(postIds.map((id) => [id, 0]));
  for (const i of items) {
    if (i.threadRoot === undefined || i.deleted || i.system || i.notice) continue;
    const n = counts.get(i.threadRoot);
    if (n !== undefined) counts.set(i.threadRoot, n + 1);
  }
  return counts;
}
