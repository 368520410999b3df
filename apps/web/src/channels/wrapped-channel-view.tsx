import { lazy, Suspense, useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { foldWrappedEdits, type ParleyClient, type WrappedChannelPost, type WrappedReactions } from '@parley/client';
import type { Attachment, Community, WrappedChannelInfo } from '@parley/protocol';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { AttachTrayView, useAttachTray } from '../files/attach-tray.tsx';
import { Attachments, isVisual } from '../files/attachments.tsx';
import { UploadBar } from '../files/upload-bar.tsx';
import { Icon } from '../components/icons.tsx';
import { PanelHeader } from '../components/panel-header.tsx';
import { go } from '../state/use-client.ts';
import { mayDo, useCommunityData } from '../communities/use-community.ts';
import { wrappedTitle } from '../communities/community-list.ts';
import { useChannelI18n } from './text.ts';
import { CHANNEL_REACTIONS } from './channel-post.tsx';
import { useDiscussion } from './comments.tsx';
import { useWrappedComments, WrappedCommentsButton, WrappedCommentsPanel } from './wrapped-comments.tsx';
import { useWrappedForward } from './wrapped-forward.tsx';
import { WrappedVoice } from './wrapped-voice.tsx';
import { useWrappedViews, WrappedViewCount } from './wrapped-views.tsx';
import { WrappedPinButton, WrappedPinnedBar, wrappedPinned } from './wrapped-pins.tsx';
import { useWrappedPollVotes, WrappedPollCard } from './wrapped-poll.tsx';
import { useWrappedReadState } from './wrapped-read-state.tsx';
import { ChannelErrorLine } from './channel-schedule.tsx';
import { scheduleWrapped, useWrappedScheduling, WrappedScheduleAt, WrappedScheduledPosts } from './wrapped-schedule.tsx'; // R188
import './channels.css';
import { useReadNowAndOnView } from './read-on-view.ts';

const Viewer = lazy(async () => ({ default: (await import('../files/viewer.tsx')).Viewer }));
const PollDialog = lazy(async () => ({ default: (await import('../components/poll.tsx')).PollDialog })); // R185: the chats' poll form

/** What `read` says of a post whose epoch this device was never given (R142): shown as one line, not a line per post. */
const NO_KEY = 'this device holds no key of its epoch';

/**
 * R141-R142, R148-R149: a wrapped channel's posts as this device reads them. Each page is opened on
 * the device (the epoch key from this device's own wrap, each post's signature checked against its
 * admin's key log); a `wrappedPost` notice reads what came after the last seq, and new wraps (R149)
 * read everything again so posts that did not open yet do.
 */
function useWrappedPosts(client: ParleyClient, communityId: string) {
  const [posts, setPosts] = useState<WrappedChannelPost[]>();
  /** R147: the channel's name and description, as the newest entry this device opened carries them. */
  const [info, setInfo] = useState<WrappedChannelInfo>();
  const [error, setError] = useState<unknown>();
  const last = useRef(0);
  const busy = useRef<Promise<void>>(Promise.resolve());
  const read = useCallback((from: 'start' | 'last') => {
    // One read at a time, so two notices never append the same posts twice.
    busy.current = busy.current.then(async () => {
      try {
        let after = from === 'start' ? 0 : last.current;
        const got: WrappedChannelPost[] = [];
        let told: WrappedChannelInfo | undefined;
        for (;;) {
          const page = await client.wrappedChannels.readPage(communityId, after);
          got.push(...page.posts);
          told = page.info ?? told;
          after = page.last;
          if (!page.full) break;
        }
        last.current = Math.max(from === 'start' ? 0 : last.current, after);
        setPosts((before) => (from === 'start' ? got : [...(before ?? []), ...got]));
        if (told) setInfo(told);
        setError(undefined);
      } catch (err) {
        console.warn('parley: reading the wrapped channel failed', err);
        setError(err);
      }
    });
    return busy.current;
  }, [client, communityId]);
  useEffect(() => {
    void read('start');
    return client.on('wrappedPost', (e) => {
      if (e.communityId !== communityId) return;
      // R167: a deletion changes an entry already read: read again from the start.
      void read(e.seq === undefined || e.deleted ? 'start' : 'last');
    });
  }, [client, communityId, read]);
  return { posts, info, error, read };
}

type Verified = Extract<WrappedChannelPost, { verified: true }>;

/**
 * R166: the reaction counts of the posts shown (the newest 100), read when they change and when the
 * window comes back into view (a reaction sends no notice: counts are read, not pushed to every member).
 */
function useWrappedCounts(client: ParleyClient, communityId: string, shown: readonly Verified[]) {
  const [counts, setCounts] = useState(new Map<number, WrappedReactions>());
  const key = shown.map((p) => p.seq).join(',');
  const load = useCallback(async () => {
    const posts = shown.slice(-100).map((p) => ({ seq: p.seq, epoch: p.epoch }));
    if (posts.length === 0) return;
    try {
      const got = await client.wrappedChannels.counts(communityId, posts, CHANNEL_REACTIONS);
      setCounts(new Map(got.map((c) => [c.seq, c])));
    } catch (err) {
      console.warn('parley: reading the wrapped channel\'s reaction counts failed', err);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, communityId, key]);
  useReadNowAndOnView(load);
  const react = (p: Verified, emoji: string | null) => client.wrappedChannels.react(communityId, { seq: p.seq, epoch: p.epoch }, emoji, CHANNEL_REACTIONS)
    .then((c) => setCounts((before) => new Map(before).set(c.seq, c)));
  return { counts, react };
}

/**
 * #/private/<communityId>: a private channel past the MLS size (R141), as its subscribers and admins
 * see it. It says plainly what kind of channel it is; posts are decrypted on this device; posts from
 * epochs this device was never given are one line; a post that fails its checks shows only why. An
 * admin (`postAnnouncements`) gets the composer: the SDK encrypts and signs on this device.
 */
export function WrappedChannelView({ client, communityId }: { client: ParleyClient; communityId: string }) {
  const { t, fmt } = useChannelI18n();
  const load = useCallback(() => client.communities.get(communityId), [client, communityId]);
  const { value: community, error: loadError } = useCommunityData<Community>(client, load, communityId);
  const { posts, info, error, read } = useWrappedPosts(client, communityId);
  const newest = posts?.at(-1)?.seq;
  useEffect(() => { document.getElementById(`wrapped-post-${newest ?? ''}`)?.scrollIntoView({ block: 'end' }); }, [newest]);
  const title = wrappedTitle(t, client, community, info);
  const description = (community && client.communities.description(community)) || info?.description;
  // R167: edits fold into the posts they name (the newest signed version, "edited"); edit entries are not posts.
  const folded = posts ? foldWrappedEdits(posts) : undefined;
  const readable = folded?.filter((p) => p.verified || p.problem !== NO_KEY) ?? [];
  const earlier = (folded?.length ?? 0) - readable.length;
  const verified = readable.filter((p): p is Verified => p.verified);
  const { counts, react } = useWrappedCounts(client, communityId, verified);
  useWrappedViews(client, communityId, verified); // R183
  // R185: polls' votes, counted by the server as tokens.
  const polls = useWrappedPollVotes(client, communityId, verified.flatMap((p) => (p.poll ? [{ seq: p.seq, epoch: p.epoch, poll: p.poll }] : [])));
  // R177: comments in the discussion chat, counted by the server from the commenters' marks.
  const { value: discussion } = useDiscussion(client, { communityId });
  const comments = useWrappedComments(client, communityId, verified, discussion);
  const [commenting, setCommenting] = useState<number>();
  const commented = commenting === undefined ? undefined : verified.find((p) => p.seq === commenting);
  const [editing, setEditing] = useState<Verified>();
  const [actionError, act] = useAction();
  const forward = useWrappedForward(client, communityId); // R186
  const mayPost = community ? mayDo(community, 'postAnnouncements') : false;
  // R184: the pins, as the signed pin entries this device opened say; the latest pinned first.
  const pinned = wrappedPinned(posts, verified);
  const pin = (p: Verified, on: boolean) => act(async () => { await client.wrappedChannels.pin(communityId, p.seq, on); await read('last'); });
  const { muted, toggleMute } = useWrappedReadState(client, communityId, newest); // R182
  // R162: the photos and videos of the posts shown, for the viewer's previous/next.
  const media = readable.flatMap((p) => (p.verified ? (p.attachments ?? []).filter(isVisual) : []));
  const [viewing, setViewing] = useState<Attachment>();
  const viewIndex = viewing ? media.findIndex((a) => a.blobId === viewing.blobId) : -1;
  return (
    <section className={`panel channel-view${commented && discussion ? ' with-comments' : ''}`} aria-label={title} data-testid="wrapped-channel">
      <PanelHeader title={title}>
        <span className="avatar community-avatar" style={{ width: 36, height: 36 }} aria-hidden="true"><Icon name="megaphone" /></span>
      </PanelHeader>
      <div className="channel-head">
        {description && <p className="channel-description" data-testid="wrapped-description">{description}</p>}
        {community && <p className="muted small">{t('chSubscribers', { count: community.memberCount })}</p>}
        <p className="channel-kind" role="note" data-testid="channel-kind"><Icon name="megaphone" size={16} /> {t('chKindWrapped')}</p>
        <div className="channel-actions">
          {muted !== undefined && <button type="button" className="secondary small" onClick={() => act(toggleMute)}>{muted ? t('chUnmute') : t('chMute')}</button>}
          <button type="button" className="secondary small" onClick={() => go(`/community/${communityId}`)}><Icon name="settings" size={16} /> {t('chSettings')}</button>
        </div>
        <ErrorLine error={loadError ?? error ?? actionError} />
      </div>
      <WrappedPinnedBar pinned={pinned} />
      <div className="timeline channel-timeline" data-testid="channel-posts">
        {posts === undefined && <div className="spinner" role="status" aria-label={t('loading')} />}
        {earlier > 0 && <p className="muted small channel-earlier" data-testid="wrapped-earlier">{t(readable.length > 0 ? 'chWrappedEarlier' : 'chWrappedWaiting', { count: earlier })}</p>}
        {folded?.length === 0 && client.wrappedPending(communityId).length === 0 && <p className="muted empty-state">{t('chNoPosts')}</p>}
        {readable.map((p) => (p.verified ? (
          <article key={p.seq} className={`channel-post${pinned.includes(p) ? ' pinned' : ''}`} id={`wrapped-post-${p.seq}`} data-testid="wrapped-post">
            {p.attachments && <Attachments client={client} atts={p.attachments} uploading={false} onOpen={setViewing} />}
            {p.text && <div className="channel-text">{p.text}</div>}
            {p.poll && <WrappedPollCard post={{ seq: p.seq, epoch: p.epoch, poll: p.poll }} result={polls.results.get(p.seq)} onVote={(o) => act(() => polls.vote({ seq: p.seq, epoch: p.epoch, poll: p.poll! }, o))} />}
            <p className="channel-meta muted small">
              <span className="channel-verified" title={t('chWrappedVerified')} data-testid="post-verified"><Icon name="check" size={14} /> {t('chWrappedVerified')}</span>
              {' · '}<time dateTime={new Date(p.date).toISOString()}>{fmt.dateTime(p.date)}</time>
              {p.edited !== undefined && <> · <span data-testid="post-edited" title={fmt.dateTime(p.edited)}>{t('chEdited')}</span></>}
              <WrappedViewCount views={counts.get(p.seq)?.views} />
            </p>
            <WrappedReactionsRow counts={counts.get(p.seq)} onReact={(emoji) => act(() => react(p, emoji))} />
            {forward.button(p)}
            {discussion && (
              <div className="channel-post-actions">
                <WrappedCommentsButton client={client} discussion={discussion} seq={p.seq} count={comments.counts.get(p.seq) ?? 0} onOpen={() => setCommenting(p.seq)} />
              </div>
            )}
            {mayPost && (
              <div className="channel-post-actions">
                {p.authorId === client.userId && !p.poll && <button type="button" className="secondary small" onClick={() => setEditing(p)}><Icon name="edit" size={14} /> {t('chEdit')}</button>}
                <WrappedPinButton pinned={pinned.includes(p)} onPin={(on) => pin(p, on)} />
                <button type="button" className="secondary small danger" onClick={() => { if (confirm(t('chDeleteConfirm'))) act(() => client.wrappedChannels.delete(communityId, p.seq)); }}>
                  <Icon name="trash" size={14} /> {t('chDelete')}
                </button>
              </div>
            )}
          </article>
        ) : (
          <article key={p.seq} className="channel-post channel-unverified" role="alert" data-testid="wrapped-post-unverified">
            <p><strong>{t('chNotVerified')}</strong></p>
            <p className="muted small">{t('chNotVerifiedWhy', { problem: p.problem })}</p>
          </article>
        )))}
        <WrappedPendingPosts client={client} communityId={communityId} onPosted={() => void read('last')} />
      </div>
      {mayPost && <WrappedScheduledPosts client={client} communityId={communityId} />}
      {mayPost && <WrappedComposer key={editing?.seq ?? 'new'} client={client} communityId={communityId} editing={editing}
        onPosted={async () => { setEditing(undefined); await read('last'); }} onCancel={() => setEditing(undefined)} />}
      {commented && discussion && (
        <WrappedCommentsPanel client={client} communityId={communityId} discussion={discussion} post={commented} comments={comments} postText={commented.text || t('chPhoto')}
          shown={<div className="channel-post" data-testid="wrapped-post-commented">{commented.text && <div className="channel-text">{commented.text}</div>}
            <p className="channel-meta muted small"><time dateTime={new Date(commented.date).toISOString()}>{fmt.dateTime(commented.date)}</time></p></div>}
          onClose={() => setCommenting(undefined)} />
      )}
      {forward.dialog}
      {viewing && viewIndex >= 0 && <Suspense fallback={null}><Viewer client={client} items={media} start={viewIndex} onClose={() => setViewing(undefined)} /></Suspense>}
    </section>
  );
}

/**
 * An admin's composer: the text, and photos or files (R162: each encrypted and uploaded on this device,
 * its key sealed in the post), go under the current epoch key, signed on this device (a new epoch first
 * when a subscriber left, R142).
 */
function WrappedComposer({ client, communityId, editing, onPosted, onCancel }: {
  client: ParleyClient; communityId: string; editing: Verified | undefined; onPosted: () => Promise<void>; onCancel: () => void;
}) {
  const { t } = useChannelI18n();
  const [text, setText] = useState(editing?.text ?? '');
  const [error, run, busy] = useAction();
  const tray = useAttachTray();
  const picker = useRef<HTMLInputElement>(null);
  const [polling, setPolling] = useState(false);
  const withFiles = tray.entries.length > 0;
  const scheduling = useWrappedScheduling(); // R188, R192: published by the server at the time, with the tray's files or a poll
  const later = scheduling.scheduling && !editing;
  const send = () => {
    const body = text.trim();
    if (later) {
      if ((body || withFiles) && (!withFiles || tray.ready) && !busy) {
        run(async () => {
          await scheduleWrapped(client, communityId, body, scheduling, withFiles ? { files: tray.prepared() } : {});
          setText('');
          tray.clear();
        });
      }
      return;
    }
    const kept = editing?.attachments ?? [];
    if ((!body && !withFiles && kept.length === 0) || (withFiles && !tray.ready) || busy) return;
    run(async () => {
      // R162: with files the post is kept on this device and goes once they are uploaded (after a reload too): shown below the posts till then.
      // R167: an edit keeps the post's files and adds the tray's; the signed entry names the post it replaces.
      if (withFiles) await client.wrappedChannels.send(communityId, body, { files: tray.prepared(), ...(editing ? { edits: editing.seq, keep: kept } : {}) });
      else if (editing) await client.wrappedChannels.edit(communityId, editing.seq, body, { keep: kept });
      else await client.wrappedChannels.post(communityId, body);
      setText('');
      tray.clear();
      await onPosted();
    });
  };
  return (
    <div className="channel-composer">
      <ChannelErrorLine error={error} />
      {!editing && <WrappedScheduleAt scheduling={scheduling} />}
      {editing && (
        <div className="composer-context">
          <Icon name="edit" size={16} /><span className="grow">{t('chEdit')}</span>
          <button type="button" className="icon small" aria-label={t('cancel')} onClick={onCancel}><Icon name="close" size={16} /></button>
        </div>
      )}
      <AttachTrayView tray={tray} />
      <form className="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
        <input ref={picker} type="file" multiple hidden data-testid="channel-file-input" tabIndex={-1}
          onChange={(e) => { if (e.target.files) tray.add(e.target.files); e.target.value = ''; }} />
        <button type="button" className="icon" aria-label={t('chAttach')} title={t('chAttach')} onClick={() => picker.current?.click()}><Icon name="attach" /></button>
        {!editing && <button type="button" className="icon" aria-label={t('pollNew')} title={t('pollNew')} data-testid="poll-new" onClick={() => setPolling(true)}><Icon name="poll" /></button>}
        <textarea aria-label={t('chPostPlaceholder')} placeholder={t('chPostPlaceholder')} value={text} rows={2} className="grow"
          onChange={(e) => setText(e.target.value)} onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); send(); } }} />
        {!editing && !later && <button type="button" className="secondary" disabled={busy} onClick={scheduling.start}>{t('chSchedule')}</button>}
        {!editing && !later && !text.trim() && !withFiles ? <WrappedVoice client={client} communityId={communityId} run={run} onQueued={onPosted} /> /* R187 */
          : <button type="submit" disabled={busy || (later ? (!text.trim() && !withFiles) || (withFiles && !tray.ready) || !scheduling.at : withFiles ? !tray.ready : !text.trim() && !editing?.attachments)}>{editing ? t('chSave') : later ? t('chSchedule') : t('chPost')}</button>}
      </form>
      {polling && (
        <Suspense fallback={null}>
          <PollDialog client={client} note={t('chPollNote')} onClose={() => setPolling(false)}
            onCreate={async (poll) => {
              // R192: while scheduling, the poll is scheduled at the chosen time instead of posted.
              if (later) await scheduleWrapped(client, communityId, '', scheduling, { poll });
              else await client.wrappedChannels.postPoll(communityId, poll);
              await onPosted();
            }} />
        </Suspense>
      )}
    </div>
  );
}

