import { Fragment, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { mainFlow, type ChatView, type ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { MessageBubble, type MessageActions } from './message.tsx';
import { systemText } from './system-text.ts';
import { uploadOf } from '../files/sdk.ts';
import { useUploads } from '../files/upload-bar.tsx';

const NEAR_TOP_PX = 150;
const NEAR_BOTTOM_PX = 60;

/**
 * The chat's messages grouped by day. Stays pinned to the bottom while the reader is there,
 * loads older pages when scrolled near the top and keeps the reading position while they arrive.
 */
export function Timeline({ client, chat, actions }: { client: ParleyClient; chat: ChatView; actions: MessageActions }) {
  const { t, fmt } = useI18n();
  const chatId = chat.chatId;
  const all = mainFlow(client.timeline(chatId)); // R89: thread replies live in their thread
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
  const hasOlder = client.hasOlder(chatId);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
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
  };

  let lastDay = -1;
  return (
    // Not a live region (NewMessageAnnouncer reads new messages; older pages loading would be read too).
    // Focusable, so the keyboard can scroll it.
    <div className="timeline" ref={scroller} onScroll={onScroll} role="region" aria-label={t('messages')} tabIndex={0} data-testid="timeline">
      {hasOlder && (
        <button type="button" className="load-older" onClick={() => { triedFor.current = ''; loadOlder(); }} disabled={loading}>
          {loading ? t('loading') : t('loadOlder')}
        </button>
      )}
      {items.map((item, i) => {
        const dayKey = fmt.dayKey(item.sentAt);
        const dayHeader = dayKey !== lastDay ? <div className="day" role="separator">{fmt.day(item.sentAt)}</div> : null;
        lastDay = dayKey;
        const prev = items[i - 1];
        return (
          <Fragment key={item.id}>
            {dayHeader}
            {beforeJoin.has(item.id)
              ? <div className="system muted" data-testid="before-join" title={t('unreadable_before_join')}>{t('beforeJoinRun', { count: beforeJoin.get(item.id) ?? 1 })}</div>
              : item.system || item.notice || item.call
              ? <div className="system" data-testid="system">{systemText(t, item, chat.members, client.userId, chat.noteToSelf)}</div>
              : <MessageBubble client={client} item={item} upload={uploads.get(item.id) ?? uploadOf(item)} members={chat.members} myUserId={client.userId} actions={actions} mayPin={mayPin}
                  showSender={chat.kind === 'group' && (!!dayHeader || prev?.senderUserId !== item.senderUserId || !!prev?.system || !!prev?.notice || !!prev?.call)} />}
          </Fragment>
        );
      })}
    </div>
  );
}
