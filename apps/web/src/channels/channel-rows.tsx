import { useCallback } from 'react';
import type { ParleyClient } from '@parley/client';
import { Icon } from '../components/icons.tsx';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { useChannelData } from './use-channels.ts';

/** The person's channels in the chat list (R97): unread count, a muted icon; a row opens the channel. */
export function ChannelRows({ client, activeId }: { client: ParleyClient; activeId: string | undefined }) {
  const { t } = useI18n();
  const load = useCallback(() => client.channels.subscriptions(), [client]);
  const { value: subscriptions } = useChannelData(client, load);
  if (!subscriptions || subscriptions.length === 0) return null;
  return (
    <>
      {subscriptions.map(({ channel, unread, muted }) => {
        const active = channel.channelId === activeId;
        return (
          <li key={channel.channelId}>
            <button className={`chat-row${active ? ' active' : ''}`} data-testid="channel-row" aria-current={active ? 'page' : undefined}
              onClick={() => go(`/channel/${channel.channelId}`)}>
              <span className="avatar community-avatar" style={{ width: 40, height: 40 }} aria-hidden="true"><Icon name="megaphone" /></span>
              <span className="chat-text">
                <span className="chat-line">
                  <span className="chat-title">{channel.title}</span>
                  {muted && <span className="chat-muted" title={t('muted')} data-testid="channel-muted"><Icon name="muted" size={14} /><span className="sr-only">{t('muted')}</span></span>}
                </span>
                <span className="chat-line">
                  <span className="chat-preview">{t('chRowHint', { handle: channel.handle })}</span>
                  {unread > 0 && <span className={`badge${muted ? ' quiet' : ''}`} data-testid="channel-unread" aria-label={t('unreadCount', { count: unread })}>{unread}</span>}
                </span>
              </span>
            </button>
          </li>
        );
      })}
    </>
  );
}
