import { ErrorLine } from '../components/error-line.tsx';
import { Icon } from '../components/icons.tsx';
import { useChannelI18n } from './text.ts';

/** What a scheduled post carries besides its text, as the list names it (R192): a photo, a voice post or a file by its name. */
export interface ScheduledFile {
  kind: 'photo' | 'voice' | 'file';
  name?: string;
}

/** One scheduled post of either channel kind, as the list shows it. */
export interface ScheduledItem {
  id: string;
  publishAt: number;
  /** Undefined: none (files or a poll alone). */
  text?: string;
  files: readonly ScheduledFile[];
  pollQuestion?: string;
  /** R188, R191: it waits for a device of its author (a private channel's). */
  stale?: boolean;
  /** R188, R191: this device can't open it (a private channel's). */
  unreadable?: boolean;
}

/** R110/R162: how an attachment of either kind reads in the list. */
export function scheduledFile(a: { mime: string; name?: string | undefined; kind?: string | undefined }): ScheduledFile {
  if (a.kind === 'voice') return { kind: 'voice' };
  if (a.kind === 'image' || (a.kind === undefined && a.mime.startsWith('image/'))) return { kind: 'photo' };
  return { kind: 'file', ...(a.name ? { name: a.name } : {}) };
}

/**
 * R115, R188, R192: the channel's scheduled posts, soonest first, for its admins: the text, what is
 * attached ("Photo", a file's name, "Poll: question"), the time, a stale one's line, and cancel. One list
 * for public, wrapped and (R191) MLS-mode private channels; each screen reads its own posts and cancels through its own SDK part.
 */
export function ScheduledList({ titleId, items, busy, error, onCancel, staleLabel }: {
  titleId: string; items: readonly ScheduledItem[]; busy: boolean; error: unknown; onCancel: (id: string) => void;
  /** What a stale post's line says (R191's MLS mode: the group changed); R188's by default. */
  staleLabel?: string | undefined;
}) {
  const { t, fmt } = useChannelI18n();
  const stale = staleLabel ?? t('chScheduledStale');
  if (items.length === 0) return null;
  const fileLabel = (f: ScheduledFile) => (f.kind === 'photo' ? t('chPhoto') : f.kind === 'voice' ? t('voiceMessage') : f.name ?? t('chScheduledFile'));
  return (
    <section className="channel-scheduled" aria-labelledby={titleId} data-testid="channel-scheduled">
      <h3 id={titleId} className="small">{t('chScheduled')}</h3>
      <ul>
        {items.map((post) => (
          <li key={post.id} data-testid="scheduled-post" data-stale={post.stale || undefined}>
            <span className="grow scheduled-body">
              {(post.unreadable || post.text) && <span className="chat-preview">{post.unreadable ? <span className="muted">{t('chScheduledUnreadable')}</span> : post.text}</span>}
              {(post.files.length > 0 || post.pollQuestion !== undefined) && (
                <span className="scheduled-extras muted small">
                  {post.files.map((f, i) => <span key={i} className="scheduled-extra" data-testid="scheduled-file"><Icon name="attach" size={12} /><bdi>{fileLabel(f)}</bdi></span>)}
                  {post.pollQuestion !== undefined && <span className="scheduled-extra" data-testid="scheduled-poll"><Icon name="poll" size={12} /><bdi>{t('chScheduledPoll', { question: post.pollQuestion })}</bdi></span>}
                </span>
              )}
            </span>
            <time className="muted small" dateTime={new Date(post.publishAt).toISOString()}>{t('chScheduledAt', { date: fmt.dateTime(post.publishAt) })}</time>
            {post.stale && <span className="muted small" data-testid="scheduled-stale" title={stale}>{stale}</span>}
            <button type="button" className="icon small" aria-label={t('chScheduledCancel')} title={t('chScheduledCancel')} disabled={busy}
              onClick={() => { if (confirm(t('chScheduledConfirm'))) onCancel(post.id); }}>
              <Icon name="close" size={14} />
            </button>
          </li>
        ))}
      </ul>
      <ErrorLine error={error} />
    </section>
  );
}
