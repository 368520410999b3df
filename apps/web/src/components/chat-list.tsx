import { Suspense, lazy, useEffect, useRef, useState, type RefObject } from 'react';
import type { ChatView, ParleyClient } from '@parley/client';
import { MUTED_FOREVER, type ChatPrefsUpdate } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { ChatAvatar } from './avatar.tsx';
import { Icon } from './icons.tsx';
import { groupCallPeople } from '../calls/group-call-people.ts';
import { StateIcon } from './state-icon.tsx';
import { chatPreview, chatTitle } from './system-text.ts';

// R97: the person's channels; their code (and the SDK's channels part) is a chunk of its own.
// Issue 12: community chats grouped under their community; a chunk loaded only by someone in one.
const CommunityRows = lazy(async () => ({ default: (await import('../communities/community-rows.tsx')).CommunityRows }));
const ChannelRows = lazy(async () => ({ default: (await import('../channels/channel-rows.tsx')).ChannelRows }));

export function ChatList({ client, activeId, activeCommunity, activeChannel }: { client: ParleyClient; activeId: string | undefined; activeCommunity?: string | undefined; activeChannel?: string | undefined }) {
  const { t, fmt } = useI18n();
  const [query, setQuery] = useState('');
  const [archive, setArchive] = useState(false);
  const searching = query.trim() !== '';
  const all = client.chats();
  const archived = all.filter((c) => c.prefs?.archived);
  const shown = archive ? archived : all.filter((c) => !c.prefs?.archived);
  const inCommunity = archive ? [] : shown.filter((c) => c.community);
  const row = (chat: ChatView) => <ChatRow key={chat.chatId} client={client} chat={chat} active={chat.chatId === activeId} />;
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
          {archive && (
            <li>
              <button className="chat-row archive-row" data-testid="archive-back" onClick={() => setArchive(false)}>
                <Icon name="back" /><span className="chat-title">{t('archivedChats')}</span>
              </button>
            </li>
          )}
          {!archive && client.requests().length > 0 && (
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
          {inCommunity.length > 0 && <Suspense fallback={null}><CommunityRows client={client} activeId={activeCommunity} chats={inCommunity} renderChat={row} /></Suspense>}
          {!archive && <Suspense fallback={null}><ChannelRows client={client} activeId={activeChannel} /></Suspense>}
          {all.length === 0 && (
            <li className="empty">
              <p>{t('noChats')}</p>
              <button type="button" onClick={() => go('/new')}>{t('startChat')}</button>
            </li>
          )}
          {shown.filter((c) => archive || !c.community).map(row)}
          {!archive && archived.length > 0 && (
            <li>
              <button className="chat-row archive-row" data-testid="archive-row" onClick={() => setArchive(true)}>
                <Icon name="archive" /><span className="chat-title">{t('archivedChats')}</span><span className="chat-time">{archived.length}</span>
              </button>
            </li>
          )}
        </ul>
      )}
    </nav>
  );
}

const HOUR_MS = 3_600_000;

