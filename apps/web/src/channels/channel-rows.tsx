import { lazy, Suspense, useCallback } from 'react';
import type { ParleyClient } from '@parley/client';
import { Icon } from '../components/icons.tsx';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { useChannelData } from './use-channels.ts';
import { useCommunities } from '../communities/community-list.ts';

/** The person's channels in the chat list (R97): unread count, a muted icon; a row opens the channel. */
export function ChannelRows({ client, activeId }: { client: ParleyClient; activeId: string | undefined }) {
  const { t } = useI18n();
  const load = useCallback(() => client.channels.subscriptions(), [client]);
  const { value: subscriptions } = useChannelData(client, load);
  const loadInvites = useCallback(() => client.channels.adminInvites(), [client]);
  const { value: invites, reload } = useChannelData(client, loadInvites);
  return (
    <>
      {invites && invites.length > 0 && <Suspense fallback={null}><AdminInvites client={client} invites={invites} onDone={() => void reload()} /></Suspense>}
      <WrappedRows client={client} activeId={activeId} />
      {subscriptions?.map(({ channel, unread, muted }) => {
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

/** R200: a person named an admin of a channel sees it here until they accept (a chunk only they fetch). */
const AdminInvites = lazy(async () => ({ default: (await import('./channel-admins.tsx')).AdminInvites }));

/** R141, R182: the wrapped channels' rows, a chunk fetched only by a person who has one. */
const WrappedRowList = lazy(async () => ({ default: (await import('./wrapped-rows.tsx')).WrappedRows }));

/**
 * R141: the private channels past the MLS size this person reads through wrapped keys. One whose
 * announcements chat this device holds (its admins, its subscribers from before the switch) is that
 * chat's row already; the others have no chat, so they are listed here.
 */
function WrappedRows({ client, activeId }: { client: ParleyClient; activeId: string | undefined }) {
  const { value: communities } = useCommunities(client);
  const wrapped = communities?.filter((c) => c.settings.wrapped && !client.chat(c.announcementsChatId)) ?? [];
  return wrapped.length > 0 ? <Suspense fallback={null}><WrappedRowList client={client} activeId={activeId} wrapped={wrapped} /></Suspense> : null;
}
