import { Suspense, lazy, useEffect, useRef, useState } from 'react';
import { parseMarkdown, type ChatView, type ParleyClient, type TimelineItem } from '@parley/client';
import { Icon } from '../components/icons.tsx';
import { MessageBubble, type MessageActions } from '../components/message.tsx';
import { PanelHeader } from '../components/panel-header.tsx';
import { chatTitle } from '../components/system-text.ts';
import { go } from '../state/use-client.ts';
import { attachmentsOf, files as filesOf, uploadOf } from '../files/sdk.ts';
import { AttachTrayView, useAttachTray } from '../files/attach-tray.tsx';
import { ErrorLine } from '../components/error-line.tsx';
import { isVisual } from '../files/attachments.tsx';
import { useChannelI18n } from './text.ts';
import { CommentsButton, CommentsPanel, useDiscussion } from './comments.tsx';
import { PrivateViewCount, usePrivateChannelViews } from './channel-views.tsx';
import { scheduleWrapped, useWrappedScheduling, WrappedScheduleAt, WrappedScheduledPosts } from './wrapped-schedule.tsx'; // R191: R188's, in MLS mode
import './channels.css';

const ForwardPicker = lazy(async () => ({ default: (await import('../components/forward-picker.tsx')).ForwardPicker }));
const Viewer = lazy(async () => ({ default: (await import('../files/viewer.tsx')).Viewer }));

const report = (what: string) => (err: unknown) => console.warn(`parley: private channel ${what} failed`, err);

/**
 * #/chat/<id> of a private channel (R112): the community's announcements chat shown as a channel.
 * Posts are the chat's end-to-end encrypted messages; only holders of `postAnnouncements` get the
 * composer (the server refuses anyone else's post, R69); subscribers react, forward and comment in
 * the linked discussion chat (R114). Invite links, join requests and the discussion link are the
 * community's panel ("Channel settings").
 */
