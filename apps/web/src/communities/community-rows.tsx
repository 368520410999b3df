import { useState, type ReactNode } from 'react';
import type { ChatView, ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { Icon } from '../components/icons.tsx';
import { communityName, useCommunities } from './community-list.ts';

const COLLAPSED_KEY = 'parley.collapsedCommunities';
const readCollapsed = (): Set<string> => {
  try { return new Set(JSON.parse(localStorage.getItem(COLLAPSED_KEY) ?? '[]') as string[]); } catch { return new Set(); }
};

/**
 * The person's communities at the top of the chat list, each with its chats under it (issue 12): the
 * row opens the community, the arrow folds its chats away (remembered on this device), and the
 * badge adds up the unread messages of its chats that are not muted. `chats` are the shown chats
 * that belong to a community; `renderChat` draws one as the chat list does.
 */
export function CommunityRows({ client, activeId, chats, renderChat }: {
  client: ParleyClient; activeId: string | undefined; chats: readonly ChatView[]; renderChat: (chat: ChatView) => ReactNode;
}) {
  const { t } = useI18n();
  const { value: communities } = useCommunities(client);
  const [collapsed, setCollapsed] = useState(readCollapsed);
  // R112: a private channel is listed as its channel (its announcements chat's row), not as a community.
  const shown = communities?.filter((c) => !c.settings.channel) ?? [];
  // Until the communities are read (or a chat's community is not among them) its chats show as plain rows.
  const known = new Set(shown.map((c) => c.communityId));
  const loose = chats.filter((chat) => !known.has(chat.community?.communityId ?? ''));
  if (shown.length === 0) return <>{loose.map(renderChat)}</>;
  const toggle = (id: string) => {
    const next = new Set(collapsed);
    if (!next.delete(id)) next.add(id);
    localStorage.setItem(COLLAPSED_KEY, JSON.stringify([...next]));
    setCollapsed(next);
  };
  return (
    <>
      {shown.map((c) => {
        const name = communityName(t, client, c);
        const active = c.communityId === activeId;
        const own = chats.filter((chat) => chat.community?.communityId === c.communityId);
        const unread = own.reduce((n, chat) => n + ((chat.prefs?.mutedUntil ?? 0) > Date.now() ? 0 : chat.unread), 0);
        const mentions = own.some((chat) => chat.mentions > 0);
        const open = !collapsed.has(c.communityId);
        return (
          <li key={c.communityId} className="community-group" data-testid="community-group">
            <div className="chat-item">
              <button className={`chat-row${active ? ' active' : ''}`} data-testid="community-row" aria-current={active ? 'page' : undefined}
                onClick={() => go(`/community/${c.communityId}`)}>
                <span className="avatar community-avatar" style={{ width: 40, height: 40 }} aria-hidden="true"><Icon name="community" /></span>
                <span className="chat-text">
                  <span className="chat-line"><span className="chat-title">{name}</span></span>
                  <span className="chat-line">
                    <span className="chat-preview">{t('communityRowHint', { count: c.memberCount })}</span>
                    {mentions && <span className="badge mention" aria-label={t('mentionCount', { count: 1 })}>@</span>}
                    {unread > 0 && <span className="badge" data-testid="community-unread" aria-label={t('unreadCount', { count: unread })}>{unread}</span>}
                  </span>
                </span>
              </button>
              {own.length > 0 && (
                <button type="button" className={`icon small community-fold${open ? ' open' : ''}`} aria-expanded={open} data-testid="community-fold"
                  aria-label={t('communityChatsOf', { name })} title={t('communityChatsOf', { name })} onClick={() => toggle(c.communityId)}>
                  <Icon name="back" size={16} />
                </button>
              )}
            </div>
            {open && own.length > 0 && <ul className="community-chat-rows" aria-label={t('communityChatsOf', { name })}>{own.map(renderChat)}</ul>}
          </li>
        );
      })}
      {loose.map(renderChat)}
    </>
  );
}
