import { Suspense, lazy, useCallback, useState, type ReactNode } from 'react';
import { commentCounts, commentsOn, type ParleyClient, type TimelineItem } from '@parley/client';
import { attachmentsOf } from '../files/sdk.ts';
import { isVisual } from '../files/attachments.tsx';
import type { ChannelDiscussion } from '@parley/protocol';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { Icon } from '../components/icons.tsx';
import type { MessageActions } from '../components/message.tsx';
import { useReloading } from '../state/use-reloading.ts';
import { useChannelI18n } from './text.ts';
import { channelsChanged, listenChannels } from './use-channels.ts';

const ThreadPanel = lazy(async () => ({ default: (await import('../components/thread-panel.tsx')).ThreadPanel }));
const ForwardPicker = lazy(async () => ({ default: (await import('../components/forward-picker.tsx')).ForwardPicker }));
const Viewer = lazy(async () => ({ default: (await import('../files/viewer.tsx')).Viewer }));

/** R114: whose discussion: a public channel (its id) or a private one (its community). */
export type DiscussionOf = string | { communityId: string };

/** R114: the linked discussion chat (null: none), read again when the community changes (joins, links). */
export function useDiscussion(client: ParleyClient, of: DiscussionOf) {
  const channelId = typeof of === 'string' ? of : undefined;
  const communityId = typeof of === 'string' ? undefined : of.communityId;
  const load = useCallback(() => client.channels.discussion(channelId ?? { communityId: communityId ?? '' }), [client, channelId, communityId]);
  return useReloading(load, (again) => {
    const off = client.on('community', again);
    const offLocal = listenChannels(client, again, channelId);
    return () => { off(); offLocal(); };
  }, 'discussion');
}

/**
 * R114: "N comments" under a post, counted on this device from the discussion chat it holds (the
 * server knows no count). A reader not in that chat yet sees "Comments" and joins from the panel.
 */
export function CommentsButton({ client, discussion, postId, onOpen, counted }: {
  client: ParleyClient; discussion: ChannelDiscussion; postId: string; onOpen: () => void;
  /** R177: the server's count (a wrapped post's), for readers outside the discussion chat too. */
  counted?: number;
}) {
  const { t } = useChannelI18n();
  const joined = client.chat(discussion.chatId) !== undefined;
  const count = counted ?? (joined ? commentCounts(client.timeline(discussion.chatId), [postId]).get(postId) ?? 0 : undefined);
  return (
    <button type="button" className="secondary small channel-comments" data-testid="channel-comments" onClick={onOpen}>
      <Icon name="thread" size={14} /> {count === undefined ? t('chCommentsOpen') : t('chComments', { count })}
    </button>
  );
}

/**
 * R114: a post's comments: the discussion chat's thread view (R89), the post shown as its root. A
 * reader outside the chat joins it with one tap first; a banned person is told so by the server's
 * refusal (`community_banned`), and can't write there (`not_member`).
 */
