import { useCallback, useLayoutEffect, useRef, useState, type RefObject } from 'react';

/** A row not yet drawn is assumed this tall (px, a one-line bubble and the gap after it). */
export const ESTIMATE_PX = 56;
/** Rows drawn beyond each edge of the visible part (px), so a fast scroll rarely shows blank space. */
export const OVERSCAN_PX = 800;
/**
 * Up to this many rows the whole list is drawn: windowing pays off in long chats, and a short one
 * keeps every message in the page (the browser's find, a screen reader's reading order).
 */
export const WINDOW_FROM_ROWS = 200;
/** The timeline's flex gap between rows (px, styles.css `.timeline`). */
const GAP_PX = 4;

export interface WindowRange { start: number; end: number; before: number; after: number }

/**
 * Which rows of `heights` to draw for a scroll box showing [top, top + viewport): the rows crossing
 * that span widened by `overscan` px each side, and the px of the rows left out above and below
 * (drawn as spacers). O(rows): a few thousand additions per scroll step.
 */
export function windowRange(heights: readonly number[], top: number, viewport: number, overscan = OVERSCAN_PX): WindowRange {
  const from = top - overscan;
  const to = top + viewport + overscan;
  let y = 0;
  let start = heights.length;
  let before = 0;
  for (let i = 0; i < heights.length; i++) {
    const h = heights[i] ?? ESTIMATE_PX;
    if (y + h > from) { start = i; before = y; break; }
    y += h;
  }
  if (start === heights.length) before = y;
  let end = start;
  y = before;
  while (end < heights.length && y < to) { y += heights[end] ?? ESTIMATE_PX; end++; }
  let after = 0;
  for (let i = end; i < heights.length; i++) after += heights[i] ?? ESTIMATE_PX;
  return { start, end, before, after };
}

const sameRange = (a: WindowRange, b: WindowRange) => a.start === b.start && a.end === b.end && a.before === b.before && a.after === b.after;

/** Scrolls to a message of the open chat: the timeline draws it first if it is outside its window. */
const jumpers = new Set<(id: string, focus: boolean) => boolean>();
export function jumpToMessage(id: string, focus = false): void {
  const el = document.getElementById(`msg-${id}`);
  if (el) {
    el.scrollIntoView({ block: 'center', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
    if (focus) el.focus({ preventScroll: true });
    return;
  }
  for (const jump of jumpers) if (jump(id, focus)) return;
}

/**
 * The message list's window (issue 12): only the rows near the visible part are drawn, the rest are
 * two spacers of their measured (or estimated) heights. Each drawn row is measured after it is drawn;
 * a row above the visible part that turns out taller or shorter than assumed moves the scroll
 * position by the difference, so what the reader looks at stays still (the box's `overflow-anchor`
 * is off: this does the browser's scroll anchoring, the same way in every browser).
 * `atBottom` says whether the box is kept at the bottom (a reader at the newest message); the
 * timeline sets it from its scroll events.
 */
export function useTimelineWindow(scroller: RefObject<HTMLDivElement | null>, rowIds: readonly string[]) {
  const atBottom = useRef(true);
  const stick = () => atBottom.current;
  const heights = useRef(new Map<string, number>());
  const idsRef = useRef(rowIds);
  idsRef.current = rowIds;
  // Rows change at their ends (older pages, new messages): that is what moves the window.
  const idsKey = `${rowIds.length}:${rowIds[0] ?? ''}:${rowIds.at(-1) ?? ''}`;
  const pendingJump = useRef<{ id: string; focus: boolean } | null>(null);
  const list = () => idsRef.current.map((id) => heights.current.get(id) ?? ESTIMATE_PX);
  const compute = (el: HTMLDivElement | null): WindowRange => {
    const hs = list();
    if (hs.length <= WINDOW_FROM_ROWS) return { start: 0, end: hs.length, before: 0, after: 0 };
    const viewport = el?.clientHeight || window.innerHeight;
    const total = hs.reduce((a, b) => a + b, 0);
    const top = !el || stick() ? Math.max(0, total - viewport) : el.scrollTop;
    return windowRange(hs, top, viewport);
  };
  const [range, setRange] = useState<WindowRange>(() => compute(null));
  const update = useCallback(() => {
    const next = compute(scroller.current);
    setRange((prev) => (sameRange(prev, next) ? prev : next));
  }, [idsKey]); // eslint-disable-line react-hooks/exhaustive-deps
  // A scroll redraws only when the view comes within half the overscan of the drawn rows' edge, so
  // rows are added a batch every few frames rather than one each frame.
  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    const drawnBottom = el.scrollHeight - range.after;
    const covered = el.scrollTop - OVERSCAN_PX / 2 >= range.before || range.start === 0;
    const coveredBelow = el.scrollTop + el.clientHeight + OVERSCAN_PX / 2 <= drawnBottom || range.after === 0;
    if (!covered || !coveredBelow) update();
  }, [range, update]); // eslint-disable-line react-hooks/exhaustive-deps

  // After each draw: measure the rows drawn, keep the reading position, and widen the window if
  // the measured heights changed what is in view (this converges: heights only get known).
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    let shift = 0;
    let changed = false;
    for (const row of el.querySelectorAll<HTMLElement>(':scope > [data-vid]')) {
      const id = row.dataset['vid'] ?? '';
      const h = row.offsetHeight + GAP_PX;
      const was = heights.current.get(id) ?? ESTIMATE_PX;
      if (h === was && heights.current.has(id)) continue;
      heights.current.set(id, h);
      changed = true;
      if (row.offsetTop < el.scrollTop) shift += h - was;
    }
    if (stick()) el.scrollTop = el.scrollHeight;
    else if (shift !== 0) el.scrollTop += shift;
    const jump = pendingJump.current;
    const target = jump && document.getElementById(`msg-${jump.id}`);
    if (jump && target) {
      pendingJump.current = null;
      target.scrollIntoView({ block: 'center' });
      if (jump.focus) target.focus({ preventScroll: true });
    }
    if (changed || target) update();
  });

  // A message outside the window: scroll to where it would be, draw it there, then center it.
  useLayoutEffect(() => {
    const jump = (id: string, focus: boolean) => {
      const at = idsRef.current.indexOf(id);
      const el = scroller.current;
      if (at < 0 || !el) return false;
      const y = list().slice(0, at).reduce((a, b) => a + b, 0);
      pendingJump.current = { id, focus };
      atBottom.current = false;
      el.scrollTop = Math.max(0, y - el.clientHeight / 2);
      update();
      return true;
    };
    jumpers.add(jump);
    return () => { jumpers.delete(jump); };
  }, [update]); // eslint-disable-line react-hooks/exhaustive-deps

  // The rows changed (a page of older ones, a new one): their window follows.
  useLayoutEffect(() => { update(); }, [update]);

  return { range, atBottom, onScroll };
}
