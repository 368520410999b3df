import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { ChatAvatar } from './avatar.tsx';
import { Icon } from './icons.tsx';
import { StateIcon } from './state-icon.tsx';
import { chatPreview, chatTitle } from './system-text.ts';

export function ChatList({ client, activeId }: { client: ParleyClient; activeId: string | undefined }) {
  const { t, fmt } = useI18n();
  const [query, setQuery] = useState('');
  const searching = query.trim() !== '';
  return (
    <nav className="chat-list" aria-label={t('chats')}>
      <header className="list-header">
        <h1>{t('chats')}</h1>
        <div className="actions">
          <button className="icon" aria-label={t('newChat')} title={t('newChat')} onClick={() => go('/new')}><Icon name="compose" /></button>
          <button className="icon" aria-label={t('settings')} title={t('settings')} onClick={() => go('/settings')}><Icon name="settings" /></button>
        </div>
      </header>
      <input className="search" type="search" placeholder={t('search')} aria-label={t('search')} value={query}
        onChange={(e) => setQuery(e.target.value)} onKeyDown={(e) => { if (e.key === 'Escape') setQuery(''); }} />
      {searching ? <SearchResults client={client} query={query} onPick={() => setQuery('')} /> : (
        <ul>
          {client.requests().length > 0 && (
            <li>
              <button className="chat-row requests-row" data-testid="requests-row" onClick={() => go('/requests')}>
                <span className="chat-text">
                  <span className="chat-line">
                    <span className="chat-title">{t('requests')}</span>
                    <span className="badge" aria-label={t('requestsCount', { count: client.requests().length })}>{client.requests().length}</span>
                  </span>
                  <span className="chat-line"><span className="chat-preview">{t('requestsHint')}</span></span>
                </span>
              </button>
            </li>
          )}
          {client.chats().length === 0 && (
            <li className="empty">
              <p>{t('noChats')}</p>
              <button type="button" onClick={() => go('/new')}>{t('startChat')}</button>
            </li>
          )}
          {client.chats().map((chat) => {
            const preview = chatPreview(t, chat, client.userId);
            const last = chat.lastItem;
            return (
              <li key={chat.chatId}>
                <button className={`chat-row${chat.chatId === activeId ? ' active' : ''}`} data-testid="chat-row"
                  aria-current={chat.chatId === activeId ? 'page' : undefined} onClick={() => go(`/chat/${chat.chatId}`)}>
                  <ChatAvatar chat={chat} />
                  <span className="chat-text">
                    <span className="chat-line">
                      <span className="chat-title">{chatTitle(t, chat)}</span>
                      {last && !last.system && last.mine && <StateIcon state={last.state} />}
                      <span className="chat-time">{fmt.listTime(last?.sentAt ?? chat.createdAt)}</span>
                    </span>
                    <span className="chat-line">
                      <span className={`chat-preview${preview.typing ? ' typing' : ''}`}>{preview.text}</span>
                      {chat.unread > 0 && <span className="badge" aria-label={t('unreadCount', { count: chat.unread })}>{chat.unread}</span>}
                    </span>
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </nav>
  );
}

function SearchResults({ client, query, onPick }: { client: ParleyClient; query: string; onPick: () => void }) {
  const { t, fmt } = useI18n();
  const hits = client.search(query).slice(0, 50);
  return (
    <ul>
      {hits.length === 0 && <li className="empty">{t('noResults')}</li>}
      {hits.map(({ chatId, item }) => {
        const chat = client.chat(chatId);
        return (
          <li key={`${chatId}:${item.id}`}>
            <button className="chat-row" onClick={() => { onPick(); go(`/chat/${chatId}`); }}>
              {chat && <ChatAvatar chat={chat} size={32} />}
              <span className="chat-text">
                <span className="chat-line">
                  <span className="chat-title">{chat && chatTitle(t, chat)}</span>
                  <span className="chat-time">{fmt.listTime(item.sentAt)}</span>
                </span>
                <span className="chat-preview">{item.text}</span>
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
