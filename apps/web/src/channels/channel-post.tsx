import type { ReactNode } from 'react';
import type { ChannelPost, ParleyClient, WrappedPollResult } from '@parley/client';
import type { ChannelPostCounts } from '@parley/protocol';
import { FormattedText } from '../components/formatted-text.tsx';
import { Icon } from '../components/icons.tsx';
import { useChannelI18n } from './text.ts';
import { ChannelMedia } from './channel-media.tsx';
import { WrappedPollCard } from './wrapped-poll.tsx';
import type { Formatters } from '../i18n/format.ts';

export type VerifiedPost = Extract<ChannelPost, { verified: true }>;

/** The reactions a reader taps (R98: one per person per post; tapping yours again takes it back). */
export const CHANNEL_REACTIONS = ['👍', '❤️', '🔥', '😂', '😮', '😢'] as const;

/**
 * One post of a public channel. A verified post shows its text (as text, with its formatting
 * entities), date, views and reactions; a post that failed its check shows only that it failed and
 * why: nothing the server sent is shown as the channel's (R96).
 */
export function ChannelPostView({ client, handle, post, admin, counts, fmt, onChange, onEdit, onForward, comments, votes, onVote }: {
  client: ParleyClient; handle: string; post: ChannelPost; admin: boolean; counts: ChannelPostCounts | undefined; fmt: Formatters; comments?: ReactNode;
  /** R198: the votes of the post's poll, and a tap on an option (the whole new choice). */
  votes?: WrappedPollResult | undefined; onVote?: (options: number[]) => void;
  onChange: (fn: () => Promise<unknown>) => void; onEdit: (p: VerifiedPost) => void; onForward: (p: VerifiedPost) => void;
}) {
  const { t } = useChannelI18n();
  if (!post.verified) {
    return (
      <article className="channel-post channel-unverified" role="alert" data-testid="channel-post-unverified">
        <p><strong>{t('chNotVerified')}</strong></p>
        <p className="muted small">{t('chNotVerifiedWhy', { problem: post.problem })}</p>
      </article>
    );
  }
  const { channelId, postId } = post;
  const verified = post.author !== undefined ? t('chVerifiedBy', { name: post.author }) : t('chVerified');
  const reactions = counts?.reactions ?? {};
  const emojis = [...new Set([...CHANNEL_REACTIONS, ...Object.keys(reactions)])];
  return (
    <article className={`channel-post${post.pinned ? ' pinned' : ''}`} id={`channel-post-${postId}`} data-testid="channel-post">
      {post.pinned && <p className="channel-pin muted small"><Icon name="pin" size={14} /> {t('chPinned')}</p>}
      {post.attachments && <ChannelMedia client={client} handle={handle} files={post.attachments} />}
      {post.text && <div className="channel-text"><FormattedText text={post.text} entities={post.entities} /></div>}
      {post.poll && <WrappedPollCard poll={post.poll} result={votes} onVote={(options) => onVote?.(options)} />}
      {/* R200: the author's name as the owner signed it into the key list, only when the channel signs names. */}
      {post.author !== undefined && <p className="channel-author" data-testid="post-author">— {post.author}</p>}
      <p className="channel-meta muted small">
        <span className="channel-verified" title={verified} data-testid="post-verified"><Icon name="check" size={14} /> {verified}</span>
        {' · '}<time dateTime={new Date(post.date).toISOString()}>{fmt.dateTime(post.date)}</time>
        {post.edited && <> · {t('chEdited')}</>}
        {counts && <> · <span data-testid="post-views">{t('chViews', { count: counts.views })}</span></>}
      </p>
      <div className="reactions" role="group" aria-label={t('react')}>
        {emojis.map((emoji) => {
          const n = reactions[emoji] ?? 0;
          const mine = counts?.mine === emoji;
          return (
            <button key={emoji} type="button" className={`reaction${mine ? ' on' : ''}`} aria-pressed={mine} title={t('chReact', { emoji })}
              data-testid="channel-reaction" onClick={() => onChange(() => client.channels.react(channelId, postId, mine ? null : emoji))}>
              <span className="sr-only">{t('chReact', { emoji: '' })}</span>{emoji}{n > 0 && <span className="count"> {n}</span>}
            </button>
          );
        })}
      </div>
      <div className="channel-post-actions">
        {comments}
        <button type="button" className="secondary small" onClick={() => onForward(post)}><Icon name="forward" size={14} /> {t('chForward')}</button>
        {admin && (
          <>
            <button type="button" className="secondary small" onClick={() => onEdit(post)}><Icon name="edit" size={14} /> {t('chEdit')}</button>
            <button type="button" className="secondary small" onClick={() => onChange(() => client.channels.pin(channelId, postId, !post.pinned))}>
              <Icon name="pin" size={14} /> {post.pinned ? t('chUnpin') : t('chPin')}
            </button>
            <button type="button" className="secondary small danger" onClick={() => { if (confirm(t('chDeleteConfirm'))) onChange(() => client.channels.delete(channelId, postId)); }}>
              <Icon name="trash" size={14} /> {t('chDelete')}
            </button>
          </>
        )}
      </div>
    </article>
  );
}
