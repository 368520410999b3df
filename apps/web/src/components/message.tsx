import type { TimelineItem } from '@parley/client';
import type { Member } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';

const EMOJI = ['👍', '❤️', '😂', '😮', '🙏'];
const STATE_ICON: Record<TimelineItem['state'], string> = { sending: '🕓', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '⚠' };

export interface MessageActions {
  onReply(item: TimelineItem): void;
  onEdit(item: TimelineItem): void;
  onDelete(item: TimelineItem): void;
  onReact(item: TimelineItem, emoji: string, on: boolean): void;
}

export function MessageBubble({ item, members, myUserId, showSender, actions }: {
  item: TimelineItem; members: Member[]; myUserId: string; showSender: boolean; actions: MessageActions;
}) {
  const { t, locale } = useI18n();
  const sender = members.find((m) => m.userId === item.senderUserId);
  const time = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(item.sentAt);
  return (
    <div className={`msg${item.mine ? ' mine' : ''}`} data-testid="message" data-state={item.state}>
      <div className="bubble">
        {showSender && !item.mine && <div className="sender">{sender?.displayName ?? '…'}</div>}
        {item.replyTo && (
          <div className="quote">
            <span className="quote-name">{members.find((m) => m.userId === item.replyTo?.senderUserId)?.displayName ?? ''}</span>
            <span className="quote-text">{item.replyTo.text || t('deleted')}</span>
          </div>
        )}
        {item.deleted ? <em className="muted">{t('deleted')}</em>
          : item.unreadable ? <em className="muted">{t('unreadable')}</em>
          : <span className="text">{item.text}</span>}
        <span className="meta">
          {item.edited && !item.deleted && <span>{t('edited')} · </span>}
          {time}
          {item.mine && <span className={`state state-${item.state}`} aria-label={item.state} title={item.state}> {STATE_ICON[item.state]}</span>}
        </span>
        {item.reactions.length > 0 && (
          <div className="reactions">
            {item.reactions.map((r) => {
              const mine = r.userIds.includes(myUserId);
              return (
                <button key={r.emoji} className={`reaction${mine ? ' on' : ''}`} onClick={() => actions.onReact(item, r.emoji, !mine)} aria-pressed={mine}>
                  {r.emoji} {r.userIds.length}
                </button>
              );
            })}
          </div>
        )}
      </div>
      {!item.deleted && item.seq !== null && (
        <div className="msg-actions">
          <button className="icon small" aria-label={t('reply')} title={t('reply')} onClick={() => actions.onReply(item)}>↩</button>
          {EMOJI.map((e) => (
            <button key={e} className="icon small" aria-label={`${t('react')} ${e}`} onClick={() => actions.onReact(item, e, !item.reactions.some((r) => r.emoji === e && r.userIds.includes(myUserId)))}>{e}</button>
          ))}
          {item.mine && <button className="icon small" aria-label={t('edit')} title={t('edit')} onClick={() => actions.onEdit(item)}>✎</button>}
          {item.mine && <button className="icon small" aria-label={t('delete')} title={t('delete')} onClick={() => actions.onDelete(item)}>🗑</button>}
        </div>
      )}
    </div>
  );
}
