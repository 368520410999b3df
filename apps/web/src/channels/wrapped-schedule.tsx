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

/** The time row above the composer while scheduling (R188); R191's MLS mode says files are not scheduled (`textOnly` with files in the tray). */
export function WrappedScheduleAt({ scheduling, textOnly = false }: { scheduling: WrappedScheduling; textOnly?: boolean }) {
  const { t } = useChannelI18n();
  if (scheduling.at === undefined) return null;
  return (
    <div className="composer-context channel-schedule-at">
      <label className="grow">{t('chScheduleAt')}{' '}
        <input type="datetime-local" value={scheduling.at} min={localInputValue(Date.now())} required onChange={(e) => scheduling.set(e.target.value)} data-testid="schedule-at" />
      </label>
      {textOnly && <span className="muted small">{t('chScheduleNoFiles')}</span>}
      <button type="button" className="secondary small" onClick={scheduling.stop}>{t('chScheduleOff')}</button>
    </div>
  );
}

/** R188 (a wrapped channel) or R191 (a channel in MLS mode): the SDK part that keeps its scheduled posts. */
export type ScheduleMode = 'wrapped' | 'mls';
const scheduleApi = (client: ParleyClient, mode: ScheduleMode) => (mode === 'wrapped' ? client.wrappedChannels : client.channelSchedule);

/**
 * Schedules the composer's text at the chosen time (sealed and signed on this device now, R188/R191); R192: in a
 * wrapped channel with files (kept in the upload outbox and uploaded first: shown below the posts till then) or a
 * poll (R191's MLS mode: text only). Then the list reads again.
 */
export async function scheduleWrapped(client: ParleyClient, communityId: string, text: string, scheduling: WrappedScheduling,
  extra: { files?: FileToSend[]; poll?: WrappedPoll } = {}, mode: ScheduleMode = 'wrapped'): Promise<void> {
  if (!scheduling.at) return;
  const at = new Date(scheduling.at).getTime();
  await (mode === 'wrapped' ? client.wrappedChannels.schedule(communityId, text, at, extra) : client.channelSchedule.schedule(communityId, text, at));
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
  const { t } = useChannelI18n();
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
  const items = (scheduled ?? []).map((post): ScheduledItem => ({
    id: post.id, publishAt: post.publishAt, stale: post.stale, unreadable: post.problem !== undefined,
    ...(post.text !== undefined ? { text: post.text } : {}), files: (post.attachments ?? []).map(scheduledFile),
    ...(post.poll ? { pollQuestion: post.poll.question } : {}),
  }));
  return (
    <ScheduledList titleId="wrapped-scheduled-title" items={items} busy={busy} error={error} staleLabel={mode === 'mls' ? t('chScheduledStaleMls') : undefined}
      onCancel={(id) => run(async () => { await scheduleApi(client, mode).cancelScheduled(communityId, id); await reload(); })} />
  );
}
