import { useEffect, useRef, useState } from 'react';
import { parseMarkdown, threadItems, type ChatView, type ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { Icon } from './icons.tsx';
import { MessageBubble, type MessageActions } from './message.tsx';
import { forwardNameOn } from './forward-privacy.ts';
import { uploadOf } from '../files/sdk.ts';

/**
 * R89: a message's thread beside the chat (over it on a phone): the message, its replies, and a box
 * that replies in the thread. Replies here stay out of the chat's flow; the message shows "N replies".
 */
export function ThreadPanel({ client, chat, rootId, actions, onClose }: { client: ParleyClient; chat: ChatView; rootId: string; actions: MessageActions; onClose: () => void }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const box = useRef<HTMLTextAreaElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const items = threadItems(client.timeline(chat.chatId), rootId);
  const mayPin = client.mayPin(chat.chatId);
  useEffect(() => { box.current?.focus(); }, [rootId]);
  useEffect(() => { const el = list.current; if (el) el.scrollTop = el.scrollHeight; }, [items.length]);
  const send = () => {
    const message = parseMarkdown(text);
    if (!message.text.trim()) return;
    client.sendText(chat.chatId, message.text, { entities: message.entities, thread: rootId, noForwardName: !forwardNameOn() })
      .catch((err: unknown) => console.warn('parley: thread reply failed', err));
    setText('');
  };
  const { onOpenThread: _inside, ...inThread } = actions;
  return (
    <aside className="thread-panel" aria-labelledby="thread-title" data-testid="thread-panel"
      onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); onClose(); } }}>
      <header className="thread-header">
        <h3 id="thread-title">{t('thread')}</h3>
        <span className="muted small">{t('threadReplies', { count: Math.max(0, items.length - 1) })}</span>
        <button type="button" className="icon small" aria-label={t('close')} title={t('close')} onClick={onClose}><Icon name="close" size={16} /></button>
      </header>
      <div className="thread-items" ref={list} role="region" aria-label={t('thread')} tabIndex={0}>
        {items.length === 0 && <p className="muted small">{t('deleted')}</p>}
        {items.map((item, i) => (
          <div key={item.id} className={i === 0 ? 'thread-root' : undefined}>
            <MessageBubble client={client} item={item} upload={uploadOf(item)} members={chat.members} myUserId={client.userId} actions={inThread} mayPin={mayPin} showSender />
          </div>
        ))}
      </div>
      <form className="composer thread-composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
        <textarea ref={box} rows={1} value={text} placeholder={t('threadPlaceholder')} aria-label={t('threadPlaceholder')} maxLength={16_000} data-testid="thread-input"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => { if (e.nativeEvent.isComposing) return; if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); send(); } }} />
        <button type="submit" className="send" aria-label={t('send')} title={t('send')} disabled={!text.trim()}><Icon name="send" /></button>
      </form>
    </aside>
  );
}
