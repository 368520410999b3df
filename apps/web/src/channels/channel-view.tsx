import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import type { ChannelPost, ParleyClient, PublicPollPost } from '@parley/client';
import type { Channel, ChannelPostCounts, ChannelSubscription } from '@parley/protocol';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { Icon } from '../components/icons.tsx';
import { PanelHeader } from '../components/panel-header.tsx';
import { useChannelI18n } from './text.ts';
import { go } from '../state/use-client.ts';
import { ChannelComposer } from './channel-composer.tsx';
import { ChannelPostView, type VerifiedPost } from './channel-post.tsx';
import { ChannelForward } from './channel-forward.tsx';
import { channelAdmins, channelLink, channelsChanged, useChannelData } from './use-channels.ts';
import { useLogCheck } from './log-check.ts';
import { CommentsButton, CommentsPanel, DiscussionSettings, useDiscussion } from './comments.tsx';
import { ScheduledPosts } from './channel-schedule.tsx';
import { usePollVotes } from './wrapped-poll.tsx';
import './channels.css';

/** R95b, R200: the owner's admin list and "sign messages", fetched when the settings open. */
const ChannelAdmins = lazy(async () => ({ default: (await import('./channel-admins.tsx')).ChannelAdmins }));

/** The page size the view asks for (the server's PARLEY_CHANNEL_PAGE_MAX may be lower). */
const PAGE = 50;

interface Loaded {
  channel: Channel;
  subscription: ChannelSubscription | undefined;
  /** Newest first, as the SDK verified them (R96). */
  posts: ChannelPost[];
  keyListProblem: string | undefined;
  /** R125: why the SDK can't vouch that no post is missing (withheld newest, rolled-back head, no head). */
  missingProblem: string | undefined;
  hasMore: boolean;
  counts: Map<string, ChannelPostCounts>;
}

/** #/c/<handle>: the channel a link names, opened in the app (R95). */
export function ChannelByHandle({ client, handle }: { client: ParleyClient; handle: string }) {
  const { t } = useChannelI18n();
  const [error, run] = useAction();
  useEffect(() => {
    run(async () => go(`/channel/${(await client.channels.byHandle(handle.replace(/^@/, '').toLowerCase())).channelId}`, { replace: true }));
  }, [client, handle, run]);
  return <section className="panel"><PanelHeader title={`@${handle}`} />{error ? <ErrorLine error={error} /> : <div className="spinner" role="status" aria-label={t('loading')} />}</section>;
}

/**
 * #/channel/<id>: a public channel like a chat, newest post at the bottom. Every post is shown only
 * if this device verified its signature (R96); one that fails says so plainly, without its content.
 * Admins get the composer and each post's edit/delete/pin; everyone reacts and forwards.
 */
