import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { mainFlow, type ChatView, type ParleyClient, type TimelineItem } from '@parley/client';
import type { UploadProgress } from '../files/sdk.ts';
import { useI18n } from '../i18n/index.ts';
import { MessageBubble, type MessageActions } from './message.tsx';
import { systemText } from './system-text.ts';
import { uploadOf } from '../files/sdk.ts';
import { useUploads } from '../files/upload-bar.tsx';
import { jumpToMessage, useTimelineWindow } from './timeline-window.ts';

const NEAR_TOP_PX = 150;
const NEAR_BOTTOM_PX = 60;

/**
 * The chat's messages grouped by day. Stays pinned to the bottom while the reader is there,
 * loads older pages when scrolled near the top and keeps the reading position while they arrive.
 * Only the rows near the visible part are drawn (issue 12: a chat of thousands of messages costs
 * what a screenful does; `timeline-window.ts`).
 */
export function Timeline({ client, chat, actions }: { client: ParleyClient; chat: ChatView; actions: MessageActions }) {
  const { t, fmt } = useI18n();
  const chatId = chat.chatId;
  const folded = client.timeline(chatId); // the SDK's cached array: the same one until something changes
  const { items, beforeJoin, ids } = useMemo(() => {
    const all = mainFlow(folded); // R89: thread replies live in their thread
    // Messages sent before this device joined can't be read here: one line for each run of them, not a bubble each.
    const beforeJoin = new Map<string, number>();
    const items = all.filter((item, i) => {
      if (item.unreadableReason !== 'before_join') return true;
      const prev = all[i - 1];
      if (prev?.unreadableReason === 'before_join') {
        const first = [...beforeJoin.keys()].at(-1);
        if (first !== undefined) beforeJoin.set(first, (beforeJoin.get(first) ?? 1) + 1);
        return false;
      }
      beforeJoin.set(item.id, 1);
      return true;
    });
    return { items, beforeJoin, ids: items.map((i) => i.id) };
  }, [folded]);
  const hasOlder = client.hasOlder(chatId);
  const scroller = useRef<HTMLDivElement>(null);
  const { range, atBottom, onScroll: moveWindow } = useTimelineWindow(scroller, ids);
  // Opening a chat with unread: a line above the first unread message, scrolled to (read before this device marks it read).
  const [unread] = useState(() => ({ count: chat.unread, readSeq: chat.members.find((m) => m.userId === client.userId)?.readSeq ?? 0 }));
  const firstUnread = unread.count > 0 ? items.find((i) => (i.seq ?? 0) > unread.readSeq && !i.mine && !i.system && !i.notice)?.id : undefined;
  const jumped = useRef(false);
  useLayoutEffect(() => {
    if (firstUnread === undefined || jumped.current) return;
    jumped.current = true;
    atBottom.current = false;
    jumpToMessage(firstUnread);
  }, [firstUnread]);
  const [topDay, setTopDay] = useState('');
  const keepFromBottom = useRef<number | null>(null);
  const triedFor = useRef('');
  const [loading, setLoading] = useState(false);
  const firstId = items[0]?.id ?? '';
  const last = items.at(-1);
  const mayPin = client.mayPin(chatId);
  const uploads = useUploads(client);

  const loadOlder = useCallback(() => {
    const el = scroller.current;
    // One attempt per (oldest message, connection state): no request loop while offline.
    const attempt = `${firstId}:${client.connectionState}`;
    if (!el || loading || !client.hasOlder(chatId) || triedFor.current === attempt) return;
    triedFor.current = attempt;
    keepFromBottom.current = el.scrollHeight - el.scrollTop;
    setLoading(true);
    client.loadOlder(chatId).catch((err: unknown) => console.warn('parley: loading older messages failed', err)).finally(() => setLoading(false));
  }, [client, chatId, firstId, loading]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (keepFromBottom.current !== null && el.scrollHeight - keepFromBottom.current > 0) {
      el.scrollTop = el.scrollHeight - keepFromBottom.current;
      if (!loading) keepFromBottom.current = null;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [items, loading]);

  // What I just sent scrolls into view even when I was reading further up.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && last?.mine && last.state === 'sending') {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
    }
  }, [last?.id, last?.mine, last?.state]);

  // A short chat that does not fill the screen cannot be scrolled: fetch more right away.
  useEffect(() => {
    const el = scroller.current;
    if (el && hasOlder && el.scrollHeight <= el.clientHeight + NEAR_TOP_PX) loadOlder();
  }, [hasOlder, loadOlder, items.length]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    if (el.scrollTop < NEAR_TOP_PX) loadOlder();
    moveWindow();
    readTopDay();
  };
  // The day of the top row in view floats over the list (its own day line scrolls away with it);
  // read again after each draw too, as a scroll into undrawn rows draws them only afterwards.
  const readTopDay = () => {
    const el = scroller.current;
    let day = '';
    if (el && el.scrollTop > 8) {
      for (const row of el.querySelectorAll<HTMLElement>(':scope > [data-vid]')) {
        if (row.offsetTop + row.offsetHeight <= el.scrollTop) continue;
        const at = ids.indexOf(row.dataset['vid'] ?? '');
        if (at >= 0) day = fmt.day(items[at]?.sentAt ?? 0);
        break;
      }
    }
    setTopDay(day);
  };
  useLayoutEffect(readTopDay);

  // Day headers and sender names depend on the row before, drawn or not.
  let lastDay = range.start > 0 ? fmt.dayKey(items[range.start - 1]?.sentAt ?? 0) : -1;
  return (
    // Not a live region (NewMessageAnnouncer reads new messages; older pages loading would be read too).
    // Focusable, so the keyboard can scroll it.
    <div className="timeline" ref={scroller} onScroll={onScroll} role="region" aria-label={t('messages')} tabIndex={0} data-testid="timeline">
      <div className="day-float" aria-hidden="true" data-testid="day-float">{topDay && <span className="day">{topDay}</span>}</div>
      {hasOlder && (
        <button type="button" className="load-older" onClick={() => { triedFor.current = ''; loadOlder(); }} disabled={loading}>
          {loading ? t('loading') : t('loadOlder')}
        </button>
      )}
      {range.before > 0 && <div className="timeline-spacer" style={{ height: range.before - 4 }} aria-hidden="true" />}
      {items.slice(range.start, range.end).map((item, j) => {
        const i = range.start + j;
        const dayKey = fmt.dayKey(item.sentAt);
        const day = dayKey !== lastDay ? fmt.day(item.sentAt) : null;
        lastDay = dayKey;
        const prev = items[i - 1];
        return (
          <TimelineRow key={item.id} client={client} chat={chat} item={item} day={day} newLine={item.id === firstUnread ? t('newMessagesLine', { count: unread.count }) : undefined} beforeJoin={beforeJoin.get(item.id)} actions={actions} mayPin={mayPin}
            upload={uploads.get(item.id) ?? uploadOf(item)}
            showSender={chat.kind === 'group' && (day !== null || prev?.senderUserId !== item.senderUserId || !!prev?.system || !!prev?.notice || !!prev?.call)} />
        );
      })}
      {range.after > 0 && <div className="timeline-spacer" style={{ height: range.after - 4 }} aria-hidden="true" />}
    </div>
  );
}

