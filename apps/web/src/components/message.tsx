import { Suspense, lazy, type ReactNode } from 'react';
import type { ParleyClient, TimelineItem } from '@parley/client';
import type { Attachment, Member } from '@parley/protocol';
import { Attachments, StickerImage, stickerOf } from '../files/attachments.tsx';
import { attachmentsOf, type UploadProgress } from '../files/sdk.ts';
import { UploadBar } from '../files/upload-bar.tsx';
import { textOrFiles } from '../files/summary.ts';
import { jumpToMessage } from './timeline-window.ts';
import { useI18n } from '../i18n/index.ts';
import { colorFor, textColorVars } from './avatar.tsx';
import { FormattedText } from './formatted-text.tsx';
import { Icon } from './icons.tsx';
import { LinkPreviewCard } from './link-preview.tsx';
import { StateIcon } from './state-icon.tsx';

// R87: a chunk of its own, loaded when a chat shows a poll.
const PlaceCard = lazy(async () => ({ default: (await import('./place-card.tsx')).PlaceCard })); // R151: a place is rare in a chat: loaded with the first one
const PollCard = lazy(async () => ({ default: (await import('./poll.tsx')).PollCard }));
// R93: a bot's buttons, in the bots chunk, loaded when a chat shows a message that has them.
const InlineKeyboard = lazy(async () => ({ default: (await import('../bots/bot-chat.tsx')).InlineKeyboard }));
const BotBadge = lazy(async () => ({ default: (await import('../bots/bot-chat.tsx')).BotBadge }));

export const QUICK_EMOJI = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;

export interface MessageActions {
  onReply(item: TimelineItem): void;
  onEdit(item: TimelineItem): void;
  onDelete(item: TimelineItem): void;
  onReact(item: TimelineItem, emoji: string, on: boolean): void;
  /** Ask the sender's device to send an unreadable message again (R32). */
  onResend(item: TimelineItem): void;
  /** R49: open the chat picker to forward it. */
  onForward(item: TimelineItem): void;
  /** R50: pin or unpin it (offered only to who may pin). */
  onPin(item: TimelineItem, on: boolean): void;
  /** Opens a photo (or video) of the message in the viewer. */
  onOpenMedia(item: TimelineItem, att: Attachment): void;
  /** R89: opens the message's thread (absent: no threads here, e.g. inside a thread). */
  onOpenThread?: (item: TimelineItem) => void;
  /** R84: reports another's message to the community's moderators (absent: not a community chat). */
  onReport?: (item: TimelineItem) => void;
  /** R80: this user may delete others' messages here (a community's `deleteMessages` right). */
  mayDeleteOthers?: boolean;
}

