import { textOrFiles } from '../files/summary.ts';
import { useEffect, useRef, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { chatTitle } from './system-text.ts';

/**
 * Tells a screen reader about each new message from someone else, in any chat, in one polite live
 * region that is always in the page (a region added together with its text is often not read).
 * The timeline itself is no live region: loading older pages would be read out too.
 */
export function NewMessageAnnouncer({ client, openChatId }: { client: ParleyClient; openChatId: string | undefined }) {
  const { t } = useI18n();
  const lastSeen = useRef<Map<string, string> | undefined>(undefined);
  const [text, setText] = useState('');
  const chats = client.chats();
  const key = chats.map((c) => `${c.chatId}:${c.lastItem?.id ?? ''}`).join(',');
  useEffect(() => {
    const first = lastSeen.current === undefined;
    const before = lastSeen.current ?? new Map<string, string>();
    const now = new Map<string, string>();
    const news: string[] = [];
    for (const chat of chats) {
      const last = chat.lastItem;
      if (!last) continue;
      now.set(chat.chatId, last.id);
      if (first || before.get(chat.chatId) === last.id || last.mine || last.system || last.notice || last.deleted) continue;
      const name = chat.members.find((m) => m.userId === last.senderUserId)?.displayName ?? '…';
      const body = last.unreadable ? t(`preview_${last.unreadableReason ?? 'unknown_format'}`) : textOrFiles(t, last).slice(0, 200);
      news.push(chat.chatId === openChatId || chat.kind === 'direct'
        ? t('newMessageFrom', { name, text: body })
        : t('newMessageIn', { name, chat: chatTitle(t, chat), text: body }));
    }
    lastSeen.current = now;
    if (news.length > 0) setText(news.join('\n'));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for the chats' last items
  }, [key]);
  return <div className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">{text}</div>;
}
