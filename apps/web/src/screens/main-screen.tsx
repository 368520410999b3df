import { Suspense, lazy, useEffect } from 'react';
import type { ParleyClient } from '@parley/client';
import { useCalls } from '../calls/call-state.tsx';
import { useGroupCall, useGroupRings } from '../calls/use-group-call.ts';
import { ChatList } from '../components/chat-list.tsx';
import { ChatView } from '../components/chat-view.tsx';
import { ConnectionBanner } from '../components/connection-banner.tsx';
import { useDeviceWatch } from '../state/device-watch.ts';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { NewMessageAnnouncer } from '../components/new-message-announcer.tsx';
import { useI18n } from '../i18n/index.ts';
import type { Theme } from '../state/theme.ts';
import { goWhenDone, useClientState, useRoute } from '../state/use-client.ts';

// Panels a person does not need to see an open chat are chunks of their own, fetched when first
// opened (the service worker precaches them with the rest): this keeps the chat screen's JavaScript
// within issue 15's budget (docs/ARCHITECTURE.md "Code splitting in the web client").
// R24, R27: a sign-in request to approve and a device just added are rare: their cards load when there is one to show.
const DeviceLinkPrompts = lazy(async () => ({ default: (await import('../components/device-link-prompts.tsx')).DeviceLinkPrompts }));
const NewDeviceNotice = lazy(async () => ({ default: (await import('../components/device-link-prompts.tsx')).NewDeviceNotice }));
const KeyLogAlerts = lazy(async () => ({ default: (await import('../components/key-log-alerts.tsx')).KeyLogAlerts })); // R31: loaded when there is an alert to show
const GroupInfo = lazy(async () => ({ default: (await import('../components/group-info.tsx')).GroupInfo }));
const JoinInvite = lazy(async () => ({ default: (await import('../components/join-invite.tsx')).JoinInvite }));
const NewChat = lazy(async () => ({ default: (await import('../components/new-chat.tsx')).NewChat }));
const Requests = lazy(async () => ({ default: (await import('../components/requests.tsx')).Requests }));
const Settings = lazy(async () => ({ default: (await import('../components/settings.tsx')).Settings }));
const CommunityPanel = lazy(async () => ({ default: (await import('../communities/community-panel.tsx')).CommunityPanel }));
const CommunityMembers = lazy(async () => ({ default: (await import('../communities/community-members.tsx')).CommunityMembers }));
const JoinCommunity = lazy(async () => ({ default: (await import('../communities/community-invites.tsx')).JoinCommunity }));
const NewCommunity = lazy(async () => ({ default: (await import('../communities/new-community.tsx')).NewCommunity }));
// R62: the call bar and tiles load when this tab is in a group call.
const CallLayer = lazy(async () => ({ default: (await import('../calls/call-layer.tsx')).CallLayer }));
const GroupCallLayer = lazy(async () => ({ default: (await import('../calls/group-call-layer.tsx')).GroupCallLayer }));
// R124: a group call started in one of the person's groups rings; the notice loads when one does.
const GroupRingNotices = lazy(async () => ({ default: (await import('../calls/group-ring.tsx')).GroupRingNotices }));
const MediaView = lazy(async () => ({ default: (await import('../files/media-view.tsx')).MediaView }));
const ChannelView = lazy(async () => ({ default: (await import('../channels/channel-view.tsx')).ChannelView })); // R95-R99
const ChannelByHandle = lazy(async () => ({ default: (await import('../channels/channel-view.tsx')).ChannelByHandle }));
const NewChannel = lazy(async () => ({ default: (await import('../channels/new-channel.tsx')).NewChannel }));
const PrivateChannelView = lazy(async () => ({ default: (await import('../channels/private-channel-view.tsx')).PrivateChannelView })); // R112
const WrappedChannelView = lazy(async () => ({ default: (await import('../channels/wrapped-channel-view.tsx')).WrappedChannelView })); // R141
const ChannelSearch = lazy(async () => ({ default: (await import('../channels/channel-search.tsx')).ChannelSearch })); // R111
const ImportScreen = lazy(async () => ({ default: (await import('../import/import-screen.tsx')).ImportScreen })); // R104

function PanelLoading() {
  const { t } = useI18n();
  return <section className="panel empty-state"><div className="spinner" role="status" aria-label={t('loading')} /></section>;
}

