import { useCallback } from 'react';
import { ParleyError, type ParleyClient } from '@parley/client';
import { ChannelScheduledBody, type ScheduledChannelPost } from '@parley/protocol';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { ScheduledList, scheduledFile, type ScheduledItem } from './scheduled-list.tsx';
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

/** The scheduled post as its admin signed it (R115; R192: its files): the server's copy is what it publishes. */
function itemOf(post: ScheduledChannelPost): ScheduledItem {
  let body: ChannelScheduledBody | undefined;
  try {
    const parsed = ChannelScheduledBody.safeParse(JSON.parse(post.signed));
    if (parsed.success) body = parsed.data;
  } catch {
    // shown without text
  }
  return { id: post.postId, publishAt: post.publishAt, text: body?.text ?? '', files: (body?.attachments ?? []).map(scheduledFile) };
}

/**
 * R115, for the channel's admins: the posts waiting for their time, soonest first, each cancellable.
 * The server publishes each at its time (any admin device may be offline then); the list is read
 * again on every channel notice, so a published one leaves it.
 */
export function ScheduledPosts({ client, channelId }: { client: ParleyClient; channelId: string }) {
  const load = useCallback(() => client.channels.scheduled(channelId), [client, channelId]);
  const { value: scheduled, reload } = useChannelData(client, load, channelId);
  const [error, run, busy] = useAction();
  return (
    <ScheduledList titleId="channel-scheduled-title" items={(scheduled ?? []).map(itemOf)} busy={busy} error={error}
      onCancel={(postId) => run(async () => { await client.channels.cancelScheduled(channelId, postId); channelsChanged(); await reload(); })} />
  );
}
