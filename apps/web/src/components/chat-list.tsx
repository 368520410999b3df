import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { Avatar } from './avatar.tsx';
import { systemText } from './system-text.ts';

export function ChatList({ client, activeId }: { client: ParleyClient; activeId: string | undefined }) {
  const { t } = useI18n();
  const [query, setQuery] = useState('');
  const chats = client.chats();
  const hits = query.trim() ? client.search(query) : [];
  return (
    <nav className="chat-list" aria-label={t('chats')}>
      <header className="list-header">
        <h1>{t('chats')}</h1>
        <div className="actions">
          <button className="icon" aria-label={t('newChat')} title={t('newChat')} onClick={() => go('/new')}>✎</button>
          <button className="icon" aria-label={t('settings')} title={t('settings')} onClick={() => go('/settings')}>⚙</button>
        </div>
      </header>
      <input className="search" type="search" placeholder={t('search')} aria-label={t('search')} value={query} onChange={(e) => setQuery(e.target.value)} />
      {query.trim() ? (
        <ul>
          {hits.length === 0 && <li className="empty">{t('noResults')}</li>}
          {hits.slice(0, 50).map(({ chatId, item }) => (
            <li key={`${chatId}:${item.id}`}>
              <button className="chat-row" onClick={() => { setQuery(''); go(`/chat/${chatId}`); }}>
                <span className="chat-text">
                  <span className="chat-title">{client.chat(chatId)?.title}</span>
                  <span className="chat-preview">{item.text}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <ul>
          {chats.length === 0 && <li className="empty">{t('noChats')}</li>}
          {chats.map((chat) => {
            const last = chat.lastItem;
            const typingName = chat.typing.map((id) => chat.members.find((m) => m.userId === id)?.displayName).filter(Boolean)[0];
            const preview = typingName ? t('typing', { name: typingName })
              : !last ? '' : last.system ? systemText(t, last, chat.members, client.userId)
              : last.deleted ? t('deleted') : last.unreadable ? t('unreadable') : last.text;
            return (
              <li key={chat.chatId}>
                <button className={`chat-row${chat.chatId === activeId ? ' active' : ''}`} onClick={() => go(`/chat/${chat.chatId}`)} data-testid="chat-row">
                  <Avatar name={chat.title} color={chat.color} />
                  <span className="chat-text">
                    <span className="chat-title">{chat.title}</span>
                    <span className={`chat-preview${typingName ? ' typing' : ''}`}>{preview}</span>
                  </span>
                  {chat.unread > 0 && <span className="badge" aria-label={`${chat.unread} unread`}>{chat.unread}</span>}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </nav>
  );
}