export function CommentsPanel({ client, of, discussion, postId, post, postText, onClose, onCommented }: {
  client: ParleyClient; of: DiscussionOf; discussion: ChannelDiscussion; postId: string; post: ReactNode; onClose: () => void;
  /** The post's text: each comment quotes it briefly, so the discussion chat shows which post a comment is on. */
  postText: string;
  /** R177: a comment was sent (a wrapped post's: its device marks it for the server's count). */
  onCommented?: (messageId: string) => void;
}) {
  const { t } = useChannelI18n();
  const [error, run, busy] = useAction();
  const [forwarding, setForwarding] = useState<TimelineItem | undefined>();
  const [viewing, setViewing] = useState<string | undefined>();
  const chat = client.chat(discussion.chatId);
  if (!chat) {
    return (
      <aside className="thread-panel" aria-labelledby="comments-title" data-testid="comments-join"
        onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); onClose(); } }}>
        <header className="thread-header">
          <h3 id="comments-title">{t('chCommentsTitle')}</h3>
          <button type="button" className="icon small" aria-label={t('close')} title={t('close')} onClick={onClose}><Icon name="close" size={16} /></button>
        </header>
        <div className="thread-items">
          <div className="thread-root">{post}</div>
          <p className="muted small">{t('chCommentsJoinHint')}</p>
          <button type="button" disabled={busy} onClick={() => run(async () => {
            if (typeof of === 'string') await client.channels.joinDiscussion(of);
            else await client.communities.joinChat(of.communityId, discussion.chatId);
          })}>{t('chCommentsJoin')}</button>
          <ErrorLine error={error} />
        </div>
      </aside>
    );
  }
  const chatId = chat.chatId;
  const report = (what: string) => (err: unknown) => console.warn(`parley: comment ${what} failed`, err);
  // Reply and Edit work in the panel's own box (ThreadPanel); Forward and photos open over it.
  const actions: MessageActions = {
    onReply: () => {}, onEdit: () => {},
    onForward: (item) => setForwarding(item),
    onOpenMedia: (_item, att) => setViewing(att.blobId),
    onDelete: (item: TimelineItem) => { if (confirm(t(item.mine ? 'confirmDelete' : 'confirmDeleteForEveryone'))) client.deleteMessage(chatId, item.id).catch(report('delete')); },
    onReact: (item, emoji, on) => { client.react(chatId, item.id, emoji, on).catch(report('reaction')); },
    onResend: (item) => { client.requestResend(chatId, [item.id]).catch(report('resend request')); },
    onPin: (item, on) => { client.pin(chatId, item.id, on).catch(report('pin')); },
    mayDeleteOthers: chat.community?.moderators?.some((m) => m.userId === client.userId && m.rights.includes('deleteMessages')) ?? false,
  };
  const media = viewing ? commentsOn(client.timeline(chatId), postId).flatMap((i) => (i.deleted || i.unreadable ? [] : attachmentsOf(i).filter(isVisual))) : [];
  const viewIndex = media.findIndex((a) => a.blobId === viewing);
  return (
    <Suspense fallback={null}>
      <ThreadPanel client={client} chat={chat} rootId={postId} actions={actions} onClose={onClose} root={post} rootQuote={postText} title={t('chCommentsTitle')} {...(onCommented ? { onSent: onCommented } : {})} />
      {forwarding && <ForwardPicker client={client} sourceChatId={chatId} item={forwarding} onClose={() => setForwarding(undefined)} />}
      {viewing && viewIndex >= 0 && <Viewer client={client} items={media} start={viewIndex} onClose={() => setViewing(undefined)} />}
    </Suspense>
  );
}

/** The chats this person may link as a discussion: open, non-announcements chats of communities where they hold `manageChats` (R114). */
function linkable(client: ParleyClient, communityId?: string) {
  return client.chats().filter((c) => c.community && c.community.kind !== 'announcements'
    && (!communityId || c.community.communityId === communityId)
    && c.community.moderators?.some((m) => m.userId === client.userId && m.rights.includes('manageChats')));
}

/**
 * R114: links or unlinks the discussion chat: a public channel's owner picks an open chat of a
 * community they manage; a private channel's manager an open chat of its own community, or makes one.
 */
export function DiscussionSettings({ client, of }: { client: ParleyClient; of: DiscussionOf }) {
  const { t } = useChannelI18n();
  const { value: discussion, reload } = useDiscussion(client, of);
  const [pick, setPick] = useState('');
  const [error, run, busy] = useAction();
  const chats = linkable(client, typeof of === 'string' ? undefined : of.communityId);
  const linkedName = discussion ? (client.chat(discussion.chatId)?.title ?? discussion.chatId) : undefined;
  const link = (chatId: string | null) => run(async () => { await client.channels.linkDiscussion(of, chatId); channelsChanged(); await reload(); });
  return (
    <div className="card channel-discussion" data-testid="discussion-settings">
      <h3>{t('chDiscussion')}</h3>
      <p className="muted small">{t('chDiscussionHint')}</p>
      <p role="status" data-testid="discussion-linked">{linkedName ? t('chDiscussionLinked', { name: linkedName }) : t('chDiscussionOff')}</p>
      {chats.length > 0 ? (
        <form className="row narrow-stack" onSubmit={(e) => { e.preventDefault(); const chatId = pick || chats[0]?.chatId; if (chatId) link(chatId); }}>
          <label className="grow">{t('chDiscussionPick')}
            <select value={pick || chats[0]?.chatId} onChange={(e) => setPick(e.target.value)}>
              {chats.map((c) => <option key={c.chatId} value={c.chatId}>{c.title}</option>)}
            </select>
          </label>
          <button type="submit" className="small" disabled={busy}>{t('chLink')}</button>
        </form>
      ) : typeof of === 'string' && <p className="muted small">{t('chDiscussionNoChats')}</p>}
      <div className="channel-actions">
        {typeof of !== 'string' && (
          <button type="button" className="secondary small" disabled={busy} onClick={() => run(async () => {
            const chat = await client.communities.createChat(of.communityId, { name: t('chDiscussionChatName'), open: true });
            await client.channels.linkDiscussion(of, chat.chatId);
            channelsChanged();
            await reload();
          })}>{t('chDiscussionCreate')}</button>
        )}
        {discussion && <button type="button" className="secondary small" disabled={busy} onClick={() => link(null)}>{t('chUnlink')}</button>}
      </div>
      <ErrorLine error={error} />
    </div>
  );
}
