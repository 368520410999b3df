import { useCallback } from 'react';
import { ParleyError, type ParleyClient } from '@parley/client';
import { ChannelScheduledBody, type ScheduledChannelPost } from '@parley/protocol';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { Icon } from '../components/icons.tsx';
import { useChannelI18n } from './text.ts';
import { channelsChanged, useChannelData } from './use-channels.ts';

/** A `datetime-local` value (local time, to the minute) for `ms`. */
export function localInputValue(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** The composer's errors, with R115's refusals in the channel screens' words (they are not the chat screen's texts). */
export function ChannelErrorLine({ error }: { error: unknown }) {
  const { t } = useChannelI18n();
  if (error instanceof ParleyError && error.code === 'channel_schedule_past') return <p className="error" role="alert">{t('chSchedulePast')}</p>;
  if (error instanceof ParleyError && error.code === 'channel_schedule_too_far') return <p className="error" role="alert">{t('chScheduleTooFar')}</p>;
  return <ErrorLine error={error} />;
}

/** The scheduled post's text as its admin signed it (R115); the server's copy is what it publishes. */
function textOf(post: ScheduledChannelPost): string {
  try {
    const body = ChannelScheduledBody.safeParse(JSON.parse(post.signed));
    return body.success ? body.data.text : '';
  } catch {
    return '';
  }
}

/**
 * R115, for the channel's admins: the posts waiting for their time, soonest first, each cancellable.
 * The server publishes each at its time (any admin device may be offline then); the list is read
 * again on every channel notice, so a published one leaves it.
 */
export function ScheduledPosts({ client, channelId }: { client: ParleyClient; channelId: string }) {
  const { t, fmt } = useChannelI18n();
  const load = useCallback(() => client.channels.scheduled(channelId), [client, channelId]);
  const { value: scheduled, reload } = useChannelData(client, load, channelId);
  const [error, run, busy] = useAction();
  if (!scheduled || scheduled.length === 0) return null;
  return (
    <section className="channel-scheduled" aria-labelledby="channel-scheduled-title" data-testid="channel-scheduled">
      <h3 id="channel-scheduled-title" className="small">{t('chScheduled')}</h3>
      <ul>
        {scheduled.map((post) => (
          <li key={post.postId} data-testid="scheduled-post">
            <span className="grow chat-preview">{textOf(post)}</span>
            <time className="muted small" dateTime={new Date(post.publishAt).toISOString()}>{t('chScheduledAt', { date: fmt.dateTime(post.publishAt) })}</time>
            <button type="button" className="icon small" aria-label={t('chScheduledCancel')} title={t('chScheduledCancel')} disabled={busy}
              onClick={() => { if (confirm(t('chScheduledConfirm'))) run(async () => { await client.channels.cancelScheduled(channelId, post.postId); channelsChanged(); await reload(); }); }}>
              <Icon name="close" size={14} />
            </button>
          </li>
        ))}
      </ul>
      <ErrorLine error={error} />
    </section>
  );
}