/**
 * R162: this device's posts with files not posted yet, kept across reloads until posted: each with its
 * upload bar (progress, pause, cancel); one refused for good says why, with try again and cancel.
 */
function WrappedPendingPosts({ client, communityId, onPosted }: { client: ParleyClient; communityId: string; onPosted: () => void }) {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => client.on('uploads', bump), [client]);
  const pending = client.wrappedPending(communityId);
  const count = useRef(pending.length);
  useEffect(() => {
    if (pending.length < count.current) onPosted(); // posted (or cancelled): the log holds it now
    count.current = pending.length;
  });
  return pending.map((p) => (
    <article key={p.clientMsgId} className="channel-post channel-pending" data-testid="wrapped-pending" data-state={p.progress.state}>
      <p className="muted small" data-testid="wrapped-pending-files">{p.files.join(', ')}</p>
      {p.text && <div className="channel-text">{p.text}</div>}
      <UploadBar client={client} upload={p.progress} />
    </article>
  ));
}

/** R166: the reactions a subscriber taps under a wrapped post (one per person; tapping yours again takes it back), with the counts this device could map. */
function WrappedReactionsRow({ counts, onReact }: { counts: WrappedReactions | undefined; onReact: (emoji: string | null) => void }) {
  const { t } = useChannelI18n();
  return (
    <div className="reactions" role="group" aria-label={t('react')}>
      {CHANNEL_REACTIONS.map((emoji) => {
        const n = counts?.reactions[emoji] ?? 0;
        const mine = counts?.mine === emoji;
        return (
          <button key={emoji} type="button" className={`reaction${mine ? ' on' : ''}`} aria-pressed={mine} title={t('chReact', { emoji })}
            data-testid="wrapped-reaction" onClick={() => onReact(mine ? null : emoji)}>
            <span className="sr-only">{t('chReact', { emoji: '' })}</span>{emoji}{n > 0 && <span className="count" data-testid="reaction-count"> {n}</span>}
          </button>
        );
      })}
    </div>
  );
}