export function MainScreen({ client, theme, setTheme, onSignOut }: {
  client: ParleyClient; theme: Theme; setTheme: (t: Theme) => void; onSignOut: () => void;
}) {
  const { t } = useI18n();
  const groupCall = useGroupCall();
  const rings = useGroupRings(client);
  const calls = useCalls(client);
  useClientState(client);
  const devices = useDeviceWatch(client);
  const route = useRoute();
  const [error, run] = useAction();
  const handle = route.name === 'user' ? route.handle : undefined;

  // #/u/<handle>: open (or create) the direct chat with that person.
  useEffect(() => {
    if (!handle) return;
    run(() => goWhenDone(async () => {
      const user = await client.findUser(handle);
      return user.userId === client.userId ? '/settings' : `/chat/${(await client.openDirect(user.userId)).chatId}`;
    }, { replace: true }));
  }, [client, handle, run]);

  if (client.connectionState === 'revoked') {
    return (
      <main className="welcome">
        <div className="card welcome-card" role="alert">
          <p>{t('revoked')}</p>
          <button onClick={onSignOut}>{t('close')}</button>
        </div>
      </main>
    );
  }

  let panel = null;
  switch (route.name) {
    case 'chat': {
      const chat = client.chat(route.chatId);
      panel = chat?.community?.wrapped ? <WrappedChannelView key={route.chatId} client={client} communityId={chat.community.communityId} />
        : chat?.community?.channel ? <PrivateChannelView key={route.chatId} client={client} chat={chat} />
        : <ChatView key={route.chatId} client={client} chatId={route.chatId} keys={client.keys} />;
      break;
    }
    case 'info': panel = <GroupInfo key={route.chatId} client={client} chatId={route.chatId} keys={client.keys} />; break;
    case 'media': panel = <MediaView key={route.chatId} client={client} chatId={route.chatId} />; break;
    case 'import': panel = <ImportScreen key={route.chatId} client={client} chatId={route.chatId} />; break;
    case 'join': panel = <JoinInvite key={route.token} client={client} token={route.token} />; break;
    case 'community': panel = <CommunityPanel key={route.communityId} client={client} communityId={route.communityId} />; break;
    case 'communityMembers': panel = <CommunityMembers key={route.communityId} client={client} communityId={route.communityId} />; break;
    case 'communityJoin': panel = <JoinCommunity key={route.token} client={client} token={route.token} hint={route.hint} />; break;
    case 'newCommunity': panel = <NewCommunity client={client} />; break;
    case 'new': panel = <NewChat client={client} />; break;
    case 'requests': panel = <Requests client={client} />; break;
    case 'settings': panel = <Settings client={client} theme={theme} setTheme={setTheme} onSignOut={onSignOut} />; break;
    case 'user': panel = <section className="panel empty-state">{error ? <ErrorLine error={error} /> : <div className="spinner" />}</section>; break;
    case 'channel': panel = <ChannelView key={route.channelId} client={client} channelId={route.channelId} />; break;
    case 'channelHandle': panel = <ChannelByHandle key={route.handle} client={client} handle={route.handle} />; break;
    case 'newChannel': panel = <NewChannel client={client} />; break;
    case 'wrappedChannel': panel = <WrappedChannelView key={route.communityId} client={client} communityId={route.communityId} />; break;
    case 'channels': panel = <ChannelSearch client={client} />; break;
    case 'home': break;
  }
  const activeChat = route.name === 'chat' || route.name === 'info' || route.name === 'media' || route.name === 'import' ? route.chatId : undefined;
  const activeCommunity = route.name === 'community' || route.name === 'communityMembers' ? route.communityId : undefined;

  // Notices take their own row above the chats: they never cover the composer or the list.
  return (
    <div className="shell">
      {calls.length > 0 && <Suspense fallback={null}><CallLayer client={client} /></Suspense>}
      {groupCall.live && <Suspense fallback={null}><GroupCallLayer client={client} /></Suspense>}
      {rings.length > 0 && <Suspense fallback={null}><GroupRingNotices client={client} rings={rings} /></Suspense>}
      <section className="notices" aria-label={t('notices')}>
        {route.name !== 'settings' && (devices?.pending.length ?? 0) > 0 && <Suspense fallback={null}><DeviceLinkPrompts client={client} /></Suspense>}
        {client.keyLogAlerts().some((a) => a.kind !== 'new_device_key') && <Suspense fallback={null}><KeyLogAlerts client={client} /></Suspense>}
        {((devices?.added.length ?? 0) > 0 || client.keyLogAlerts().some((a) => a.kind === 'new_device_key')) && <Suspense fallback={null}><NewDeviceNotice client={client} /></Suspense>}
      </section>
      <div className={`layout${panel ? ' has-panel' : ''}`}>
        <ConnectionBanner state={client.connectionState} problem={client.connectionProblem} />
        <NewMessageAnnouncer client={client} openChatId={route.name === 'chat' ? route.chatId : undefined} />
        <ChatList client={client} activeId={activeChat} activeCommunity={activeCommunity} activeChannel={route.name === 'channel' ? route.channelId : route.name === 'wrappedChannel' ? route.communityId : undefined} />
        <main className="main-panel">
          <Suspense fallback={<PanelLoading />}>
            {panel ?? <div className="empty-state"><p className="muted">{t('tagline')}</p></div>}
          </Suspense>
        </main>
      </div>
    </div>
  );
}
