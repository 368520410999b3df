import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { ParleyClient, TimelineItem } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { Avatar } from './avatar.tsx';
import { MessageBubble } from './message.tsx';
import { systemText } from './system-text.ts';

export function ChatView({ client, chatId }: { client: ParleyClient; chatId: string }) {
  const { t, locale } = useI18n();
  const chat = client.chat(chatId);
  const items = client.timeline(chatId);
  const [draft, setDraft] = useState('');
  const [replyTo, setReplyTo] = useState<TimelineItem | undefined>();
  const [editing, setEditing] = useState<TimelineItem | undefined>();
  const scroller = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const lastId = items.at(-1)?.id;

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lastId, chatId]);

  useEffect(() => {
    if (document.visibilityState === 'visible') client.markRead(chatId);
  }, [client, chatId, lastId]);

  useEffect(() => {
    const onVisible = () => document.visibilityState === 'visible' && client.markRead(chatId);
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [client, chatId]);

  if (!chat) return <section className="chat-view empty-state"><p>{t('noChats')}</p></section>;

  const submit = async () => {
    const text = draft.trim();
    if (!text) return;
    setDraft('');
    if (editing) {
      await client.edit(chatId, editing.id, text);
      setEditing(undefined);
    } else {
      await client.sendText(chatId, text, replyTo ? { replyTo: replyTo.id } : {});
      setReplyTo(undefined);
    }
    input.current?.focus();
  };

  const typingNames = chat.typing.map((id) => chat.members.find((m) => m.userId === id)?.displayName).filter(Boolean);
  const dayFormat = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', year: 'numeric' });
  let lastDay = '';

  return (
    <section className="chat-view" aria-label={chat.title}>
      <header className="chat-header">
        <button className="icon back" aria-label={t('back')} onClick={() => go('/')}>←</button>
        <Avatar name={chat.title} color={chat.color} size={36} />
        <div className="chat-header-text">
          <h2>{chat.title}</h2>
          <span className="muted small">
            {typingNames.length > 0 ? t('typing', { name: typingNames.join(', ') })
              : chat.kind === 'group' ? `${chat.members.length} · ${t('members').toLowerCase()}` : `@${chat.members.find((m) => m.userId !== client.userId)?.handle ?? ''}`}
          </span>
        </div>
        {chat.kind === 'group' && <button className="icon" aria-label={t('groupInfo')} title={t('groupInfo')} onClick={() => go(`/info/${chatId}`)}>ⓘ</button>}
      </header>
      <div className="timeline" ref={scroller}>
        {client.hasOlder(chatId) && <button className="load-older" onClick={() => void client.loadOlder(chatId)}>{t('loadOlder')}</button>}
        {items.map((item, i) => {
          const day = dayFormat.format(item.sentAt);
          const dayHeader = day !== lastDay ? <div className="day" key={`day-${day}`}>{day}</div> : null;
          lastDay = day;
          if (item.system) {
            return [dayHeader, <div className="system" key={item.id}>{systemText(t, item, chat.members, client.userId)}</div>];
          }
          const prev = items[i - 1];
          return [dayHeader, (
            <MessageBubble
              key={item.id}
              item={item}
              members={chat.members}
              myUserId={client.userId}
              showSender={chat.kind === 'group' && (prev?.senderUserId !== item.senderUserId || !!prev?.system)}
              actions={{
                onReply: (it) => { setEditing(undefined); setReplyTo(it); input.current?.focus(); },
                onEdit: (it) => { setReplyTo(undefined); setEditing(it); setDraft(it.text); input.current?.focus(); },
                onDelete: (it) => void client.deleteMessage(chatId, it.id),
                onReact: (it, emoji, on) => void client.react(chatId, it.id, emoji, on),
              }}
            />
          )];
        })}
      </div>
      {(replyTo || editing) && (
        <div className="composer-context">
          <span>{editing ? t('editing') : t('replyingTo', { name: chat.members.find((m) => m.userId === replyTo?.senderUserId)?.displayName ?? '' })}: <em>{(editing ?? replyTo)?.text.slice(0, 80)}</em></span>
          <button className="icon small" aria-label={t('cancel')} onClick={() => { setReplyTo(undefined); setEditing(undefined); setDraft(''); }}>✕</button>
        </div>
      )}
      <form className="composer" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <textarea
          ref={input}
          rows={1}
          value={draft}
          placeholder={t('typeMessage')}
          aria-label={t('typeMessage')}
          onChange={(e) => { setDraft(e.target.value); client.typing(chatId); }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); void submit(); }
            if (e.key === 'Escape') { setReplyTo(undefined); setEditing(undefined); }
          }}
        />
        <button type="submit" className="send" aria-label={t('send')} disabled={!draft.trim()}>➤</button>
      </form>
    </section>
  );
}
