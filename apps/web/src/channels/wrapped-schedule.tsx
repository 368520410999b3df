import { useCallback, useState } from 'react';
import type { FileToSend, ParleyClient } from '@parley/client';
import type { WrappedPoll } from '@parley/protocol';
import { useAction } from '../components/error-line.tsx';
import { useReloading } from '../state/use-reloading.ts';
import { localInputValue } from './channel-schedule.tsx';
import { ScheduledList, scheduledFile, type ScheduledItem } from './scheduled-list.tsx';
import { useChannelI18n } from './text.ts';
import { channelsChanged, listenChannels } from './use-channels.ts';

/**
 * R188: "Schedule" in a wrapped channel's composer, as the public channel's (R115): a time to publish at
 * (a datetime-local value) or none to post now. R192: with the tray's photos, files or a voice post, or a poll.
 */
export function useWrappedScheduling() {
  const [at, setAt] = useState<string | undefined>();
  return { at, scheduling: at !== undefined, start: () => setAt(localInputValue(Date.now() + 3_600_000)), set: setAt, stop: () => setAt(undefined) };
}
export type WrappedScheduling = ReturnType<typeof useWrappedScheduling>;

/** The time row above the composer while scheduling (R188). */
export function WrappedScheduleAt({ scheduling }: { scheduling: WrappedScheduling }) {
  const { t } = useChannelI18n();
  if (scheduling.at === undefined) return null;
  return (
    <div className="composer-context channel-schedule-at">
      <label className="grow">{t('chScheduleAt')}{' '}
        <input type="datetime-local" value={scheduling.at} min={localInputValue(Date.now())} required onChange={(e) => scheduling.set(e.target.value)} data-testid="schedule-at" />
      </label>
      <button type="button" className="secondary small" onClick={scheduling.stop}>{t('chScheduleOff')}</button>
    </div>
  );
}

/**
 * Schedules the composer's text at the chosen time (sealed and signed on this device now, R188); R192: with
 * files (kept in the upload outbox and uploaded first: shown below the posts till then) or a poll. Then the list reads again.
 */
export async function scheduleWrapped(client: ParleyClient, communityId: string, text: string, scheduling: WrappedScheduling, extra: { files?: FileToSend[]; poll?: WrappedPoll } = {}): Promise<void> {
  if (!scheduling.at) return;
  await client.wrappedChannels.schedule(communityId, text, new Date(scheduling.at).getTime(), extra);
  scheduling.stop();
  channelsChanged();
}

/**
 * R188, for the channel's admins: the posts waiting for their time, soonest first, each cancellable.
 * Listing re-seals this user's posts an epoch change left stale (a removal: they wait for a device of
 * their author); the list is read again on each new post of the channel, so a published one leaves it.
 */
export function WrappedScheduledPosts({ client, communityId }: { client: ParleyClient; communityId: string }) {
  const load = useCallback(() => client.wrappedChannels.scheduled(communityId), [client, communityId]);
  const listen = useCallback((again: () => void) => {
    const off = client.on('wrappedPost', (e) => { if (e.communityId === communityId && e.seq !== undefined) again(); });
    const offLocal = listenChannels(client, again, communityId);
    return () => { off(); offLocal(); };
  }, [client, communityId]);
  const { value: scheduled, reload } = useReloading(load, listen, 'wrapped-scheduled');
  const [error, run, busy] = useAction();
  const items = (scheduled ?? []).map((post): ScheduledItem => ({
    id: post.id, publishAt: post.publishAt, stale: post.stale, unreadable: post.problem !== undefined,
    ...(post.text !== undefined ? { text: post.text } : {}), files: (post.attachments ?? []).map(scheduledFile),
    ...(post.poll ? { pollQuestion: post.poll.question } : {}),
  }));
  return (
    <ScheduledList titleId="wrapped-scheduled-title" items={items} busy={busy} error={error}
      onCancel={(id) => run(async () => { await client.wrappedChannels.cancelScheduled(communityId, id); await reload(); })} />
  );
}