export function PrivateChannelView({ client, chat }: { client: ParleyClient; chat: ChatView }) {
  const { t, fmt } = useChannelI18n();
  const communityId = chat.community?.communityId ?? '';
  const chatId = chat.chatId;
  const { value: discussion } = useDiscussion(client, { communityId });
  const [commenting, setCommenting] = useState<string | undefined>();
  const [editing, setEditing] = useState<TimelineItem | undefined>();
  const [forwarding, setForwarding] = useState<TimelineItem | undefined>();
  const [viewing, setViewing] = useState<string | undefined>();
  const [pinError, setPinError] = useState<unknown>(); // R50: e.g. channel_pin_limit, said plainly
  const items = client.timeline(chatId);
  // What was sent before this device subscribed is in epochs it never got (R112): one line says so, not a line per post.
  const shown = items.filter((i) => !i.system && !i.notice && !i.inThread);
  const posts = shown.filter((i) => i.unreadableReason !== 'before_join');
  const earlier = posts.length < shown.length;
  const mayPost = chat.community?.mayPost === true;
  const newest = posts.at(-1)?.id;
  useEffect(() => { client.markRead(chatId); }, [client, chatId, newest]);
  const views = usePrivateChannelViews(client, communityId, posts.filter((i) => !i.deleted && !i.unreadable)); // R190
  useEffect(() => { document.getElementById(`msg-${newest ?? ''}`)?.scrollIntoView({ block: 'end' }); }, [newest]);

  const comment = discussion ? (item: TimelineItem) => setCommenting(item.id) : undefined;
  const actions: MessageActions = {
    onReply: comment ?? (() => {}),
    ...(comment ? { onOpenThread: comment } : {}),
    onEdit: (item) => setEditing(item),
    onDelete: (item) => { if (confirm(t('confirmDelete'))) client.deleteMessage(chatId, item.id).catch(report('delete')); },
    onReact: (item, emoji, on) => { client.react(chatId, item.id, emoji, on).catch(report('reaction')); },
    onResend: (item) => { client.requestResend(chatId, [item.id]).catch(report('resend request')); },
    onForward: (item) => setForwarding(item),
    onPin: (item, on) => { setPinError(undefined); client.pin(chatId, item.id, on).catch((err: unknown) => { report('pin')(err); setPinError(err); }); },
    onOpenMedia: (_item, att) => setViewing(att.blobId),
    mayDeleteOthers: false,
  };
  // Inside the comments panel the post is only shown: its replies are the comments below it.
  const { onOpenThread: _thread, ...shownActions } = actions;
  const panelActions: MessageActions = { ...shownActions, onReply: () => {} };
  const media = viewing ? posts.flatMap((i) => (i.deleted || i.unreadable ? [] : attachmentsOf(i).filter(isVisual))) : [];
  const viewIndex = media.findIndex((a) => a.blobId === viewing);
  const title = chatTitle(t, chat);
  const postView = (item: TimelineItem, inPanel = false) => (
    <div key={item.id} className="channel-private-post" data-testid="private-post">
      <MessageBubble client={client} item={item} upload={uploadOf(item)} members={chat.members} myUserId={client.userId} showSender mayPin={!inPanel && client.mayPin(chatId)}
        actions={inPanel ? panelActions : actions} meta={!inPanel && item.seq !== null ? <PrivateViewCount views={views.get(item.seq)} /> : undefined} />
      {item.scheduled && ( // R191: shown at its signed date; flagged when the server released it early
        <p className={item.scheduled.early ? 'small channel-unverified' : 'muted small'} role={item.scheduled.early ? 'alert' : undefined} data-testid="private-post-scheduled" data-early={item.scheduled.early || undefined}>
          {item.scheduled.early ? t('chPublishedEarly') : t('chScheduledFor', { date: fmt.dateTime(item.scheduled.date) })}
        </p>
      )}
      {discussion && !inPanel && !item.deleted && item.seq !== null && (
        <div className="channel-post-actions"><CommentsButton client={client} discussion={discussion} postId={item.id} onOpen={() => setCommenting(item.id)} /></div>
      )}
    </div>
  );
  const commented = commenting ? posts.find((i) => i.id === commenting) : undefined;

  return (
    <section className={`panel channel-view${commented && discussion ? ' with-comments' : ''}`} aria-label={title}>
      <PanelHeader title={title}>
        <span className="avatar community-avatar" style={{ width: 36, height: 36 }} aria-hidden="true"><Icon name="megaphone" /></span>
      </PanelHeader>
      <div className="channel-head">
        <p className="muted small">{t('chSubscribers', { count: chat.members.length })}</p>
        <p className="channel-kind" role="note" data-testid="channel-kind"><Icon name="megaphone" size={16} /> {t('chKindPrivate')}</p>
        <div className="channel-actions">
          <button type="button" className="secondary small" onClick={() => go(`/community/${communityId}`)}><Icon name="settings" size={16} /> {t('chSettings')}</button>
        </div>
      </div>
      <ErrorLine error={pinError} />
      <div className="timeline channel-timeline" data-testid="channel-posts">
        {earlier && <p className="muted small channel-earlier" data-testid="private-earlier">{t('chPrivateEarlier')}</p>}
        {posts.length === 0 && !earlier && <p className="muted empty-state">{t('chNoPosts')}</p>}
        {posts.map((item) => postView(item))}
      </div>
      {mayPost && <WrappedScheduledPosts client={client} communityId={communityId} mode="mls" chatId={chatId} />}
      {mayPost && <PrivatePostComposer key={editing?.id ?? 'new'} client={client} chatId={chatId} communityId={communityId} editing={editing} onDone={() => setEditing(undefined)} />}
      {commented && discussion && (
        <CommentsPanel client={client} of={{ communityId }} discussion={discussion} postId={commented.id} post={postView(commented, true)} postText={commented.text || t('chPhoto')} onClose={() => setCommenting(undefined)} />
      )}
      {forwarding && <Suspense fallback={null}><ForwardPicker client={client} sourceChatId={chatId} item={forwarding} onClose={() => setForwarding(undefined)} /></Suspense>}
      {viewing && viewIndex >= 0 && <Suspense fallback={null}><Viewer client={client} items={media} start={viewIndex} onClose={() => setViewing(undefined)} /></Suspense>}
    </section>
  );
}

