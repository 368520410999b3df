import { useCallback, useEffect, useRef, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { Community, WrappedChannelInfo } from '@parley/protocol';
import { Icon } from '../components/icons.tsx';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { useChannelData } from './use-channels.ts';
import { useCommunities, wrappedTitle } from '../communities/community-list.ts';

/** The person's channels in the chat list (R97): unread count, a muted icon; a row opens the channel. */
export function ChannelRows({ client, activeId }: { client: ParleyClient; activeId: string | undefined }) {
  const { t } = useI18n();
  const load = useCallback(() => client.channels.subscriptions(), [client]);
  const { value: subscriptions } = useChannelData(client, load);
  return (
    <>
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

/**
 * R141: the private channels past the MLS size this person reads through wrapped keys. One whose
 * announcements chat this device holds (its admins, its subscribers from before the switch) is that
 * chat's row already; the others have no chat, so they are listed here.
 */
function WrappedRows({ client, activeId }: { client: ParleyClient; activeId: string | undefined }) {
  const { value: communities } = useCommunities(client);
  const wrapped = communities?.filter((c) => c.settings.wrapped && !client.chat(c.announcementsChatId)) ?? [];
  return <>{wrapped.map((c) => <WrappedRow key={c.communityId} client={client} community={c} active={c.communityId === activeId} />)}</>;
}

/**
 * R161: the channel's name as the log's newest entry carries it, opened on this device (one read, not
 * the log); read again when the name may have changed or become readable: an entry of info alone (a
 * rename, a new epoch), new keys for this device, or any post while no name is known here. Not on every
 * post: with many subscribers online that would be a read per device per post.
 */
function useWrappedInfo(client: ParleyClient, communityId: string): WrappedChannelInfo | undefined {
  const [info, setInfo] = useState<WrappedChannelInfo>();
  const known = useRef(false);
  useEffect(() => {
    let live = true;
    const look = () => client.wrappedChannels.latest(communityId)
      .then((latest) => { if (live && latest.info) { known.current = true; setInfo(latest.info); } })
      .catch((err: unknown) => console.warn('parley: reading the wrapped channel\'s name failed', err));
    void look();
    const off = client.on('wrappedPost', (e) => { if (e.communityId === communityId && (e.seq === undefined || e.info || !known.current)) void look(); });
    return () => { live = false; off(); };
  }, [client, communityId]);
  return info;
}

function WrappedRow({ client, community, active }: { client: ParleyClient; community: Community; active: boolean }) {
  const { t } = useI18n();
  const info = useWrappedInfo(client, community.communityId);
  return (
    <li>
      <button className={`chat-row${active ? ' active' : ''}`} data-testid="wrapped-channel-row" aria-current={active ? 'page' : undefined}
        onClick={() => go(`/private/${community.communityId}`)}>
        <span className="avatar community-avatar" style={{ width: 40, height: 40 }} aria-hidden="true"><Icon name="megaphone" /></span>
        <span className="chat-text">
          <span className="chat-line"><span className="chat-title">{wrappedTitle(t, client, community, info)}</span></span>
          <span className="chat-line"><span className="chat-preview">{t('chWrappedRowHint')}</span></span>
        </span>
      </button>
    </li>
  );
}
