import { useEffect, useRef, useState, type ReactNode } from 'react';
import { commentsOn, parseMarkdown, threadItems, type ChatView, type ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { Icon } from './icons.tsx';
import { MessageBubble, type MessageActions } from './message.tsx';
import { forwardNameOn } from './forward-privacy.ts';
import { files as filesOf, uploadOf } from '../files/sdk.ts';
import { AttachTrayView, useAttachTray } from '../files/attach-tray.tsx';
import { ErrorLine } from './error-line.tsx';
import type { ComposerMode } from './composer.tsx';
import { textOrFiles } from '../files/summary.ts';

/**
 * R89: a message's thread beside the chat (over it on a phone): the message, its replies, and a box
 * that replies in the thread, with files too (picker or paste); Reply and Edit on a message here work
 * in this box (a reply to a reply stays in the thread). Replies here stay out of the chat's
 * flow; the message shows "N replies" and, in threads the person is in, "N new" until shown here.
 * With `root` the thread's root lives elsewhere (R114: a channel post, its comments here): that is shown
 * first and the panel is titled `title`.
 */
export function ThreadPanel({ client, chat, rootId, actions, onClose, root, rootQuote, title, onSent }: {
  client: ParleyClient; chat: ChatView; rootId: string; actions: MessageActions; onClose: () => void; root?: ReactNode; title?: string;
  /** R114: the root's text (a channel post): each comment carries a short quote of it, so the discussion chat names the post. */
  rootQuote?: string;
  /** R177: a reply (a wrapped post's comment) was sent with this message id. */
  onSent?: (messageId: string) => void;
}) {
  const { t } = useI18n();
  const [error, setError] = useState<unknown>();
  const [text, setText] = useState('');
  const [mode, setMode] = useState<ComposerMode>({ kind: 'new' });
  const box = useRef<HTMLTextAreaElement>(null);
  const list = useRef<HTMLDivElement>(null);
  // R114: a root held elsewhere: its replies name it (`threadRoot`) though this chat has no such message.
  const items = root ? commentsOn(client.timeline(chat.chatId), rootId) : threadItems(client.timeline(chat.chatId), rootId);
  const mayPin = client.mayPin(chat.chatId);
  const tray = useAttachTray();
  const picker = useRef<HTMLInputElement>(null);
  const lastSeq = items.reduce((max, i) => Math.max(max, i.seq ?? 0), 0);
  useEffect(() => { box.current?.focus(); }, [rootId]);
  useEffect(() => { const el = list.current; if (el) el.scrollTop = el.scrollHeight; }, [items.length]);
  // Shown here: the thread's replies up to the latest are no longer new (R89).
  useEffect(() => { if (lastSeq > 0) void client.threads.see(chat.chatId, rootId, lastSeq); }, [client, chat.chatId, rootId, lastSeq]);
  const withFiles = mode.kind !== 'edit' && tray.entries.length > 0;
  const canSend = withFiles ? tray.ready : !!text.trim();
  const failed = (what: string) => (err: unknown) => { console.warn(`parley: ${what} failed`, err); setError(err); };
  const send = () => {
    setError(undefined);
    const message = parseMarkdown(text);
    if (mode.kind === 'edit') {
      if (!message.text.trim()) return;
      client.edit(chat.chatId, mode.item.id, message.text, { entities: message.entities }).catch(failed('thread edit'));
      setMode({ kind: 'new' });
      setText('');
      return;
    }
    const opts = { entities: message.entities, thread: rootId, noForwardName: !forwardNameOn(), ...(mode.kind === 'reply' ? { replyTo: mode.item.id } : {}) };
    setMode({ kind: 'new' });
    if (withFiles) {
      if (!tray.ready) return;
      filesOf(client).sendFiles(chat.chatId, tray.prepared(), { ...opts, text: message.text }).then(onSent).catch(failed('thread files'));
      tray.clear();
    } else {
      if (!message.text.trim()) return;
      client.sendText(chat.chatId, message.text, { ...opts, ...(root && rootQuote ? { threadQuote: rootQuote } : {}) }).then(onSent).catch(failed('thread reply'));
    }
    setText('');
  };
  const { onOpenThread: _inside, ...given } = actions;
  const inThread: MessageActions = {
    ...given,
    onReply: (item) => { setMode({ kind: 'reply', item }); box.current?.focus(); },
    onEdit: (item) => { setMode({ kind: 'edit', item }); setText(item.text); box.current?.focus(); },
  };
  const target = mode.kind === 'new' ? undefined : mode.item;
  return (
    <aside className="thread-panel" aria-labelledby="thread-title" data-testid="thread-panel"
      onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); onClose(); } }}>
      <header className="thread-header">
        <h3 id="thread-title">{title ?? t('thread')}</h3>
        {!root && <span className="muted small">{t('threadReplies', { count: Math.max(0, items.length - 1) })}</span>}
        <button type="button" className="icon small" aria-label={t('close')} title={t('close')} onClick={onClose}><Icon name="close" size={16} /></button>
      </header>
      <div className="thread-items" ref={list} role="region" aria-label={t('thread')} tabIndex={0}>
        {root && <div className="thread-root">{root}</div>}
        {items.length === 0 && !root && <p className="muted small">{t('deleted')}</p>}
        {items.map((item, i) => (
          <div key={item.id} className={i === 0 ? 'thread-root' : undefined}>
            <MessageBubble client={client} item={item} upload={uploadOf(item)} members={chat.members} myUserId={client.userId} actions={inThread} mayPin={mayPin} showSender />
          </div>
        ))}
      </div>
      <ErrorLine error={error} />
      {target && (
        <div className="composer-context" data-testid="thread-context">
          <span className="grow ellipsis">
            <strong>{mode.kind === 'edit' ? t('editing') : t('replyingTo', { name: chat.members.find((m) => m.userId === target.senderUserId)?.displayName ?? '' })}</strong>
            {' '}<span className="muted">{textOrFiles(t, target).slice(0, 120)}</span>
          </span>
          <button type="button" className="icon small" aria-label={t('cancel')} title={t('cancel')}
            onClick={() => { if (mode.kind === 'edit') setText(''); setMode({ kind: 'new' }); }}><Icon name="close" size={16} /></button>
        </div>
      )}
      {mode.kind !== 'edit' && <AttachTrayView tray={tray} />}
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
        <button type="submit" className="send" aria-label={mode.kind === 'edit' ? t('save') : t('send')} title={mode.kind === 'edit' ? t('save') : t('send')} disabled={!canSend} data-testid="thread-send">
          <Icon name={mode.kind === 'edit' ? 'check' : 'send'} />
        </button>
      </form>
    </aside>
  );
}