/**
 * The admins' composer of a private channel: an end-to-end encrypted message to the announcements chat
 * (markdown as in chats), with photos and files as in any chat (R112: encrypted on this device, readable
 * by the subscribers' devices only), or an edit of one's text.
 */
function PrivatePostComposer({ client, chatId, communityId, editing, onDone }: { client: ParleyClient; chatId: string; communityId: string; editing: TimelineItem | undefined; onDone: () => void }) {
  const { t } = useChannelI18n();
  const [text, setText] = useState(editing?.text ?? '');
  const [error, setError] = useState<unknown>();
  const tray = useAttachTray();
  const picker = useRef<HTMLInputElement>(null);
  const withFiles = !editing && tray.entries.length > 0;
  const scheduling = useWrappedScheduling(); // R191: text only, as R188's
  const later = !editing && scheduling.scheduling;
  const send = () => {
    const message = parseMarkdown(text);
    setError(undefined);
    const failed = (what: string) => (err: unknown) => { report(what)(err); setError(err); };
    if (later) {
      if (!message.text.trim() || !scheduling.at) return;
      scheduleWrapped(client, communityId, message.text, scheduling, {}, 'mls').then(() => setText(''), failed('schedule'));
      return;
    }
    if (withFiles) {
      if (!tray.ready) return;
      filesOf(client).sendFiles(chatId, tray.prepared(), { text: message.text, entities: message.entities }).catch(failed('files'));
      tray.clear();
    } else {
      if (!message.text.trim()) return;
      if (editing) client.edit(chatId, editing.id, message.text, { entities: message.entities }).catch(failed('edit'));
      else client.sendText(chatId, message.text, { entities: message.entities }).catch(failed('post'));
    }
    setText('');
    onDone();
  };
  return (
    <div className="channel-composer">
      <ErrorLine error={error} />
      {editing && (
        <div className="composer-context">
          <Icon name="edit" size={16} /><span className="grow">{t('chEdit')}</span>
          <button type="button" className="icon small" aria-label={t('cancel')} onClick={onDone}><Icon name="close" size={16} /></button>
        </div>
      )}
      {!editing && <WrappedScheduleAt scheduling={scheduling} textOnly={withFiles} />}
      {!editing && <AttachTrayView tray={tray} />}
      <form className="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
        {!editing && (
          <>
            <input ref={picker} type="file" multiple hidden data-testid="channel-file-input" tabIndex={-1}
              onChange={(e) => { if (e.target.files) tray.add(e.target.files); e.target.value = ''; }} />
            <button type="button" className="icon" aria-label={t('chAttach')} title={t('chAttach')} onClick={() => picker.current?.click()}><Icon name="attach" /></button>
          </>
        )}
        <textarea aria-label={t('chPostPlaceholder')} placeholder={t('chPostPlaceholder')} value={text} rows={2} className="grow"
          onChange={(e) => setText(e.target.value)} onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); send(); } }}
          onPaste={(e) => { const pasted = [...e.clipboardData.files]; if (pasted.length > 0 && !editing) { e.preventDefault(); tray.add(pasted); } }} />
        {!editing && !later && <button type="button" className="secondary" onClick={scheduling.start}>{t('chSchedule')}</button>}
        <button type="submit" disabled={later ? !text.trim() || !scheduling.at : withFiles ? !tray.ready : !text.trim()}>{editing ? t('chSave') : later ? t('chSchedule') : t('chPost')}</button>
      </form>
    </div>
  );
}
