import { useEffect, useRef, useState } from 'react';
import { parseMarkdown, threadItems, type ChatView, type ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { Icon } from './icons.tsx';
import { MessageBubble, type MessageActions } from './message.tsx';
import { forwardNameOn } from './forward-privacy.ts';
import { files as filesOf, uploadOf } from '../files/sdk.ts';
import { AttachTrayView, useAttachTray } from '../files/attach-tray.tsx';

/**
 * R89: a message's thread beside the chat (over it on a phone): the message, its replies, and a box
 * that replies in the thread, with files too (picker or paste). Replies here stay out of the chat's
 * flow; the message shows "N replies" and, in threads the person is in, "N new" until shown here.
 */
export function ThreadPanel({ client, chat, rootId, actions, onClose }: { client: ParleyClient; chat: ChatView; rootId: string; actions: MessageActions; onClose: () => void }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const box = useRef<HTMLTextAreaElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const items = threadItems(client.timeline(chat.chatId), rootId);
  const mayPin = client.mayPin(chat.chatId);
  const tray = useAttachTray();
  const picker = useRef<HTMLInputElement>(null);
  const lastSeq = items.reduce((max, i) => Math.max(max, i.seq ?? 0), 0);
  useEffect(() => { box.current?.focus(); }, [rootId]);
  useEffect(() => { const el = list.current; if (el) el.scrollTop = el.scrollHeight; }, [items.length]);
  // Shown here: the thread's replies up to the latest are no longer new (R89).
  useEffect(() => { if (lastSeq > 0) void client.threads.see(chat.chatId, rootId, lastSeq); }, [client, chat.chatId, rootId, lastSeq]);
  const withFiles = tray.entries.length > 0;
  const canSend = withFiles ? tray.ready : !!text.trim();
  const send = () => {
    const message = parseMarkdown(text);
    const opts = { entities: message.entities, thread: rootId, noForwardName: !forwardNameOn() };
    if (withFiles) {
      if (!tray.ready) return;
      filesOf(client).sendFiles(chat.chatId, tray.prepared(), { ...opts, text: message.text }).catch((err: unknown) => console.warn('parley: thread files failed', err));
      tray.clear();
    } else {
      if (!message.text.trim()) return;
      client.sendText(chat.chatId, message.text, opts).catch((err: unknown) => console.warn('parley: thread reply failed', err));
    }
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
      <AttachTrayView tray={tray} />
      <form className="composer thread-composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
        <button type="button" className="icon" aria-label={t('threadAttach')} title={t('threadAttach')} data-testid="thread-attach" onClick={() => picker.current?.click()}>
          <Icon name="attach" />
        </button>
        <input ref={picker} type="file" multiple hidden data-testid="thread-file-input" tabIndex={-1}
          onChange={(e) => { if (e.target.files) tray.add(e.target.files); e.target.value = ''; }} />
        <textarea ref={box} rows={1} value={text} placeholder={withFiles ? t('addCaption') : t('threadPlaceholder')} aria-label={t('threadPlaceholder')} maxLength={16_000} data-testid="thread-input"
          onChange={(e) => setText(e.target.value)}
          onPaste={(e) => { const pasted = [...e.clipboardData.files]; if (pasted.length > 0) { e.preventDefault(); tray.add(pasted); } }}
          onKeyDown={(e) => { if (e.nativeEvent.isComposing) return; if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); send(); } }} />
        <button type="submit" className="send" aria-label={t('send')} title={t('send')} disabled={!canSend} data-testid="thread-send"><Icon name="send" /></button>
      </form>
    </aside>
  );
}