export function ChannelView({ client, channelId }: { client: ParleyClient; channelId: string }) {
  const { t, fmt } = useChannelI18n();
  const [older, setOlder] = useState<ChannelPost[]>([]);
  const [editing, setEditing] = useState<VerifiedPost | undefined>();
  const [forwarding, setForwarding] = useState<VerifiedPost | undefined>();
  const [shared, setShared] = useState(false);
  const [commenting, setCommenting] = useState<string | undefined>();
  const [settings, setSettings] = useState(false);
  const { value: discussion } = useDiscussion(client, channelId);
  const [error, run, busy] = useAction();
  const load = useCallback(async (): Promise<Loaded> => {
    const [channel, subscriptions, page] = await Promise.all([
      client.channels.get(channelId), client.channels.subscriptions(), client.channels.posts(channelId, { limit: PAGE }),
    ]);
    const shown = page.posts.flatMap((p) => (p.verified && !p.deleted ? [p.postId] : []));
    const counts = new Map((await client.channels.counts(channelId, shown.slice(0, 100))).map((c) => [c.postId, c]));
    return { channel, subscription: subscriptions.find((s) => s.channel.channelId === channelId), posts: page.posts, keyListProblem: page.keyListProblem,
      missingProblem: page.keyListProblem ? undefined : page.integrity.problem, hasMore: page.hasMore, counts };
  }, [client, channelId]);
  const { value, error: loadError, reload } = useChannelData(client, load, channelId);

  // Seen: the views counter (R98, once per device run) and the read position (R97).
  const readSeq = value?.subscription?.readSeq;
  const lastSeq = value?.channel.lastSeq;
  useEffect(() => {
    if (!value) return;
    const seen = value.posts.flatMap((p) => (p.verified && !p.deleted ? [p.postId] : []));
    if (seen.length > 0) client.channels.markViewed(channelId, seen.slice(0, 100)).catch((err: unknown) => console.warn('parley: views failed', err));
    if (readSeq !== undefined && lastSeq !== undefined && lastSeq > readSeq) {
      client.channels.markRead(channelId, lastSeq).then(channelsChanged, (err: unknown) => console.warn('parley: channel read failed', err));
    }
  }, [client, channelId, value, readSeq, lastSeq]);

  const isAdmin = value ? channelAdmins(value.channel).includes(client.userId) : false;
  const check = useLogCheck(client, channelId, isAdmin, lastSeq);
  // R154: the owner's device gives a discussion linked before R154 where `open` was stated, so joiners are admitted.
  const isOwner = value?.channel.ownerId === client.userId;
  useEffect(() => {
    if (isOwner) client.channels.healDiscussion(channelId).catch((err: unknown) => console.warn('parley: linking the discussion again failed', err));
  }, [client, channelId, isOwner]);
  // R200: an admin who accepted since the owner's device last signed the key list is signed in when the owner opens the channel.
  useEffect(() => {
    if (!isOwner) return undefined;
    const signIn = () => client.channels.signInAccepted(channelId).then((signed) => { if (signed) channelsChanged(); }, (err: unknown) => console.warn('parley: signing in an admin failed', err));
    void signIn();
    // R201: an admin who accepts while the owner has the channel open is signed in at once.
    return client.on('channelAdmin', (e) => { if (e.channelId === channelId) void signIn(); });
  }, [client, channelId, isOwner]);

  // R198: the polls' counts, read with the posts and when the window comes back into view.
  const polls = usePollVotes(pollPosts([...(value?.posts ?? []), ...older]), (p) => p.postSeq, (shown) => client.channels.pollVotes(channelId, shown),
    (post, options) => client.channels.vote(channelId, post, options), [client, channelId]);

  const bottom = useRef<HTMLDivElement>(null);
  const newest = value?.posts[0]?.seq;
  useEffect(() => { bottom.current?.scrollIntoView({ block: 'end' }); }, [newest]);

  if (!value) {
    return <section className="panel"><PanelHeader title={t('loading')} />{loadError ? <ErrorLine error={loadError} /> : <div className="spinner" role="status" aria-label={t('loading')} />}</section>;
  }
  const { channel, subscription } = value;
  const admin = isAdmin;
  // R125: the whole-log check says more than the newest page's head check, once it has run.
  const missingProblem = value.keyListProblem ? undefined : (check ? check.problem : value.missingProblem);
  const all = [...value.posts, ...older];
  const oldestPostSeq = all.reduce((m, p) => (p.verified ? Math.min(m, p.postSeq) : m), Infinity);
  // Oldest first, like a chat; tombstones of deleted posts are not shown.
  const shown = [...all].reverse().filter((p) => !p.verified || !p.deleted);
  const pinned = shown.filter((p): p is VerifiedPost => p.verified && p.pinned).at(-1);
  const link = channelLink(channel.handle);
  const act = (fn: () => Promise<unknown>) => run(async () => { await fn(); channelsChanged(); await reload(); });
  const owner = channel.ownerId === client.userId;
  const postView = (post: ChannelPost, inPanel = false) => (
    <ChannelPostView key={post.verified ? post.postId : `bad-${post.seq}`} client={client} handle={channel.handle} post={post} admin={admin && !inPanel}
      counts={post.verified ? value.counts.get(post.postId) : undefined} fmt={fmt}
      votes={post.verified ? polls.results.get(post.postSeq) : undefined}
      onVote={(options) => { if (post.verified && post.poll) run(() => polls.vote({ postSeq: post.postSeq, poll: post.poll! }, options)); }}
      onChange={(fn) => act(fn)} onEdit={setEditing} onForward={setForwarding}
      comments={discussion && post.verified && !inPanel ? <CommentsButton client={client} discussion={discussion} postId={post.postId} onOpen={() => setCommenting(post.postId)} /> : undefined} />
  );
  const commented = commenting ? shown.find((p) => p.verified && p.postId === commenting) : undefined;

  return (
    <section className={`panel channel-view${commented && discussion ? ' with-comments' : ''}`} aria-label={channel.title}>
      <PanelHeader title={channel.title}>
        <span className="avatar community-avatar" style={{ width: 36, height: 36 }} aria-hidden="true"><Icon name="megaphone" /></span>
      </PanelHeader>
      <div className="channel-head">
        <p className="channel-handle muted small">@{channel.handle} · {t('chSubscribers', { count: channel.subscribers })}</p>
        {channel.description && <p className="channel-description">{channel.description}</p>}
        <p className="channel-kind" role="note" data-testid="channel-kind"><Icon name="megaphone" size={16} /> {t('chKindPublic')}</p>
        <div className="channel-actions">
          {subscription ? (
            <>
              <button type="button" className="secondary small" disabled={busy} onClick={() => act(() => client.channels.unsubscribe(channelId))}>{t('chUnsubscribe')}</button>
              <button type="button" className="secondary small" disabled={busy} onClick={() => act(() => client.channels.mute(channelId, !subscription.muted))}>
                {subscription.muted ? t('chUnmute') : t('chMute')}
              </button>
            </>
          ) : <button type="button" className="small" disabled={busy} onClick={() => act(() => client.channels.subscribe(channelId))}>{t('chSubscribe')}</button>}
          <button type="button" className="secondary small" onClick={() => {
            setShared(true);
            void navigator.clipboard?.writeText(link).catch((err: unknown) => console.warn('parley: copy failed', err));
          }}><Icon name="link" size={16} /> {t('chShare')}</button>
          {owner && <button type="button" className="secondary small" aria-expanded={settings} onClick={() => setSettings(!settings)}><Icon name="settings" size={16} /> {t('chSettings')}</button>}
        </div>
        {owner && settings && <DiscussionSettings client={client} of={channelId} />}
        {owner && settings && <Suspense fallback={null}><ChannelAdmins client={client} channelId={channelId} /></Suspense>}
        {shared && <p className="muted small" aria-live="polite" data-testid="channel-link">{t('chLinkCopied', { link })}</p>}
        <ErrorLine error={error} />
      </div>
      {pinned && (
        <button type="button" className="channel-pinned" onClick={() => document.getElementById(`channel-post-${pinned.postId}`)?.scrollIntoView({ block: 'center' })}>
          <Icon name="pin" size={16} /> <span className="chat-preview">{pinned.text || t('chPhoto')}</span>
        </button>
      )}
      <div className="timeline channel-timeline" data-testid="channel-posts" role="region" aria-label={t('chPostsRegion')} tabIndex={0}>
        {value.keyListProblem && <p className="channel-unverified" role="alert">{t('chKeyListProblem', { problem: value.keyListProblem })}</p>}
        {missingProblem && <p className="channel-unverified" role="alert" data-testid="channel-missing">{t('chPostsMayBeMissing', { problem: missingProblem })}</p>}
        {check && !check.complete && <p className="muted small" role="status">{t('chChecking', { checked: check.checked, of: check.of })}</p>}
        {(older.length > 0 ? older.length % PAGE === 0 : value.hasMore) && Number.isFinite(oldestPostSeq) && (
          <button type="button" className="secondary small channel-older" onClick={() => run(async () => {
            const page = await client.channels.posts(channelId, { beforePostSeq: oldestPostSeq, limit: PAGE });
            setOlder((o) => [...o, ...page.posts]);
          })}>{t('chOlder')}</button>
        )}
        {shown.length === 0 && !value.keyListProblem && <p className="muted empty-state">{t('chNoPosts')}</p>}
        {shown.map((post) => postView(post))}
        <div ref={bottom} />
      </div>
      {admin && <ScheduledPosts client={client} channelId={channelId} />}
      {admin && <ChannelComposer key={editing?.postId ?? 'new'} client={client} channelId={channelId} editing={editing}
        onDone={() => { setEditing(undefined); channelsChanged(); void reload(); }} />}
      {commented && discussion && (
        <CommentsPanel client={client} of={channelId} discussion={discussion} postId={commented.verified ? commented.postId : ''} post={postView(commented, true)} postText={commented.verified ? commented.text || t('chPhoto') : ''} onClose={() => setCommenting(undefined)} />
      )}
      {forwarding && <ChannelForward client={client} channel={channel} post={forwarding} onClose={() => setForwarding(undefined)} />}
    </section>
  );
}

/** R198: the verified posts that carry a poll, oldest first, as the SDK's vote calls take them. */
function pollPosts(posts: readonly ChannelPost[]): PublicPollPost[] {
  return [...posts].reverse().flatMap((p) => (p.verified && !p.deleted && p.poll ? [{ postSeq: p.postSeq, poll: p.poll }] : []));
}
