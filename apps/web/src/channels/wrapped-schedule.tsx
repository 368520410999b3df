import { useCallback, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { Icon } from '../components/icons.tsx';
import { useReloading } from '../state/use-reloading.ts';
import { localInputValue } from './channel-schedule.tsx';
import { useChannelI18n } from './text.ts';
import { channelsChanged, listenChannels } from './use-channels.ts';

/**
 * R188: "Schedule" in a wrapped channel's composer, as the public channel's (R115): a time to publish at
 * (a datetime-local value) or none to post now. Text only: files are not scheduled.
 */
export function useWrappedScheduling() {
  const [at, setAt] = useState<string | undefined>();
  return { at, scheduling: at !== undefined, start: () => setAt(localInputValue(Date.now() + 3_600_000)), set: setAt, stop: () => setAt(undefined) };
}
export type WrappedScheduling = ReturnType<typeof useWrappedScheduling>;

/** The time row above the composer while scheduling (R188). */
export function WrappedScheduleAt({ scheduling, withFiles }: { scheduling: WrappedScheduling; withFiles: boolean }) {
  const { t } = useChannelI18n();
  if (scheduling.at === undefined) return null;
  return (
    <div className="composer-context channel-schedule-at">
      <label className="grow">{t('chScheduleAt')}{' '}
        <input type="datetime-local" value={scheduling.at} min={localInputValue(Date.now())} required onChange={(e) => scheduling.set(e.target.value)} data-testid="schedule-at" />
      </label>
      {withFiles && <span className="muted small">{t('chScheduleNoFiles')}</span>}
      <button type="button" className="secondary small" onClick={scheduling.stop}>{t('chScheduleOff')}</button>
    </div>
  );
}

/** R188 (a wrapped channel) or R191 (a channel in MLS mode): the SDK part that keeps its scheduled posts. */
export type ScheduleMode = 'wrapped' | 'mls';
const scheduleApi = (client: ParleyClient, mode: ScheduleMode) => (mode === 'wrapped' ? client.wrappedChannels : client.channelSchedule);

/** Schedules the composer's text at the chosen time (sealed and signed on this device now, R188/R191); then the list reads again. */
export async function scheduleWrapped(client: ParleyClient, communityId: string, text: string, scheduling: WrappedScheduling, mode: ScheduleMode = 'wrapped'): Promise<void> {
  if (!scheduling.at) return;
  await scheduleApi(client, mode).schedule(communityId, text, new Date(scheduling.at).getTime());
  scheduling.stop();
  channelsChanged();
}

/**
 * R188 and R191, for the channel's admins: the posts waiting for their time, soonest first, each
 * cancellable. Listing re-seals this user's posts an epoch change left stale (a removal, or in MLS mode
 * any commit: they wait for a device of their author); the list is read again on each new post of the
 * channel (in MLS mode: each new entry of its chat), so a published one leaves it.
 */
export function WrappedScheduledPosts({ client, communityId, mode = 'wrapped', chatId }: { client: ParleyClient; communityId: string; mode?: ScheduleMode; chatId?: string }) {
  const { t, fmt } = useChannelI18n();
  // R191: each new entry of the chat (a published post, or a commit that left one stale) reads the list again.
  const lastSeq = chatId ? client.log(chatId).at(-1)?.seq : undefined;
  const load = useCallback(() => { void lastSeq; return scheduleApi(client, mode).scheduled(communityId); }, [client, communityId, mode, lastSeq]);
  const listen = useCallback((again: () => void) => {
    const off = client.on('wrappedPost', (e) => { if (e.communityId === communityId && e.seq !== undefined) again(); });
    const offLocal = listenChannels(client, again, communityId);
    return () => { off(); offLocal(); };
  }, [client, communityId]);
  const { value: scheduled, reload } = useReloading(load, listen, 'wrapped-scheduled');
  const [error, run, busy] = useAction();
  if (!scheduled || scheduled.length === 0) return null;
  return (
    <section className="channel-scheduled" aria-labelledby="wrapped-scheduled-title" data-testid="channel-scheduled">
      <h3 id="wrapped-scheduled-title" className="small">{t('chScheduled')}</h3>
      <ul>
        {scheduled.map((post) => (
          <li key={post.id} data-testid="scheduled-post" data-stale={post.stale || undefined}>
            <span className="grow chat-preview">{post.text ?? <span className="muted">{t('chScheduledUnreadable')}</span>}</span>
            <time className="muted small" dateTime={new Date(post.publishAt).toISOString()}>{t('chScheduledAt', { date: fmt.dateTime(post.publishAt) })}</time>
            {post.stale && <span className="muted small" data-testid="scheduled-stale">{t(mode === 'mls' ? 'chScheduledStaleMls' : 'chScheduledStale')}</span>}
            <button type="button" className="icon small" aria-label={t('chScheduledCancel')} title={t('chScheduledCancel')} disabled={busy}
              onClick={() => { if (confirm(t('chScheduledConfirm'))) run(async () => { await scheduleApi(client, mode).cancelScheduled(communityId, post.id); await reload(); }); }}>
              <Icon name="close" size={14} />
            </button>
          </li>
        ))}
      </ul>
      <ErrorLine error={error} />
    </section>
  );
}
