import { textOrFiles } from '../files/summary.ts';
import { useEffect, useRef, useState } from 'react';
import type { ParleyClient, TimelineItem } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { ChatAvatar } from './avatar.tsx';
import { ErrorLine } from './error-line.tsx';
import { chatTitle } from './system-text.ts';

const short = (text: string) => (text.length > 120 ? `${text.slice(0, 120)}…` : text);

/**
 * A modal that picks chats to send something to (search, several at once): the chat forward (R49)
 * and a channel post's forward share it. `send` gets the picked chat ids; it closes once it resolves.
 */
export function ChatPickDialog({ client, title, quote, testId, sendTestId, send, onClose }: {
  client: ParleyClient; title: string; quote: string; testId: string; sendTestId: string;
  send: (picked: string[]) => Promise<void>; onClose: () => void;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  const [query, setQuery] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  const q = query.trim().toLocaleLowerCase();
  const chats = client.chats().filter((c) => c.encryption !== 'removed' && chatTitle(t, c).toLocaleLowerCase().includes(q));
  const toggle = (chatId: string, on: boolean) => setPicked((p) => on ? [...p, chatId] : p.filter((id) => id !== chatId));
  const titleId = `${testId}-title`;
  const onSend = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await send(picked);
      ref.current?.close();
    } catch (err) {
      console.warn('parley: forward failed', err);
      setError(err);
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} className="forward-picker" aria-labelledby={titleId} onClose={onClose} data-testid={testId}>
      <h2 id={titleId}>{title}</h2>
      <p className="forward-quote muted small">{short(quote)}</p>
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
      <ErrorLine error={error} />
      <div className="fmt-confirm-actions">
        <button type="button" className="secondary" onClick={() => ref.current?.close()}>{t('cancel')}</button>
        <button type="button" disabled={picked.length === 0 || busy} onClick={() => { void onSend(); }} data-testid={sendTestId}>
          {t('forwardSend', { count: Math.max(picked.length, 1) })}
        </button>
      </div>
    </dialog>
  );
}

/**
 * R49: picks the chats to forward a message to. One target opens it afterwards; several keep the
 * reader where they are.
 */
export function ForwardPicker({ client, sourceChatId, item, onClose }: { client: ParleyClient; sourceChatId: string; item: TimelineItem; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <ChatPickDialog client={client} title={t('forwardTitle')} quote={textOrFiles(t, item)} testId="forward-picker" sendTestId="forward-send" onClose={onClose}
      send={async (picked) => {
        await client.forward(picked, sourceChatId, item.id);
        if (picked.length === 1 && picked[0] !== sourceChatId) go(`/chat/${picked[0]}`);
      }} />
  );
}