/** One message. Text is rendered by React as text (never as HTML), formatted by FormattedText; line breaks are kept by CSS. */
export function MessageBubble({ client, item, upload, members, myUserId, showSender, mayPin, actions, meta }: {
  client: ParleyClient; item: TimelineItem; upload?: UploadProgress | undefined; members: readonly Member[]; myUserId: string; showSender: boolean; mayPin: boolean; actions: MessageActions;
  /** Shown first in the time line (R190: a private channel's "N views"). */
  meta?: ReactNode;
}) {
  const { t, fmt } = useI18n();
  const nameOf = (id: string) => members.find((m) => m.userId === id)?.displayName ?? '…';
  const senderIsBot = members.some((m) => m.userId === item.senderUserId && m.bot);
  const reacted = (emoji: string) => item.reactions.some((r) => r.emoji === emoji && r.userIds.includes(myUserId));
  // Reactions, replies and edits point at a message by its id, so they wait for its server ack.
  const canAct = !item.deleted && !item.unreadable && item.seq !== null;
  const replyTo = item.replyTo;
  const atts = item.deleted || item.unreadable ? [] : attachmentsOf(item);
  const uploading = !!upload && upload.state !== 'done';
  const sticker = stickerOf(atts, item.text); // R158: no bubble chrome
  // A reply to a message with files and no caption: say what it carried (the SDK's quote holds only its text).
  const quoteText = () => {
    if (!replyTo || replyTo.text) return replyTo?.text ?? '';
    const quoted = client.timeline(item.chatId).find((i) => i.id === replyTo.id);
    return quoted && !quoted.deleted ? textOrFiles(t, quoted) : t('deleted');
  };
  // R49 names a person; R186 a wrapped channel (no link: outsiders have none).
  const forwardedName = item.forwarded?.from?.displayName ?? item.forwarded?.channel?.name;
  return (
    <div id={`msg-${item.id}`} className={`msg${item.mine ? ' mine' : ''}${item.mentionsMe ? ' mentions-me' : ''}`} data-testid="message" data-state={item.state}
      tabIndex={canAct ? 0 : undefined}>
      {item.missingBefore && <div className="notice small" role="note" data-testid="missing-before">{t('missingBefore', { name: nameOf(item.senderUserId) })}</div>}
      <div className={`bubble${item.deleted ? ' deleted' : ''}${sticker ? ' sticker' : atts.length > 0 ? ' has-files' : ''}`}>
        {showSender && !item.mine && <div className="sender" style={textColorVars(colorFor(item.senderUserId))}>{nameOf(item.senderUserId)}{senderIsBot && <Suspense fallback={null}> <BotBadge /></Suspense>}</div>}
        {item.forwarded && !item.deleted && (
          <div className="forwarded" data-testid="forwarded">
            <Icon name="forward" size={14} />
            <span>{forwardedName ? t('forwardedFrom', { name: forwardedName }) : t('forwarded')}</span>
          </div>
        )}
        {item.imported && !item.deleted && (
          // R104: the original author and time from the export; the sender (above) is who imported it, a linked member only a label.
          <div className="imported" data-testid="imported">
            <span className="imported-mark">{t('importedMark')}</span>{' '}
            <span className="imported-from">{item.imported.system ? t('importedSystem', { date: fmt.dateTime(item.imported.at) })
              : t('importedFrom', { name: item.imported.from, date: fmt.dateTime(item.imported.at) })}</span>
            {item.imported.userId && <span className="muted"> · {t('importedAs', { name: nameOf(item.imported.userId) })}</span>}
            {item.imported.omitted && <span className="muted"> · {t('importedOmitted', { count: item.imported.omitted })}</span>}
            {item.imported.editedAt !== undefined && <span className="muted" data-testid="imported-edited"> · {t('importedEdited', { date: fmt.dateTime(item.imported.editedAt) })}</span>}
            {item.imported.forwardedFrom !== undefined && (
              <div className="forwarded" data-testid="imported-forwarded"><Icon name="forward" size={14} /><span>{t('forwardedFrom', { name: item.imported.forwardedFrom })}</span></div>
            )}
          </div>
        )}
        {item.unfranked && !item.deleted && (
          // R83b: the commitment its sender's app (or the server) gave does not open: a report could not prove who wrote it.
          <div className="unfranked" data-testid="unfranked" title={t('unfrankedWhy')}>{t('unfranked')}</div>
        )}
        {item.threadQuote && actions.onOpenThread && (
          // R114: a comment in the discussion chat's flow names the channel post it is on (in the comments panel the post is shown above).
          <div className="quote comment-on" data-testid="comment-on">
            <span className="quote-name">{t('commentOn')}</span>
            <span className="quote-text">{item.threadQuote}</span>
          </div>
        )}
        {replyTo && (
          <button type="button" className="quote" onClick={() => jumpToMessage(replyTo.id)}>
            <span className="quote-name">{replyTo.senderUserId ? nameOf(replyTo.senderUserId) : '…'}</span>
            <span className="quote-text">{quoteText()}</span>
          </button>
        )}
        {item.deleted ? <em className="muted">{t('deleted')}</em>
          : item.unreadable ? (
            <>
              <em className="muted" data-testid="unreadable">{t(`unreadable_${item.unreadableReason ?? 'unknown_format'}`)}</em>
              {item.resendable && (item.resendRequested
                ? <span className="resend muted" role="status" data-testid="resend-requested">{t('resendRequested')}</span>
                : <button type="button" className="link-button resend" onClick={() => actions.onResend(item)}>{t('resendAsk')}</button>)}
            </>
          )
          : (
            <>
              {sticker ? <StickerImage client={client} att={sticker} uploading={uploading} />
                : atts.length > 0 && <Attachments client={client} atts={atts} uploading={uploading} onOpen={(att) => actions.onOpenMedia(item, att)} />}
              {upload && uploading && <UploadBar client={client} upload={upload} />}
              {item.place && <Suspense fallback={<span dir="auto">{item.place.title ?? item.text}</span>}><PlaceCard place={item.place} sentAt={item.sentAt} liveAt={item.liveAt} /></Suspense>}
              {item.poll ? <Suspense fallback={<strong>{item.text}</strong>}><PollCard client={client} item={item} poll={item.poll} members={members} canAct={canAct} /></Suspense>
                : (item.text || (atts.length === 0 && !item.imported?.omitted && !item.place)) && <span className="text"><FormattedText text={item.text} entities={item.entities} /></span>}
            </>
          )}
        {item.preview && !item.deleted && !item.unreadable && <LinkPreviewCard preview={item.preview} />}
        {item.replyMarkup && !item.deleted && !item.unreadable && <Suspense fallback={null}><InlineKeyboard client={client} item={item} /></Suspense>}
        <span className="meta">
          {meta}
          {item.unencrypted && <span className="edited">{t('unencrypted')}</span>}
          {item.resent && <span className="edited" title={t('resentTitle')} data-testid="resent">{t('resent')}</span>}
          {item.pinned && <span className="pinned-mark" role="img" title={t('pinnedMessage')} aria-label={t('pinnedMessage')} data-testid="pinned-mark"><Icon name="pin" size={12} /></span>}
          {item.edited && !item.deleted && <span className="edited">{t('edited')}</span>}
          <time dateTime={new Date(item.sentAt).toISOString()} title={fmt.dateTime(item.sentAt)}>{fmt.time(item.sentAt)}</time>
          {item.mine && <StateIcon state={item.state} />}
        </span>
        {item.reactions.length > 0 && (
          <div className="reactions">
            {item.reactions.map((r) => {
              const mine = r.userIds.includes(myUserId);
              return (
                <button key={r.emoji} type="button" className={`reaction${mine ? ' on' : ''}`} aria-pressed={mine}
                  title={r.userIds.map(nameOf).join(', ')} aria-label={`${r.emoji} ${r.userIds.length}: ${r.userIds.map(nameOf).join(', ')}`} disabled={!canAct} onClick={() => actions.onReact(item, r.emoji, !mine)}>
                  {r.emoji} <span className="count">{r.userIds.length}</span>
                </button>
              );
            })}
          </div>
        )}
      </div>
      {item.thread && actions.onOpenThread && (
        <button type="button" className="link-button thread-link" data-testid="thread-link" onClick={() => actions.onOpenThread?.(item)}>
          {t('threadReplies', { count: item.thread.replies })} · {item.thread.repliers.map(nameOf).join(', ')}
          {item.thread.unread > 0 && <span className="badge thread-new" data-testid="thread-new">{t('threadNew', { count: item.thread.unread })}</span>}
        </button>
      )}
      {canAct && (
        <div className="msg-actions" role="toolbar" aria-label={t('messageActions')}>
          <button type="button" className="icon small" aria-label={t('reply')} title={t('reply')} onClick={() => actions.onReply(item)}><Icon name="reply" size={16} /></button>
          {actions.onOpenThread && <button type="button" className="icon small" aria-label={t('threadReply')} title={t('threadReply')} data-action="thread" onClick={() => actions.onOpenThread?.(item)}><Icon name="thread" size={16} /></button>}
          {QUICK_EMOJI.map((e) => (
            <button key={e} type="button" className={`icon small${reacted(e) ? ' on' : ''}`} aria-label={`${t('react')} ${e}`}
              aria-pressed={reacted(e)} onClick={() => actions.onReact(item, e, !reacted(e))}>{e}</button>
          ))}
          {(item.text || atts.length > 0) && !item.poll && <button type="button" className="icon small" aria-label={t('forward')} title={t('forward')} data-action="forward" onClick={() => actions.onForward(item)}><Icon name="forward" size={16} /></button>}
          {mayPin && (
            <button type="button" className={`icon small${item.pinned ? ' on' : ''}`} aria-label={item.pinned ? t('unpin') : t('pin')} title={item.pinned ? t('unpin') : t('pin')}
              onClick={() => actions.onPin(item, !item.pinned)}><Icon name="pin" size={16} /></button>
          )}
          {item.mine && atts.length === 0 && !item.poll && <button type="button" className="icon small" aria-label={t('edit')} title={t('edit')} onClick={() => actions.onEdit(item)}><Icon name="edit" size={16} /></button>}
          {!item.mine && item.franked && actions.onReport && <button type="button" className="icon small" aria-label={t('reportAction')} title={t('reportAction')} data-action="report" onClick={() => actions.onReport?.(item)}><Icon name="flag" size={16} /></button>}
          {(item.mine || actions.mayDeleteOthers) && <button type="button" className="icon small" aria-label={t('delete')} title={t('delete')} onClick={() => actions.onDelete(item)}><Icon name="trash" size={16} /></button>}
        </div>
      )}
    </div>
  );
}
