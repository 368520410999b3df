import { textOrFiles } from '../files/summary.ts';
import { useEffect, useRef, useState } from 'react';
import type { ParleyClient, TimelineItem } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { ChatAvatar } from './avatar.tsx';
import { chatTitle } from './system-text.ts';

/**
 * R49: picks the chats to forward a message to (search, several at once). One target opens it
 * afterwards; several keep the reader where they are.
 */
export function ForwardPicker({ client, sourceChatId, item, onClose }: { client: ParleyClient; sourceChatId: string; item: TimelineItem; onClose: () => void }) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  const [query, setQuery] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  const q = query.trim().toLocaleLowerCase();
  const chats = client.chats().filter((c) => c.encryption !== 'removed' && chatTitle(t, c).toLocaleLowerCase().includes(q));
  const toggle = (chatId: string, on: boolean) => setPicked((p) => on ? [...p, chatId] : p.filter((id) => id !== chatId));
  const send = async () => {
    setBusy(true);
    try {
      await client.forward(picked, sourceChatId, item.id);
      ref.current?.close();
      if (picked.length === 1 && picked[0] !== sourceChatId) go(`/chat/${picked[0]}`);
    } catch (err) {
      console.warn('parley: forward failed', err);
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} className="forward-picker" aria-labelledby="forward-title" onClose={onClose} data-testid="forward-picker">
      <h2 id="forward-title">{t('forwardTitle')}</h2>
      <p className="forward-quote muted small">{(() => { const text = textOrFiles(t, item); return text.length > 120 ? `${text.slice(0, 120)}…` : text; })()}</p>
      <input type="search" placeholder={t('forwardSearch')} aria-label={t('forwardSearch')} value={query} onChange={(e) => setQuery(e.target.value)} data-testid="forward-search" />
      <ul className="forward-list" aria-label={t('chats')}>
        {chats.length === 0 && <li className="muted small">{t('forwardNone')}</li>}
        {chats.map((c) => (
          <li key={c.chatId}>
            <label className="forward-row" data-testid="forward-target">
              <input type="checkbox" checked={picked.includes(c.chatId)} onChange={(e) => toggle(c.chatId, e.target.checked)} />
              <ChatAvatar chat={c} size={32} />
              <span className="chat-title">{chatTitle(t, c)}</span>
            </label>
          </li>
        ))}
      </ul>
      <div className="fmt-confirm-actions">
        <button type="button" className="secondary" onClick={() => ref.current?.close()}>{t('cancel')}</button>
        <button type="button" disabled={picked.length === 0 || busy} onClick={() => { void send(); }} data-testid="forward-send">
          {t('forwardSend', { count: Math.max(picked.length, 1) })}
        </button>
      </div>
    </dialog>
  );
}