/** One row: its day header (when the day changes) and the message or line. Memoized: scrolling redraws only the rows entering the window. */
const TimelineRow = memo(function TimelineRow({ client, chat, item, day, newLine, beforeJoin, showSender, upload, actions, mayPin }: {
  client: ParleyClient; chat: ChatView; item: TimelineItem; day: string | null; newLine: string | undefined; beforeJoin: number | undefined; showSender: boolean;
  upload: UploadProgress | undefined; actions: MessageActions; mayPin: boolean;
}) {
  const { t } = useI18n();
  return (
    <div className="timeline-row" data-vid={item.id}>
      {day !== null && <div className="day" role="separator">{day}</div>}
      {newLine !== undefined && <div className="new-line" role="separator" data-testid="unread-line">{newLine}</div>}
      {beforeJoin !== undefined
        ? <div className="system muted" data-testid="before-join" title={t('unreadable_before_join')}>{t('beforeJoinRun', { count: beforeJoin })}</div>
        : item.system || item.notice || item.call
        ? <div className="system" data-testid="system">{systemText(t, item, chat.members, client.userId, chat.noteToSelf)}</div>
        : <MessageBubble client={client} item={item} upload={upload} members={chat.members} myUserId={client.userId} actions={actions} mayPin={mayPin} showSender={showSender} />}
    </div>
  );
});