/** One chat in the list, with its menu (the ⋯ button, or a right click): archive, mute, mark unread (R48). */
function ChatRow({ client, chat, active }: { client: ParleyClient; chat: ChatView; active: boolean }) {
  const { t, fmt } = useI18n();
  const [menu, setMenu] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const preview = chatPreview(t, chat, client.userId);
  const last = chat.lastItem;
  const muted = (chat.prefs?.mutedUntil ?? 0) > Date.now();
  const set = (update: ChatPrefsUpdate) => {
    setMenu(false);
    client.setChatPrefs(chat.chatId, update).catch((err: unknown) => console.warn('parley: chat settings failed', err));
  };
  return (
    <li className="chat-item" onContextMenu={(e) => { e.preventDefault(); setMenu(true); }}>
      <button className={`chat-row${active ? ' active' : ''}`} data-testid="chat-row"
        aria-current={active ? 'page' : undefined} onClick={() => go(`/chat/${chat.chatId}`)}>
        <ChatAvatar chat={chat} client={client} />
        <span className="chat-text">
          <span className="chat-line">
            <span className="chat-title">{chatTitle(t, chat)}</span>
            {chat.kind === 'group' && groupCallPeople(client, chat.chatId) && (
              <span className="chat-call" title={t('gcallChatRow')} data-testid="chat-call"><Icon name="phone" size={14} /><span className="sr-only">{t('gcallChatRow')}</span></span>
            )}
            {muted && <span className="chat-muted" title={t('muted')}><Icon name="muted" size={14} /><span className="sr-only">{t('muted')}</span></span>}
            {last && !last.system && last.mine && <StateIcon state={last.state} />}
            <span className="chat-time">{fmt.listTime(last?.sentAt ?? chat.createdAt)}</span>
          </span>
          <span className="chat-line">
            <span className={`chat-preview${preview.typing ? ' typing' : ''}`}>{preview.text}</span>
            {chat.mentions > 0 && <span className="badge mention" data-testid="mention-badge" aria-label={t('mentionCount', { count: chat.mentions })} title={t('mentionCount', { count: chat.mentions })}>@</span>}
            {chat.unread > 0 && <span className={`badge${muted ? ' quiet' : ''}`} aria-label={t('unreadCount', { count: chat.unread })}>{chat.unread}</span>}
            {chat.unread === 0 && chat.prefs?.markedUnread && <span className={`badge dot${muted ? ' quiet' : ''}`} data-testid="marked-unread" aria-label={t('markedUnread')} />}
          </span>
        </span>
      </button>
      <button type="button" ref={menuButton} className="icon small row-menu-button" aria-haspopup="menu" aria-expanded={menu}
        aria-label={t('chatMenu', { name: chatTitle(t, chat) })} title={t('chatMenu', { name: chatTitle(t, chat) })} onClick={() => setMenu(!menu)}>
        <Icon name="more" size={18} />
      </button>
      {menu && (
        <RowMenu onClose={() => setMenu(false)} returnTo={menuButton} items={[
          chat.prefs?.archived ? { label: t('unarchive'), run: () => set({ archived: false }) } : { label: t('archive'), run: () => set({ archived: true }) },
          ...(muted ? [{ label: t('unmute'), run: () => set({ mutedUntil: 0 }) }] : [
            { label: t('muteFor', { count: 1 }), run: () => set({ mutedUntil: Date.now() + HOUR_MS }) },
            { label: t('muteFor', { count: 8 }), run: () => set({ mutedUntil: Date.now() + 8 * HOUR_MS }) },
            { label: t('muteForever'), run: () => set({ mutedUntil: MUTED_FOREVER }) },
          ]),
          chat.unread > 0 || chat.prefs?.markedUnread
            ? { label: t('markRead'), run: () => { setMenu(false); client.markRead(chat.chatId); } }
            : { label: t('markUnread'), run: () => set({ markedUnread: true }) },
        ]} />
      )}
    </li>
  );
}

/**
 * A small menu: arrow keys move, Escape or a click elsewhere closes it, focus starts on its first item
 * and goes back to `returnTo` when it closes with the focus inside (Escape, an item chosen).
 */
function RowMenu({ items, onClose, returnTo }: { items: { label: string; run: () => void }[]; onClose: () => void; returnTo: RefObject<HTMLButtonElement | null> }) {
  const ref = useRef<HTMLDivElement>(null);
  // Once per opening: a re-render (a message arriving) must not move the focus back to the first item.
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const menu = ref.current;
    menu?.querySelector<HTMLButtonElement>('button')?.focus();
    const away = (e: MouseEvent) => { if (!ref.current?.contains(e.target as Node)) close.current(); };
    document.addEventListener('mousedown', away);
    return () => {
      document.removeEventListener('mousedown', away);
      const at = document.activeElement;
      if (!at || at === document.body || menu?.contains(at)) returnTo.current?.focus();
    };
  }, [returnTo]);
  const move = (e: React.KeyboardEvent) => {
    const buttons = [...(ref.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape') { e.preventDefault(); onClose(); }
    if (e.key === 'ArrowDown') { e.preventDefault(); buttons[(at + 1) % buttons.length]?.focus(); }
    if (e.key === 'ArrowUp') { e.preventDefault(); buttons[(at - 1 + buttons.length) % buttons.length]?.focus(); }
  };
  return (
    <div className="row-menu" role="menu" ref={ref} onKeyDown={move} data-testid="chat-menu">
      {items.map((item) => <button key={item.label} type="button" role="menuitem" onClick={item.run}>{item.label}</button>)}
    </div>
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
